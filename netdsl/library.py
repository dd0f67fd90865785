"""The bundled architecture library: nets/*.net, found by network name after install
(`netdsl summary resnet50`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from netdsl.diagnostics import CompileError, Diagnostic, suggest
from netdsl.syntax import ast
from netdsl.syntax.parser import parse

_PACKAGE = Path(__file__).resolve().parent


def nets_dir() -> Path:
    """Installed: inside the package. In a checkout: the repository's nets/."""
    for candidate in (_PACKAGE / "nets", _PACKAGE.parent / "nets"):
        if candidate.is_dir():
            return candidate
    return _PACKAGE / "nets"


@lru_cache(maxsize=None)
def index() -> dict[str, Path]:
    """Every network and preset of the library, by name."""
    found: dict[str, Path] = {}
    for path in sorted(nets_dir().glob("*.net")):
        module = parse(path.read_text(encoding="utf-8"), str(path))
        for item in module.items:
            if isinstance(item, (ast.NetworkDef, ast.PresetDef)):
                found.setdefault(item.name, path)
    return found


def resolve(target: str | Path, net: str | None) -> tuple[Path, str | None]:
    """A .net path as given, or the library file that defines a network of that name."""
    path = Path(target)
    if path.is_file():
        return path, net
    name = str(target)
    if path.suffix == ".net" or "/" in name or "\\" in name:
        raise CompileError([Diagnostic(f"no such file: {target}", None)])
    library = index()
    if name in library:
        return library[name], net or name
    raise CompileError([Diagnostic(f"`{name}` is neither a file nor a network of the bundled library", None,
                                   hint=suggest(name, library) or "`netdsl nets` lists the library")])
