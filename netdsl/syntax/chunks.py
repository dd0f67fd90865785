"""Parsing a file one top-level item at a time, each item remembered by its text and line.

An edit usually touches one definition of a file. Split at the lines that start a top-level
item (`network`, `block`, `import` or `let` in the first column), each piece is parsed on its
own and kept in memory, so re-parsing an edited file costs the edited piece only: what the
language server and the TUI's reload do after each keystroke. A piece is parsed where it
sits (preceded by as many newlines as lines before it), so its spans are the file's.

A split that falls inside a bracket (a first-column `let` inside a block) leaves a piece that
does not parse; then, as for any syntax error, the whole file is parsed as one, which reports
every error where it is. So a chunked parse is either the whole parse's module or nothing.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict

from netdsl.diagnostics import CompileError, Span
from netdsl.syntax import ast

MAX_PIECES = 4096  # pieces kept in memory
_ITEM_START = re.compile(r"(?:network|block|import|let)\b")
_pieces: OrderedDict[tuple[str, int, str], tuple[ast.Node, ...]] = OrderedDict()
_lock = threading.Lock()  # the language server analyses in worker threads


def parse(text: str, path: str = "<input>") -> ast.Module | None:
    """The module of `text`, parsed piece by piece; None if a piece does not parse."""
    items: list[ast.Node] = []
    for line, piece in split(text):
        parsed = _piece(path, line, piece)
        if parsed is None:
            return None
        items.extend(parsed)
    return ast.Module(Span(path, 1, 1, 1, 1), path, tuple(items))


def split(text: str) -> list[tuple[int, str]]:
    """(index of the first line, text) of each piece: a top-level item and the lines after it."""
    lines = text.split("\n")
    starts = [0] + [i for i, line in enumerate(lines) if i and _ITEM_START.match(line)]
    return [(a, "\n".join(lines[a:b])) for a, b in zip(starts, starts[1:] + [len(lines)])]


def _piece(path: str, line: int, piece: str) -> tuple[ast.Node, ...] | None:
    from netdsl.syntax import parser

    key = (path, line, piece)
    with _lock:
        items = _pieces.get(key)
        if items is not None:
            _pieces.move_to_end(key)
            return items
    try:
        items = parser.parse("\n" * line + piece, path).items
    except CompileError:
        return None
    with _lock:
        _pieces[key] = items
        while len(_pieces) > MAX_PIECES:
            _pieces.popitem(last=False)
    return items
