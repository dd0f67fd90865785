"""Window ops for local attention (Swin, Video Swin): roll a channels-last map, cut it into windows
of tokens and put it back, and the relative-position bias and shift mask added to the scores.

A map here has its features last, H×W×C or T×H×W×C (after `permute("h", "w", "c")`); its
windows are nW×S×C: nW windows of S tokens (the window's volume), in torchvision's order. A
window size is one integer for every axis or a list of one per axis (`[8, 7, 7]`). The scores of
window attention are nW×heads×S×S. `position_index(size)` is the buffer torchvision keeps as
`relative_position_index`: for each pair of tokens of a window, the row of the bias table
(`param([(2s − 1)², heads])`, (2t − 1)(2h − 1)(2w − 1) rows in 3-D) that holds their bias. Data
movement is free; the bias and the mask cost one FLOP per score.
"""

from __future__ import annotations

import math

from netdsl.ops.base import Ctor, Op, Param, ShapeError, Site, axis_indices, fmt_shape, numel
from netdsl.ops.layout import channels_first


def _roll_shape(s: Site):
    axes = axis_indices("roll", s, s["axes"])
    if len(axes) != len(s["shifts"]):
        raise ShapeError(f"roll: {len(s['shifts'])} shifts for {len(axes)} axes")
    return s.x


def _roll_values(g, x: str, sizes: tuple[int, ...], moves: list[tuple[int, int]], out: str | None) -> str:
    """torch.roll in ONNX: for each (axis, shift), the last `shift` positions, then the rest."""
    moves = [(axis, shift) for axis, shift in moves if shift % sizes[axis]]
    for n, (axis, shift) in enumerate(moves):
        size = sizes[axis]
        cut = size - shift % size
        parts = [g.op("Slice", [x, g.const([lo], "int64"), g.const([hi], "int64"), g.const([axis + 1], "int64")])
                 for lo, hi in ((cut, size), (0, cut))]
        x = g.op("Concat", parts, out if n == len(moves) - 1 else None, axis=axis + 1)
    return x if moves or out is None else g.op("Identity", [x], out)


def _torch_roll(x: str, moves: list[tuple[int, int]]) -> str:
    moves = [(axis, shift) for axis, shift in moves if shift]
    if not moves:
        return x
    return f"torch.roll({x}, {tuple(v for _, v in moves)}, {tuple(a + 1 for a, _ in moves)})"


ROLL = Op(
    "roll", "shifts positions cyclically, as torch.roll: roll(shifts, axes), e.g. roll([-3, -3], [\"h\", \"w\"])",
    params=(Param("shifts", "shape"), Param("axes", "axes")), shape=_roll_shape,
    describe=lambda s: ", ".join(f"{s.x_axes[a]}{v:+d}" for a, v in zip(axis_indices("roll", s, s["axes"]),
                                                                          s["shifts"])),
    torch_call=lambda s: _torch_roll(s.names[0], list(zip(axis_indices("roll", s, s["axes"]), s["shifts"]))),
    onnx=lambda g, s: _roll_values(g, s.names[0], s.x, list(zip(axis_indices("roll", s, s["axes"]), s["shifts"])),
                                   g.out),
)


def _per_axis(values: tuple[int, ...], n: int) -> tuple[int, ...]:
    """One value for every one of n axes: a single value repeats (an integer argument arrives as one
    value per spatial axis of the input, however many the map has)."""
    return (values[0],) * n if len(set(values)) == 1 else tuple(values)


def _geometry(op: str, s: Site, sizes: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """(window, shift, padded sizes) per axis of a map of `sizes`: each axis padded at its end to a
    multiple of its window, as torchvision pads."""
    window = _per_axis(s["size"], len(sizes))
    shift = _per_axis(s["shift"], len(sizes))
    if len(window) != len(sizes) or len(shift) != len(sizes):
        raise ShapeError(f"{op}: a {fmt_shape(sizes)} map needs {len(sizes)} window sizes and shifts, not"
                         f" {fmt_shape(window)} and {fmt_shape(shift)}")
    padded = tuple(-(-n // w) * w for n, w in zip(sizes, window))
    if any(v >= w for v, w in zip(shift, window)):
        raise ShapeError(f"{op}: the shift {fmt_shape(shift)} must be below the window {fmt_shape(window)}")
    return window, shift, padded


def _map(op: str, s: Site) -> tuple[int, ...]:
    if len(s.x) not in (3, 4) or channels_first(s.x_axes):
        raise ShapeError(f"{op} needs a channels-last map (h, w, c or t, h, w, c), but its input is {fmt_shape(s.x)}"
                         f" ({', '.join(s.x_axes)}): permute(\"h\", \"w\", \"c\") first")
    return s.x[:-1]


def _windows_shape(s: Site):
    window, _, padded = _geometry("windows", s, _map("windows", s))
    return (numel(padded) // numel(window), numel(window), s.x[-1])


def _order(k: int, windows_first: bool) -> list[int]:
    """The permutation between a map viewed as (batch, n0, s0, n1, s1, …, C) and its windows viewed as
    (batch, n0, n1, …, s0, s1, …, C), for k window axes; torchvision's for both directions."""
    if windows_first:
        return [0, *(v for i in range(k) for v in (1 + i, 1 + k + i)), 2 * k + 1]
    return [0, *range(1, 2 * k, 2), *range(2, 2 * k + 1, 2), 2 * k + 1]


def _split(window: tuple[int, ...], padded: tuple[int, ...], c: int, windows_first: bool) -> list[int]:
    """The axes (besides batch) between which the partitions permute: n0, s0, n1, s1, …, C of the map,
    or n0, n1, …, s0, s1, …, C of its windows."""
    counts = [n // w for n, w in zip(padded, window)]
    if windows_first:
        return [*counts, *window, c]
    return [*(v for pair in zip(counts, window) for v in pair), c]


def _reorder(x: str, window, padded, c: int, windows_first: bool, after: tuple[int, ...]) -> str:
    """torchvision's view → permute → reshape, with the batch axis first."""
    before = _split(window, padded, c, windows_first)
    return (f"{x}.reshape(-1, {', '.join(map(str, before))}).permute{tuple(_order(len(window), windows_first))}"
            f".reshape(-1, {', '.join(map(str, after))})")


def _windows_torch(s: Site) -> str:
    """Pad the ends, roll by −shift, partition (torchvision's shifted_window_attention, first half)."""
    sizes, c = s.x[:-1], s.x[-1]
    window, shift, padded = _geometry("windows", s, sizes)
    x = s.names[0]
    if padded != sizes:  # F.pad lists the last axis first: C, then the map's axes from the last
        x = f"F.pad({x}, {(0, 0) + tuple(v for n, p in zip(sizes[::-1], padded[::-1]) for v in (0, p - n))})"
    x = _torch_roll(x, [(i, -v) for i, v in enumerate(shift)])
    return _reorder(x, window, padded, c, False, s.out)


def _windows_onnx(g, s: Site):
    sizes, c = s.x[:-1], s.x[-1]
    window, shift, padded = _geometry("windows", s, sizes)
    x = s.names[0]
    if padded != sizes:
        ends = [0, *(p - n for n, p in zip(sizes, padded)), 0]
        x = g.op("Pad", [x, g.const([0] * len(ends) + ends, "int64")])
    x = _roll_values(g, x, (*padded, c), [(i, -v) for i, v in enumerate(shift)], None)
    split = g.op("Reshape", [x, g.const([0, *_split(window, padded, c, False)], "int64")])
    swapped = g.op("Transpose", [split], perm=_order(len(window), False))
    g.op("Reshape", [swapped, g.const([0, *s.out], "int64")], g.out)


_SIZE = Param("size", "spatial", minimum=1)
_SHIFT = Param("shift", "spatial", 0, minimum=0)

WINDOWS = Op(
    "windows", "cuts a channels-last map (H×W×C, T×H×W×C) into windows of tokens, nW×S×C, padding its ends to"
               " whole windows and rolling it by −shift first: windows(size, shift=0), each an integer or one per"
               " axis (Swin's window partition)",
    params=(_SIZE, _SHIFT), shape=_windows_shape, axes=lambda s: ("win", "n", "d"),
    describe=lambda s: f"{fmt_shape(_geometry('windows', s, s.x[:-1])[0])}, {s.out[0]} windows",
    torch_call=_windows_torch, onnx=_windows_onnx,
)


def _unwindows_shape(s: Site):
    sizes = s["shape"]
    window, _, padded = _geometry("unwindows", s, sizes)
    if len(s.x) != 3 or s.x[:2] != (numel(padded) // numel(window), numel(window)):
        raise ShapeError(f"unwindows: {fmt_shape(s.x)} is not the windows of {fmt_shape(window)} of a"
                         f" {fmt_shape(sizes)} map")
    return (*sizes, s.x[2])


def _unwindows_torch(s: Site) -> str:
    """Reverse the partition, roll back by +shift, crop the padding (the second half)."""
    sizes, c = s["shape"], s.x[-1]
    window, shift, padded = _geometry("unwindows", s, sizes)
    x = _torch_roll(_reorder(s.names[0], window, padded, c, True, (*padded, c)), list(enumerate(shift)))
    if padded != tuple(sizes):
        x = f"{x}[:, {', '.join(f':{n}' for n in sizes)}]"
    return x


def _unwindows_onnx(g, s: Site):
    sizes, c = s["shape"], s.x[-1]
    window, shift, padded = _geometry("unwindows", s, sizes)
    split = g.op("Reshape", [s.names[0], g.const([0, *_split(window, padded, c, True)], "int64")])
    swapped = g.op("Transpose", [split], perm=_order(len(window), True))
    x = g.op("Reshape", [swapped, g.const([0, *padded, c], "int64")])
    cropped = padded != tuple(sizes)
    x = _roll_values(g, x, (*padded, c), list(enumerate(shift)), None if cropped else g.out)
    if cropped:
        k = len(sizes)
        g.op("Slice", [x, g.const([0] * k, "int64"), g.const(list(sizes), "int64"),
                       g.const(list(range(1, k + 1)), "int64")], g.out)


UNWINDOWS = Op(
    "unwindows", "puts windows back into the map they were cut from, rolled back and its padding cropped:"
                 " unwindows(size, shape, shift=0), e.g. unwindows(7, [56, 56], 3)",
    params=(_SIZE, Param("shape", "shape"), _SHIFT), shape=_unwindows_shape,
    axes=lambda s: ("h", "w", "c") if len(s.out) == 3 else ("t", "h", "w", "c"),
    describe=lambda s: fmt_shape(s["shape"]), torch_call=_unwindows_torch, onnx=_unwindows_onnx,
)


class _LongTensor(tuple):
    """A shape the code generator writes as an int64 `torch.empty(…)` (the state is loaded after)."""

    def __repr__(self) -> str:
        return f"torch.empty({', '.join(str(int(d)) for d in self)}, dtype=torch.long)"


class _Empty(tuple):
    """A shape the code generator writes as a float `torch.empty(…)`."""

    def __repr__(self) -> str:
        return f"torch.empty({', '.join(str(int(d)) for d in self)})"


def _window(s: Site) -> tuple[int, ...]:
    """position_index's window: one size is a square 2-D window."""
    return s["size"] * 2 if len(s["size"]) == 1 else s["size"]


def relative_index(window: tuple[int, ...]) -> list[int]:
    """torchvision's relative_position_index, flattened: for tokens i, j of the window, the offsets
    Δₖ + sₖ − 1 on each axis, read as the digits of a number in bases (2sₖ − 1)."""
    cells = [tuple(c) for c in _cells(window)]
    out = []
    for a in cells:
        for b in cells:
            row = 0
            for ai, bi, size in zip(a, b, window):
                row = row * (2 * size - 1) + ai - bi + size - 1
            out.append(row)
    return out


def _cells(window: tuple[int, ...]):
    if not window:
        yield ()
        return
    for first in range(window[0]):
        for rest in _cells(window[1:]):
            yield (first, *rest)


def _index_shape(s: Site):
    if len(_window(s)) not in (2, 3):
        raise ShapeError(f"position_index: a window of 2 or 3 axes, not {len(_window(s))}")
    volume = numel(_window(s))
    return (volume * volume,) if s["flat"] else (volume, volume)


def _index_init(site: Site, key: str, shapes, rng):
    import numpy as np

    return np.asarray(relative_index(_window(site)), np.int64).reshape(shapes[key])


POSITION_INDEX = Op(
    "position_index", "the relative-position index of a window (a buffer, torchvision's relative_position_index):"
                      " position_index(size, flat=true); 2-D Swin's is flat (S²), Video Swin's S×S",
    params=(_SIZE, Param("flat", "bool", True)), inputs=0, shape=_index_shape,
    buffers=lambda s: {"": s.out}, init=_index_init, describe=lambda s: fmt_shape(_window(s)),
    torch_module=lambda s: Ctor("nn.Buffer", (("data", _LongTensor(s.out)),)),
    torch_apply=lambda s, module: module, onnx=lambda g, s: g.weight(""),
)


def _bias_shape(s: Site):
    scores, table, index = s.ins
    tokens = scores[-1] if len(scores) >= 3 else 0
    if len(scores) < 3 or scores[-2] != tokens or len(table) < 2 or table[-1] != scores[-3] \
            or numel(index) != tokens * tokens:
        raise ShapeError(f"relative_bias: scores {fmt_shape(scores)} (…×heads×S×S), table {fmt_shape(table)}"
                         f" (…×heads) and index {fmt_shape(index)} (S² or S×S) do not fit")
    return scores


def _rows(s: Site) -> str:
    """The table as rows × heads (Swin V2's comes from its MLP as 1×(2h − 1)×(2w − 1)×heads)."""
    return s.names[1] if len(s.ins[1]) == 2 else f"{s.names[1]}.reshape(-1, {s.ins[1][-1]})"


def _bias_onnx(g, s: Site):
    scores, table, index = s.names
    tokens, heads = s.x[-1], s.ins[1][-1]
    flat = g.op("Reshape", [index, g.const([-1], "int64")])
    table = g.op("Reshape", [table, g.const([-1, heads], "int64")])
    rows = g.op("Reshape", [g.op("Gather", [table, flat], axis=0), g.const([tokens, tokens, heads], "int64")])
    g.op("Add", [scores, g.op("Transpose", [rows], perm=[2, 0, 1])], g.out)


RELATIVE_BIAS = Op(
    "relative_bias", "adds a relative-position bias to attention scores: scores -> relative_bias(table, index),"
                     " table[index] as heads×S×S",
    inputs=3, shape=_bias_shape, flops=lambda s: numel(s.out),
    torch_call=lambda s: f"{s.names[0]} + {_rows(s)}[{s.names[2]}.reshape(-1)].view({s.x[-1]}, {s.x[-1]}, -1)"
                         f".permute(2, 0, 1)",
    onnx=_bias_onnx,
)


def _mask_args(s: Site) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """(map sizes, window, shift) per axis."""
    sizes = s["shape"]
    return sizes, _per_axis(s["size"], len(sizes)), _per_axis(s["shift"], len(sizes))


def _mask_shape(s: Site):
    sizes, window, shift = _mask_args(s)
    volume = numel(window)
    count = numel(sizes) // volume if len(window) == len(sizes) else 0
    if len(window) != len(sizes) or any(n % w for n, w in zip(sizes, window)) or len(s.x) != 4 \
            or s.x[0] != count or s.x[2:] != (volume, volume):
        raise ShapeError(f"shift_mask: scores {fmt_shape(s.x)} are not those of the {fmt_shape(window)} windows of"
                         f" a {fmt_shape(sizes)} map ({count}×heads×{volume}×{volume})")
    if len(shift) != len(sizes) or not any(shift) or any(not 0 <= v < w for v, w in zip(shift, window)):
        raise ShapeError(f"shift_mask: the shift {fmt_shape(shift)} must be below the window {fmt_shape(window)}"
                         " on every axis, and above 0 on one")
    return s.x


def _region_ids(sizes, window, shift, arange) -> list:
    """Per axis, each position's region: 0 before the last window, 1 in it before the shift, 2 after;
    `arange(n)` makes the positions (torch or numpy)."""
    return [(arange(n) >= n - w) * 1 + (arange(n) >= n - v) * 1 for n, w, v in zip(sizes, window, shift)]


def _mask_torch(s: Site) -> str:
    """torchvision's mask, built in the forward: tokens of different regions get −100."""
    x = s.names[0]
    sizes, window, shift = _mask_args(s)
    k = len(sizes)
    terms = []
    for i, (n, w, v) in enumerate(zip(sizes, window, shift)):
        at = f"torch.arange({n}, device={x}.device)"
        index = ", ".join(":" if j == i else "None" for j in range(k))
        terms.append(f"(({at} >= {n - w}).long() + ({at} >= {n - v}).long())[{index}] * {3 ** (k - 1 - i)}")
    split = ", ".join(str(v) for n, w in zip(sizes, window) for v in (n // w, w))
    perm = tuple(p - 1 for p in _order(k, False)[1:-1])
    ids = (f"({' + '.join(terms)}).reshape({split}).permute{perm}"
           f".reshape({s.x[0]}, {s.x[2]})")
    return f"{x} + (({ids})[:, None, :] != ({ids})[:, :, None]).float()[:, None] * -100.0"


def shift_mask(sizes: tuple[int, ...], window: tuple[int, ...], shift: tuple[int, ...]):
    """The mask as numpy, nW×1×S×S: 0 within a region, −100 across regions."""
    import numpy as np

    k = len(sizes)
    ids = sum(r.reshape([-1 if j == i else 1 for j in range(k)]) * 3 ** (k - 1 - i)
              for i, r in enumerate(_region_ids(sizes, window, shift, np.arange)))
    ids = ids.reshape([v for n, w in zip(sizes, window) for v in (n // w, w)])
    ids = ids.transpose([p - 1 for p in _order(k, False)[1:-1]]).reshape(-1, math.prod(window))
    return np.where(ids[:, None, :] != ids[:, :, None], -100.0, 0.0).astype(np.float32)[:, None]


SHIFT_MASK = Op(
    "shift_mask", "masks the scores of shifted windows between tokens from different regions (Swin):"
                  " shift_mask(size, shift, shape), size and shift an integer or one per axis of the map's shape",
    params=(_SIZE, Param("shift", "spatial", minimum=0), Param("shape", "shape")),
    shape=_mask_shape, flops=lambda s: numel(s.out), describe=lambda s: f"shift {fmt_shape(_mask_args(s)[2])}",
    torch_call=_mask_torch,
    onnx=lambda g, s: g.op("Add", [s.names[0], g.const(shift_mask(*_mask_args(s)), "float32")], g.out),
)


def coords_table(window: tuple[int, ...]):
    """Swin V2's relative_coords_table, 1×(2h − 1)×(2w − 1)×2: each relative offset scaled to [−8, 8]
    and log-spaced, sign(x)·log2(|x| + 1)/3, computed in float32 as torchvision does."""
    import numpy as np

    axes = [np.arange(-(w - 1), w, dtype=np.float32) for w in window]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)[None]
    grid = grid / np.asarray([w - 1 for w in window], np.float32) * np.float32(8)
    return (np.sign(grid) * np.log2(np.abs(grid) + np.float32(1.0)) / np.float32(3.0)).astype(np.float32)


COORDS_TABLE = Op(
    "coords_table", "Swin V2's relative_coords_table of a window (a buffer, 1×(2h − 1)×(2w − 1)×2 stored, used"
                    " as (2h − 1)×(2w − 1)×2): coords_table(size)",
    params=(_SIZE,), inputs=0, shape=lambda s: (*(2 * w - 1 for w in _window(s)), len(_window(s))),
    axes=lambda s: ("i", "j", "xy"), buffers=lambda s: {"": (1, *s.out)},
    init=lambda site, key, shapes, rng: coords_table(_window(site)), describe=lambda s: fmt_shape(_window(s)),
    torch_module=lambda s: Ctor("nn.Buffer", (("data", _Empty((1, *s.out))),)),
    torch_apply=lambda s, module: module, onnx=lambda g, s: g.weight(""),
)
