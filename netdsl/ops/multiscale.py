"""Ops of multiscale vision transformers (MViT, torchvision's `mvit_v1_b` and `mvit_v2_s`).

MViT's tokens are a class token followed by a T×H×W grid, flattened: [1 + T·H·W, D], with any
leading axes (the heads of Q, K and V). Pooling acts on the grid and leaves the class token
alone; the leading axes are folded into the batch, so one depthwise kernel serves every head,
as torchvision's `Pool` does by reshaping to (B·heads, D, T, H, W). The grid is an argument:
tokens do not remember it, and the .net file computes each stage's grid as the paper does.

- grid_conv(kernel, stride, grid): depthwise convolution of the grid (torchvision's
  `pool_q/k/v.pool`, a Conv3d with groups=D and no bias); MACs: output grid × D × kernel volume.
- grid_maxpool(kernel, stride, grid): max pooling of the grid (the residual path's `pool_skip`).
- rel_pos(q, h, w, t, q_grid, k_grid): MViT v2's decomposed relative position, added to the
  scores: for each query, one learned vector per relative offset along time, height and width,
  dotted with the query (MACs: heads × queries × (kT + kH + kW) × D/heads; FLOPs: the sums).
- factorized_pos(space, time, cls): MViT v1's position embedding, space and time factorised:
  the token at (t, s) gets time[t] + space[s], the class token cls.
- add_tokens(other, start=1): adds `other` to the tokens from `start` on (v2's residual pooling,
  which leaves the class token as it is).
"""

from __future__ import annotations

import math

from netdsl.ops.base import Ctor, Op, Param, ShapeError, Site, fmt_shape, numel, window_size

_INT_MAX = (1 << 63) - 1


def _grid(op: str, s: Site) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The input grid and the pooled one; a ShapeError unless the tokens are 1 + the grid's size."""
    grid, kernel, stride = s["grid"], s["kernel"], s["stride"]
    pad = s["pad"] if s["pad"] is not None else tuple(k // 2 for k in kernel)
    if not 1 <= len(grid) <= 3 or not len(grid) == len(kernel) == len(stride) == len(pad):
        raise ShapeError(f"{op}: grid, kernel, stride and pad need one size per grid axis (1 to 3), but they are"
                         f" {list(grid)}, {list(kernel)}, {list(stride)} and {list(pad)}")
    if len(s.x) < 2 or s.x[-2] != 1 + numel(grid):
        raise ShapeError(f"{op} needs a class token and a {fmt_shape(grid)} grid of tokens ({1 + numel(grid)}),"
                         f" but its input is {fmt_shape(s.x)}")
    if min(kernel) < 1 or min(stride) < 1 or min(pad) < 0:
        raise ShapeError(f"{op}: kernel and stride must be at least 1 and pad at least 0")
    pooled = tuple(window_size(op, n, k, st, p, 1, False, f"grid axis {i}")
                   for i, (n, k, st, p) in enumerate(zip(grid, kernel, stride, pad)))
    return pooled, pad


def _grid_shape(op: str):
    def shape(s: Site):
        pooled, _ = _grid(op, s)
        return (*s.x[:-2], 1 + numel(pooled), s.x[-1])
    return shape


def _grid_torch(s: Site, pool) -> str:
    """torchvision's Pool.forward: the class token aside, the grid pooled (heads in the batch), rejoined."""
    x, d = s.names[0], s.x[-1]
    grid = ", ".join(map(str, s["grid"]))
    pooled = (pool(f"{x}[..., 1:, :].transpose(-1, -2).reshape(-1, {d}, {grid})") + ".flatten(2)"
              f".transpose(1, 2).reshape({x}.shape[:-2] + ({s.out[-2] - 1}, {d}))")
    return f"torch.cat([{x}[..., :1, :], {pooled}], -2)"


def _grid_onnx(g, s: Site, pool) -> None:
    rank, d = len(s.x) + 1, s.x[-1]
    x, axis = s.names[0], g.const([rank - 2], "int64")
    head = g.op("Slice", [x, g.const([0], "int64"), g.const([1], "int64"), axis])
    rest = g.op("Slice", [x, g.const([1], "int64"), g.const([_INT_MAX], "int64"), axis])
    swapped = g.op("Transpose", [rest], perm=[*range(rank - 2), rank - 1, rank - 2])
    pooled = pool(g.op("Reshape", [swapped, g.const([-1, d, *s["grid"]], "int64")]))
    flat = g.op("Transpose", [g.op("Reshape", [pooled, g.const([0, d, -1], "int64")])], perm=[0, 2, 1])
    back = g.op("Reshape", [flat, g.const([-1, *s.out[:-2], s.out[-2] - 1, d], "int64")])
    g.op("Concat", [head, back], g.out, axis=rank - 2)


def _pool_attrs(s: Site) -> dict:
    _, pad = _grid("pool", s)
    return {"kernel_shape": list(s["kernel"]), "strides": list(s["stride"]), "pads": list(pad) * 2}


def _lead(s: Site) -> int:
    return numel(s.x[:-2])


_GRID_PARAMS = (Param("kernel", "shape"), Param("stride", "shape"), Param("grid", "shape"),
                Param("pad", "shape", None))


def _conv_torch(s: Site):
    d, (_, pad) = s.x[-1], _grid("grid_conv", s)
    return Ctor(f"nn.Conv{len(s['grid'])}d", (("in", d), ("out", d), ("kernel", s["kernel"])),
                (("stride", s["stride"], 1), ("padding", pad, 0), ("groups", d, 1), ("bias", False, True)))


def _conv_onnx(g, s: Site):
    _grid_onnx(g, s, lambda x: g.op("Conv", [x, g.weight("weight")], group=s.x[-1], **_pool_attrs(s)))


GRID_CONV = Op(
    "grid_conv", "depthwise convolution of a class token + T×H×W grid of tokens, the class token kept aside and"
                 " leading axes (heads) sharing the kernel (MViT's pooling): grid_conv(kernel, stride, grid, pad)",
    params=_GRID_PARAMS, shape=_grid_shape("grid_conv"), axes=lambda s: s.x_axes,
    weights=lambda s: {"weight": (s.x[-1], 1, *s["kernel"])},
    macs=lambda s: _lead(s) * (s.out[-2] - 1) * s.x[-1] * numel(s["kernel"]),
    describe=lambda s: f"{fmt_shape(s['grid'])} → {fmt_shape(_grid('grid_conv', s)[0])}",
    torch_module=_conv_torch, torch_apply=lambda s, module: _grid_torch(s, lambda x: f"{module}({x})"),
    onnx=_conv_onnx,
)


def _maxpool_torch(s: Site) -> str:
    _, pad = _grid("grid_maxpool", s)
    return _grid_torch(s, lambda x: f"F.max_pool{len(s['grid'])}d({x}, {tuple(s['kernel'])}, {tuple(s['stride'])},"
                                    f" {tuple(pad)})")


GRID_MAXPOOL = Op(
    "grid_maxpool", "max pooling of a class token + T×H×W grid of tokens, the class token kept aside (MViT's"
                    " pooled residual): grid_maxpool(kernel, stride, grid, pad)",
    params=_GRID_PARAMS, shape=_grid_shape("grid_maxpool"), axes=lambda s: s.x_axes,
    flops=lambda s: _lead(s) * (s.out[-2] - 1) * s.x[-1] * numel(s["kernel"]),
    describe=lambda s: f"{fmt_shape(s['grid'])} → {fmt_shape(_grid('grid_maxpool', s)[0])}",
    torch_call=_maxpool_torch,
    onnx=lambda g, s: _grid_onnx(g, s, lambda x: g.op("MaxPool", [x], **_pool_attrs(s))),
)


def _ratios(q: int, k: int) -> tuple[float, float]:
    """How far apart neighbouring queries and keys are when the two grids differ in size."""
    return max(k / q, 1.0), max(q / k, 1.0)


def _offsets(q: int, k: int) -> list[list[int]]:
    """torchvision's `dist_h`: the relative offset of each (query, key) pair along one axis, scaled
    when the two grids differ, as an index into the table of 2·max(q, k) − 1 rows."""
    q_ratio, k_ratio = _ratios(q, k)
    return [[int(i * q_ratio - (j + (1.0 - k)) * k_ratio) for j in range(k)] for i in range(q)]


def _offsets_torch(q: int, k: int, table: str) -> str:
    """`_offsets` computed as torchvision does, on the table's device."""
    q_ratio, k_ratio = _ratios(q, k)
    return (f"(torch.arange({q}, device={table}.device)[:, None] * {q_ratio!r} - (torch.arange({k},"
            f" device={table}.device)[None, :] + {1.0 - k!r}) * {k_ratio!r}).long()")


def _rel_pos_shape(s: Site):
    scores, q, *tables = s.ins
    qg, kg = s["q_grid"], s["k_grid"]
    if len(qg) != 3 or len(kg) != 3:
        raise ShapeError(f"rel_pos: q_grid and k_grid are T×H×W grids, not {list(qg)} and {list(kg)}")
    if len(scores) != 3 or scores[1:] != (1 + numel(qg), 1 + numel(kg)):
        raise ShapeError(f"rel_pos needs heads × (1 + {fmt_shape(qg)}) × (1 + {fmt_shape(kg)}) scores, not"
                         f" {fmt_shape(scores)}")
    if len(q) != 3 or q[:2] != scores[:2]:
        raise ShapeError(f"rel_pos: the queries are {fmt_shape(q)}, but the scores are {fmt_shape(scores)}")
    for table, name, axis in zip(tables, ("height", "width", "time"), (1, 2, 0)):
        rows = 2 * max(qg[axis], kg[axis]) - 1
        if table != (rows, q[2]):
            raise ShapeError(f"rel_pos: the {name} table is {fmt_shape(table)}, not {rows}×{q[2]}")
    return scores


def _rel_pos_torch(s: Site) -> str:
    scores, q, h, w, t = s.names
    (qt, qh, qw), (kt, kh, kw) = s["q_grid"], s["k_grid"]
    heads, d = s.ins[1][0], s.ins[1][2]
    r = f"{q}[:, :, 1:].reshape(-1, {heads}, {qt}, {qh}, {qw}, {d})"

    def along(table: str, a: int, b: int, letter: str) -> str:
        index = _offsets_torch(a, b, table)
        return f"torch.einsum('bythwc,{letter}kc->bythwk', {r}, {table}[{index}])"
    total = (f"{along(h, qh, kh, 'h')}[:, :, :, :, :, None, :, None]"
             f" + {along(w, qw, kw, 'w')}[:, :, :, :, :, None, None, :]"
             f" + {along(t, qt, kt, 't')}[:, :, :, :, :, :, None, None]")
    return f"{scores} + F.pad(({total}).reshape(-1, {heads}, {qt * qh * qw}, {kt * kh * kw}), (1, 0, 1, 0))"


def _rel_pos_onnx(g, s: Site):
    scores, q, h, w, t = s.names
    (qt, qh, qw), (kt, kh, kw) = s["q_grid"], s["k_grid"]
    heads, d = s.ins[1][0], s.ins[1][2]
    rest = g.op("Slice", [q, g.const([1], "int64"), g.const([_INT_MAX], "int64"), g.const([2], "int64")])
    r = g.op("Reshape", [rest, g.const([-1, heads, qt, qh, qw, d], "int64")])

    def along(table: str, a: int, b: int, letter: str, axes: list[int]) -> str:
        rows = g.op("Gather", [table, g.const(_offsets(a, b), "int64")], axis=0)
        product = g.op("Einsum", [r, rows], equation=f"bythwc,{letter}kc->bythwk")
        return g.op("Unsqueeze", [product, g.const(axes, "int64")])
    total = g.op("Add", [g.op("Add", [along(h, qh, kh, "h", [5, 7]), along(w, qw, kw, "w", [5, 6])]),
                         along(t, qt, kt, "t", [6, 7])])
    flat = g.op("Reshape", [total, g.const([-1, heads, qt * qh * qw, kt * kh * kw], "int64")])
    padded = g.op("Pad", [flat, g.const([0, 0, 1, 1, 0, 0, 0, 0], "int64")])
    g.op("Add", [scores, padded], g.out)


def _rel_pos_macs(s: Site) -> int:
    heads, n, d = s.ins[1]
    return heads * (n - 1) * sum(s["k_grid"]) * d


REL_POS = Op(
    "rel_pos", "adds MViT v2's decomposed relative position to attention scores: scores -> rel_pos(q, h, w, t,"
               " q_grid, k_grid), tables of 2·max(q, k) − 1 rows per axis dotted with the queries",
    params=(Param("q_grid", "shape"), Param("k_grid", "shape")), inputs=5, shape=_rel_pos_shape,
    axes=lambda s: s.x_axes, macs=_rel_pos_macs, flops=lambda s: 3 * numel(s.out),
    describe=lambda s: f"{fmt_shape(s['q_grid'])} · {fmt_shape(s['k_grid'])}",
    torch_call=_rel_pos_torch, onnx=_rel_pos_onnx,
)


def _factorized_shape(s: Site):
    x, space, time, cls = s.ins
    d = x[-1] if x else 0
    if len(x) != 2 or space[1:] != (d,) or time[1:] != (d,) or cls != (d,) or x[0] != 1 + space[0] * time[0]:
        raise ShapeError(f"factorized_pos needs tokens 1 + T·S × D and tables S×D, T×D and D, but they are"
                         f" {', '.join(fmt_shape(shape) for shape in s.ins)}")
    return x


def _factorized_onnx(g, s: Site):
    x, space, time, cls = s.names
    grid = g.op("Add", [g.op("Unsqueeze", [time, g.const([1], "int64")]),
                        g.op("Unsqueeze", [space, g.const([0], "int64")])])
    rows = g.op("Reshape", [grid, g.const([-1, s.x[-1]], "int64")])
    table = g.op("Concat", [g.op("Unsqueeze", [cls, g.const([0], "int64")]), rows], axis=0)
    g.op("Add", [x, table], g.out)


FACTORIZED_POS = Op(
    "factorized_pos", "adds a position embedding factorised into space and time, and the class token's own (MViT"
                      " v1): x -> factorized_pos(space, time, cls); token (t, s) gets time[t] + space[s]",
    inputs=4, shape=_factorized_shape, axes=lambda s: s.x_axes, flops=lambda s: numel(s.x) + numel(s.x) - s.x[-1],
    describe=lambda s: f"{s.ins[2][0]}×{s.ins[1][0]}",
    torch_call=lambda s: (f"{s.names[0]} + torch.cat([{s.names[3]}[None], ({s.names[2]}[:, None] +"
                          f" {s.names[1]}[None]).flatten(0, 1)])"),
    onnx=_factorized_onnx,
)


def _add_tokens_shape(s: Site):
    x, other = s.ins
    if x != other or len(x) < 2:
        raise ShapeError(f"add_tokens: {s.names[1]} is {fmt_shape(other)} but {s.names[0]} is {fmt_shape(x)}")
    if not 0 <= s["start"] < x[-2]:
        raise ShapeError(f"add_tokens: start {s['start']} is outside {x[-2]} tokens")
    return x


def _add_tokens_onnx(g, s: Site):
    x, other = s.names
    axis, cut = g.const([len(s.x) - 1], "int64"), g.const([s["start"]], "int64")
    head = g.op("Slice", [x, g.const([0], "int64"), cut, axis])
    tails = [g.op("Slice", [v, cut, g.const([_INT_MAX], "int64"), axis]) for v in (x, other)]
    g.op("Concat", [head, g.op("Add", tails)], g.out, axis=len(s.x) - 1)


ADD_TOKENS = Op(
    "add_tokens", "adds a tensor to the tokens from `start` on, the first ones left as they are (MViT v2's"
                  " residual pooling skips the class token): x -> add_tokens(q, start=1)",
    params=(Param("start", "int", 1, minimum=0),), inputs=2, shape=_add_tokens_shape, axes=lambda s: s.x_axes,
    flops=lambda s: (s.x[-2] - s["start"]) * s.x[-1] * math.prod(s.x[:-2]),
    describe=lambda s: f"tokens {s['start']}:",
    torch_call=lambda s: (f"torch.cat([{s.names[0]}[..., :{s['start']}, :], {s.names[0]}[..., {s['start']}:, :]"
                          f" + {s.names[1]}[..., {s['start']}:, :]], -2)"),
    onnx=_add_tokens_onnx,
)
