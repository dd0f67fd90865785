"""The TUI's long jobs to a path the user chose: the SVG of a scope, the ONNX file.

Each returns a message and a notification severity instead of raising, so a
failure becomes a notice. ONNX goes through `exports.export_onnx` (the compile
API) into a private folder beside the target, then moves into place: the file
the user named appears whole or not at all, and a same-named file elsewhere
in that folder is never touched.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from netdsl.model import Model
from netdsl.views.tui.session import Session


def write_svg(model: Model, root: str, path: Path) -> tuple[str, str]:
    """The picture of `root` (the whole network for "") at the default depth."""
    from netdsl.views.graphviz_view import RenderError, RenderOptions, write

    try:
        write(model.analysis, path, RenderOptions(root=root))
    except RenderError as err:
        return str(err), "error"
    return f"wrote {path}", "information"


def write_onnx(session: Session, path: Path) -> tuple[str, str]:
    """The session's network compiled to ONNX at `path`."""
    from netdsl.views.tui.exports import export_onnx

    if session.model is None:
        return "nothing to export: the file does not compile", "warning"
    try:
        folder = Path(tempfile.mkdtemp(prefix=".netdsl-export-", dir=path.parent))
    except OSError as err:
        return f"cannot write {path}: {err.strerror}", "error"
    try:
        message, severity = export_onnx(session, folder)
        written = folder / f"{session.model.name}.onnx"
        if severity != "information" or not written.exists():
            return message, severity if severity != "information" else "error"
        os.replace(written, path)
    except OSError as err:
        return f"cannot write {path}: {err.strerror}", "error"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)", "information"
