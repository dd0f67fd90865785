"""ONNX nodes as steps of the language: one handler per ONNX op type.

An ONNX graph spells some of netdsl's ops as several nodes (SiLU as Sigmoid and
Mul, exact GELU as five nodes, a token linear as MatMul, Transpose and Add,
channel shuffle as Reshape, Transpose, Reshape); a handler emits a partial step
for a pattern's first nodes (`PARTS`) and the last node folds them into one.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any, Callable

from netdsl.diagnostics import Diagnostic
from netdsl.frontends.steps import Step, is_path

# Pieces of multi-node patterns (GELU, a token linear), folded when the pattern completes.
PARTS = {"transpose_const", "gelu_scaled", "gelu_erf", "erf_plus_one", "gelu_half", "layer_norm_last",
          "split_groups", "swapped_groups", "shape_of", "batch_of", "sizes_of", "flat_map"}


def _attrs(node: Any) -> dict[str, Any]:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _text(value: Any) -> Any:
    return value.decode() if isinstance(value, bytes) else value


def _squeeze(values: list[int]) -> int | list[int]:
    return values[0] if len(set(values)) == 1 else list(values)


class Reader:
    """Walks the nodes in order, turning each into a step, an alias or a constant."""

    def __init__(self, path: str | Path, consts: dict[str, Any]):
        self.path = path
        self.consts = consts
        self.steps: list[Step] = []
        self.made: dict[str, Step] = {}  # output tensor → the step that makes it
        self.alias: dict[str, str] = {}  # Identity/Dropout outputs → their input
        self.missing: list[Diagnostic] = []
        self.uses: Counter[str] = Counter()  # how many nodes (and graph outputs) read each tensor
        self.readers: dict[str, Any] = {}  # a node that reads each tensor (the only one where uses is 1)

    def resolve(self, name: str) -> str:
        while name in self.alias:
            name = self.alias[name]
        return name

    def read(self, node: Any) -> None:
        handler = _HANDLERS.get(node.op_type)
        if node.op_type == "Constant":
            self.consts[node.output[0]] = _constant(node)
            return
        ins = [self.resolve(i) for i in node.input]
        if handler is None or handler(self, node, ins, _attrs(node)) is False:
            acts = [i for i in ins if i and i not in self.consts]
            self.missing.append(Diagnostic(
                f"{self.path}: node `{node.name or node.output[0]}` ({node.op_type}) reading"
                f" {', '.join(acts) or 'constants only'} has no equivalent in netdsl", None))

    def emit(self, node: Any, op: str, args: dict[str, Any], inputs: list[str],
             weights: dict[str, str] | None = None) -> Step:
        named = {suffix: name for suffix, name in (weights or {}).items() if name}
        step = Step(node.name or node.output[0], op, args, inputs, node.output[0],
                    {suffix: self.consts[name] for suffix, name in named.items()}, _module(named))
        self.steps.append(step)
        self.made[step.output] = step
        return step

    def const(self, name: str) -> Any | None:
        return self.consts.get(name)

    def producer(self, name: str, op: str) -> Step | None:
        """The step of kind `op` that makes `name`, if nothing else reads `name` (so it can fold)."""
        step = self.made.get(name)
        return step if step is not None and step.op == op and self.uses[name] == 1 else None

    def drop(self, step: Step) -> None:
        """Forget a step that a later node folded into itself."""
        self.steps.remove(step)
        del self.made[step.output]

    def live(self, outputs: list[str]) -> set[str]:
        """Tensors that some output depends on: folded leftovers are not."""
        needed, stack = set(), list(outputs)
        while stack:
            name = stack.pop()
            if name in needed or name not in self.made:
                continue
            needed.add(name)
            stack += self.made[name].inputs
        return needed


def _constant(node: Any) -> Any:
    import onnx

    return onnx.numpy_helper.to_array(_attrs(node)["value"])


def _module(weights: dict[str, str]) -> str | None:
    """`layer1.0.conv1` from `layer1.0.conv1.weight`, if every weight agrees on it."""
    paths = {name.rsplit(".", 1)[0] for suffix, name in weights.items() if name.endswith("." + suffix)}
    return paths.pop() if len(paths) == 1 and all(is_path(p) for p in paths) else None


# ---- node handlers: each returns False where the node's form has no equivalent ----------

Handler = Callable[[Reader, Any, list[str], dict[str, Any]], Any]
_HANDLERS: dict[str, Handler] = {}


def handles(*op_types: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for op_type in op_types:
            _HANDLERS[op_type] = fn
        return fn
    return register


def _pads(attrs: dict[str, Any], spatial: int) -> list[int] | None:
    pads = list(attrs.get("pads", [0] * 2 * spatial))
    begin, end = pads[:spatial], pads[spatial:]
    return begin if begin == end and attrs.get("auto_pad", b"NOTSET") in (b"NOTSET", "NOTSET") else None


@handles("Conv")
def _conv(r: Reader, node: Any, ins: list[str], a: dict[str, Any]) -> Any:
    weight = r.const(ins[1])
    if weight is None:
        return False
    spatial = weight.ndim - 2
    pads = _pads(a, spatial)
    if pads is None:
        return False
    args = {"out": weight.shape[0], "kernel": _squeeze(list(weight.shape[2:])),
            "stride": _squeeze(list(a.get("strides", [1] * spatial))), "pad": _squeeze(pads),
            "dilation": _squeeze(list(a.get("dilations", [1] * spatial))), "groups": a.get("group", 1),
            "bias": len(ins) > 2 and bool(ins[2])}
    r.emit(node, "conv", args, [ins[0]], {"weight": ins[1], "bias": ins[2] if args["bias"] else ""})


@handles("BatchNormalization")
def _bn(r: Reader, node: Any, ins: list[str], a: dict[str, Any]) -> Any:
    if any(r.const(i) is None for i in ins[1:5]):
        return False
    import numpy as np

    step = r.emit(node, "bn", {"eps": float(a.get("epsilon", 1e-5))}, [ins[0]],
                  dict(zip(("weight", "bias", "running_mean", "running_var"), ins[1:5])))
    step.weights["num_batches_tracked"] = np.zeros((), np.int64)  # PyTorch's counter; ONNX has none


@handles("Gemm")
def _gemm(r: Reader, node: Any, ins: list[str], a: dict[str, Any]) -> Any:
    weight = r.const(ins[1])
    if weight is None or not a.get("transB") or a.get("transA") or a.get("alpha", 1.0) != 1.0:
        return False
    bias = len(ins) > 2 and bool(ins[2]) and r.const(ins[2]) is not None
    r.emit(node, "linear", {"out": weight.shape[0], "bias": bias}, [ins[0]],
           {"weight": ins[1], "bias": ins[2] if bias else ""})


@handles("MatMul")
def _matmul(r: Reader, node: Any, ins: list[str], a: dict[str, Any]) -> Any:
    """x · Wᵀ as netdsl writes a token linear (a Transpose of the weight), or x · W with W stored transposed."""
    transposed = r.producer(ins[1], "transpose_const")
    if transposed is not None:
        r.drop(transposed)
        r.emit(node, "linear", {"out": transposed.weights["weight"].shape[0], "bias": False}, [ins[0]],
               {"weight": transposed.args["source"]})
        return None
    weight = r.const(ins[1])
    if weight is None or weight.ndim != 2:
        return False
    r.consts[ins[1] + ".T"] = weight.T.copy()
    r.emit(node, "linear", {"out": weight.shape[1], "bias": False}, [ins[0]], {"weight": ins[1] + ".T"})


@handles("Transpose")
def _transpose(r: Reader, node: Any, ins: list[str], a: dict[str, Any]) -> Any:
    weight = r.const(ins[0])
    if weight is not None and weight.ndim == 2:
        step = r.emit(node, "transpose_const", {"source": ins[0]}, [], {"weight": ins[0]})
        step.weights = {"weight": weight}
        return None
    perm = list(a.get("perm", []))
    if not perm or perm[0] != 0:
        return False
    split = r.producer(ins[0], "split_groups")
    if split is not None and perm == [0, 2, 1, *range(3, len(perm))]:
        r.drop(split)
        r.emit(node, "swapped_groups", split.args, split.inputs)
        return None
    flat = r.producer(ins[0], "flat_map")
    if flat is not None and perm == [0, 2, 1]:  # C×(H·W) → (H·W)×C: a map's positions as tokens
        r.drop(flat)
        r.emit(node, "tokens", {}, flat.inputs)
        return None
    normed = r.producer(ins[0], "layer_norm_last")
    if normed is not None and perm == [0, len(perm) - 1, *range(1, len(perm) - 1)]:
        r.drop(normed)  # channels moved last, normalised, moved back: ConvNeXt's LayerNorm2d
        normed.op, normed.output = "layer_norm", node.output[0]
        r.steps.append(normed)
        r.made[normed.output] = normed
        return None
    r.emit(node, "permute", {"order": [p - 1 for p in perm[1:]]}, [ins[0]])


@handles("Reshape")
def _reshape(r: Reader, node: Any, ins: list[str], a: dict[str, Any]) -> Any:
    """Channel shuffle (Reshape, Transpose, Reshape), flatten, or a reshape to fixed sizes."""
    target = r.const(ins[1])
    if target is not None and target.ndim == 1 and list(target[::2]) == [0, -1] and len(target) == 3 \
            and r.uses[node.output[0]] == 1 and r.readers[node.output[0]].op_type == "Transpose":
        r.emit(node, "flat_map", {}, [ins[0]])  # the spatial axes flattened, before `tokens`' transpose
        return None
    if target is None or target.ndim != 1 or len(target) < 2 or target[0] not in (0, -1) or min(target[1:]) < 1:
        return False
    sizes = [int(v) for v in target[1:]]
    resized = r.producer(ins[0], "upsample")
    if resized is not None and _squeeze(sizes[1:]) == resized.args["size"]:  # netdsl's note of the sizes
        r.alias[node.output[0]] = ins[0]
        return None
    swapped = r.producer(ins[0], "swapped_groups")
    if swapped is not None:
        r.drop(swapped)
        r.emit(node, "shuffle", swapped.args, swapped.inputs)
        return None
    if target[0] == 0 and len(sizes) >= 3 and r.uses[node.output[0]] == 1 \
            and r.readers[node.output[0]].op_type == "Transpose":
        r.emit(node, "split_groups", {"groups": sizes[0]}, [ins[0]])
        return None
    if len(sizes) == 1:
        r.emit(node, "flatten", {}, [ins[0]])
        return None
    r.emit(node, "reshape", {"shape": sizes}, [ins[0]])


@handles("Shape")
def _shape(r: Reader, node: Any, ins: list[str], a: dict[str, Any]) -> Any:
    r.emit(node, "shape_of", {}, [ins[0]])


@handles("Slice")
def _slice(r: Reader, node: Any, ins: list[str], a: dict[str, Any]) -> Any:
    shape = r.producer(ins[0], "shape_of")
    if shape is not None:  # the batch size, for a Resize to sizes computed at run time
        r.drop(shape)
        r.emit(node, "batch_of", {}, [])
        return None
    starts, ends, axes = (r.const(i) if len(ins) > k else None for k, i in zip((1, 2, 3), (ins + ["", "", ""])[1:4]))
    steps = r.const(ins[4]) if len(ins) > 4 and ins[4] else None
    if starts is None or ends is None or axes is None or list(axes) != [1] or (steps is not None and list(steps) != [1]):
        return False
    r.emit(node, "slice", {"start": int(starts[0]), "end": int(ends[0])}, [ins[0]])


@handles("Resize")
def _resize(r: Reader, node: Any, ins: list[str], a: dict[str, Any]) -> Any:
    """PyTorch's interpolate as netdsl and PyTorch export it: to fixed sizes, the batch
    taken from the input at run time before opset 18 (`sizes_of`), or for `axes`."""
    computed = r.producer(ins[3], "sizes_of") if len(ins) > 3 else None
    fixed = r.const(ins[3]) if len(ins) > 3 and computed is None else None
    mode = _text(a.get("mode", "nearest"))
    if (computed is None and fixed is None) or mode not in ("nearest", "linear", "cubic"):
        return False
    if computed is not None:
        r.drop(computed)
        spatial = computed.args["sizes"][1:]  # after the channels
    else:
        spatial = [int(v) for v in fixed][2 - (len(fixed) - len(a.get("axes", fixed))):]
    linear = ("linear", "bilinear", "trilinear")[len(spatial) - 1]
    args = {"size": _squeeze(spatial), "mode": {"nearest": "nearest", "cubic": "bicubic"}.get(mode, linear),
            "align_corners": _text(a.get("coordinate_transformation_mode", "")) == "align_corners"}
    r.emit(node, "upsample", args, [ins[0]])


@handles("LayerNormalization")
def _layer_norm(r: Reader, node: Any, ins: list[str], a: dict[str, Any]) -> Any:
    if a.get("axis", -1) != -1 or any(r.const(i) is None for i in ins[1:3] if i):
        return False
    weights = {"weight": ins[1], "bias": ins[2] if len(ins) > 2 else ""}
    args = {"eps": float(a.get("epsilon", 1e-5)), "affine": True}
    moved = r.producer(ins[0], "permute")
    back = r.readers.get(node.output[0]) if r.uses[node.output[0]] == 1 else None
    if moved is not None and moved.args["order"] == [*range(1, len(moved.args["order"])), 0] \
            and back is not None and back.op_type == "Transpose":
        r.drop(moved)
        r.emit(node, "layer_norm_last", args, moved.inputs, weights)
        return None
    r.emit(node, "layer_norm", args, [ins[0]], weights)


@handles("Add")
def _add(r: Reader, node: Any, ins: list[str], a: dict[str, Any]) -> Any:
    if _erf_plus_one(r, node, ins):
        return None
    linear = r.producer(ins[0], "linear")
    bias = r.const(ins[1])
    if linear is not None and bias is not None and not linear.args["bias"] and bias.ndim == 1:
        linear.args["bias"] = True
        linear.weights["bias"] = bias
        linear.module = linear.module or _module({"bias": ins[1]})
        r.alias[node.output[0]] = linear.output
        return None
    return _join(r, node, ins, "add")


def _with_param(r: Reader, node: Any, ins: list[str], op: str) -> Any:
    """`mul(layer_scale: param([c, 1, 1]), x)`: a learnable tensor is a step of its own."""
    names = []
    for name in ins:
        value = r.const(name)
        if value is None:
            names.append(name)
            continue
        batch = value.ndim > 1 and value.shape[0] == 1
        step = Step(name, "param", {"shape": list(value.shape[1:] if batch else value.shape), "batch": batch},
                    [], name, {"": value}, name if is_path(name) else None)
        r.steps.append(step)
        r.made[name] = step
        names.append(name)
    r.emit(node, op, {}, names)


def _join(r: Reader, node: Any, ins: list[str], op: str) -> Any:
    if any(r.const(i) is not None for i in ins):
        return False
    parts = []
    for name in ins:  # a chain of binary Adds (netdsl's n-ary add) reads back as one add; Concat is n-ary
        inner = r.producer(name, op) if op != "concat" else None
        if inner is not None:
            r.drop(inner)
            parts += inner.inputs
        else:
            parts.append(name)
    r.emit(node, op, {}, parts)


@handles("Mul")
def _mul(r: Reader, node: Any, ins: list[str], a: dict[str, Any]) -> Any:
    for x, other in (ins, ins[::-1]):
        sigmoid = r.producer(other, "sigmoid")
        if sigmoid is not None and sigmoid.inputs == [x]:
            r.drop(sigmoid)
            r.emit(node, "silu", {}, [x])
            return None
    factor = r.const(ins[1])
    if factor is not None and factor.size == 1:
        half = r.producer(ins[0], "gelu_half")
        if half is not None and math.isclose(float(factor), 0.5):
            r.drop(half)
            r.emit(node, "gelu", {}, half.inputs)
            return None
        r.emit(node, "scale", {"factor": float(factor)}, [ins[0]])
        return None
    if any(r.const(i) is not None and r.const(i).size > 1 for i in ins):
        return _with_param(r, node, ins, "mul")
    erf_plus_one = r.producer(ins[1], "erf_plus_one")
    if erf_plus_one is not None and erf_plus_one.inputs == [ins[0]]:
        r.drop(erf_plus_one)
        r.emit(node, "gelu_half", {}, [ins[0]])
        return None
    return _join(r, node, ins, "mul")


@handles("Div")
def _div(r: Reader, node: Any, ins: list[str], a: dict[str, Any]) -> Any:
    divisor = r.const(ins[1])
    if divisor is None or divisor.size != 1 or not math.isclose(float(divisor), math.sqrt(2.0), rel_tol=1e-6):
        return False
    r.emit(node, "gelu_scaled", {}, [ins[0]])


@handles("Erf")
def _erf(r: Reader, node: Any, ins: list[str], a: dict[str, Any]) -> Any:
    scaled = r.producer(ins[0], "gelu_scaled")
    if scaled is None:
        return False
    r.drop(scaled)
    r.emit(node, "gelu_erf", {}, scaled.inputs)


def _erf_plus_one(r: Reader, node: Any, ins: list[str]) -> bool:
    erf = r.producer(ins[0], "gelu_erf")
    one = r.const(ins[1])
    if erf is None or one is None or one.size != 1 or float(one) != 1.0:
        return False
    r.drop(erf)
    r.emit(node, "erf_plus_one", {}, erf.inputs)
    return True


@handles("Concat")
def _concat(r: Reader, node: Any, ins: list[str], a: dict[str, Any]) -> Any:
    batch = r.producer(ins[0], "batch_of")
    if batch is not None and len(ins) == 2 and r.const(ins[1]) is not None:
        r.drop(batch)
        r.emit(node, "sizes_of", {"sizes": [int(v) for v in r.const(ins[1])]}, [])
        return None
    if a.get("axis") != 1:
        return False
    return _join(r, node, ins, "concat")


@handles("Relu", "Sigmoid", "Tanh", "HardSwish")
def _activation(r: Reader, node: Any, ins: list[str], a: dict[str, Any]) -> Any:
    r.emit(node, node.op_type.lower(), {}, [ins[0]])


@handles("HardSigmoid")
def _hardsigmoid(r: Reader, node: Any, ins: list[str], a: dict[str, Any]) -> Any:
    if not (math.isclose(a.get("alpha", 0.2), 1 / 6, rel_tol=1e-5) and math.isclose(a.get("beta", 0.5), 0.5)):
        return False
    r.emit(node, "hardsigmoid", {}, [ins[0]])


@handles("LeakyRelu")
def _leaky_relu(r: Reader, node: Any, ins: list[str], a: dict[str, Any]) -> Any:
    r.emit(node, "leaky_relu", {"slope": float(a.get("alpha", 0.01))}, [ins[0]])


@handles("Elu")
def _elu(r: Reader, node: Any, ins: list[str], a: dict[str, Any]) -> Any:
    r.emit(node, "elu", {"alpha": float(a.get("alpha", 1.0))}, [ins[0]])


@handles("Gelu")
def _gelu(r: Reader, node: Any, ins: list[str], a: dict[str, Any]) -> Any:
    r.emit(node, "gelu", {"approximate": _text(a.get("approximate", "none"))}, [ins[0]])


@handles("Clip")
def _clip(r: Reader, node: Any, ins: list[str], a: dict[str, Any]) -> Any:
    low, high = _clip_bound(r, ins, 1), _clip_bound(r, ins, 2)
    if low is None or high is None or float(low) != 0.0 or float(high) != 6.0:
        return False
    r.emit(node, "relu6", {}, [ins[0]])


def _clip_bound(r: Reader, ins: list[str], k: int) -> Any:
    return r.const(ins[k]) if len(ins) > k and ins[k] else None


@handles("Softmax")
def _softmax(r: Reader, node: Any, ins: list[str], a: dict[str, Any]) -> Any:
    axis = a.get("axis", -1)
    r.emit(node, "softmax", {"axis": axis - 1 if axis > 0 else axis}, [ins[0]])


@handles("Identity", "Dropout")
def _identity(r: Reader, node: Any, ins: list[str], a: dict[str, Any]) -> Any:
    if r.const(ins[0]) is not None:  # PyTorch shares equal initializers and names each copy by its key
        r.consts[node.output[0]] = r.consts[ins[0]]
        return None
    r.alias[node.output[0]] = ins[0]


@handles("MaxPool", "AveragePool")
def _pool(r: Reader, node: Any, ins: list[str], a: dict[str, Any]) -> Any:
    kernel = list(a["kernel_shape"])
    pads = _pads(a, len(kernel))
    if pads is None:
        return False
    args: dict[str, Any] = {"kernel": _squeeze(kernel), "stride": _squeeze(list(a.get("strides", kernel))),
                            "pad": _squeeze(pads), "ceil": bool(a.get("ceil_mode", 0))}
    if node.op_type == "AveragePool":
        args["count_pad"] = bool(a.get("count_include_pad", 0))
    elif a.get("dilations") and set(a["dilations"]) != {1}:
        args["dilation"] = _squeeze(list(a["dilations"]))
    r.emit(node, "maxpool" if node.op_type == "MaxPool" else "avgpool", args, [ins[0]])


_PAD_SIDES = ("left", "right", "top", "bottom", "front", "back")  # netdsl's pad: the last axis first
_PAD_MODES = {"constant": "zeros", "reflect": "reflect", "edge": "replicate"}


@handles("Pad")
def _pad(r: Reader, node: Any, ins: list[str], a: dict[str, Any]) -> Any:
    """Padding of the spatial axes only, by zeros (a constant of 0), reflection or the edge."""
    pads = r.const(ins[1]) if len(ins) > 1 and ins[1] else a.get("pads")
    value = r.const(ins[2]) if len(ins) > 2 and ins[2] else 0
    mode = _PAD_MODES.get(_text(a.get("mode", "constant")))
    if pads is None or value is None or float(value) != 0 or mode is None or (len(ins) > 3 and ins[3]):
        return False
    pads = [int(p) for p in pads]
    rank = len(pads) // 2
    begin, end, spatial = pads[:rank], pads[rank:], rank - 2
    if not 1 <= spatial <= 3 or begin[:2] != [0, 0] or end[:2] != [0, 0]:
        return False
    amounts = {}
    for j in range(spatial):  # spatial axis j is netdsl's pair k, counted from the last axis
        k = spatial - 1 - j
        amounts[_PAD_SIDES[2 * k]], amounts[_PAD_SIDES[2 * k + 1]] = begin[2 + j], end[2 + j]
    args: dict[str, Any] = {side: amounts[side] for side in _PAD_SIDES if amounts.get(side)}
    r.emit(node, "pad", args | ({"mode": mode} if mode != "zeros" else {}), [ins[0]])


@handles("GlobalAveragePool", "GlobalMaxPool")
def _global_pool(r: Reader, node: Any, ins: list[str], a: dict[str, Any]) -> Any:
    r.emit(node, "global_avgpool" if node.op_type == "GlobalAveragePool" else "global_maxpool", {}, [ins[0]])


@handles("Flatten")
def _flatten(r: Reader, node: Any, ins: list[str], a: dict[str, Any]) -> Any:
    if a.get("axis", 1) != 1:
        return False
    r.emit(node, "flatten", {}, [ins[0]])


@handles("LRN")
def _lrn(r: Reader, node: Any, ins: list[str], a: dict[str, Any]) -> Any:
    r.emit(node, "lrn", {"size": a["size"], "alpha": float(a.get("alpha", 1e-4)),
                         "beta": float(a.get("beta", 0.75)), "k": float(a.get("bias", 1.0))}, [ins[0]])
