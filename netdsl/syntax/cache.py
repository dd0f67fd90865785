"""Parsed modules of files seen before, by content: `parse` is `parser.parse`
remembered in memory and, once the CLI enables `netdsl.diskcache`, on disk.

Most loads parse text that has not changed (the bundled library, a model's
imports, the same file for another command), and a cached module takes a
tenth of a parse and needs neither lark nor the grammar tables, so lark is
imported only on a miss. The key hashes the text, its path (spans hold it) and
netdsl's version, the grammar and the parser's sources: an edit of any of them
is a miss, never a stale tree. Only files that parse without errors are stored.
"""

from __future__ import annotations

import pickle
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

from netdsl import __version__, diskcache
from netdsl.syntax import ast, chunks

MAX_MEMORY = 256  # modules kept in memory
_SYNTAX = Path(__file__).resolve().parent
_memory: OrderedDict[str, ast.Module] = OrderedDict()


def parse(text: str, path: str = "<input>") -> ast.Module:
    """The module of `text`, as `netdsl.syntax.parser.parse` gives it (its errors are raised the same way)."""
    key = diskcache.fingerprint((_fingerprint(), path.encode("utf-8", "surrogatepass"),
                                 text.encode("utf-8", "surrogatepass")))
    module = _memory.get(key)
    if module is None:
        module = _read(key)
        if module is None:
            module = chunks.parse(text, path)
            if module is None:  # a syntax error: the whole file's parse reports each one
                from netdsl.syntax import parser

                module = parser.parse(text, path)
            _write(key, module)
        _remember(key, module)
    return module


@lru_cache(maxsize=None)
def _fingerprint() -> bytes:
    """netdsl's version and every file the parse depends on: the grammar and netdsl/syntax's modules."""
    grammars = (_SYNTAX.parent / "grammars" / "netdsl.lark", _SYNTAX.parent.parent / "grammars" / "netdsl.lark")
    sources = sorted(_SYNTAX.glob("*.py")) + [g for g in grammars if g.is_file()]
    return diskcache.fingerprint([__version__.encode()] + [s.read_bytes() for s in sources]).encode()


def _remember(key: str, module: ast.Module) -> None:
    _memory[key] = module
    _memory.move_to_end(key)
    while len(_memory) > MAX_MEMORY:
        _memory.popitem(last=False)


def _read(key: str) -> ast.Module | None:
    data = diskcache.read("ast", key)
    if data is None:
        return None
    try:
        module = pickle.loads(data)
    except Exception:  # truncated, or from another Python: parse instead
        return None
    return module if isinstance(module, ast.Module) else None


def _write(key: str, module: ast.Module) -> None:
    if not diskcache.enabled():
        return
    try:
        diskcache.write("ast", key, pickle.dumps(module, protocol=pickle.HIGHEST_PROTOCOL))
    except (pickle.PicklingError, RecursionError):
        return
