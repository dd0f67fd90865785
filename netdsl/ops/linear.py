"""linear: a fully connected layer on the last axis of any tensor (a vector's features,
each token's features), as nn.Linear."""

from __future__ import annotations

from netdsl.ops.base import FEATURES, Ctor, Op, Param, ShapeError, Site, fmt_shape, numel


def _shape(s: Site):
    """The last axis of a vector, of tokens or of a channels-last map; a channels-first map is refused,
    for a linear over its width is almost always a forgotten flatten."""
    if s.spatial:
        raise ShapeError(f"linear needs a flat vector, but its input is {fmt_shape(s.x)}",)
    return (*s.x[:-1], s["out"])


def _weights(s: Site):
    weights = {"weight": (s["out"], s.x[-1])}
    if s["bias"]:
        weights["bias"] = (s["out"],)
    return weights


def _torch(s: Site):
    return Ctor("nn.Linear", (("in", s.x[-1]), ("out", s["out"])), (("bias", s["bias"], True),))


def _onnx(g, s: Site):
    """Gemm for a vector; MatMul with the transposed weight for tokens (Gemm is 2-D only)."""
    bias = [g.weight("bias")] if s["bias"] else []
    if len(s.x) == 1:
        g.op("Gemm", [s.names[0], g.weight("weight")] + bias, g.out, transB=1)
        return
    product = g.op("MatMul", [s.names[0], g.op("Transpose", [g.weight("weight")], perm=[1, 0])],
                   None if bias else g.out)
    if bias:
        g.op("Add", [product, bias[0]], g.out)


LINEAR = Op(
    "linear", "fully connected layer on the last axis: linear(out, bias=true)",
    params=(Param("out", "int", minimum=1), Param("bias", "bool", True)),
    shape=_shape, weights=_weights, macs=lambda s: numel(s.out) * s.x[-1],
    window=lambda s: FEATURES, describe=lambda s: str(s["out"]), torch_module=_torch, onnx=_onnx,
)
