"""The TUI's long jobs, kept apart from the widgets: the SVG of a view and the ONNX file.

Each returns a message and a notification severity instead of raising, so
a failure becomes a notice in the UI rather than a crash.
"""

from __future__ import annotations

from pathlib import Path

from netdsl.diagnostics import CompileError
from netdsl.model import Model
from netdsl.views.tui.session import Session


def export_svg(model: Model, root: str, directory: Path) -> tuple[str, str]:
    """Writes NET.svg, or NET-SCOPE.svg for one scope, at the default depth."""
    from netdsl.views.graphviz_view import RenderError, RenderOptions, write

    path = directory / (f"{model.name}-{root}.svg" if root else f"{model.name}.svg")
    try:
        write(model.analysis, path, RenderOptions(root=root))
    except RenderError as err:
        return str(err), "error"
    return f"wrote {path}", "information"


def export_onnx(session: Session, directory: Path) -> tuple[str, str]:
    """Compiles the current network (with the session's overrides) to NET.onnx through netdsl.export,
    in the caller's worker thread; a failure is a notice, never a crash."""
    from netdsl.backends.export import export

    model = session.model
    if model is None:
        return "nothing to export: the file does not compile", "warning"
    try:
        exported = export(model, "onnx", directory / f"{model.name}.onnx")
    except CompileError as err:
        return f"ONNX export failed: {err.diagnostics[0].message}", "error"
    except OSError as err:
        return f"ONNX export failed: cannot write {err.filename or directory}: {err.strerror or err}", "error"
    return str(exported), "information"
