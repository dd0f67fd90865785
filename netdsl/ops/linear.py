"""linear: a fully connected layer on a flat vector."""

from __future__ import annotations

from netdsl.ops.base import Ctor, Op, Param, ShapeError, fmt_shape


def _shape(ins, a, names):
    if len(ins[0]) != 1:
        raise ShapeError(f"linear needs a flat vector, but its input is {fmt_shape(ins[0])}",)
    return (a["out"],)


def _weights(ins, out, a):
    weights = {"weight": (a["out"], ins[0][0])}
    if a["bias"]:
        weights["bias"] = (a["out"],)
    return weights


def _torch(ins, out, a):
    return Ctor("nn.Linear", (("in", ins[0][0]), ("out", a["out"])), (("bias", a["bias"], True),))


def _onnx(g, xs, a, ins, out):
    inputs = [xs[0], g.weight("weight")] + ([g.weight("bias")] if a["bias"] else [])
    g.op("Gemm", inputs, g.out, transB=1)


LINEAR = Op(
    "linear", "fully connected layer: linear(out, bias=true)",
    params=(Param("out", "int", minimum=1), Param("bias", "bool", True)),
    shape=_shape, weights=_weights, macs=lambda ins, out, a: out[0] * ins[0][0],
    describe=lambda a: str(a["out"]), torch_module=_torch, onnx=_onnx,
)
