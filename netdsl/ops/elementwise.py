"""Element-wise ops: activations and dropout. Each costs one FLOP per element
(softmax three: exponent, sum, divide); dropout is free at inference."""

from __future__ import annotations

import math

from netdsl.ops.base import Op, Param, Site, numel


def _per_element(n: int):
    return lambda s: n * numel(s.out)


def _unary(op_type: str, **attrs):
    """An ONNX lowering to one op of the same meaning."""
    return lambda g, s: g.op(op_type, list(s.names), g.out, **attrs)


def _call(template: str):
    """A PyTorch lowering: `template` formatted with the input `x` and the op's arguments."""
    return lambda s: template.format(x=s.names[0], **s.args)


def _activation(name: str, doc: str, torch: str, onnx, params=(), cost: int = 1) -> Op:
    return Op(name, doc, params=params, flops=_per_element(cost), torch_call=_call(torch), onnx=onnx)


def _relu6_onnx(g, s: Site):
    g.op("Clip", [s.names[0], g.const(0.0, "float32"), g.const(6.0, "float32")], g.out)


def _gelu_onnx(g, s: Site):
    """Exact (erf) GELU; a single Gelu op only from opset 20."""
    if g.opset >= 20:
        g.op("Gelu", list(s.names), g.out)
        return
    erf = g.op("Erf", [g.op("Div", [s.names[0], g.const(math.sqrt(2.0), "float32")])])
    half = g.op("Mul", [s.names[0], g.op("Add", [erf, g.const(1.0, "float32")])])
    g.op("Mul", [half, g.const(0.5, "float32")], g.out)


def _silu_onnx(g, s: Site):
    g.op("Mul", [s.names[0], g.op("Sigmoid", [s.names[0]])], g.out)


RELU = _activation("relu", "max(x, 0)", "F.relu({x})", _unary("Relu"))
RELU6 = _activation("relu6", "min(max(x, 0), 6)", "F.relu6({x})", _relu6_onnx)
LEAKY_RELU = _activation("leaky_relu", "x if x > 0 else slope·x: leaky_relu(slope=0.01)",
                         "F.leaky_relu({x}, {slope!r})",
                         lambda g, s: g.op("LeakyRelu", list(s.names), g.out, alpha=s["slope"]),
                         (Param("slope", "float", 0.01),))
TANH = _activation("tanh", "hyperbolic tangent", "torch.tanh({x})", _unary("Tanh"))
SIGMOID = _activation("sigmoid", "1 / (1 + e^-x)", "torch.sigmoid({x})", _unary("Sigmoid"))
HARDSIGMOID = _activation("hardsigmoid", "relu6(x + 3) / 6", "F.hardsigmoid({x})",
                          _unary("HardSigmoid", alpha=1 / 6, beta=0.5))
GELU = _activation("gelu", "x·Φ(x)", "F.gelu({x})", _gelu_onnx)
SILU = _activation("silu", "x·sigmoid(x), also called swish", "F.silu({x})", _silu_onnx)
HARDSWISH = _activation("hardswish", "x·relu6(x + 3) / 6", "F.hardswish({x})", _unary("HardSwish"))
SOFTMAX = _activation("softmax", "softmax over channels", "F.softmax({x}, 1)", _unary("Softmax", axis=1),
                      cost=3)

SCALE = Op("scale", "multiplies by a constant: scale(0.17) (Inception-ResNet's residual scaling)",
           params=(Param("factor", "float"),), flops=_per_element(1), describe=lambda s: f"×{s['factor']}",
           torch_call=_call("{x} * {factor!r}"),
           onnx=lambda g, s: g.op("Mul", [s.names[0], g.const(s["factor"], "float32")], g.out))

DROPOUT = Op("dropout", "zeroes elements with probability p in training: dropout(p=0.5)",
             params=(Param("p", "float", 0.5, minimum=0, below=1),), describe=lambda s: f"p={s['p']}",
             torch_call=_call("F.dropout({x}, {p!r}, self.training)"), onnx=_unary("Identity"))
