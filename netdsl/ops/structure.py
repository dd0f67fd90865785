"""Ops that route tensors: joins (concat, add, mul), slicing, shuffling, flattening."""

from __future__ import annotations

from netdsl.ops.base import Op, Param, ShapeError, Site, axis_index, fmt_shape, fmt_spatial, need_spatial, numel


def _concat_axis(s: Site) -> int:
    """The axis given (`concat(a, b, axis="c")` on channels-last maps), else the first."""
    return axis_index("concat", s, s["axis"][0]) if s.args.get("axis") else 0


def _concat_shape(s: Site):
    first, k = s.x, _concat_axis(s)
    for shape, name in zip(s.ins[1:], s.names[1:]):
        if len(shape) != len(first):
            raise ShapeError(f"concat: {name} is {fmt_shape(shape)} but {s.names[0]} is {fmt_shape(first)}")
        if k == 0 and shape[1:] != first[1:]:
            raise ShapeError(f"concat: {name} is {fmt_spatial(shape)} but {s.names[0]} is {fmt_spatial(first)}")
        if shape[:k] + shape[k + 1:] != first[:k] + first[k + 1:]:
            raise ShapeError(f"concat: {name} is {fmt_shape(shape)} but {s.names[0]} is {fmt_shape(first)}"
                             f" (all axes but {s.x_axes[k]} must agree)")
    return (*first[:k], sum(shape[k] for shape in s.ins), *first[k + 1:])


def _broadcast(a: tuple, b: tuple) -> tuple | None:
    if len(a) != len(b):
        return None
    out = []
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            return None
        out.append(max(x, y))
    return tuple(out)


def _add_shape(s: Site):
    for shape, name in zip(s.ins[1:], s.names[1:]):
        if shape != s.x:
            raise ShapeError(f"add: {name} is {fmt_shape(shape)} but {s.names[0]} is {fmt_shape(s.x)}")
    return s.x


def _mul_shape(s: Site):
    out = s.x
    for shape, name in zip(s.ins[1:], s.names[1:]):
        joined = _broadcast(out, shape)
        if joined is None:
            raise ShapeError(f"mul: {name} is {fmt_shape(shape)} but {s.names[0]} is {fmt_shape(s.x)}"
                             " (mul broadcasts only sizes of 1, as in a C×1×1 gate)")
        out = joined
    return out


def _join_work(s: Site):
    return (len(s.ins) - 1) * numel(s.out)


def _chain_onnx(op_type: str):
    """A binary ONNX op folded over the inputs; one input passes through."""
    def lower(g, s: Site):
        if len(s.names) == 1:
            g.op("Identity", list(s.names), g.out)
            return
        acc = s.names[0]
        for i, x in enumerate(s.names[1:], 2):
            acc = g.op(op_type, [acc, x], g.out if i == len(s.names) else None)
    return lower


CONCAT = Op("concat", "joins inputs along their first axis (channels, tokens), or along `axis`; the other axes"
                      " must agree: concat(a, b, axis=\"c\")",
            params=(Param("axis", "axes", None),), inputs=None, shape=_concat_shape,
            describe=lambda s: s.x_axes[_concat_axis(s)] if s.args.get("axis") else "",
            torch_call=lambda s: f"torch.cat([{', '.join(s.names)}], {_concat_axis(s) + 1})",
            onnx=lambda g, s: g.op("Concat", list(s.names), g.out, axis=_concat_axis(s) + 1))
ADD = Op("add", "element-wise sum of inputs of one shape", inputs=None, shape=_add_shape, flops=_join_work,
         torch_call=lambda s: " + ".join(s.names), onnx=_chain_onnx("Add"))
MUL = Op("mul", "element-wise product; a C×1×1 input broadcasts over H×W (gates)",
         inputs=None, shape=_mul_shape, flops=_join_work,
         torch_call=lambda s: " * ".join(s.names), onnx=_chain_onnx("Mul"))


def _slice_shape(s: Site):
    c = s.x[0]
    start, end = s["start"], s["end"]
    if not 0 <= start < end <= c:
        raise ShapeError(f"slice({start}, {end}) is outside the input's {c} channels")
    return (end - start, *s.x[1:])


SLICE = Op("slice", "channels start ≤ c < end: slice(start, end)",
           params=(Param("start", "int", minimum=0), Param("end", "int", minimum=1)),
           shape=_slice_shape, describe=lambda s: f"{s['start']}:{s['end']}",
           torch_call=lambda s: f"{s.names[0]}[:, {s['start']}:{s['end']}]",
           onnx=lambda g, s: g.op(
               "Slice", [s.names[0], g.const([s["start"]], "int64"), g.const([s["end"]], "int64"),
                         g.const([1], "int64")], g.out))


def _shuffle_shape(s: Site):
    need_spatial("shuffle", s)
    if s.x[0] % s["groups"]:
        raise ShapeError(f"shuffle: {s.x[0]} channels are not divisible by groups={s['groups']}")
    return s.x


def _shuffle_onnx(g, s: Site):
    c, *rest = s.x
    split = g.op("Reshape", [s.names[0], g.const([0, s["groups"], c // s["groups"], *rest], "int64")])
    swapped = g.op("Transpose", [split], perm=[0, 2, 1, *range(3, 3 + len(rest))])
    g.op("Reshape", [swapped, g.const([0, c, *rest], "int64")], g.out)


SHUFFLE = Op("shuffle", "channel shuffle between groups (ShuffleNet): shuffle(groups)",
             params=(Param("groups", "int", minimum=1),), shape=_shuffle_shape,
             describe=lambda s: f"g={s['groups']}",
             torch_call=lambda s: f"{s.names[0]}.unflatten(1, ({s['groups']}, -1)).transpose(1, 2).flatten(1, 2)",
             onnx=_shuffle_onnx)


IDENTITY = Op("identity", "passes its input through; adds no node to the graph",
              torch_call=lambda s: s.names[0], onnx=lambda g, s: g.op("Identity", list(s.names), g.out))

INPUT = Op("input", "a network input, declared with `input name: [C, H, W]`", inputs=0,
           describe=lambda s: "×".join(map(str, s["shape"])))
