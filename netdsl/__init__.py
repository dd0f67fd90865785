"""netdsl: describe neural networks as graphs in .net files; get shapes, costs,
PyTorch modules, standalone PyTorch source, ONNX and pictures from one IR."""

__version__ = "0.1.0"

from netdsl.diagnostics import CompileError, Diagnostic, Span  # noqa: E402
from netdsl.model import Model, load  # noqa: E402
from netdsl.backends.export import export  # noqa: E402

__all__ = ["CompileError", "Diagnostic", "Model", "Span", "export", "load", "__version__"]
