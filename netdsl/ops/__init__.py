"""The op registry: every built-in op by the name a .net file calls it."""

from netdsl.ops import (attention, axes, conv, elementwise, linear, multiscale, norm, param, pool, resample, structure,
                        tokens, windows)
from netdsl.ops.base import ArgumentError, Op, Param, Shape, ShapeError, Site, Window, fmt_shape, numel
from netdsl.ops.layout import Axes, default_axes

OPS: dict[str, Op] = {
    op.name: op
    for module in (conv, linear, norm, pool, elementwise, structure, axes, resample, param, attention, tokens,
                   windows, multiscale)
    for op in vars(module).values()
    if isinstance(op, Op)
}

__all__ = ["OPS", "ArgumentError", "Axes", "Op", "Param", "Shape", "ShapeError", "Site", "Window", "default_axes",
           "fmt_shape", "numel"]
