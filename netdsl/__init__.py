"""netdsl: describe neural networks as graphs in .net files; get shapes, costs,
PyTorch modules, standalone PyTorch source, ONNX and pictures from one IR.

The public names are imported on first use (PEP 562), so a command that needs
only part of the package (a cached `netdsl summary`) does not import the rest."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_PUBLIC = {"CompileError": "netdsl.diagnostics", "Diagnostic": "netdsl.diagnostics", "Span": "netdsl.diagnostics",
           "Model": "netdsl.model", "load": "netdsl.model", "export": "netdsl.backends.export"}

if TYPE_CHECKING:
    from netdsl.backends.export import export
    from netdsl.diagnostics import CompileError, Diagnostic, Span
    from netdsl.model import Model, load


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'netdsl' has no attribute {name!r}")
    value = getattr(import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])


__all__ = ["CompileError", "Diagnostic", "Model", "Span", "export", "load", "__version__"]
