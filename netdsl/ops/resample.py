"""Ops that change spatial size without a learned kernel: upsampling (to a scale, a
size or another tensor's size), asymmetric padding and pixel shuffle. Padding and pixel
shuffle cost nothing.

`upsample(scale)` makes each axis ⌊size · scale⌋ and maps coordinates by the sizes, as
PyTorch's interpolate with recompute_scale_factor=True (the same as the scale itself
whenever size · scale is whole). FLOPs: nearest upsampling and padding are free; (bi/tri)linear interpolation costs
2·2ⁿ − 1 per output element (2ⁿ weighted neighbours over n spatial axes), bicubic
2·4ⁿ − 1. They keep the receptive field and stride of their input.
"""

from __future__ import annotations

import math

from netdsl.ops.base import ArgumentError, Op, Param, ShapeError, Site, fmt_pair, need_spatial, numel

_LINEAR_MODES = {"linear": 1, "bilinear": 2, "trilinear": 3, "bicubic": 2}
_MODES = ("nearest", *_LINEAR_MODES)


def _resolve_upsample(a: dict) -> dict:
    if (a["scale"] is None) == (a["size"] is None):
        raise ArgumentError("upsample needs exactly one of `scale` and `size`",
                            "upsample(scale=2) or upsample(size=[in.h * 2, in.w * 2])")
    return _check_mode("upsample", a)


def _check_mode(op: str, a: dict) -> dict:
    if a["align_corners"] and a["mode"] == "nearest":
        raise ArgumentError(f"{op}: `align_corners` applies to the interpolating modes, not nearest")
    return a


def _out_size(s: Site) -> tuple[int, ...]:
    if s.args.get("size") is not None:
        return s["size"]
    if "scale" in s.args:
        return tuple(int(math.floor(n * f)) for n, f in zip(s.x[1:], s["scale"]))
    return s.ins[1][1:]


def _shape(op: str):
    def shape(s: Site):
        n = need_spatial(op, s)
        mode = s["mode"]
        if mode in _LINEAR_MODES and _LINEAR_MODES[mode] != n:
            wanted = {1: "linear", 2: "bilinear or bicubic", 3: "trilinear"}[n]
            raise ShapeError(f"{op}: mode {mode!r} is for {_LINEAR_MODES[mode]} spatial axes; this input has {n}"
                             f" (use {wanted})")
        if len(s.ins) > 1 and (len(s.ins[1]) != len(s.x)):
            raise ShapeError(f"{op}: {s.names[1]} is {fmt_pair(s.ins[1])} but {s.names[0]} has {n} spatial axes")
        size = _out_size(s)
        if min(size) < 1:
            raise ShapeError(f"{op}: the output would be {'×'.join(map(str, size))}")
        return (s.x[0], *size)
    return shape


def _flops(s: Site) -> int:
    n = len(s.out) - 1
    per = {"nearest": 0, "bicubic": 2 * 4 ** n - 1}.get(s["mode"], 2 * 2 ** n - 1)
    return per * numel(s.out)


def _exact_scale(s: Site) -> bool:
    """Whether the scale maps every axis to a whole size, where scale and size agree."""
    scale = s.args.get("scale")
    return scale is not None and all(n * f == o for n, f, o in zip(s.x[1:], scale, s.out[1:]))


def _torch(s: Site) -> str:
    size = s.out[1:]
    how = (f"scale_factor={_py_scale(s['scale'])}" if _exact_scale(s)
           else f"size={size[0] if len(set(size)) == 1 else tuple(size)}")
    corners = f", align_corners={s['align_corners']}" if s["mode"] != "nearest" else ""
    return f"F.interpolate({s.names[0]}, {how}, mode={s['mode']!r}{corners})"


def _py_scale(scale: tuple[float, ...]) -> str:
    return repr(scale[0]) if len(set(scale)) == 1 else repr(tuple(scale))


def _onnx(g, s: Site):
    """Resize as PyTorch's interpolate: the scale (if given) or the output size decides the
    coordinate mapping; nearest floors asymmetric coordinates, linear modes use half pixels."""
    mode = {"nearest": "nearest", "bicubic": "cubic"}.get(s["mode"], "linear")
    transform = ("align_corners" if s["align_corners"] else
                 "asymmetric" if mode == "nearest" else "pytorch_half_pixel")
    attrs = {"mode": mode, "coordinate_transformation_mode": transform}
    if mode == "nearest":
        attrs["nearest_mode"] = "floor"
    if mode == "cubic":
        attrs["cubic_coeff_a"] = -0.75
    if g.opset >= 18:
        axes = list(range(2, len(s.out) + 1))
        g.op("Resize", [s.names[0], "", "", g.const(list(s.out[1:]), "int64")], g.out, axes=axes, **attrs)
        return
    batch = g.op("Slice", [g.op("Shape", [s.names[0]]), g.const([0], "int64"), g.const([1], "int64")])
    sizes = g.op("Concat", [batch, g.const(list(s.out), "int64")], axis=0)
    resized = g.op("Resize", [s.names[0], "", "", sizes], **attrs)
    g.op("Reshape", [resized, g.const([-1, *s.out], "int64")], g.out)  # the sizes, for shape inference


_MODE_PARAMS = (Param("mode", "str", "nearest", choices=_MODES), Param("align_corners", "bool", False))

UPSAMPLE = Op(
    "upsample", "resizes the spatial axes: upsample(scale=None, size=None, mode=\"nearest\", align_corners=false);"
                " modes nearest, linear, bilinear, bicubic, trilinear",
    params=(Param("scale", "scale", None, above=0), Param("size", "spatial", None, minimum=1)) + _MODE_PARAMS,
    shape=_shape("upsample"), flops=_flops, resolve=_resolve_upsample,
    describe=lambda s: ("×" + fmt_pair(tuple(f"{v:g}" for v in s["scale"])) if s.args.get("scale") is not None
                        else "→" + "×".join(map(str, s.out[1:]))) + f", {s['mode']}",
    torch_call=_torch, onnx=_onnx,
)

UPSAMPLE_LIKE = Op(
    "upsample_like", "resizes to another tensor's spatial size (decoders): x -> upsample_like(skip, mode=\"nearest\","
                     " align_corners=false)",
    params=_MODE_PARAMS, inputs=2, shape=_shape("upsample_like"), flops=_flops,
    resolve=lambda a: _check_mode("upsample_like", a),
    describe=lambda s: "→" + "×".join(map(str, s.out[1:])) + f", {s['mode']}",
    torch_call=_torch, onnx=_onnx,
)


_SIDES = ("left", "right", "top", "bottom", "front", "back")  # F.pad's order: last axis first
_PAD_MODES = {"zeros": ("constant", "constant"), "reflect": ("reflect", "reflect"),
              "replicate": ("replicate", "edge")}  # netdsl → (PyTorch, ONNX)


def _pad_amounts(s: Site) -> list[tuple[int, int]]:
    """(before, after) per spatial axis, first axis first."""
    n = need_spatial("pad", s)
    pairs = [(s[_SIDES[2 * k]], s[_SIDES[2 * k + 1]]) for k in range(3)]
    extra = [_SIDES[2 * k + i] for k in range(n, 3) for i in (0, 1) if pairs[k][i]]
    if extra:
        raise ShapeError(f"pad: `{extra[0]}` pads a spatial axis this input does not have ({n} spatial axes)")
    return pairs[:n][::-1]


def _pad_shape(s: Site):
    amounts = _pad_amounts(s)
    for size, (before, after), axis in zip(s.x[1:], amounts, s.x_axes[1:]):
        if s["mode"] == "reflect" and max(before, after) >= size:
            raise ShapeError(f"pad: reflect padding of {max(before, after)} needs more than {size} positions"
                             f" along {axis}")
        if min(before, after) < 0 and s["mode"] != "zeros":
            raise ShapeError("pad: a negative side crops, which only mode=\"zeros\" does (as F.pad)")
        if size + before + after < 1:
            raise ShapeError(f"pad: {before} and {after} leave no position of the {size} along {axis}")
    return (s.x[0], *(size + before + after for size, (before, after) in zip(s.x[1:], amounts)))


def _pad_torch(s: Site) -> str:
    amounts = [v for before, after in _pad_amounts(s)[::-1] for v in (before, after)]
    mode = _PAD_MODES[s["mode"]][0]
    return f"F.pad({s.names[0]}, {tuple(amounts)!r}" + (f", mode={mode!r})" if mode != "constant" else ")")


def _pad_onnx(g, s: Site):
    amounts = _pad_amounts(s)
    pads = [0, 0, *(b for b, _ in amounts), 0, 0, *(a for _, a in amounts)]
    g.op("Pad", [s.names[0], g.const(pads, "int64")], g.out, mode=_PAD_MODES[s["mode"]][1])


PAD = Op(
    "pad", "pads each side of the spatial axes, asymmetric allowed (TF \"same\"), a negative side crops"
           " (NASNet's shifted path): pad(left=0, right=0, top=0, bottom=0, front=0, back=0, mode=\"zeros\" |"
           " \"reflect\" | \"replicate\")",
    params=tuple(Param(side, "int", 0) for side in _SIDES)
    + (Param("mode", "str", "zeros", choices=tuple(_PAD_MODES)),),
    shape=_pad_shape, describe=lambda s: ", ".join(f"{k}={s[k]}" for k in _SIDES if s[k])
    + (f", {s['mode']}" if s["mode"] != "zeros" else ""),
    torch_call=_pad_torch, onnx=_pad_onnx,
)


def _shuffle_shape(s: Site):
    need_spatial("pixel_shuffle", s, (2,))
    r = s["factor"]
    if s.x[0] % (r * r):
        raise ShapeError(f"pixel_shuffle: {s.x[0]} channels are not divisible by factor² = {r * r}")
    return (s.x[0] // (r * r), s.x[1] * r, s.x[2] * r)


PIXEL_SHUFFLE = Op(
    "pixel_shuffle", "C·r²×H×W → C×rH×rW (sub-pixel upsampling, nn.PixelShuffle): pixel_shuffle(factor)",
    params=(Param("factor", "int", minimum=1),), shape=_shuffle_shape, describe=lambda s: f"×{s['factor']}",
    torch_call=lambda s: f"F.pixel_shuffle({s.names[0]}, {s['factor']})",
    onnx=lambda g, s: g.op("DepthToSpace", list(s.names), g.out, blocksize=s["factor"], mode="CRD"),
)
