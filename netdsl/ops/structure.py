"""Ops that route tensors: joins (concat, add, mul), slicing, shuffling, flattening."""

from __future__ import annotations

from netdsl.ops.base import Op, Param, ShapeError, fmt_shape, fmt_spatial, need_image, numel


def _concat_shape(ins, a, names):
    first = ins[0]
    for shape, name in zip(ins[1:], names[1:]):
        if len(shape) != len(first):
            raise ShapeError(f"concat: {name} is {fmt_shape(shape)} but {names[0]} is {fmt_shape(first)}")
        if shape[1:] != first[1:]:
            raise ShapeError(f"concat: {name} is {fmt_spatial(shape)} but {names[0]} is {fmt_spatial(first)}")
    return (sum(s[0] for s in ins), *first[1:])


def _broadcast(a: tuple, b: tuple) -> tuple | None:
    if len(a) != len(b):
        return None
    out = []
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            return None
        out.append(max(x, y))
    return tuple(out)


def _add_shape(ins, a, names):
    for shape, name in zip(ins[1:], names[1:]):
        if shape != ins[0]:
            raise ShapeError(f"add: {name} is {fmt_shape(shape)} but {names[0]} is {fmt_shape(ins[0])}")
    return ins[0]


def _mul_shape(ins, a, names):
    out = ins[0]
    for shape, name in zip(ins[1:], names[1:]):
        joined = _broadcast(out, shape)
        if joined is None:
            raise ShapeError(f"mul: {name} is {fmt_shape(shape)} but {names[0]} is {fmt_shape(ins[0])}"
                             " (mul broadcasts only sizes of 1, as in a C×1×1 gate)")
        out = joined
    return out


def _join_work(ins, out, a):
    return (len(ins) - 1) * numel(out)


def _chain_onnx(op_type: str):
    """A binary ONNX op folded over two or more inputs."""
    def lower(g, xs, a, ins, out):
        acc = xs[0]
        for i, x in enumerate(xs[1:], 2):
            acc = g.op(op_type, [acc, x], g.out if i == len(xs) else None)
    return lower


CONCAT = Op("concat", "joins inputs along channels; heights and widths must agree",
            inputs=None, shape=_concat_shape, torch_call=lambda xs, a: f"torch.cat([{', '.join(xs)}], 1)",
            onnx=lambda g, xs, a, ins, out: g.op("Concat", xs, g.out, axis=1))
ADD = Op("add", "element-wise sum of inputs of one shape", inputs=None, shape=_add_shape, flops=_join_work,
         torch_call=lambda xs, a: " + ".join(xs), onnx=_chain_onnx("Add"))
MUL = Op("mul", "element-wise product; a C×1×1 input broadcasts over H×W (gates)",
         inputs=None, shape=_mul_shape, flops=_join_work,
         torch_call=lambda xs, a: " * ".join(xs), onnx=_chain_onnx("Mul"))


def _slice_shape(ins, a, names):
    c = ins[0][0]
    start, end = a["start"], a["end"]
    if not 0 <= start < end <= c:
        raise ShapeError(f"slice({start}, {end}) is outside the input's {c} channels")
    return (end - start, *ins[0][1:])


SLICE = Op("slice", "channels start ≤ c < end: slice(start, end)",
           params=(Param("start", "int", minimum=0), Param("end", "int", minimum=0)),
           shape=_slice_shape, describe=lambda a: f"{a['start']}:{a['end']}",
           torch_call=lambda xs, a: f"{xs[0]}[:, {a['start']}:{a['end']}]",
           onnx=lambda g, xs, a, ins, out: g.op(
               "Slice", [xs[0], g.const([a["start"]], "int64"), g.const([a["end"]], "int64"),
                         g.const([1], "int64")], g.out))


def _shuffle_shape(ins, a, names):
    need_image("shuffle", ins[0])
    if ins[0][0] % a["groups"]:
        raise ShapeError(f"shuffle: {ins[0][0]} channels are not divisible by groups={a['groups']}")
    return ins[0]


def _shuffle_onnx(g, xs, a, ins, out):
    c, h, w = ins[0]
    split = g.op("Reshape", [xs[0], g.const([0, a["groups"], c // a["groups"], h, w], "int64")])
    swapped = g.op("Transpose", [split], perm=[0, 2, 1, 3, 4])
    g.op("Reshape", [swapped, g.const([0, c, h, w], "int64")], g.out)


SHUFFLE = Op("shuffle", "channel shuffle between groups (ShuffleNet): shuffle(groups)",
             params=(Param("groups", "int", minimum=1),), shape=_shuffle_shape,
             describe=lambda a: f"g={a['groups']}",
             torch_call=lambda xs, a: f"{xs[0]}.unflatten(1, ({a['groups']}, -1)).transpose(1, 2).flatten(1, 2)",
             onnx=_shuffle_onnx)


def _flatten_shape(ins, a, names):
    return (numel(ins[0]),)


FLATTEN = Op("flatten", "C×H×W → a vector of C·H·W", shape=_flatten_shape,
             torch_call=lambda xs, a: f"torch.flatten({xs[0]}, 1)",
             onnx=lambda g, xs, a, ins, out: g.op("Flatten", xs, g.out, axis=1))
IDENTITY = Op("identity", "passes its input through; adds no node to the graph",
              torch_call=lambda xs, a: xs[0], onnx=lambda g, xs, a, ins, out: g.op("Identity", xs, g.out))

INPUT = Op("input", "a network input, declared with `input name: [C, H, W]`", inputs=0,
           describe=lambda a: "×".join(map(str, a["shape"])))
