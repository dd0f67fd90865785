"""Element-wise ops: activations, constant scaling and dropout. Each costs one FLOP per element
(softmax three: exponent, sum, divide); dropout is free at inference."""

from __future__ import annotations

from netdsl.ops.base import Op, Param, numel


def _per_element(n: int):
    return lambda ins, out, a: n * numel(out)


def _activation(name: str, doc: str, params=(), cost: int = 1) -> Op:
    return Op(name, doc, params=params, flops=_per_element(cost))


RELU = _activation("relu", "max(x, 0)")
RELU6 = _activation("relu6", "min(max(x, 0), 6)")
LEAKY_RELU = _activation("leaky_relu", "x if x > 0 else slope·x: leaky_relu(slope=0.01)",
                         (Param("slope", "float", 0.01),))
TANH = _activation("tanh", "hyperbolic tangent")
SIGMOID = _activation("sigmoid", "1 / (1 + e^-x)")
HARDSIGMOID = _activation("hardsigmoid", "relu6(x + 3) / 6")
GELU = _activation("gelu", "x·Φ(x)")
SILU = _activation("silu", "x·sigmoid(x), also called swish")
HARDSWISH = _activation("hardswish", "x·relu6(x + 3) / 6")
SOFTMAX = _activation("softmax", "softmax over channels", cost=3)

SCALE = Op("scale", "multiplies by a constant: scale(0.17) (Inception-ResNet's residual scaling)",
           params=(Param("factor", "float"),), flops=_per_element(1), describe=lambda a: f"×{a['factor']}")

DROPOUT = Op("dropout", "zeroes elements with probability p in training: dropout(p=0.5)",
             params=(Param("p", "float", 0.5),), describe=lambda a: f"p={a['p']}")
