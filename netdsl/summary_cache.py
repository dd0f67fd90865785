"""What `netdsl summary --json` printed for a network before, kept in the CLI's cache
(netdsl.diskcache) with every file it was computed from.

A summary depends on netdsl's code, the command's options, and the text of the file and
of the files it imports. The key covers the code, the options and the file; the entry lists
the imported files with the hash of their text, checked on every read (ccache's manifest
mode), so an edit anywhere is a miss, never a stale summary. A hit needs neither the
parser nor the elaborator nor the analysis: the summary of an unchanged file is printed in
the time it takes to start Python and read a few files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from netdsl import diskcache
from netdsl.io import MAX_SOURCE_BYTES


def summary_text(options: str, source: Path, compute: Callable[[], str]) -> str:
    """`compute()`'s text, or the text it gave before for the same options and files. Only a regular
    .net file within the size limit is cached; for anything else the reader's diagnostic stands."""
    if source.suffix != ".net" or not source.is_file() or source.stat().st_size > MAX_SOURCE_BYTES:
        return compute()
    key = diskcache.fingerprint([diskcache.code_fingerprint().encode(), options.encode(),
                                 str(source.resolve()).encode(), source.read_bytes()])
    stored = _stored(diskcache.read("summary", key))
    if stored is not None:
        return stored
    text = compute()
    files = [[str(path), _digest(path)] for path in _imports(source)]
    diskcache.write("summary", key, json.dumps({"files": files, "text": text}).encode())
    return text


def _stored(entry: bytes | None) -> str | None:
    """The entry's text if every file it lists still has the text it had; a damaged entry is a miss."""
    if entry is None:
        return None
    try:
        stored = json.loads(entry)
        fresh = all(_digest(Path(path)) == digest for path, digest in stored["files"])
        return stored["text"] if fresh and isinstance(stored["text"], str) else None
    except (ValueError, KeyError, TypeError):
        return None


def _digest(path: Path) -> str | None:
    try:
        return diskcache.fingerprint([path.read_bytes()])
    except OSError:
        return None


def _imports(source: Path) -> list[Path]:
    """Every file `source` imports, directly or not (their trees are in the parse cache by now), and
    where a plain `import "x.net"` looked first: a file created there later would be imported instead."""
    from netdsl.elaborate.program import LIBRARY_PREFIX, load_file
    from netdsl.syntax import ast

    found: dict[Path, None] = {}  # ordered, without repeats
    visited: set[Path] = set()
    pending = [load_file(source)]
    while pending:
        current = pending.pop()
        here = Path(current.path).resolve()
        if here in visited:
            continue
        visited.add(here)
        found.update((here.parent / item.path, None) for item in current.module.items
                     if isinstance(item, ast.Import) and not item.path.startswith(LIBRARY_PREFIX))
        for imported in current.imports:
            found[Path(imported.path).resolve()] = None
            pending.append(imported)
    return list(found)
