"""Window ops for local attention (Swin): roll a channels-last map, cut it into windows of
tokens and put it back, and the relative-position bias and shift mask added to the scores.

A map here is H×W×C with the features last (after `permute("h", "w", "c")`); its windows are
nW×S×C, nW = (H/s)·(W/s) windows of S = s² tokens, in torchvision's order. The scores of
window attention are nW×heads×S×S. `position_index(s)` is the buffer torchvision keeps as
`relative_position_index`: for each pair of tokens of a window, the row of the bias table
(`param([(2s − 1)², heads])`) that holds their bias. Data movement is free; the bias and the
mask cost one FLOP per score.
"""

from __future__ import annotations

from netdsl.ops.base import Ctor, Op, Param, ShapeError, Site, axis_indices, fmt_shape, numel
from netdsl.ops.layout import channels_first


def _roll_shape(s: Site):
    axes = axis_indices("roll", s, s["axes"])
    if len(axes) != len(s["shifts"]):
        raise ShapeError(f"roll: {len(s['shifts'])} shifts for {len(axes)} axes")
    return s.x


def _roll_onnx(g, s: Site):
    """Each axis: its last `shift` positions, then the rest (Slice and Concat)."""
    x = s.names[0]
    axes = axis_indices("roll", s, s["axes"])
    for n, (axis, shift) in enumerate(zip(axes, s["shifts"])):
        size = s.x[axis]
        cut = (size - shift % size) % size
        out = g.out if n == len(axes) - 1 else None
        if cut == 0:
            x = g.op("Identity", [x], out)
            continue
        parts = [g.op("Slice", [x, g.const([lo], "int64"), g.const([hi], "int64"), g.const([axis + 1], "int64")])
                 for lo, hi in ((cut, size), (0, cut))]
        x = g.op("Concat", parts, out, axis=axis + 1)


ROLL = Op(
    "roll", "shifts positions cyclically, as torch.roll: roll(shifts, axes), e.g. roll([-3, -3], [\"h\", \"w\"])",
    params=(Param("shifts", "shape"), Param("axes", "axes")), shape=_roll_shape,
    describe=lambda s: ", ".join(f"{s.x_axes[a]}{v:+d}" for a, v in zip(axis_indices("roll", s, s["axes"]),
                                                                          s["shifts"])),
    torch_call=lambda s: f"torch.roll({s.names[0]}, {tuple(s['shifts'])}, "
                         f"{tuple(a + 1 for a in axis_indices('roll', s, s['axes']))})",
    onnx=_roll_onnx,
)


def _map(op: str, s: Site) -> tuple[int, int, int]:
    if len(s.x) != 3 or channels_first(s.x_axes):
        raise ShapeError(f"{op} needs a channels-last map (h, w, c), but its input is {fmt_shape(s.x)}"
                         f" ({', '.join(s.x_axes)}): permute(\"h\", \"w\", \"c\") first")
    h, w, c = s.x
    size = s["size"]
    if h % size or w % size:
        raise ShapeError(f"{op}: a {h}×{w} map does not divide into windows of {size}×{size}")
    return h, w, c


def _windows_shape(s: Site):
    h, w, c = _map("windows", s)
    size = s["size"]
    return ((h // size) * (w // size), size * size, c)


def _window_order(g, x: str, before: list[int], after: list[int]) -> None:
    """Reshape to (batch, rows, cols, s, s, C)-like blocks, swap the middle axes, reshape back."""
    split = g.op("Reshape", [x, g.const([0, *before], "int64")])
    swapped = g.op("Transpose", [split], perm=[0, 1, 3, 2, 4, 5])
    g.op("Reshape", [swapped, g.const([0, *after], "int64")], g.out)


def _split(s: Site, windows_first: bool) -> list[int]:
    """The five axes (besides batch) between which the partitions permute: rows, s, cols, s, C of the
    map, or rows, cols, s, s, C of its windows."""
    size = s["size"]
    h, w, c = s.out if windows_first else s.x
    return [h // size, w // size, size, size, c] if windows_first else [h // size, size, w // size, size, c]


def _reorder_torch(x: str, before: list[int], after: tuple[int, ...]) -> str:
    """torchvision's view → permute(0, 1, 3, 2, 4, 5) → reshape, with the batch axis first."""
    return (f"{x}.reshape(-1, {', '.join(map(str, before))}).permute(0, 1, 3, 2, 4, 5)"
            f".reshape(-1, {', '.join(map(str, after))})")


WINDOWS = Op(
    "windows", "cuts an H×W×C map into windows of size×size tokens: nW×S×C (Swin's window partition)",
    params=(Param("size", "int", minimum=1),), shape=_windows_shape, axes=lambda s: ("win", "n", "d"),
    describe=lambda s: f"{s['size']}×{s['size']}, {s.out[0]} windows",
    torch_call=lambda s: _reorder_torch(s.names[0], _split(s, False), s.out),
    onnx=lambda g, s: _window_order(g, s.names[0], _split(s, False), list(s.out)),
)


def _unwindows_shape(s: Site):
    size, h, w = s["size"], s["height"], s["width"]
    if len(s.x) != 3 or h % size or w % size or s.x[:2] != ((h // size) * (w // size), size * size):
        raise ShapeError(f"unwindows: {fmt_shape(s.x)} is not the windows of size {size} of a {h}×{w} map")
    return (h, w, s.x[2])


UNWINDOWS = Op(
    "unwindows", "puts windows back into the H×W×C map they were cut from: unwindows(size, height, width)",
    params=(Param("size", "int", minimum=1), Param("height", "int", minimum=1), Param("width", "int", minimum=1)),
    shape=_unwindows_shape, axes=lambda s: ("h", "w", "c"), describe=lambda s: f"{s['height']}×{s['width']}",
    torch_call=lambda s: _reorder_torch(s.names[0], _split(s, True), s.out),
    onnx=lambda g, s: _window_order(g, s.names[0], _split(s, True), list(s.out)),
)


class _LongTensor(tuple):
    """A shape the code generator writes as an int64 `torch.empty(…)` (the state is loaded after)."""

    def __repr__(self) -> str:
        return f"torch.empty({', '.join(str(int(d)) for d in self)}, dtype=torch.long)"


def relative_index(size: int) -> list[int]:
    """torchvision's relative_position_index, flattened: for tokens i, j of a size×size window,
    (Δrow + size − 1)·(2·size − 1) + (Δcol + size − 1)."""
    cells = [(r, c) for r in range(size) for c in range(size)]
    return [(ri - rj + size - 1) * (2 * size - 1) + (ci - cj + size - 1) for ri, ci in cells for rj, cj in cells]


def _index_init(site: Site, key: str, shapes, rng):
    import numpy as np

    return np.asarray(relative_index(site["size"]), np.int64)


POSITION_INDEX = Op(
    "position_index", "the relative-position index of a size×size window (a buffer, torchvision's"
                      " relative_position_index): position_index(size)",
    params=(Param("size", "int", minimum=1),), inputs=0, shape=lambda s: (s["size"] ** 4,),
    buffers=lambda s: {"": (s["size"] ** 4,)}, init=_index_init, describe=lambda s: f"{s['size']}×{s['size']}",
    torch_module=lambda s: Ctor("nn.Buffer", (("data", _LongTensor((s["size"] ** 4,))),)),
    torch_apply=lambda s, module: module, onnx=lambda g, s: g.weight(""),
)


def _bias_shape(s: Site):
    scores, table, index = s.ins
    tokens = scores[-1] if len(scores) >= 3 else 0
    if len(scores) < 3 or scores[-2] != tokens or len(table) != 2 or table[1] != scores[-3] \
            or index != (tokens * tokens,):
        raise ShapeError(f"relative_bias: scores {fmt_shape(scores)} (…×heads×S×S), table {fmt_shape(table)}"
                         f" (rows×heads) and index {fmt_shape(index)} (S²) do not fit")
    return scores


def _bias_onnx(g, s: Site):
    scores, table, index = s.names
    tokens, heads = s.x[-1], s.ins[1][1]
    rows = g.op("Reshape", [g.op("Gather", [table, index], axis=0), g.const([tokens, tokens, heads], "int64")])
    g.op("Add", [scores, g.op("Transpose", [rows], perm=[2, 0, 1])], g.out)


RELATIVE_BIAS = Op(
    "relative_bias", "adds a relative-position bias to attention scores: scores -> relative_bias(table, index),"
                     " table[index] as heads×S×S",
    inputs=3, shape=_bias_shape, flops=lambda s: numel(s.out),
    torch_call=lambda s: f"{s.names[0]} + {s.names[1]}[{s.names[2]}].view({s.x[-1]}, {s.x[-1]}, -1).permute(2, 0, 1)",
    onnx=_bias_onnx,
)


def _mask_regions(n: int, size: int, shift: int, arange: str) -> str:
    """Per position of an axis of n: 0 before the last window, 1 in it before the shift, 2 after."""
    return f"(({arange} >= {n - size}).long() + ({arange} >= {n - shift}).long())"


def _mask_shape(s: Site):
    size, shift, h, w = s["size"], s["shift"], s["height"], s["width"]
    windows = (h // size) * (w // size)
    if h % size or w % size or len(s.x) != 4 or s.x[0] != windows or s.x[2:] != (size * size,) * 2:
        raise ShapeError(f"shift_mask: scores {fmt_shape(s.x)} are not those of the {size}×{size} windows of a"
                         f" {h}×{w} map ({windows}×heads×{size * size}×{size * size})")
    if not 0 < shift < size:
        raise ShapeError(f"shift_mask: the shift must be between 0 and the window size {size}, not {shift}")
    return s.x


def _mask_torch(s: Site) -> str:
    """torchvision's mask, built in the forward: tokens of different regions get −100."""
    x, size, shift, h, w = s.names[0], s["size"], s["shift"], s["height"], s["width"]
    rows = _mask_regions(h, size, shift, f"torch.arange({h}, device={x}.device)")
    cols = _mask_regions(w, size, shift, f"torch.arange({w}, device={x}.device)")
    ids = (f"({rows}[:, None] * 3 + {cols}[None, :]).reshape({h // size}, {size}, {w // size}, {size})"
           f".permute(0, 2, 1, 3).reshape({s.x[0]}, {size * size})")
    return f"{x} + (({ids})[:, None, :] != ({ids})[:, :, None]).float()[:, None] * -100.0"


def shift_mask(size: int, shift: int, h: int, w: int):
    """The mask as numpy, nW×1×S×S: 0 within a region, −100 across regions."""
    import numpy as np

    def regions(n: int):
        at = np.arange(n)
        return (at >= n - size).astype(np.int64) + (at >= n - shift)

    ids = (regions(h)[:, None] * 3 + regions(w)[None, :]).reshape(h // size, size, w // size, size)
    ids = ids.transpose(0, 2, 1, 3).reshape(-1, size * size)
    return np.where(ids[:, None, :] != ids[:, :, None], -100.0, 0.0).astype(np.float32)[:, None]


SHIFT_MASK = Op(
    "shift_mask", "masks the scores of shifted windows between tokens from different regions (Swin):"
                  " shift_mask(size, shift, height, width)",
    params=(Param("size", "int", minimum=1), Param("shift", "int", minimum=1), Param("height", "int", minimum=1),
            Param("width", "int", minimum=1)),
    shape=_mask_shape, flops=lambda s: numel(s.out), describe=lambda s: f"shift {s['shift']}",
    torch_call=_mask_torch,
    onnx=lambda g, s: g.op("Add", [s.names[0], g.const(shift_mask(s["size"], s["shift"], s["height"], s["width"]),
                                                       "float32")], g.out),
)
