"""The TUI's long jobs, kept apart from the widgets: the SVG of a view and the ONNX file.

Each returns a message and a notification severity instead of raising, so
a failure becomes a notice in the UI rather than a crash.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from netdsl.diagnostics import CompileError
from netdsl.model import Model
from netdsl.views.tui.session import Session

ONNX_MODULE = "netdsl.backends.onnx_export"


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
    """Compiles the current network to NET.onnx with the ONNX backend, when this build has one."""
    model = session.model
    if importlib.util.find_spec(ONNX_MODULE) is None:
        return "ONNX export is not available in this build of netdsl (no netdsl.backends.onnx_export)", "warning"
    backend = importlib.import_module(ONNX_MODULE)
    export = getattr(backend, "export", None)
    if model is None or not callable(export):
        return f"{ONNX_MODULE} has no export(model, path) function; use `netdsl compile --onnx`", "warning"
    path = directory / f"{model.name}.onnx"
    try:
        export(model.network, path)
    except CompileError as err:
        return "; ".join(d.message for d in err.diagnostics), "error"
    except Exception as err:  # a backend failure must not take the session down
        return f"ONNX export failed: {type(err).__name__}: {err}", "error"
    return f"wrote {path}", "information"
