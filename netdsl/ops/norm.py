"""Normalisation: batch norm (1-D, 2-D or 3-D by the input's layout) and local response norm."""

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


def _bn_init(key, shapes, rng):
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
    torch_module=_bn_torch, onnx=_bn_onnx, init=_bn_init,
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
