"""The op registry: every built-in op by the name a .net file calls it."""

from netdsl.ops import conv, elementwise, linear, norm, pool, structure
from netdsl.ops.base import Op, Param, Shape, ShapeError, Window, fmt_shape, numel

OPS: dict[str, Op] = {
    op.name: op
    for module in (conv, linear, norm, pool, elementwise, structure)
    for op in vars(module).values()
    if isinstance(op, Op)
}

__all__ = ["OPS", "Op", "Param", "Shape", "ShapeError", "Window", "fmt_shape", "numel"]
