"""The CLI's cache directory: results that are slow to compute and cheap to key
(parsed files, the library's figures), kept between runs.

Off until `enable()` (the CLI turns it on), so the Python API and tests write
nothing unless asked. The directory is `$NETDSL_CACHE_DIR`, else the user's
cache directory (`platformdirs.user_cache_dir("netdsl")`): the user's own, so
entries are trusted like the user's files. Each kind of entry has a folder
pruned to its newest `MAX_FILES`; writes are atomic; a failed read or write is
a miss, never an error. Keys hash what the result depends on (`fingerprint`).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Iterable

MAX_FILES = 512  # entries kept per kind
_root: Path | None = None


def enable(directory: str | Path | None = None) -> None:
    """Keep entries in `directory` (default: `default_directory()`)."""
    global _root
    _root = Path(directory) if directory is not None else default_directory()


def default_directory() -> Path:
    """`$NETDSL_CACHE_DIR`, else the user's cache directory."""
    directory = os.environ.get("NETDSL_CACHE_DIR")
    if directory is None:
        import platformdirs

        directory = platformdirs.user_cache_dir("netdsl")
    return Path(directory)


def disable() -> None:
    global _root
    _root = None


def enabled() -> bool:
    return _root is not None


def fingerprint(parts: Iterable[bytes]) -> str:
    """The SHA-256 of `parts`, each length-prefixed so no two sequences collide."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return digest.hexdigest()


def read(kind: str, key: str) -> bytes | None:
    if _root is None:
        return None
    try:
        return (_root / kind / key).read_bytes()
    except OSError:
        return None


def write(kind: str, key: str, data: bytes) -> None:
    if _root is None:
        return
    folder = _root / kind
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".tmp-", delete=False) as tmp:
            tmp.write(data)
        try:
            os.replace(tmp.name, folder / key)
        finally:
            Path(tmp.name).unlink(missing_ok=True)
        _prune(folder)
    except OSError:
        return


def _prune(folder: Path) -> None:
    entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
    if len(entries) <= MAX_FILES:
        return
    entries.sort(key=lambda p: p.stat().st_mtime)
    for stale in entries[:len(entries) - MAX_FILES]:
        stale.unlink(missing_ok=True)


def code_fingerprint() -> str:
    """netdsl's version, the sources of every module and the grammar: what any computed figure depends on."""
    from netdsl import __version__

    package = Path(__file__).resolve().parent
    grammars = (package / "grammars" / "netdsl.lark", package.parent / "grammars" / "netdsl.lark")
    sources = sorted(package.rglob("*.py")) + [g for g in grammars if g.is_file()]
    return fingerprint([__version__.encode()] + [str(s.relative_to(package.parent)).encode() for s in sources]
                       + [s.read_bytes() for s in sources])
