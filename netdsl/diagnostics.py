"""Diagnostics: the one way every stage reports a user's mistake.

Every stage raises or collects `Diagnostic`s that point at a `Span` of the
source; `render` turns them into `path:line:col: error: message`, the source
line and a caret, so messages look the same whichever stage found them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from netdsl.io import ReadError, read_text
from netdsl.terminal import printable


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a source file; lines and columns are 1-based, end exclusive."""

    path: str
    line: int
    col: int
    end_line: int
    end_col: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"

    def __reduce__(self):
        """Pickled as its fields (the parse cache stores one per AST node): the slots dataclass's
        own `__getstate__` calls `fields()` each time."""
        return Span, (self.path, self.line, self.col, self.end_line, self.end_col)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    message: str
    span: Span | None
    severity: str = "error"
    hint: str | None = None
    notes: tuple[tuple[str, Span | None], ...] = ()


class CompileError(Exception):
    """Raised with every diagnostic a compile produced; never a user-facing traceback.
    `sources` holds the text of the files the diagnostics point into, so `str()` is the
    full rendered report (location, source line, caret) wherever it is caught."""

    def __init__(self, diagnostics: list[Diagnostic], sources: dict[str, str] | None = None):
        super().__init__("\n".join(d.message for d in diagnostics))
        self.diagnostics = diagnostics
        self.sources = dict(sources or {})

    def __str__(self) -> str:
        cache = SourceCache(dict(self.sources))
        return "\n".join(render(d, cache) for d in self.diagnostics)


class DiagnosticError(Exception):
    """One diagnostic, raised inside a stage and caught where recovery is possible."""

    def __init__(self, message: str, span: Span | None, hint: str | None = None,
                 notes: tuple[tuple[str, Span | None], ...] = ()):
        super().__init__(message)
        self.diagnostic = Diagnostic(message, span, hint=hint, notes=notes)


@dataclass
class SourceCache:
    """Source text by path, so diagnostics can quote lines of any file involved; a file
    not given is read from disk only if it is a regular UTF-8 file under the size limit."""

    texts: dict[str, str] = field(default_factory=dict)

    def line(self, path: str, line: int) -> str | None:
        if path not in self.texts:
            try:
                self.texts[path] = read_text(path)
            except ReadError:
                return None
        lines = source_lines(self.texts[path])
        return lines[line - 1] if 0 < line <= len(lines) else None


def source_lines(text: str) -> list[str]:
    """Lines as the lexer counts them: split at \n only. str.splitlines also splits at
    \f, \v, \x1c-\x1e and more, which would quote the wrong line after one of them."""
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    if len(lines) > 1 and not lines[-1]:
        lines.pop()
    return lines

_MAX_QUOTED = 200


Highlighter = Callable[[str], str]


def render(diag: Diagnostic, sources: SourceCache | None = None, color: bool = False,
           highlight: Highlighter | None = None) -> str:
    """gcc/rustc-style text: location, message, quoted line, caret, hint and notes.
    With `color` the caret is red, and `highlight` (e.g. netdsl.highlight.ansi) colours
    the quoted lines; the renderer takes it as an argument so it imports no later stage."""
    sources = sources if sources is not None else SourceCache()
    paint = highlight if color and highlight else None
    out = [f"{printable(str(diag.span))}: {diag.severity}: {printable(diag.message)}" if diag.span
           else f"netdsl: {diag.severity}: {printable(diag.message)}"]
    if diag.span:
        out.extend(_quote(diag.span, sources, color, paint))
    if diag.hint:
        out.append(f"  hint: {printable(diag.hint)}")
    for note, span in diag.notes:
        out.append(f"{printable(str(span))}: note: {printable(note)}" if span else f"  note: {printable(note)}")
        if span:
            out.extend(_quote(span, sources, color, paint))
    return "\n".join(out)


def _quote(span: Span, sources: SourceCache, color: bool, paint: Highlighter | None) -> list[str]:
    text = sources.line(span.path, span.line)
    if text is None:
        return []
    start = max(span.col - 1, 0)
    end = span.end_col - 1 if span.end_line == span.line else len(text)
    end = max(end, start + 1)
    if len(text) > _MAX_QUOTED:
        left = max(0, start - 40)
        text, start, end = text[left:left + _MAX_QUOTED], start - left, min(end - left, _MAX_QUOTED)
    gutter = f"{span.line:>5} | "
    caret = " " * len(gutter[:-2]) + "| " + "".join(c if c == "\t" else " " * len(printable(c)) for c in text[:start])
    marks = "^" * max(1, len(printable(text[start:end])))
    text = printable(text)  # a quoted escape sequence would act on the terminal
    if color:
        return [gutter + (paint(text) if paint else text), caret + f"\x1b[1;31m{marks}\x1b[0m"]
    return [gutter + text, caret + marks]


def suggest(name: str, choices: Iterable[str]) -> str | None:
    """'did you mean' for a misspelt name, from the names in scope; only a plausible one:
    the same name in another case, else one within a typo or two (one, or a quarter of the
    name's length; a swap of neighbours counts one), so `deconv` does not suggest `conv`, nor
    `upsample` `scale`. No suggestion beats a wrong one."""
    names = sorted(set(choices) - {name})
    same = [c for c in names if c.lower() == name.lower()]
    if same:
        return f"did you mean `{same[0]}`?"
    budget = max(1, len(name) // 4) if len(name) >= 3 else 0
    scored = sorted((distance(name.lower(), c.lower()), c) for c in names if abs(len(c) - len(name)) <= budget)
    return f"did you mean `{scored[0][1]}`?" if scored and scored[0][0] <= budget else None


def distance(a: str, b: str) -> int:
    """Edits between `a` and `b` (insert, delete, replace, swap two neighbours): optimal string alignment."""
    before, row = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + (ca != cb))
            if before is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], before[j - 2] + 1)
        before, row = row, current
    return row[-1]
