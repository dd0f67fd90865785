"""Token ops: from an image's feature map to a sequence of tokens and back to one token.

`tokens` is the second half of a patch embedding (the first is a strided conv): it flattens
the spatial axes of a C×H×W map into H·W tokens of C features, as ViT's
`x.reshape(n, c, h * w).permute(0, 2, 1)`. `take` picks one position of an axis (ViT's class
token, `x[:, 0]`). Both move data only: no MACs, no FLOPs.
"""

from __future__ import annotations

from netdsl.ops.base import FOLD, Op, Param, ShapeError, Site, axis_index, fmt_shape, need_spatial, numel

def _tokens_shape(s: Site):
    need_spatial("tokens", s)
    return (numel(s.x[1:]), s.x[0])


def _tokens_onnx(g, s: Site):
    flat = g.op("Reshape", [s.names[0], g.const([0, s.x[0], -1], "int64")])
    g.op("Transpose", [flat], g.out, perm=[0, 2, 1])


TOKENS = Op(
    "tokens", "flattens the spatial axes of a map into tokens: C×H×W → (H·W)×C, axes n, d (patch embedding"
              " after a strided conv)",
    shape=_tokens_shape, axes=lambda s: ("n", "d"), window=lambda s: FOLD,
    describe=lambda s: f"{fmt_shape(s.x[1:])} → {s.out[0]}",
    torch_call=lambda s: f"{s.names[0]}.flatten(2).transpose(1, 2)", onnx=_tokens_onnx,
)


def _take_axis(s: Site) -> int:
    axis = axis_index("take", s, s["axis"][0])
    if not -s.x[axis] <= s["index"] < s.x[axis]:
        raise ShapeError(f"take: index {s['index']} is outside axis {s.x_axes[axis]} of {s.x[axis]}")
    if len(s.x) == 1:
        raise ShapeError(f"take: a vector of {s.x[0]} has no axis to spare; take keeps the others")
    return axis


def _take_shape(s: Site):
    axis = _take_axis(s)
    return s.x[:axis] + s.x[axis + 1:]


def _take_axes(s: Site):
    axis = _take_axis(s)
    kept = s.x_axes[:axis] + s.x_axes[axis + 1:]
    return kept if len(kept) > 1 else ("c",)  # one axis left: a vector, as after flatten


TAKE = Op(
    "take", "one position of an axis, which goes: take(index, axis=0); `take(0)` is ViT's class token, x[:, 0]",
    params=(Param("index", "int"), Param("axis", "axes", 0)),
    resolve=lambda a: {**a, "axis": a["axis"] if isinstance(a["axis"], tuple) else (a["axis"],)},
    shape=_take_shape, axes=_take_axes, describe=lambda s: f"{s.x_axes[_take_axis(s)]}[{s['index']}]",
    torch_call=lambda s: f"{s.names[0]}.select({_take_axis(s) + 1}, {s['index']})",
    onnx=lambda g, s: g.op("Gather", [s.names[0], g.const(s["index"], "int64")], g.out, axis=_take_axis(s) + 1),
)


def _extra_tokens(s: Site) -> tuple[int, int]:
    """The prepended tokens as N×D: a vector of D is one token (MViT's `class_token`)."""
    extra = s.ins[1]
    return (1, extra[0]) if len(extra) == 1 else extra


def _prepend_shape(s: Site):
    x, extra = s.x, _extra_tokens(s)
    if len(x) != 2 or len(extra) != 2 or x[1] != extra[1]:
        raise ShapeError(f"prepend needs tokens of one width, but {s.names[0]} is {fmt_shape(x)} and {s.names[1]}"
                         f" is {fmt_shape(s.ins[1])}")
    return (extra[0] + x[0], x[1])


def _prepend_onnx(g, s: Site):
    x, extra = s.names
    batch = g.op("Slice", [g.op("Shape", [x]), g.const([0], "int64"), g.const([1], "int64")])
    size = g.op("Concat", [batch, g.const(list(_extra_tokens(s)), "int64")], axis=0)
    joined = g.op("Concat", [g.op("Expand", [extra, size]), x], axis=1)
    g.op("Reshape", [joined, g.const([-1, *s.out], "int64")], g.out)  # the sizes, for shape inference


PREPEND = Op(
    "prepend", "puts tokens before a sequence, broadcast over the batch: x -> prepend(class_token), the class"
               " token a param([1, d], batch=true), or a param([d]) for one token",
    inputs=2, shape=_prepend_shape, axes=lambda s: s.x_axes, describe=lambda s: f"+{_extra_tokens(s)[0]}",
    torch_call=lambda s: (f"torch.cat([{s.names[1]}.expand({s.names[0]}.shape[0],"
                          f" {'1' if len(s.ins[1]) == 1 else '-1'}, -1), {s.names[0]}], 1)"),
    onnx=_prepend_onnx,
)
