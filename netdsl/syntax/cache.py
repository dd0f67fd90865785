"""Parsed modules of files seen before, by content: `parse` is `parser.parse`
remembered in memory and, once the CLI turns it on, on disk.

Most loads parse text that has not changed (the bundled library, a model's
imports, the same file for another command), and a cached module takes a
tenth of a parse and needs neither lark nor the grammar tables, so lark is
imported only on a miss. The key is the SHA-256 of the text, its path (spans
hold it) and a fingerprint of netdsl's version, the grammar and the parser's
sources: an edit of any of them is a miss, never a stale tree. Only files that
parse without errors are stored; a failed read or write of the disk cache is
a miss, never an error. The disk cache is the user's own directory
(`platformdirs.user_cache_dir("netdsl")`, or `$NETDSL_CACHE_DIR`), written
atomically and pruned to its newest `MAX_FILES` entries.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

from netdsl import __version__
from netdsl.syntax import ast

MAX_MEMORY = 256  # modules kept in memory
MAX_FILES = 512  # modules kept on disk
_SYNTAX = Path(__file__).resolve().parent
_memory: OrderedDict[str, ast.Module] = OrderedDict()
_disk: Path | None = None


def parse(text: str, path: str = "<input>") -> ast.Module:
    """The module of `text`, as `netdsl.syntax.parser.parse` gives it (its errors are raised the same way)."""
    key = _key(text, path)
    module = _memory.get(key)
    if module is None:
        module = _read(key)
        if module is None:
            from netdsl.syntax import parser

            module = parser.parse(text, path)
            _write(key, module)
        _remember(key, module)
    return module


def use_disk(directory: str | Path | None = None) -> None:
    """Keep parsed modules on disk too, in `directory` (default: `$NETDSL_CACHE_DIR`, else the user's cache)."""
    global _disk
    if directory is None:
        directory = os.environ.get("NETDSL_CACHE_DIR")
    if directory is None:
        import platformdirs

        directory = platformdirs.user_cache_dir("netdsl")
    _disk = Path(directory) / "ast"


@lru_cache(maxsize=None)
def _fingerprint() -> bytes:
    """netdsl's version and every file the parse depends on: the grammar and netdsl/syntax's modules."""
    digest = hashlib.sha256(__version__.encode())
    grammars = (_SYNTAX.parent / "grammars" / "netdsl.lark", _SYNTAX.parent.parent / "grammars" / "netdsl.lark")
    for source in sorted(_SYNTAX.glob("*.py")) + [g for g in grammars if g.is_file()]:
        digest.update(source.read_bytes())
    return digest.digest()


def _key(text: str, path: str) -> str:
    digest = hashlib.sha256(_fingerprint())
    digest.update(path.encode("utf-8", "surrogatepass") + b"\0")
    digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _remember(key: str, module: ast.Module) -> None:
    _memory[key] = module
    _memory.move_to_end(key)
    while len(_memory) > MAX_MEMORY:
        _memory.popitem(last=False)


def _read(key: str) -> ast.Module | None:
    if _disk is None:
        return None
    try:
        module = pickle.loads((_disk / key).read_bytes())
    except Exception:  # absent, unreadable, truncated or from another Python: parse instead
        return None
    return module if isinstance(module, ast.Module) else None


def _write(key: str, module: ast.Module) -> None:
    if _disk is None:
        return
    try:
        data = pickle.dumps(module, protocol=pickle.HIGHEST_PROTOCOL)
        _disk.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=_disk, prefix=".tmp-", delete=False) as tmp:
            tmp.write(data)
        try:
            os.replace(tmp.name, _disk / key)
        finally:
            Path(tmp.name).unlink(missing_ok=True)
        _prune(_disk)
    except (OSError, pickle.PicklingError, RecursionError):
        return


def _prune(directory: Path) -> None:
    entries = [p for p in directory.iterdir() if not p.name.startswith(".")]
    if len(entries) <= MAX_FILES:
        return
    entries.sort(key=lambda p: p.stat().st_mtime)
    for stale in entries[:len(entries) - MAX_FILES]:
        stale.unlink(missing_ok=True)
