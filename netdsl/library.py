"""The bundled architecture library: nets/*.net, found by network name after install
(`netdsl summary resnet50`)."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from netdsl.diagnostics import CompileError, Diagnostic, suggest

_PACKAGE = Path(__file__).resolve().parent


def nets_dir() -> Path:
    """Installed: inside the package. In a checkout: the repository's nets/."""
    for candidate in (_PACKAGE / "nets", _PACKAGE.parent / "nets"):
        if candidate.is_dir():
            return candidate
    return _PACKAGE / "nets"


_NETWORK_LINE = re.compile(r"^network\s+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)


@lru_cache(maxsize=None)
def index() -> dict[str, Path]:
    """Every network and preset of the library, by name.

    A line scan, not a parse: `netdsl summary resnet50` should not pay for parsing
    every file of the library; the file found is then parsed in full as usual.
    """
    found: dict[str, Path] = {}
    for path in sorted(nets_dir().glob("*.net")):
        for name in _NETWORK_LINE.findall(path.read_text(encoding="utf-8")):
            found.setdefault(name, path)
    return found


def resolve(target: str | Path, net: str | None) -> tuple[Path, str | None]:
    """A .net path as given, an ONNX model's imported .net, or the library file that
    defines a network of that name."""
    path = Path(target)
    if path.suffix.lower() == ".onnx":
        from netdsl.frontends.importer import cached_net

        return cached_net(path), net
    if path.is_file():
        return path, net
    name = str(target)
    if path.suffix == ".net" or "/" in name or "\\" in name:
        if os.path.lexists(path):
            return path, net  # a FIFO, device, folder or symlink loop: the reader says which
        raise CompileError([Diagnostic(f"no such file: {target}", None)])
    library = index()
    if name in library:
        return library[name], net or name
    raise CompileError([Diagnostic(f"`{name}` is neither a file nor a network of the bundled library", None,
                                   hint=suggest(name, library) or "`netdsl nets` lists the library")])
