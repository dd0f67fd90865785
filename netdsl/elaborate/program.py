"""Loading a .net file with its imports into a Program: the definitions each file
can see. Imports resolve relative to the importing file, only to .net files,
and a cycle is a diagnostic at the import that closes it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from netdsl.diagnostics import SOURCES, CompileError, Diagnostic, DiagnosticError, Span
from netdsl.syntax import ast
from netdsl.syntax.parser import parse

MAX_FILE_BYTES = 4 << 20


@dataclass
class SourceFile:
    path: str
    module: ast.Module
    imports: list["SourceFile"] = field(default_factory=list)


def load_file(path: str | Path) -> SourceFile:
    """Parse `path` and, recursively, what it imports; shared imports are parsed once."""
    return _load(Path(path), [], {}, None)


def _load(path: Path, stack: list[Path], done: dict[Path, SourceFile], at: Span | None) -> SourceFile:
    resolved = path.resolve()
    if resolved in done:
        return done[resolved]
    text = _read(path, at)
    shown = str(path)
    SOURCES.texts[shown] = text
    module = parse(text, shown)
    source = SourceFile(shown, module)
    stack = stack + [resolved]
    for item in module.items:
        if isinstance(item, ast.Import):
            source.imports.append(_load(_import_target(item, path, stack), stack, done, item.span))
    done[resolved] = source
    return source


def _import_target(item: ast.Import, importer: Path, stack: list[Path]) -> Path:
    if not item.path.endswith(".net"):
        raise CompileError([Diagnostic(f'import "{item.path}": only .net files can be imported', item.span)])
    target = (importer.parent / item.path)
    if target.resolve() in stack:
        cycle = " → ".join(p.name for p in stack[stack.index(target.resolve()):] + [target.resolve()])
        raise CompileError([Diagnostic(f"import cycle: {cycle}", item.span)])
    if not target.is_file():
        raise CompileError([Diagnostic(f'import "{item.path}": no such file', item.span,
                                       hint=f"imports are found relative to the importing file: looked for {target}")])
    return target


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
