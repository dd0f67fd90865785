"""Ops that rearrange axes: permute, reshape, flatten and mean over axes. Axes are named as
in the layout (`"h"`) or by index (0 is the first after the batch, −1 the last).

They cost nothing but `mean` (one FLOP per input element). A flatten that folds positions
into the channels (from the first axis) makes the next linear see the whole map."""

from __future__ import annotations

from netdsl.ops.base import (FOLD, GLOBAL, Op, Param, ShapeError, Site, axis_index, axis_indices, fmt_shape,
                             numel)
from netdsl.ops.layout import Axes, default_axes


def _permutation(s: Site) -> tuple[int, ...]:
    order = axis_indices("permute", s, s["order"])
    if len(order) != len(s.x):
        raise ShapeError(f"permute needs every axis of the input ({', '.join(s.x_axes)}) once, not"
                         f" {len(order)}")
    return order


PERMUTE = Op(
    "permute", "reorders the axes: permute(\"h\", \"w\", \"c\") (names or indices), as torch.permute",
    params=(Param("order", "axes"),), variadic=True,
    shape=lambda s: tuple(s.x[i] for i in _permutation(s)),
    axes=lambda s: tuple(s.x_axes[i] for i in _permutation(s)),
    describe=lambda s: ", ".join(s.x_axes[i] for i in _permutation(s)),
    torch_call=lambda s: f"{s.names[0]}.permute(0, {', '.join(str(i + 1) for i in _permutation(s))})",
    onnx=lambda g, s: g.op("Transpose", list(s.names), g.out, perm=[0, *(i + 1 for i in _permutation(s))]),
)


def _span(s: Site) -> tuple[int, int]:
    start, end = axis_index("flatten", s, s["start"][0]), axis_index("flatten", s, s["end"][0])
    if start > end:
        raise ShapeError(f"flatten: start axis {s.x_axes[start]} comes after end axis {s.x_axes[end]}")
    return start, end


def _flatten_shape(s: Site):
    start, end = _span(s)
    return (*s.x[:start], numel(s.x[start:end + 1]), *s.x[end + 1:])


def _flatten_axes(s: Site) -> Axes:
    """A whole tensor flattens to a vector (`c`); merged axes are named together (`h`, `w` → `hw`)."""
    if len(s.out) == 1:
        return ("c",)
    start, end = _span(s)
    return (*s.x_axes[:start], "".join(s.x_axes[start:end + 1]), *s.x_axes[end + 1:])


def _whole(s: Site) -> bool:
    return _span(s) == (0, len(s.x) - 1)


def _flatten_torch(s: Site) -> str:
    if _whole(s):
        return f"torch.flatten({s.names[0]}, 1)"
    start, end = _span(s)
    return f"{s.names[0]}.flatten({start + 1}, {end + 1})"


def _flatten_onnx(g, s: Site):
    if _whole(s):
        g.op("Flatten", list(s.names), g.out, axis=1)
    else:
        g.op("Reshape", [s.names[0], g.const([0, *s.out], "int64")], g.out)


_AXIS_RANGE = {"start": 0, "end": -1}
FLATTEN = Op(
    "flatten", "merges axes start … end into one: flatten(start=0, end=-1); the default makes C×H×W a vector of"
               " C·H·W", params=tuple(Param(name, "axes", default) for name, default in _AXIS_RANGE.items()),
    resolve=lambda a: {k: v if isinstance(v, tuple) else (v,) for k, v in a.items()},
    shape=_flatten_shape, axes=_flatten_axes, window=lambda s: FOLD if _span(s)[0] == 0 else None,
    describe=lambda s: "" if _whole(s) else f"{s.x_axes[_span(s)[0]]}…{s.x_axes[_span(s)[1]]}",
    torch_call=_flatten_torch, onnx=_flatten_onnx,
)


def _reshape_shape(s: Site):
    sizes = list(s["shape"])
    if sizes.count(-1) > 1 or any(d < 1 and d != -1 for d in sizes):
        raise ShapeError(f"reshape: sizes must be positive, with at most one -1, not {sizes}")
    known = numel([d for d in sizes if d != -1])
    if -1 in sizes:
        if numel(s.x) % known:
            raise ShapeError(f"reshape: {fmt_shape(s.x)} = {numel(s.x):,} elements do not divide into {sizes}")
        sizes[sizes.index(-1)] = numel(s.x) // known
    if numel(sizes) != numel(s.x):
        raise ShapeError(f"reshape: {fmt_shape(s.x)} = {numel(s.x):,} elements cannot be"
                         f" {fmt_shape(tuple(sizes))} = {numel(sizes):,}")
    if s["axes"] is not None and len(s["axes"]) != len(sizes):
        raise ShapeError(f"reshape: {len(s['axes'])} axis names for {len(sizes)} sizes")
    return tuple(sizes)


RESHAPE = Op(
    "reshape", "the same elements in another shape: reshape([14, 14, 768], axes=[\"h\", \"w\", \"c\"]); one size"
               " may be -1", params=(Param("shape", "shape"), Param("axes", "axes", None)),
    shape=_reshape_shape, axes=lambda s: tuple(s["axes"]) if s["axes"] else default_axes(len(s.out)),
    describe=lambda s: fmt_shape(s.out),
    torch_call=lambda s: f"{s.names[0]}.reshape(-1, {', '.join(map(str, s.out))})",
    onnx=lambda g, s: g.op("Reshape", [s.names[0], g.const([0, *s.out], "int64")], g.out),
)


def _reduced(s: Site) -> tuple[int, ...]:
    return tuple(sorted(axis_indices("mean", s, s["axes"])))


def _mean_shape(s: Site):
    axes = _reduced(s)
    if s["keepdim"]:
        return tuple(1 if i in axes else d for i, d in enumerate(s.x))
    if len(axes) == len(s.x):
        raise ShapeError("mean over every axis would leave no axis: keep one, or use keepdim=true")
    return tuple(d for i, d in enumerate(s.x) if i not in axes)


def _mean_onnx(g, s: Site):
    axes = [i + 1 for i in _reduced(s)]
    keep = int(s["keepdim"])
    if g.opset >= 18:
        g.op("ReduceMean", [s.names[0], g.const(axes, "int64")], g.out, keepdims=keep)
    else:
        g.op("ReduceMean", list(s.names), g.out, axes=axes, keepdims=keep)


def _mean_window(s: Site):
    """Averaging every spatial axis of a channels-first map sees the whole map."""
    return GLOBAL if s.spatial and set(range(1, len(s.x))) <= set(_reduced(s)) else None


MEAN = Op(
    "mean", "averages over axes: mean(\"h\", \"w\", keepdim=false) (names or indices)",
    params=(Param("axes", "axes"), Param("keepdim", "bool", False)), variadic=True,
    shape=_mean_shape, flops=lambda s: numel(s.x), window=_mean_window,
    axes=lambda s: s.x_axes if s["keepdim"] else tuple(a for i, a in enumerate(s.x_axes) if i not in _reduced(s)),
    describe=lambda s: ", ".join(s.x_axes[i] for i in _reduced(s)),
    torch_call=lambda s: f"{s.names[0]}.mean({tuple(i + 1 for i in _reduced(s))}"
                         + (", keepdim=True)" if s["keepdim"] else ")"),
    onnx=_mean_onnx,
)
