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


def _broadcast(op: str, a: tuple, b: tuple) -> tuple | None:
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
        joined = _broadcast("mul", out, shape)
        if joined is None:
            raise ShapeError(f"mul: {name} is {fmt_shape(shape)} but {names[0]} is {fmt_shape(ins[0])}"
                             " (mul broadcasts only sizes of 1, as in a C×1×1 gate)")
        out = joined
    return out


def _join_work(ins, out, a):
    return (len(ins) - 1) * numel(out)


CONCAT = Op("concat", "joins inputs along channels; heights and widths must agree",
            inputs=None, shape=_concat_shape)
ADD = Op("add", "element-wise sum of inputs of one shape", inputs=None, shape=_add_shape, flops=_join_work)
MUL = Op("mul", "element-wise product; a C×1×1 input broadcasts over H×W (gates)",
         inputs=None, shape=_mul_shape, flops=_join_work)


def _slice_shape(ins, a, names):
    c = ins[0][0]
    start, end = a["start"], a["end"]
    if not 0 <= start < end <= c:
        raise ShapeError(f"slice({start}, {end}) is outside the input's {c} channels")
    return (end - start, *ins[0][1:])


SLICE = Op("slice", "channels start ≤ c < end: slice(start, end)",
           params=(Param("start", "int", minimum=0), Param("end", "int", minimum=0)),
           shape=_slice_shape, describe=lambda a: f"{a['start']}:{a['end']}")


def _shuffle_shape(ins, a, names):
    need_image("shuffle", ins[0])
    if ins[0][0] % a["groups"]:
        raise ShapeError(f"shuffle: {ins[0][0]} channels are not divisible by groups={a['groups']}")
    return ins[0]


SHUFFLE = Op("shuffle", "channel shuffle between groups (ShuffleNet): shuffle(groups)",
             params=(Param("groups", "int", minimum=1),), shape=_shuffle_shape,
             describe=lambda a: f"g={a['groups']}")


def _flatten_shape(ins, a, names):
    return (numel(ins[0]),)


FLATTEN = Op("flatten", "C×H×W → a vector of C·H·W", shape=_flatten_shape)
IDENTITY = Op("identity", "passes its input through; adds no node to the graph")

INPUT = Op("input", "a network input, declared with `input name: [C, H, W]`", inputs=0,
           describe=lambda a: "×".join(map(str, a["shape"])))
