"""Normalisation: batch norm (1-D, 2-D or 3-D by the input's layout), layer norm, group norm
and local response norm.

FLOPs: batch norm 2 per element (a folded scale and shift at inference); layer and group
norm 5 per element (mean, subtract, square, variance, divide) plus 2 with affine.
Normalisation statistics do not widen the receptive field (as in published tables)."""

from __future__ import annotations

from netdsl.ops.base import Ctor, Op, Param, ShapeError, Site, fmt_shape, need_spatial, numel
from netdsl.ops.layout import channels_first


def _bn_channels(s: Site) -> int:
    if len(s.x) > 1 and not channels_first(s.x_axes):
        raise ShapeError(f"bn normalises channels, but its input {fmt_shape(s.x)} ({', '.join(s.x_axes)})"
                         " has no `c` axis first")
    return s.x[0]


def _bn_weights(s: Site):
    c = s.x[0]
    return {"weight": (c,), "bias": (c,)} if s["affine"] else {}


def _bn_buffers(s: Site):
    c = s.x[0]
    return {"running_mean": (c,), "running_var": (c,), "num_batches_tracked": ()}


def _bn_torch(s: Site):
    return Ctor(f"nn.BatchNorm{max(len(s.x) - 1, 1)}d", (("c", s.x[0]),),
                (("eps", s["eps"], 1e-5), ("momentum", s["momentum"], 0.1), ("affine", s["affine"], True)))


def _bn_onnx(g, s: Site):
    c = s.x[0]
    scale, bias = ((g.weight("weight"), g.weight("bias")) if s["affine"]
                   else (g.const([1.0] * c, "float32"), g.const([0.0] * c, "float32")))
    g.op("BatchNormalization", [s.names[0], scale, bias, g.weight("running_mean"), g.weight("running_var")],
         g.out, epsilon=s["eps"])


def _norm_init(site, key, shapes, rng):
    """PyTorch's reset: scale and variance 1, shift and mean 0, no batches seen."""
    import numpy as np

    if key == "num_batches_tracked":
        return np.zeros((), np.int64)
    fill = 1.0 if key in ("weight", "running_var") else 0.0
    return np.full(shapes[key], fill, np.float32)


def _bn_shape(s: Site):
    _bn_channels(s)
    return s.x


BN = Op(
    "bn", "batch normalisation over channels: bn(eps=1e-5, momentum=0.1, affine=true)",
    params=(Param("eps", "float", 1e-5, above=0), Param("momentum", "float", 0.1, minimum=0, maximum=1),
            Param("affine", "bool", True)),
    shape=_bn_shape, weights=_bn_weights, buffers=_bn_buffers, flops=lambda s: 2 * numel(s.out),
    torch_module=_bn_torch, onnx=_bn_onnx, init=_norm_init,
)


def _affine(s: Site):
    c = s.x[_norm_axis(s)]
    return {"weight": (c,), "bias": (c,)} if s["affine"] else {}


def _norm_flops(s: Site) -> int:
    return (7 if s["affine"] else 5) * numel(s.out)


def _norm_axis(s: Site) -> int:
    """layer_norm's axis: the channels of a channels-first map (LayerNorm2d), else the last axis."""
    return 0 if s.spatial else len(s.x) - 1


def _ln_torch(s: Site):
    return Ctor("nn.LayerNorm", (("c", s.x[_norm_axis(s)]),),
                (("eps", s["eps"], 1e-5), ("elementwise_affine", s["affine"], True)))


def _ln_apply(s: Site, module: str) -> str:
    """A channels-first map is normalised over channels at each position, as ConvNeXt's LayerNorm2d."""
    if _norm_axis(s):
        return f"{module}({s.names[0]})"
    return f"{module}({s.names[0]}.movedim(1, -1)).movedim(-1, 1)"


def _ln_onnx(g, s: Site):
    x = s.names[0]
    last = len(s.x)  # with the batch axis, the channels of a channels-first map are axis 1
    moved = _norm_axis(s) == 0 and last > 1
    if moved:
        x = g.op("Transpose", [x], perm=[0, *range(2, last + 1), 1])
    out = None if moved else g.out
    c = s.x[_norm_axis(s)]
    scale, bias = ((g.weight("weight"), g.weight("bias")) if s["affine"]
                   else (g.const([1.0] * c, "float32"), g.const([0.0] * c, "float32")))
    if g.opset >= 17:
        y = g.op("LayerNormalization", [x, scale, bias], out, axis=-1, epsilon=s["eps"])
    else:
        y = g.op("Add", [g.op("Mul", [_standardise(g, x, [-1], s["eps"]), scale]), bias], out)
    if moved:
        g.op("Transpose", [y], g.out, perm=[0, last, *range(1, last)])


def _standardise(g, x: str, axes: list[int], eps: float) -> str:
    """(x − mean) / √(variance + eps) over `axes`."""
    centred = g.op("Sub", [x, g.reduce_mean(x, axes)])
    variance = g.reduce_mean(g.op("Mul", [centred, centred]), axes)
    return g.op("Div", [centred, g.op("Sqrt", [g.op("Add", [variance, g.const(eps, "float32")])])])


LAYER_NORM = Op(
    "layer_norm", "layer normalisation over the channels of each position of a C×H×W map (ConvNeXt's"
                  " LayerNorm2d), else over the last axis (tokens): layer_norm(eps=1e-5, affine=true)",
    params=(Param("eps", "float", 1e-5, above=0), Param("affine", "bool", True)),
    weights=_affine, flops=_norm_flops, torch_module=_ln_torch, torch_apply=_ln_apply, onnx=_ln_onnx,
    init=_norm_init, describe=lambda s: "channels" if _norm_axis(s) == 0 and s.spatial else "",
)


def _gn_shape(s: Site):
    if not channels_first(s.x_axes):
        raise ShapeError(f"group_norm normalises groups of channels, but its input {fmt_shape(s.x)}"
                         f" ({', '.join(s.x_axes)}) has no `c` axis first")
    if s.x[0] % s["groups"]:
        raise ShapeError(f"group_norm: {s.x[0]} channels are not divisible by groups={s['groups']}")
    return s.x


def _gn_onnx(g, s: Site):
    c, rest = s.x[0], len(s.x) - 1
    grouped = g.op("Reshape", [s.names[0], g.const([0, s["groups"], -1], "int64")])
    normal = g.op("Reshape", [_standardise(g, grouped, [2], s["eps"]), g.const([0, *s.x], "int64")],
                  None if s["affine"] else g.out)
    if s["affine"]:
        per_channel = g.const([c] + [1] * rest, "int64")
        scaled = g.op("Mul", [normal, g.op("Reshape", [g.weight("weight"), per_channel])])
        g.op("Add", [scaled, g.op("Reshape", [g.weight("bias"), per_channel])], g.out)


GROUP_NORM = Op(
    "group_norm", "group normalisation over groups of channels and every position: group_norm(groups, eps=1e-5,"
                  " affine=true)",
    params=(Param("groups", "int", minimum=1), Param("eps", "float", 1e-5, above=0), Param("affine", "bool", True)),
    shape=_gn_shape, weights=_affine, flops=_norm_flops, describe=lambda s: f"g={s['groups']}",
    torch_module=lambda s: Ctor("nn.GroupNorm", (("groups", s["groups"]), ("c", s.x[0])),
                                (("eps", s["eps"], 1e-5), ("affine", s["affine"], True))),
    onnx=_gn_onnx, init=_norm_init,
)


def _lrn_shape(s: Site):
    need_spatial("lrn", s)
    return s.x


def _lrn_onnx(g, s: Site):
    """onnxruntime runs LRN on 4-D tensors only: other ranks go through N×C×positions×1."""
    attrs = {"size": s["size"], "alpha": s["alpha"], "beta": s["beta"], "bias": s["k"]}
    if s.spatial == 2:
        g.op("LRN", list(s.names), g.out, **attrs)
        return
    flat = g.op("Reshape", [s.names[0], g.const([0, s.x[0], -1, 1], "int64")])
    g.op("Reshape", [g.op("LRN", [flat], **attrs), g.const([0, *s.x], "int64")], g.out)


LRN = Op(
    "lrn", "local response normalisation across channels: lrn(size, alpha=1e-4, beta=0.75, k=1.0)",
    params=(Param("size", "int", minimum=1), Param("alpha", "float", 1e-4, minimum=0),
            Param("beta", "float", 0.75, above=0), Param("k", "float", 1.0, above=0)),
    shape=_lrn_shape, flops=lambda s: numel(s.out) * (2 * s["size"] + 2),
    describe=lambda s: str(s["size"]),
    torch_call=lambda s: f"F.local_response_norm({s.names[0]}, {s['size']}, {s['alpha']!r}, {s['beta']!r},"
                         f" {s['k']!r})",
    onnx=_lrn_onnx,
)
