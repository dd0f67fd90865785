"""Element-wise ops: activations, dropout and stochastic depth. Each activation costs one
FLOP per element (softmax three: exponent, sum, divide; tanh-approximate GELU one, as the
exact one); dropout and stochastic depth are free at inference."""

from __future__ import annotations

import math

from netdsl.ops.base import Op, Param, ShapeError, Site, axis_index, numel


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
    """Exact (erf) or tanh-approximate GELU; a single Gelu op only from opset 20."""
    if g.opset >= 20:
        g.op("Gelu", list(s.names), g.out, approximate=s["approximate"])
        return
    if s["approximate"] == "tanh":
        x = s.names[0]
        cube = g.op("Mul", [g.op("Mul", [x, x]), x])
        inner = g.op("Add", [x, g.op("Mul", [cube, g.const(0.044715, "float32")])])
        tanh = g.op("Tanh", [g.op("Mul", [inner, g.const(math.sqrt(2 / math.pi), "float32")])])
        half = g.op("Mul", [x, g.op("Add", [tanh, g.const(1.0, "float32")])])
        g.op("Mul", [half, g.const(0.5, "float32")], g.out)
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
GELU = Op("gelu", "x·Φ(x), exact or with Φ's tanh approximation: gelu(approximate=\"none\" | \"tanh\")",
           params=(Param("approximate", "str", "none", choices=("none", "tanh")),), flops=_per_element(1),
           describe=lambda s: "tanh" if s["approximate"] == "tanh" else "",
           torch_call=lambda s: f"F.gelu({s.names[0]}" + (", approximate='tanh')" if s["approximate"] == "tanh"
                                                           else ")"),
           onnx=_gelu_onnx)
ELU = _activation("elu", "x if x > 0 else alpha·(eˣ − 1): elu(alpha=1.0)", "F.elu({x}, {alpha!r})",
                  lambda g, s: g.op("Elu", list(s.names), g.out, alpha=s["alpha"]), (Param("alpha", "float", 1.0),))
SILU = _activation("silu", "x·sigmoid(x), also called swish", "F.silu({x})", _silu_onnx)
HARDSWISH = _activation("hardswish", "x·relu6(x + 3) / 6", "F.hardswish({x})", _unary("HardSwish"))
def _softmax_axis(s: Site) -> int:
    """The axis given, else the channels of a channels-first tensor, else the last axis (tokens)."""
    if s["axis"] is not None:
        if len(s["axis"]) != 1:
            raise ShapeError(f"softmax runs along one axis, not {len(s['axis'])}")
        return axis_index("softmax", s, s["axis"][0])
    return 0 if s.x_axes[0] == "c" else len(s.x) - 1


def _softmax_shape(s: Site):
    _softmax_axis(s)
    return s.x


SOFTMAX = Op("softmax", "softmax along one axis: softmax(axis), by name (\"n\") or index; default the channels,"
                        " or the last axis of tokens",
             params=(Param("axis", "axes", None),), shape=_softmax_shape, flops=_per_element(3),
             describe=lambda s: s.x_axes[_softmax_axis(s)],
             torch_call=lambda s: f"F.softmax({s.names[0]}, {_softmax_axis(s) + 1})",
             onnx=lambda g, s: g.op("Softmax", list(s.names), g.out, axis=_softmax_axis(s) + 1))

SCALE = Op("scale", "multiplies by a constant: scale(0.17) (Inception-ResNet's residual scaling)",
           params=(Param("factor", "float"),), flops=_per_element(1), describe=lambda s: f"×{s['factor']:.6g}",
           torch_call=_call("{x} * {factor!r}"),
           onnx=lambda g, s: g.op("Mul", [s.names[0], g.const(s["factor"], "float32")], g.out))

def _stochastic_depth(s: Site) -> str:
    """torchvision.ops.stochastic_depth inline: in training, each row (sample) or the whole
    batch is dropped with probability p and the survivors scaled by 1 / (1 − p)."""
    x, keep = s.names[0], 1 - s["p"]
    noise = f"[{x}.shape[0]] + [1] * ({x}.dim() - 1)" if s["mode"] == "row" else f"[1] * {x}.dim()"
    return f"({x} * {x}.new_empty({noise}).bernoulli_({keep!r}).div_({keep!r}) if self.training else {x})"


STOCHASTIC_DEPTH = Op(
    "stochastic_depth", "drops a residual branch per sample (row) or for the whole batch, in training only:"
                        " stochastic_depth(p, mode=\"row\" | \"batch\")",
    params=(Param("p", "float", minimum=0, below=1), Param("mode", "str", "row", choices=("row", "batch"))),
    describe=lambda s: f"p={s['p']:g}, {s['mode']}", torch_call=_stochastic_depth, onnx=_unary("Identity"))

DROPOUT = Op("dropout", "zeroes elements with probability p in training: dropout(p=0.5)",
             params=(Param("p", "float", 0.5, minimum=0, below=1),), describe=lambda s: f"p={s['p']}",
             torch_call=_call("F.dropout({x}, {p!r}, self.training)"), onnx=_unary("Identity"))
