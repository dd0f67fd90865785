"""Loading a .net file with its imports into a Program: the definitions each file
can see. `import "common.net"` resolves next to the importing file first, then in
the bundled library (like a standard library), so a file copied out of nets/ works
as it is; `import "netdsl:common.net"` names the library explicitly. Only .net
files are imported, and a cycle is a diagnostic at the import that closes it."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from netdsl.diagnostics import CompileError, Diagnostic, Span, suggest
from netdsl.io import MAX_SOURCE_BYTES, ReadError, read_text
from netdsl.library import nets_dir
from netdsl.syntax import ast
from netdsl.syntax.cache import parse

MAX_FILE_BYTES = MAX_SOURCE_BYTES
MAX_IMPORT_DEPTH = 64  # a chain, not a tree: far past any real program, far below the recursion limit


LIBRARY_PREFIX = "netdsl:"


@dataclass
class SourceFile:
    path: str
    module: ast.Module
    imports: list["SourceFile"] = field(default_factory=list)
    origin: str = "file"  # "file", or "library" for a file of the bundled library
    text: str | None = None  # None for an editor's buffer, whose text the editor holds

    def texts(self) -> dict[str, str]:
        """The text of this file and of everything it imports, by shown path, for diagnostics."""
        out: dict[str, str] = {}
        pending = [self]
        while pending:
            source = pending.pop()
            if source.path not in out:
                out[source.path] = source.text or ""
                pending.extend(source.imports)
        return {path: text for path, text in out.items() if text}


def load_file(path: str | Path) -> SourceFile:
    """Parse `path` and, recursively, what it imports; shared imports are parsed once."""
    return _load(Path(path), [], {}, None)


ParseCache = dict[Path, tuple[tuple[int, int], ast.Module]]


def load_source(module: ast.Module, path: str | Path, cache: ParseCache | None = None) -> SourceFile:
    """An already parsed module standing for `path` (an editor's unsaved buffer), with
    its imports loaded from disk; `cache` keeps parsed imports while their files are
    unchanged, so an editor re-analyses only the buffer being typed in."""
    return _with_imports(SourceFile(str(path), module), Path(path), [_real(Path(path))], {}, cache)


def _load(path: Path, stack: list[Path], done: dict[Path, SourceFile], at: Span | None,
          cache: ParseCache | None = None) -> SourceFile:
    resolved = _real(path)
    if resolved in done:
        return done[resolved]
    shown = str(path)
    stamp = _stamp(path) if cache is not None else None
    text = None
    if cache is not None and resolved in cache and cache[resolved][0] == stamp:
        module = cache[resolved][1]
    else:
        text = read_source(path, at)
        module = _parse(text, path, shown)
        if cache is not None and stamp is not None:
            cache[resolved] = (stamp, module)
    source = _with_imports(SourceFile(shown, module, text=text), path, stack + [resolved], done, cache)
    done[resolved] = source
    return source


def _parse(text: str, path: Path, shown: str) -> ast.Module:
    """The module; a file that fails to parse and is no netdsl at all (a symlink to
    /etc/passwd, a file of another kind) is one diagnostic that quotes none of it."""
    try:
        return parse(text, shown)
    except CompileError as err:
        if _real(path).suffix != ".net" or not _NETDSL_WORD.search(text):
            raise CompileError([Diagnostic(f"{shown} is not a netdsl file: it has no `network`, `block` or"
                                           " `import`", None)]) from None
        raise CompileError(err.diagnostics, {**err.sources, shown: text}) from None


_NETDSL_WORD = re.compile(r"^[ \t]*(network|block|import|let)\b", re.M)


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
    texts = {source.path: source.text} if source.text else {}
    for item in module.items:
        if isinstance(item, ast.Import):
            try:
                source.imports.append(_import(item, path, stack, done, cache))
            except CompileError as err:
                errors += err.diagnostics
                texts.update(err.sources)
    if errors:
        raise CompileError(errors, texts)
    return source


def _import(item: ast.Import, importer: Path, stack: list[Path], done: dict[Path, SourceFile],
            cache: ParseCache | None) -> SourceFile:
    target, origin = import_target(item, importer)
    _check_cycle(item, target, stack)
    if len(stack) >= MAX_IMPORT_DEPTH:
        raise CompileError([Diagnostic(f"imports nested more than {MAX_IMPORT_DEPTH} files deep", item.span,
                                       hint="import the shared file from the top file instead")])
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
    if _real(target) in stack:
        cycle = " → ".join(p.name for p in stack[stack.index(_real(target)):] + [_real(target)])
        raise CompileError([Diagnostic(f"import cycle: {cycle}", item.span)])


def read_source(path: Path, at: Span | None = None) -> str:
    """The file's text: a regular file under the size limit, else a diagnostic at the import
    (or for the file itself); a byte that is not UTF-8 is located at its line and column."""
    try:
        return read_text(path, MAX_FILE_BYTES)
    except ReadError as err:
        if err.at is None:
            raise CompileError([Diagnostic(str(err), at)]) from None
        line, col = err.at
        raise CompileError([Diagnostic(str(err), at or Span(str(path), line, col, line, col + 1))]) from None


def _real(path: Path) -> Path:
    """The path with symlinks followed; a symlink loop stays as it is (reading it is the diagnostic)."""
    return Path(os.path.realpath(path))
