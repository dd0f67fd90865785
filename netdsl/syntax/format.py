"""`netdsl fmt`: one canonical layout for .net files.

The AST drops comments and the author's line breaks, so the formatter works on
the token stream (the grammar's own lexer, comments included) and knows just
enough structure to lay it out: brackets, statements, chains. Like gofmt it
keeps the author's line breaks where they are legal and normalises the rest:
4-space indentation from bracket nesting, a continuation line one level in,
`->` leading continuation lines, canonical spacing, chains longer than
`MAX_WIDTH` broken before an arrow, blank lines around multi-line definitions.

Every result is re-parsed and compared with the original AST, so a formatter
bug can only ever refuse a file, never change what it means.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from functools import lru_cache

from lark import Lark, Token

from netdsl.diagnostics import Span
from netdsl.syntax.parser import grammar_path, parse

MAX_WIDTH = 100
INDENT = "    "

_OPENERS = {"LPAR": "RPAR", "LSQB": "RSQB", "LBRACE": "RBRACE"}
_CLOSERS = set(_OPENERS.values())
# The newline rules of netdsl/syntax/layout.py, minus COMMA: a line after a
# trailing comma is a list item, not an indented continuation.
_CONTINUES_AFTER = {"EQUAL", "ADD_OP", "MUL_OP", "POW", "COMPARE", "DOT", "_ARROW"}
_CONTINUES_BEFORE = {"_ARROW", "ELSE"}
# Tokens that end an operand: after one, `(`/`[` is a call/index, `{` a body, `-` binary.
_OPERAND_END = {"NAME", "NUMBER", "STRING", "RPAR", "RSQB", "RBRACE", "TRUE", "FALSE", "IN", "COMBINATOR"}
_BODY_HEAD = _OPERAND_END | {"ELSE"}  # `{` after these opens a body, otherwise a dict
_CALLABLE_END = {"NAME", "RPAR", "RSQB", "COMBINATOR"}
_INDEXABLE_END = {"NAME", "RPAR", "RSQB", "RBRACE", "STRING", "IN"}
_SKIPPED = {"__IGNORE_0", "__IGNORE_1"}  # spaces; backslash-newline joins lines


class FormatError(Exception):
    """The formatted text would parse differently: a formatter bug, never written out."""


@dataclass
class Line:
    """One physical line: its code tokens, its comment, the blank lines above it."""

    tokens: list[Token]
    comment: str | None = None
    blank_before: int = 0


@dataclass(frozen=True, slots=True)
class _Open:
    """An open bracket: the indent of its line, and where its contents line up."""

    type: str
    line_indent: int
    inner: int  # indent of the lines inside it
    body: bool  # `{` of a block/network/if/for/combinator body, not a dict


@dataclass
class _Context:
    """Bracket nesting while laying out, carried from line to line."""

    stack: list[_Open] = field(default_factory=list)
    statement: list[int] = field(default_factory=lambda: [0])  # statement indent per brace level
    last: Token | None = None  # the code token before the current one
    closing: int | None = None  # the indent of the previous line if it held only closers
    base: int = 0  # the indent a body opened on this line is relative to

    def innermost(self) -> str | None:
        return self.stack[-1].type if self.stack else None


def format_source(text: str, path: str = "<input>") -> str:
    """The canonical layout of a .net file; raises CompileError if it does not parse."""
    original = parse(text, path)
    lines = _split_bodies(_join_else(_lead_arrows(_drop_trailing_commas(_lines(text)))))
    while True:
        laid = _layout(lines)
        broken = _break_long(lines, laid)
        if broken is None:
            break
        lines = broken
    result = _emit(lines, laid)
    if _strip(parse(result, path)) != _strip(original):
        raise FormatError(f"{path}: formatting would change the program; file left as it is")
    return result


# ---- tokens → lines -----------------------------------------------------------

@lru_cache(maxsize=None)
def _lexer() -> Lark:
    return Lark(grammar_path().read_text(encoding="utf-8"), parser="lalr", lexer="basic")


def _lines(text: str) -> list[Line]:
    lines, current = [], Line([])
    for tok in _lexer().lex(text, dont_ignore=True):
        if tok.type in _SKIPPED:
            continue
        if tok.type == "COMMENT":
            current.comment = tok.value.rstrip()
        elif tok.type == "_NL":
            lines.append(current)
            current = Line([], blank_before=tok.value.count("\n") - 1)
        else:
            current.tokens.append(tok)
    lines.append(current)
    lines = [line for line in lines if line.tokens or line.comment]
    if lines:
        lines[0].blank_before = 0
    return lines


def _lead_arrows(lines: list[Line]) -> list[Line]:
    """`a ->` at a line's end moves to the start of the next code line."""
    for i, line in enumerate(lines):
        if line.tokens and line.tokens[-1].type == "_ARROW":
            following = next((n for n in lines[i + 1:] if n.tokens), None)
            if following is not None:
                following.tokens.insert(0, line.tokens.pop())
    return [line for line in lines if line.tokens or line.comment]


def _drop_trailing_commas(lines: list[Line]) -> list[Line]:
    """`f(a, b,)` → `f(a, b)`; a comma that ends a line (one item a line) stays."""
    for line in lines:
        line.tokens = [t for t, after in zip(line.tokens, line.tokens[1:] + [None])
                       if not (t.type == "COMMA" and after is not None and after.type in _CLOSERS)]
    return lines


def _split_bodies(lines: list[Line]) -> list[Line]:
    """A body that spans lines has its `{` end a line and its `}` start one."""
    cuts: dict[int, set[int]] = {}  # line → token indices to start a new line at
    stack: list[tuple[bool, int]] = []  # (is a body, line of the opener)
    last: Token | None = None
    for i, line in enumerate(lines):
        for k, tok in enumerate(line.tokens):
            if tok.type in _OPENERS:
                body = tok.type == "LBRACE" and last is not None and last.type in _BODY_HEAD
                stack.append((body, i))
                if body and k + 1 < len(line.tokens):
                    cuts.setdefault(i, set()).add(k + 1)
            elif tok.type in _CLOSERS and stack:
                body, start = stack.pop()
                if body and start != i and k > 0:
                    cuts.setdefault(i, set()).add(k)
                elif body and start == i:
                    cuts.get(i, set()).discard(_after_opener(line.tokens, k))
            last = tok
    return [piece for i, line in enumerate(lines) for piece in _cut_line(line, sorted(cuts.get(i, ())))]


def _after_opener(tokens: list[Token], close: int) -> int:
    """The index after the `{` that the `}` at `close` matches, on the same line."""
    depth = 0
    for k in range(close, -1, -1):
        depth += tokens[k].type in _CLOSERS
        depth -= tokens[k].type in _OPENERS
        if depth == 0:
            return k + 1
    return -1


def _cut_line(line: Line, at: list[int]) -> list[Line]:
    if not at:
        return [line]
    bounds = [0, *at, len(line.tokens)]
    pieces = [Line(line.tokens[a:b]) for a, b in zip(bounds, bounds[1:])]
    pieces[0].blank_before, pieces[-1].comment = line.blank_before, line.comment
    return pieces


def _join_else(lines: list[Line]) -> list[Line]:
    """`}` newline `else {` becomes `} else {`."""
    out: list[Line] = []
    for line in lines:
        prev = out[-1] if out else None
        if (prev and line.tokens and line.tokens[0].type == "ELSE" and prev.tokens
                and prev.tokens[-1].type == "RBRACE" and prev.comment is None and line.blank_before == 0):
            prev.tokens.extend(line.tokens)
            prev.comment = line.comment
        else:
            out.append(line)
    return out


# ---- layout: indentation and spacing -------------------------------------------

@dataclass
class _Laid:
    indent: int | None  # spaces; None: a comment-only line, indented like the code after it
    text: str
    columns: list[int]  # where each token starts, after the indent
    depths: list[int]  # bracket depth before each token, relative to the line start
    statement_start: bool  # a new statement at the top level or in a body


def _layout(lines: list[Line]) -> list[_Laid]:
    ctx, out = _Context(), []
    for line in lines:
        if not line.tokens:
            out.append(_Laid(None, "", [], [], False))
            continue
        indent, starts = _indent(ctx, line.tokens[0])
        text, columns, depths = _render(ctx, line.tokens, indent)
        ctx.closing = indent if all(t.type in _CLOSERS for t in line.tokens) else None
        out.append(_Laid(indent, text, columns, depths, starts))
    return out


def _indent(ctx: _Context, first: Token) -> tuple[int, bool]:
    """Closers line up with their opener's line; inside ( and [ lines line up with
    the contents; a continuation goes one level in from its statement, or stays
    under the closing bracket it follows (`}` then `-> next`)."""
    if first.type in _CLOSERS and ctx.stack:
        return ctx.stack[-1].line_indent, False
    if ctx.innermost() in ("LPAR", "LSQB"):
        return ctx.stack[-1].inner, False
    if (ctx.last is not None and ctx.last.type in _CONTINUES_AFTER) or first.type in _CONTINUES_BEFORE:
        return (ctx.statement[-1] + len(INDENT) if ctx.closing is None else ctx.closing), False
    indent = ctx.stack[-1].inner if ctx.stack else 0
    ctx.statement[-1] = indent
    return indent, True


def _render(ctx: _Context, tokens: list[Token], indent: int) -> tuple[str, list[int], list[int]]:
    parts: list[str] = []
    columns, depths = [], []
    width, depth, prev, unary = 0, 0, None, False
    ctx.base = indent
    for k, tok in enumerate(tokens):
        gap = _gap(prev, tok, ctx, unary)
        value = _label(tok.value) if tok.type == "LABEL" else tok.value
        columns.append(width + len(gap))
        depths.append(depth)
        parts.append(gap + value)
        width += len(gap) + len(value)
        unary = tok.type == "ADD_OP" and (ctx.last is None or ctx.last.type not in _OPERAND_END)
        depth += _track(ctx, tok, indent, indent + width if k + 1 < len(tokens) else None)
        prev = tok
        ctx.last = tok
    return "".join(parts), columns, depths


def _track(ctx: _Context, tok: Token, indent: int, after: int | None) -> int:
    """Opens or closes a bracket. `after` is the column past an opener that has
    more on its line (contents line up there), None for one that ends its line.
    A body opened on a line that closes a wrapped list (`p=1,` newline `q=2) {`)
    is indented from the line that opened the list, not from the aligned items."""
    if tok.type in _OPENERS:
        body = tok.type == "LBRACE" and ctx.last is not None and ctx.last.type in _BODY_HEAD
        line_indent = ctx.base if body else indent
        inner = line_indent + len(INDENT) if after is None or body else after
        ctx.stack.append(_Open(tok.type, line_indent, inner, body))
        if tok.type == "LBRACE":
            ctx.statement.append(inner)
        return 1
    if tok.type in _CLOSERS and ctx.stack:
        closed = ctx.stack.pop()
        if closed.type == "LBRACE":
            ctx.statement.pop()
        else:
            ctx.base = min(ctx.base, closed.line_indent)
        return -1
    return 0


def _gap(prev: Token | None, tok: Token, ctx: _Context, prev_unary: bool) -> str:
    """The space between two tokens of a line, from their kinds and the enclosing bracket."""
    if prev is None:
        return ""
    p, t = prev.type, tok.type
    inner = ctx.stack[-1] if ctx.stack else None
    in_body = inner is not None and inner.body
    if t in ("COMMA", "SEMICOLON", "COLON", "DOT") or p == "DOT":
        return ""
    if p in ("COMMA", "SEMICOLON", "COLON", "LABEL"):
        return "" if t in ("RPAR", "RSQB") else " "
    if p in ("LPAR", "LSQB") or t in ("RPAR", "RSQB"):
        return ""
    if p == "LBRACE" or t == "RBRACE":
        return " " if in_body and not (p == "LBRACE" and t == "RBRACE") else ""
    if t == "LPAR" and p in _CALLABLE_END:
        return ""
    if t == "LSQB" and p in _INDEXABLE_END:
        return ""
    if p == "ADD_OP" and prev_unary:
        return ""
    if "EQUAL" in (p, t) and inner is not None and inner.type == "LPAR":
        return ""
    return " "


_LABEL_PART = re.compile(r"\{([^{}]*)\}")


def _label(value: str) -> str:
    """`layer{stage+1} :` → `layer{stage + 1}:`; computed parts are laid out like any expression."""
    text = re.sub(r"[ \t]*:$", ":", value)
    return _LABEL_PART.sub(lambda m: "{" + _inline(m.group(1)) + "}", text)


def _inline(text: str) -> str:
    tokens = [t for t in _lexer().lex(text, dont_ignore=True) if t.type not in _SKIPPED]
    return _render(_Context(), tokens, 0)[0]


# ---- long chains ----------------------------------------------------------------

def _break_long(lines: list[Line], laid: list[_Laid]) -> list[Line] | None:
    """Splits the first over-long line before an arrow; None when nothing can be split."""
    for i, (line, out) in enumerate(zip(lines, laid)):
        if out.indent is None or out.indent + len(out.text) <= MAX_WIDTH:
            continue
        cut = _cut(out, out.indent)
        if cut is not None:
            head = Line(line.tokens[:cut], None, line.blank_before)
            tail = Line(line.tokens[cut:], line.comment)
            return lines[:i] + [head, tail] + lines[i + 1:]
    return None


def _cut(out: _Laid, margin: int) -> int | None:
    """The last outermost arrow before which the line fits, else the first one."""
    arrows = [k for k, d in enumerate(out.depths) if k > 0 and out.text[out.columns[k]:].startswith("->")]
    if not arrows:
        return None
    outer = min(out.depths[k] for k in arrows)
    arrows = [k for k in arrows if out.depths[k] == outer]
    fitting = [k for k in arrows if margin + len(out.text[:out.columns[k]].rstrip()) <= MAX_WIDTH]
    return fitting[-1] if fitting else arrows[0]


# ---- blank lines and text ---------------------------------------------------------

def _emit(lines: list[Line], laid: list[_Laid]) -> str:
    indents = _comment_indents(lines, laid)
    blanks = _blank_lines(lines, laid)
    out = []
    for line, lay, indent, blank in zip(lines, laid, indents, blanks):
        text = lay.text + ("  " + line.comment if lay.text and line.comment else line.comment or "")
        out.append("\n" * blank + " " * indent + text)
    return "\n".join(out) + "\n" if out else ""


def _comment_indents(lines: list[Line], laid: list[_Laid]) -> list[int]:
    """A comment line takes the indent of the code after it (one in, before a closing bracket)."""
    indents, following = [0] * len(laid), 0
    for i in range(len(laid) - 1, -1, -1):
        if laid[i].indent is None:
            indents[i] = following
        else:
            indents[i] = laid[i].indent
            following = laid[i].indent + len(INDENT) * (lines[i].tokens[0].type in _CLOSERS)
    return indents


def _blank_lines(lines: list[Line], laid: list[_Laid]) -> list[int]:
    """At most one blank line, only before a statement (or its comments) and not
    first in a body; one around every top-level definition that spans lines."""
    blanks = [min(line.blank_before, 1) for line in lines]
    next_starts = True
    for i in range(len(lines) - 1, 0, -1):
        if laid[i].indent is not None:
            next_starts = laid[i].statement_start
        prev = lines[i - 1].tokens
        if not next_starts or (prev and prev[-1].type == "LBRACE"):
            blanks[i] = 0
    items = _top_items(lines, laid)
    for (start, code_lines), (_, prev_lines) in zip(items[1:], items):
        if code_lines > 1 or prev_lines > 1:
            blanks[start] = 1
    if blanks:
        blanks[0] = 0
    return blanks


def _top_items(lines: list[Line], laid: list[_Laid]) -> list[tuple[int, int]]:
    """(first line, number of code lines) of each top-level item, its leading comments included."""
    starts = [i for i, lay in enumerate(laid) if lay.statement_start and lay.indent == 0]
    items = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        code = sum(1 for line in lines[start:end] if line.tokens)
        while start > 0 and not lines[start - 1].tokens and lines[start].blank_before == 0:
            start -= 1
        items.append((start, code))
    return items


# ---- the safety net -------------------------------------------------------------------

def _strip(node):
    """An AST as nested tuples without spans: what two layouts of one program share."""
    if isinstance(node, (tuple, list)):
        return tuple(_strip(n) for n in node)
    if dataclasses.is_dataclass(node) and not isinstance(node, Span):
        values = (getattr(node, f.name) for f in dataclasses.fields(node))
        return (type(node).__name__,) + tuple(_strip(v) for v in values if not isinstance(v, Span))
    return node
