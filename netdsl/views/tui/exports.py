"""The TUI's long jobs, kept apart from the widgets: the SVG of a view and the ONNX file.

Each returns a message and a notification severity instead of raising, so
a failure becomes a notice in the UI rather than a crash.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from netdsl.model import Model
from netdsl.views.tui.session import Session

EXPORT_TIMEOUT = 600


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
    """Compiles the current network to NET.onnx through `netdsl compile --onnx` in a child process,
    so a slow or failing export never blocks or breaks the UI."""
    from netdsl.cli import COMMANDS

    model = session.model
    if model is None:
        return "nothing to export: the file does not compile", "warning"
    if "compile" not in COMMANDS:
        return "ONNX export is not available in this build of netdsl (no `netdsl compile`)", "warning"
    out = directory / f"{model.name}.onnx"
    command = [sys.executable, "-m", "netdsl", "compile", str(session.path), "--net", model.name, "--onnx",
               "-o", str(out)]
    for key, value in session.overrides.items():
        command += ["--set", f"{key}={_net_literal(value)}"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=EXPORT_TIMEOUT, env=_same_netdsl())
    except subprocess.TimeoutExpired:
        return f"ONNX export took longer than {EXPORT_TIMEOUT} s and was stopped", "error"
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        return f"ONNX export failed: {last}", "error"
    return f"wrote {out}", "information"


def _same_netdsl() -> dict[str, str]:
    """The environment with this process's netdsl first on the path, installed or not."""
    import netdsl

    root = str(Path(netdsl.__file__).resolve().parent.parent)
    paths = [root, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def _net_literal(value: object) -> str:
    """A --set value as .net source: true/false for booleans, lists as written."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_net_literal(v) for v in value) + "]"
    return str(value)
