"""Normalisation: batch norm (2-D or 1-D by input rank) and local response norm."""

from __future__ import annotations

from netdsl.ops.base import Ctor, Op, Param, need_image, numel


def _bn_weights(ins, out, a):
    c = ins[0][0]
    return {"weight": (c,), "bias": (c,)} if a["affine"] else {}


def _bn_buffers(ins, out, a):
    c = ins[0][0]
    return {"running_mean": (c,), "running_var": (c,), "num_batches_tracked": ()}


def _bn_torch(ins, out, a):
    return Ctor(f"nn.BatchNorm{2 if len(ins[0]) == 3 else 1}d", (("c", ins[0][0]),),
                (("eps", a["eps"], 1e-5), ("momentum", a["momentum"], 0.1), ("affine", a["affine"], True)))


def _bn_onnx(g, xs, a, ins, out):
    c = ins[0][0]
    scale, bias = ((g.weight("weight"), g.weight("bias")) if a["affine"]
                   else (g.const([1.0] * c, "float32"), g.const([0.0] * c, "float32")))
    g.op("BatchNormalization", [xs[0], scale, bias, g.weight("running_mean"), g.weight("running_var")],
         g.out, epsilon=a["eps"])


def _bn_init(key, shapes, rng):
    """PyTorch's reset: scale and variance 1, shift and mean 0, no batches seen."""
    import numpy as np

    if key == "num_batches_tracked":
        return np.zeros((), np.int64)
    fill = 1.0 if key in ("weight", "running_var") else 0.0
    return np.full(shapes[key], fill, np.float32)


BN = Op(
    "bn", "batch normalisation over channels: bn(eps=1e-5, momentum=0.1, affine=true)",
    params=(Param("eps", "float", 1e-5), Param("momentum", "float", 0.1), Param("affine", "bool", True)),
    weights=_bn_weights, buffers=_bn_buffers, flops=lambda ins, out, a: 2 * numel(out),
    torch_module=_bn_torch, onnx=_bn_onnx, init=_bn_init,
)


def _lrn_shape(ins, a, names):
    need_image("lrn", ins[0])
    return ins[0]


LRN = Op(
    "lrn", "local response normalisation across channels: lrn(size, alpha=1e-4, beta=0.75, k=1.0)",
    params=(Param("size", "int", minimum=1), Param("alpha", "float", 1e-4), Param("beta", "float", 0.75),
            Param("k", "float", 1.0)),
    shape=_lrn_shape, flops=lambda ins, out, a: numel(out) * (2 * a["size"] + 2),
    describe=lambda a: str(a["size"]),
    torch_call=lambda xs, a: f"F.local_response_norm({xs[0]}, {a['size']}, {a['alpha']!r}, {a['beta']!r}, {a['k']!r})",
    onnx=lambda g, xs, a, ins, out: g.op("LRN", xs, g.out, size=a["size"], alpha=a["alpha"], beta=a["beta"],
                                         bias=a["k"]),
)
