"""Semantic tokens from the Pygments lexer, so an editor colours a .net file exactly
as `pygmentize`, the docs and the terminal UI do."""

from __future__ import annotations

from pygments.token import Comment, Keyword, Name, Number, Operator, String, Token

from netdsl.highlight import NetdslLexer

TOKEN_TYPES = ["keyword", "function", "variable", "property", "number", "string", "comment", "operator",
               "parameter", "class"]
TOKEN_MODIFIERS = ["declaration", "defaultLibrary"]

# Most specific first: a Pygments type maps to (LSP type, modifier bits).
_MAP: list[tuple[object, tuple[str, int]]] = [
    (Name.Function.Builtin, ("function", 2)),
    (Name.Builtin.Pseudo, ("variable", 2)),
    (Name.Builtin, ("function", 2)),
    (Name.Function, ("class", 1)),
    (Name.Label, ("property", 1)),
    (Name.Attribute, ("property", 0)),
    (Name.Variable, ("parameter", 1)),
    (Name, ("variable", 0)),
    (Keyword, ("keyword", 0)),
    (Operator.Word, ("keyword", 0)),
    (Operator, ("operator", 0)),
    (Number, ("number", 0)),
    (String, ("string", 0)),
    (Comment, ("comment", 0)),
]


def _classify(kind) -> tuple[str, int] | None:
    for pygments_type, mapped in _MAP:
        if kind in pygments_type:
            return mapped
    return None


def semantic_tokens(text: str) -> list[int]:
    """LSP's relative encoding: per token, line delta, start delta, length, type, modifiers."""
    data: list[int] = []
    line = col = 0
    last_line = last_col = 0
    for kind, value in NetdslLexer(stripnl=False, ensurenl=False).get_tokens(text):
        mapped = _classify(kind) if kind is not Token.Text else None
        if mapped is not None and "\n" not in value and value.strip():
            delta_line = line - last_line
            data += [delta_line, col - last_col if delta_line == 0 else col, len(value),
                     TOKEN_TYPES.index(mapped[0]), mapped[1]]
            last_line, last_col = line, col
        newlines = value.count("\n")
        line += newlines
        col = len(value) - value.rfind("\n") - 1 if newlines else col + len(value)
    return data
