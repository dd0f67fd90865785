"""Normalisation: batch norm (2-D or 1-D by input rank) and local response norm."""

from __future__ import annotations

from netdsl.ops.base import Op, Param, need_image, numel


def _bn_weights(ins, out, a):
    c = ins[0][0]
    return {"weight": (c,), "bias": (c,)} if a["affine"] else {}


def _bn_buffers(ins, out, a):
    c = ins[0][0]
    return {"running_mean": (c,), "running_var": (c,), "num_batches_tracked": ()}


BN = Op(
    "bn", "batch normalisation over channels: bn(eps=1e-5, momentum=0.1, affine=true)",
    params=(Param("eps", "float", 1e-5), Param("momentum", "float", 0.1), Param("affine", "bool", True)),
    weights=_bn_weights, buffers=_bn_buffers, flops=lambda ins, out, a: 2 * numel(out),
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
)
