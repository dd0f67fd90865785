"""Syntax highlighting of .net files: a Pygments lexer (registered as the
`netdsl` entry point, so `pygmentize -l netdsl` and Sphinx/MkDocs pick it up),
ANSI colour for diagnostics, and rich `Text`/`Syntax` for the terminal UI.

Keywords come from the grammar file and op names from the op registry, so a
new keyword or op is highlighted without touching this module.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pygments.lexer import RegexLexer, bygroups, words
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Text

from netdsl.elaborate.expressions import BUILTINS
from netdsl.ops import OPS
from netdsl.syntax.parser import grammar_path
from netdsl.terminal import use_color  # noqa: F401  (its home was here; callers import it from either)

WORD_OPERATORS = ("and", "or", "not")
CONSTANTS = ("true", "false")
DECLARATIONS = ("block", "network", "let", "input", "output", "train", "import")
_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_LABEL = _IDENT + r"(\{[^{}\n]*\}[A-Za-z0-9_]*)*[ \t]*:(?![=:])"
_QUOTED_LABEL = r'"(?:[^"\\\n{}]++|\\.|\{[^{}\n]*\})*+"[ \t]*:(?![=:])'


def grammar_keywords() -> list[str]:
    """Every word the grammar spells out as a literal: `"let"`, `"concat"`, …"""
    text = grammar_path().read_text(encoding="utf-8")
    text = re.sub(r"^\s*//.*$", "", text, flags=re.M)
    return sorted(set(re.findall(r'"([A-Za-z_]+)"', text)))


def _keywords(exclude: tuple[str, ...]) -> list[str]:
    return [k for k in grammar_keywords() if k not in exclude]


class NetdslLexer(RegexLexer):
    """Pygments lexer for netdsl `.net` network descriptions."""

    name = "netdsl"
    aliases = ["netdsl", "net"]
    filenames = ["*.net"]
    mimetypes = ["text/x-netdsl"]
    url = "https://github.com/netdsl/netdsl"

    tokens = {
        "root": [
            (r"[ \t\f]+", Text),
            (r"\\[ \t]*\r?\n", Text),  # line continuation
            (r"\r?\n", Text),
            (r"#[^\n]*", Comment.Single),
            (_QUOTED_LABEL, Name.Label),
            (r'"([^"\\\n]|\\.)*"', String.Double),
            (r"(\d+\.\d*|\.\d+|\d+)[eE][+-]?\d+|\d+\.\d*|\.\d+", Number.Float),
            (r"\d+", Number.Integer),
            (r"(for)(\s+)(" + _IDENT + r")(\s+)(in)\b",
             bygroups(Keyword, Text, Name.Variable, Text, Keyword)),
            (r"(block|network)(\s+)(" + _IDENT + r")", bygroups(Keyword.Declaration, Text, Name.Function)),
            (_LABEL, Name.Label),
            (r"(concat|add|mul)(?=\s*\{)", Keyword),
            (words(CONSTANTS, suffix=r"\b"), Keyword.Constant),
            (words(WORD_OPERATORS, suffix=r"\b"), Operator.Word),
            (words(DECLARATIONS, suffix=r"\b"), Keyword.Declaration),
            (r"in\b", Name.Builtin.Pseudo),  # `in`: the tensor flowing into the block
            (words(tuple(_keywords(WORD_OPERATORS + CONSTANTS + DECLARATIONS + ("in", *OPS))), suffix=r"\b"), Keyword),
            (words(tuple(sorted(OPS)), suffix=r"\b"), Name.Builtin),
            (words(tuple(sorted(BUILTINS)), suffix=r"\b"), Name.Function.Builtin),
            (r"(\.)(" + _IDENT + ")", bygroups(Punctuation, Name.Attribute)),
            (_IDENT, Name),
            (r"->|\*\*|//|==|!=|<=|>=|[-+*/%<>=]", Operator),
            (r"[()\[\]{},;:.]", Punctuation),
        ],
    }


# ---- terminals and the TUI --------------------------------------------------------


@lru_cache(maxsize=1)
def _lexer() -> NetdslLexer:
    return NetdslLexer(stripnl=False, ensurenl=False)


def ansi(line: str) -> str:
    """One source line with ANSI colours, for diagnostics on a terminal."""
    from pygments import highlight
    from pygments.formatters import TerminalFormatter

    return highlight(line, _lexer(), TerminalFormatter()).rstrip("\n")


def rich_text(code: str, span=None, theme: str = "monokai", span_style: str = "reverse"):
    """`code` as a rich Text, with the region of a `netdsl.Span` (relative to
    the first line of `code`) marked, for the TUI's source pane."""
    from rich.syntax import Syntax

    text = Syntax(code, _lexer(), theme=theme).highlight(code)
    text.rstrip()
    if span is not None:
        start, end = _offsets(code, span)
        text.stylize(span_style, start, end)
    return text


def syntax(code: str, highlight_lines: set[int] | None = None, theme: str = "monokai", start_line: int = 1):
    """`code` as a rich Syntax with line numbers, some lines marked."""
    from rich.syntax import Syntax

    return Syntax(code, _lexer(), theme=theme, line_numbers=True, start_line=start_line,
                  highlight_lines=highlight_lines or set())


def _offsets(code: str, span) -> tuple[int, int]:
    starts = [0]
    for line in code.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def offset(line: int, col: int) -> int:
        index = min(max(line, 1), len(starts) - 1) - 1
        return min(starts[index] + col - 1, len(code))

    return offset(span.line, span.col), offset(span.end_line, span.end_col)
