"""Loading a .net file with its imports into a Program: the definitions each file
can see. `import "common.net"` resolves next to the importing file first, then in
the bundled library (like a standard library), so a file copied out of nets/ works
as it is; `import "netdsl:common.net"` names the library explicitly. Only .net
files are imported, and a cycle is a diagnostic at the import that closes it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from netdsl.diagnostics import SOURCES, CompileError, Diagnostic, DiagnosticError, Span, suggest
from netdsl.library import nets_dir
from netdsl.syntax import ast
from netdsl.syntax.cache import parse

MAX_FILE_BYTES = 4 << 20


LIBRARY_PREFIX = "netdsl:"


@dataclass
class SourceFile:
    path: str
    module: ast.Module
    imports: list["SourceFile"] = field(default_factory=list)
    origin: str = "file"  # "file", or "library" for a file of the bundled library


def load_file(path: str | Path) -> SourceFile:
    """Parse `path` and, recursively, what it imports; shared imports are parsed once."""
    return _load(Path(path), [], {}, None)


ParseCache = dict[Path, tuple[tuple[int, int], ast.Module]]


def load_source(module: ast.Module, path: str | Path, cache: ParseCache | None = None) -> SourceFile:
    """An already parsed module standing for `path` (an editor's unsaved buffer), with
    its imports loaded from disk; `cache` keeps parsed imports while their files are
    unchanged, so an editor re-analyses only the buffer being typed in."""
    return _with_imports(SourceFile(str(path), module), Path(path), [Path(path).resolve()], {}, cache)


def _load(path: Path, stack: list[Path], done: dict[Path, SourceFile], at: Span | None,
          cache: ParseCache | None = None) -> SourceFile:
    resolved = path.resolve()
    if resolved in done:
        return done[resolved]
    shown = str(path)
    stamp = _stamp(path) if cache is not None else None
    if cache is not None and resolved in cache and cache[resolved][0] == stamp:
        module = cache[resolved][1]
    else:
        text = _read(path, at)
        SOURCES.texts[shown] = text
        module = parse(text, shown)
        if cache is not None and stamp is not None:
            cache[resolved] = (stamp, module)
    source = _with_imports(SourceFile(shown, module), path, stack + [resolved], done, cache)
    done[resolved] = source
    return source


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


def _with_imports(source: SourceFile, path: Path, stack: list[Path], done: dict[Path, SourceFile],
                  cache: ParseCache | None) -> SourceFile:
    module = source.module
    errors: list[Diagnostic] = []
    for item in module.items:
        if isinstance(item, ast.Import):
            try:
                source.imports.append(_import(item, path, stack, done, cache))
            except CompileError as err:
                errors += err.diagnostics
    if errors:
        raise CompileError(errors)
    return source


def _import(item: ast.Import, importer: Path, stack: list[Path], done: dict[Path, SourceFile],
            cache: ParseCache | None) -> SourceFile:
    target, origin = import_target(item, importer)
    _check_cycle(item, target, stack)
    imported = _load(target, stack, done, item.span, cache)
    imported.origin = origin
    return imported


def import_target(item: ast.Import, importer: Path) -> tuple[Path, str]:
    """The file an import names, and where it was found: "file" (next to the importer)
    or "library" (the bundled nets/, for `netdsl:NAME.net` or when nothing is next to it)."""
    name = item.path
    if not name.endswith(".net"):
        raise CompileError([Diagnostic(f'import "{name}": only .net files can be imported', item.span)])
    if name.startswith(LIBRARY_PREFIX):
        return _from_library(item, name[len(LIBRARY_PREFIX):]), "library"
    if Path(name).is_absolute():
        raise CompileError([Diagnostic(f'import "{name}": imports are relative to the importing file', item.span,
                                       hint=f'or "{LIBRARY_PREFIX}NAME.net" for a file of the bundled library')])
    local = importer.parent / name
    if local.is_file():
        return local, "file"
    bundled = nets_dir() / name
    if "/" not in name and "\\" not in name and bundled.is_file():
        return bundled, "library"
    raise CompileError([Diagnostic(f'import "{name}": no such file next to {importer.name} '
                                   "nor in the bundled library", item.span, hint=f"looked for {local}")])


def _from_library(item: ast.Import, name: str) -> Path:
    target = nets_dir() / name
    if "/" in name or "\\" in name or not target.is_file():
        available = sorted(p.name for p in nets_dir().glob("*.net"))
        raise CompileError([Diagnostic(f'import "{item.path}": the bundled library has no {name}', item.span,
                                       hint=suggest(name, available) or "its files: " + ", ".join(available))])
    return target


def _check_cycle(item: ast.Import, target: Path, stack: list[Path]) -> None:
    if target.resolve() in stack:
        cycle = " → ".join(p.name for p in stack[stack.index(target.resolve()):] + [target.resolve()])
        raise CompileError([Diagnostic(f"import cycle: {cycle}", item.span)])


def _read(path: Path, at: Span | None) -> str:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise DiagnosticError(f"{path} is larger than {MAX_FILE_BYTES >> 20} MiB", at)
        return path.read_text(encoding="utf-8-sig")  # -sig: a BOM from a Windows editor is not code
    except UnicodeDecodeError as err:
        raise CompileError([Diagnostic(f"{path} is not UTF-8 text (byte {err.start})", at)]) from None
    except OSError as err:
        raise CompileError([Diagnostic(f"cannot read {path}: {err.strerror}", at)]) from None
    except DiagnosticError as err:
        raise CompileError([err.diagnostic]) from None
