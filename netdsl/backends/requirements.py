"""Optional dependencies of the backends (torch, onnxruntime, safetensors): which ones an export
needs, and a diagnostic that names the extra to install instead of an ImportError deep inside."""

from __future__ import annotations

import importlib
from pathlib import Path

from netdsl.diagnostics import CompileError, Diagnostic

# Optional dependency → the extra that installs it.
EXTRAS = {"torch": "torch", "onnxruntime": "verify", "safetensors": "weights"}


def requirements(target: str, verify: bool, weights: str | Path | None) -> list[tuple[str, str]]:
    """(module, what needs it) for each optional dependency this export will import."""
    needs = []
    if verify:  # the PyTorch module against the ONNX model in onnxruntime, whichever was written
        needs += [("torch", "--verify"), ("onnxruntime", "--verify")]
    if weights is not None:
        suffix = Path(weights).suffix
        needs.append(("safetensors", "--weights .safetensors") if suffix == ".safetensors"
                     else ("torch", f"--weights {suffix or 'FILE'} (a torch file)"))
    return needs


def require(module: str, purpose: str) -> None:
    """A diagnostic that says what to install, instead of an ImportError deep inside."""
    try:
        importlib.import_module(module)
    except ImportError:
        raise CompileError([Diagnostic(f"{purpose} needs {module}, which is not installed:"
                                       f' pip install "netdsl[{EXTRAS[module]}]"', None)]) from None
