"""attention: multi-head self-attention over tokens, one op with nn.MultiheadAttention's weights;
matmul: the product of two activations, for attention written from primitives (Swin).

The weights are named as nn.MultiheadAttention names them (`in_proj_weight`, `in_proj_bias`,
`out_proj.weight`, `out_proj.bias`), so torchvision's ViT checkpoints load as they are. The
PyTorch lowering keeps that module for its parameters but computes with
F.scaled_dot_product_attention (the fused kernel where the device has one); ONNX gets
MatMul/Softmax, which every runtime runs.

Costs for N tokens of D features and H heads: MACs of the projections (3·N·D² in, N·D² out),
of Q·Kᵀ (N²·D) and of A·V (N²·D); FLOPs beyond 2·MACs: the softmax, 3 per score, and the
1/√(D/H) scaling, 1 per score, over H·N² scores. The H×N×N scores are alive while the op runs
(`scratch`), which the peak-memory simulation counts.
"""

from __future__ import annotations

import math

from netdsl.ops.base import GLOBAL, Ctor, Op, Param, ShapeError, Site, axis_index, fmt_shape, numel, uniform_init
from netdsl.ops.layout import channels_first


def _shape(s: Site):
    if len(s.x) != 2 or channels_first(s.x_axes):
        raise ShapeError(f"attention needs tokens (N×D, e.g. `as n, d`), but its input is {fmt_shape(s.x)}"
                         f" ({', '.join(s.x_axes)})")
    if s.x[1] % s["heads"]:
        raise ShapeError(f"attention: {s.x[1]} features are not divisible by heads={s['heads']}")
    return s.x


def _weights(s: Site):
    d = s.x[1]
    weights = {"in_proj_weight": (3 * d, d)}
    if s["bias"]:
        weights["in_proj_bias"] = (3 * d,)
    weights["out_proj.weight"] = (d, d)
    if s["bias"]:
        weights["out_proj.bias"] = (d,)
    return weights


def _macs(s: Site) -> int:
    n, d = s.x
    return 4 * n * d * d + 2 * n * n * d


def scores(s: Site) -> int:
    """Elements of the H×N×N attention matrix."""
    n = s.x[0]
    return s["heads"] * n * n


def _torch(s: Site):
    return Ctor("nn.MultiheadAttention", (("embed_dim", s.x[1]), ("heads", s["heads"])),
                (("dropout", s["dropout"], 0.0), ("bias", s["bias"], True), ("batch_first", True, False)))


def _apply(s: Site, module: str) -> str:
    """Q, K, V from the packed projection, split by head: (3, batch, heads, N, D/H) unbound."""
    x, p = s.names[0], s["dropout"]
    qkv = (f"F.linear({x}, {module}.in_proj_weight, {module}.in_proj_bias)"
           f".unflatten(-1, (3, {s['heads']}, -1)).permute(2, 0, 3, 1, 4).unbind(0)")
    dropout = f", dropout_p={p!r} if self.training else 0.0" if p else ""
    return f"{module}.out_proj(F.scaled_dot_product_attention(*{qkv}{dropout}).transpose(1, 2).flatten(2))"


def _onnx(g, s: Site):
    n, d = s.x
    heads = s["heads"]
    x = _project(g, s.names[0], "in_proj_weight", "in_proj_bias" if s["bias"] else None)
    split = g.op("Transpose", [g.op("Reshape", [x, g.const([0, n, 3, heads, d // heads], "int64")])],
                 perm=[2, 0, 3, 1, 4])
    q, k, v = (g.op("Gather", [split, g.const(i, "int64")], axis=0) for i in range(3))
    q = g.op("Mul", [q, g.const(1 / math.sqrt(d // heads), "float32")])
    weights = g.op("Softmax", [g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 1, 3, 2])])], axis=-1)
    merged = g.op("Reshape", [g.op("Transpose", [g.op("MatMul", [weights, v])], perm=[0, 2, 1, 3]),
                              g.const([0, n, d], "int64")])
    _project(g, merged, "out_proj.weight", "out_proj.bias" if s["bias"] else None, g.out)


def _project(g, x: str, weight: str, bias: str | None, out: str | None = None) -> str:
    """x·Wᵀ (+ b), as nn.Linear on the last axis."""
    product = g.op("MatMul", [x, g.op("Transpose", [g.weight(weight)], perm=[1, 0])], None if bias else out)
    return g.op("Add", [product, g.weight(bias)], out) if bias else product


def _init(site: Site, key: str, shapes, rng):
    """nn.MultiheadAttention's reset: Xavier-uniform packed projection, zero biases, and the
    output projection as nn.Linear's default."""
    import numpy as np

    if key.endswith("bias"):
        return np.zeros(shapes[key], np.float32)
    if key == "in_proj_weight":
        rows, cols = shapes[key]
        bound = math.sqrt(6 / (rows + cols))  # fan out 3·D, fan in D
        return rng.uniform(-bound, bound, shapes[key]).astype(np.float32)
    return uniform_init(site, "weight", {"weight": shapes[key]}, rng)


ATTENTION = Op(
    "attention", "multi-head self-attention over tokens N×D, nn.MultiheadAttention's weights:"
                 " attention(heads, dropout=0, bias=true)",
    params=(Param("heads", "int", minimum=1), Param("dropout", "float", 0.0, minimum=0, below=1),
            Param("bias", "bool", True)),
    shape=_shape, weights=_weights, macs=_macs, flops=lambda s: 4 * scores(s), scratch=scores,
    window=lambda s: GLOBAL, describe=lambda s: f"{s['heads']} heads, {s.x[0]}² scores",
    torch_module=_torch, torch_apply=_apply, onnx=_onnx, init=_init,
)


def _matmul_shape(s: Site):
    a, b = s.ins
    if len(a) < 2 or len(b) < 2:
        raise ShapeError(f"matmul multiplies matrices (2 or more axes), but {s.names[0]} is {fmt_shape(a)} and"
                         f" {s.names[1]} is {fmt_shape(b)}")
    rows, inner = a[-2:]
    other_inner, cols = (b[-1], b[-2]) if s["transpose"] else b[-2:]
    lead = _broadcast(a[:-2], b[:-2])
    if inner != other_inner or lead is None:
        raise ShapeError(f"matmul: {s.names[0]} is {fmt_shape(a)} but {s.names[1]} is {fmt_shape(b)}"
                         + (" (transposed)" if s["transpose"] else ""))
    return (*lead, rows, cols)


def _broadcast(a: tuple, b: tuple) -> tuple | None:
    """Leading axes of two operands of one rank, equal or 1 (the implicit batch axis comes first in
    both, so ranks must agree for torch.matmul to align them)."""
    if len(a) != len(b) or any(x != y and 1 not in (x, y) for x, y in zip(a, b)):
        return None
    return tuple(max(x, y) for x, y in zip(a, b))


def _matmul_onnx(g, s: Site):
    a, b = s.names
    if s["transpose"]:
        rank = len(s.ins[1]) + 1  # with the batch axis
        b = g.op("Transpose", [b], perm=[*range(rank - 2), rank - 1, rank - 2])
    g.op("MatMul", [a, b], g.out)


MATMUL = Op(
    "matmul", "matrix product of two tensors over their last two axes, the leading ones broadcast:"
              " a -> matmul(b, transpose=false) is a·b (a·bᵀ with transpose)",
    params=(Param("transpose", "bool", False),), inputs=2, shape=_matmul_shape,
    macs=lambda s: numel(s.out) * s.x[-1], describe=lambda s: "·ᵀ" if s["transpose"] else "",
    torch_call=lambda s: f"{s.names[0]}.matmul({s.names[1]}" + (".transpose(-2, -1))" if s["transpose"] else ")"),
    onnx=_matmul_onnx,
)


def _normalize_shape(s: Site):
    axis_index("normalize", s, s["axis"][0])
    return s.x


def _normalize_onnx(g, s: Site):
    axis = axis_index("normalize", s, s["axis"][0]) + 1
    if g.opset >= 18:
        norm = g.op("ReduceL2", [s.names[0], g.const([axis], "int64")], keepdims=1)
    else:
        norm = g.op("ReduceL2", [s.names[0]], axes=[axis], keepdims=1)
    g.op("Div", [s.names[0], g.op("Max", [norm, g.const(s["eps"], "float32")])], g.out)


NORMALIZE = Op(
    "normalize", "divides by the L2 norm along one axis, as F.normalize: normalize(axis=-1, eps=1e-12) (cosine"
                 " attention)",
    params=(Param("axis", "axes", -1), Param("eps", "float", 1e-12, above=0)),
    resolve=lambda a: {**a, "axis": a["axis"] if isinstance(a["axis"], tuple) else (a["axis"],)},
    shape=_normalize_shape,
    flops=lambda s: 3 * numel(s.out), describe=lambda s: s.x_axes[axis_index("normalize", s, s["axis"][0])],
    torch_call=lambda s: f"F.normalize({s.names[0]}, dim={axis_index('normalize', s, s['axis'][0]) + 1}"
                         + (f", eps={s['eps']!r})" if s["eps"] != 1e-12 else ")"),
    onnx=_normalize_onnx,
)


def _exp_scale_shape(s: Site):
    x, t = s.ins
    if len(t) > len(x) or any(b not in (1, a) for a, b in zip(x[::-1], t[::-1])):
        raise ShapeError(f"exp_scale: the scale {fmt_shape(t)} does not broadcast over {fmt_shape(x)} from the right")
    return x


EXP_SCALE = Op(
    "exp_scale", "multiplies by exp(min(t, log(most))), t broadcast from the right (Swin V2's learned logit"
                 " scale): scores -> exp_scale(logit_scale, most=100)",
    params=(Param("most", "float", 100.0, above=0),), inputs=2, shape=_exp_scale_shape,
    flops=lambda s: numel(s.out) + 2 * numel(s.ins[1]),
    torch_call=lambda s: f"{s.names[0]} * torch.clamp({s.names[1]}, max={math.log(s['most'])!r}).exp()",
    onnx=lambda g, s: g.op("Mul", [s.names[0], g.op("Exp", [g.op("Min", [
        s.names[1], g.const(math.log(s["most"]), "float32")])])], g.out),
)


def _qkv_shape(s: Site):
    if channels_first(s.x_axes):
        raise ShapeError(f"packed_qkv projects the last axis of tokens or a channels-last map, but its input is"
                         f" {fmt_shape(s.x)} ({', '.join(s.x_axes)})")
    return (*s.x[:-1], 3 * s.x[-1])


def _qkv_weights(s: Site):
    d = s.x[-1]
    return {"weight": (3 * d, d), "bias": (3 * d,)} if s["bias"] else {"weight": (3 * d, d)}


def _qkv_apply(s: Site, module: str) -> str:
    """Swin V2 zeroes K's third of the bias in the forward (torchvision's shifted_window_attention)."""
    if not (s["bias"] and not s["k_bias"]):
        return f"{module}({s.names[0]})"
    d = s.x[-1]
    bias = f"torch.cat([{module}.bias[:{d}], torch.zeros_like({module}.bias[{d}:{2 * d}]), {module}.bias[{2 * d}:]])"
    return f"F.linear({s.names[0]}, {module}.weight, {bias})"


def _qkv_onnx(g, s: Site):
    d = s.x[-1]
    product = g.op("MatMul", [s.names[0], g.op("Transpose", [g.weight("weight")], perm=[1, 0])],
                   None if s["bias"] else g.out)
    if s["bias"]:
        bias = g.weight("bias")
        if not s["k_bias"]:
            bias = g.op("Mul", [bias, g.const([1.0] * d + [0.0] * d + [1.0] * d, "float32")])
        g.op("Add", [product, bias], g.out)


PACKED_QKV = Op(
    "packed_qkv", "the packed Q, K, V projection of the last axis, D → 3·D as nn.Linear; k_bias=false leaves K's"
                  " bias out of the forward (Swin V2): packed_qkv(bias=true, k_bias=true)",
    params=(Param("bias", "bool", True), Param("k_bias", "bool", True)),
    shape=_qkv_shape,
    weights=_qkv_weights, macs=lambda s: numel(s.out) * s.x[-1],
    torch_module=lambda s: Ctor("nn.Linear", (("in", s.x[-1]), ("out", 3 * s.x[-1])), (("bias", s["bias"], True),)),
    torch_apply=_qkv_apply, onnx=_qkv_onnx,
)
