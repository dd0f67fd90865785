"""matmul and the window ops of Swin (roll, windows, unwindows, position_index, relative_bias,
shift_mask) against torchvision's formulas written with torch, through the generated module and ONNX."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from netdsl import CompileError
from netdsl.ops.windows import coords_table, relative_index, shift_mask
from tests.ops.support import compile_net, net, random_state, run_torch_and_onnx

torch = pytest.importorskip("torch")


def torchvision_index(window: tuple[int, ...]):
    """define_relative_position_index of torchvision's ShiftedWindowAttention (2-D, flattened) and
    ShiftedWindowAttention3d (3-D, S×S), as torchvision writes them."""
    coords = torch.stack(torch.meshgrid(*(torch.arange(s) for s in window), indexing="ij"))
    flat = torch.flatten(coords, 1)
    relative = (flat[:, :, None] - flat[:, None, :]).permute(1, 2, 0).contiguous()
    for i, s in enumerate(window):
        relative[:, :, i] += s - 1
    if len(window) == 2:
        relative[:, :, 0] *= 2 * window[1] - 1
        return relative.sum(-1).flatten()
    relative[:, :, 0] *= (2 * window[1] - 1) * (2 * window[2] - 1)
    relative[:, :, 1] *= 2 * window[2] - 1
    return relative.sum(-1)


def torchvision_mask(sizes: tuple[int, ...], window: tuple[int, ...], shift: tuple[int, ...]):
    """The shifted-window mask of torchvision's shifted_window_attention (2-D) and
    _compute_attention_mask_3d (3-D), nW×S×S."""
    mask = torch.zeros(sizes)
    slices = [((0, -w), (-w, -v), (-v, None)) for w, v in zip(window, shift)]
    count = 0
    for cut in itertools.product(*slices):
        mask[tuple(slice(a, b) for a, b in cut)] = count
        count += 1
    split = [v for n, w in zip(sizes, window) for v in (n // w, w)]
    order = (0, 2, 1, 3) if len(sizes) == 2 else (0, 2, 4, 1, 3, 5)
    mask = mask.view(split).permute(order).reshape(-1, math.prod(window))
    mask = mask.unsqueeze(1) - mask.unsqueeze(2)
    return mask.masked_fill(mask != 0, -100.0).masked_fill(mask == 0, 0.0)


@pytest.mark.parametrize("window", [(2, 2), (7, 7), (8, 8), (8, 7, 7), (2, 3, 2)])
def test_position_index_is_torchvisions(window):
    assert relative_index(window) == torchvision_index(window).flatten().tolist()


@pytest.mark.parametrize("sizes, window, shift", [((56, 56), (7, 7), (3, 3)), ((14, 21), (7, 7), (3, 3)),
                                                  ((8, 8), (4, 4), (2, 2)), ((8, 56, 56), (8, 7, 7), (0, 3, 3)),
                                                  ((4, 6, 6), (2, 3, 3), (1, 1, 1))])
def test_shift_mask_is_torchvisions(sizes, window, shift):
    assert torch.equal(torch.from_numpy(shift_mask(sizes, window, shift))[:, 0], torchvision_mask(sizes, window, shift))


def _windows3d(x, window):
    """torchvision's 3-D window partition of B×T×H×W×C, as B×nW×S×C."""
    b, t, h, w, c = x.shape
    d, hh, ww = window
    x = x.view(b, t // d, d, h // hh, hh, w // ww, ww, c).permute(0, 1, 3, 5, 2, 4, 6, 7)
    return x.reshape(b, -1, d * hh * ww, c)


def _windows(x, s):
    """torchvision's window partition of B×H×W×C, as B×nW×S×C."""
    b, h, w, c = x.shape
    return x.view(b, h // s, s, w // s, s, c).permute(0, 1, 3, 2, 4, 5).reshape(b, -1, s * s, c)


@pytest.mark.parametrize("shape, chain, out, reference", [
    ("[6, 8, 4]", "roll([-3, 2], [\"h\", \"w\"])", (6, 8, 4), lambda x: torch.roll(x, (-3, 2), (1, 2))),
    ("[6, 8, 4]", "roll([13], [0])", (6, 8, 4), lambda x: torch.roll(x, 13, 1)),
    ("[6, 8, 4]", "roll([0, 6], [\"h\", \"w\"])", (6, 8, 4), lambda x: torch.roll(x, (0, 6), (1, 2))),
    ("[6, 8, 4]", "windows(2)", (12, 4, 4), lambda x: _windows(x, 2)),
    ("[6, 8, 4]", "windows(2) -> unwindows(2, [6, 8])", (6, 8, 4), lambda x: x),
    ("[5, 7, 4]", "windows(4, shift=2)", (4, 16, 4),
     lambda x: _windows(torch.roll(torch.nn.functional.pad(x, (0, 0, 0, 1, 0, 3)), (-2, -2), (1, 2)), 4)),
    ("[5, 7, 4]", "windows(4, shift=[2, 1]) -> unwindows(4, [5, 7], [2, 1])", (5, 7, 4), lambda x: x),
    ("[4, 6, 6, 2]", "windows([2, 3, 3])", (8, 18, 2), lambda x: _windows3d(x, (2, 3, 3))),
    ("[4, 6, 6, 2]", "windows([2, 3, 3]) -> unwindows([2, 3, 3], [4, 6, 6])", (4, 6, 6, 2), lambda x: x),
    ("[4, 6, 5]", "windows(2) -> matmul(in -> windows(2), transpose=true)", (6, 4, 4),
     lambda x: _windows(x, 2).matmul(_windows(x, 2).transpose(-2, -1))),
])
def test_window_ops_equal_torch(tmp_path, shape, chain, out, reference):
    axes = "h, w, c" if shape.count(",") == 2 else "t, h, w, c"
    model = compile_net(tmp_path, net(shape, chain, axes).replace("in ->", "x ->"))
    assert model.network.outputs[0].shape == out
    _, inputs, expected = run_torch_and_onnx(model)
    torch.testing.assert_close(torch.from_numpy(expected[0]), reference(torch.from_numpy(inputs["x"])))


def test_matmul_costs_and_broadcasts(tmp_path):
    model = compile_net(tmp_path, """network n() {
    input a: [3, 5, 4] as g, n, d
    input b: [1, 4, 6] as g, d, m
    output y = a -> mm: matmul(b)
}""")
    assert model.network.outputs[0].shape == (3, 5, 6)
    assert model.analysis.layers["mm"].cost.macs == 3 * 5 * 6 * 4
    _, inputs, expected = run_torch_and_onnx(model)
    torch.testing.assert_close(torch.from_numpy(expected[0]),
                               torch.from_numpy(inputs["a"]).matmul(torch.from_numpy(inputs["b"])))


def test_window_attention_scores_equal_torchvisions(tmp_path):
    """Scores of 2 heads over shifted 4×4 windows of an 8×8 map, with the bias table gathered by the
    index buffer and the shift mask: torchvision's steps, one by one."""
    model = compile_net(tmp_path, """network n() {
    input x: [8, 8, 6] as h, w, c
    table = relative_position_bias_table: param([49, 2], std=0.02)
    index = relative_position_index: position_index(4)
    q = x -> roll([-2, -2], ["h", "w"]) -> windows(4) -> reshape([4, 16, 2, 3]) -> permute(0, 2, 1, 3)
    output y = q -> matmul(q, transpose=true) -> relative_bias(table, index) -> shift_mask(4, 2, [8, 8])
}""")
    assert model.network.outputs[0].shape == (4, 2, 16, 16)
    state = random_state(model)
    state["relative_position_index"] = torchvision_index((4, 4)).numpy()
    _, inputs, expected = run_torch_and_onnx(model, state=state)
    x = torch.roll(torch.from_numpy(inputs["x"]), (-2, -2), (1, 2))
    q = _windows(x, 4).reshape(2, 4, 16, 2, 3).permute(0, 1, 3, 2, 4)
    table = torch.from_numpy(state["relative_position_bias_table"])
    bias = table[torchvision_index((4, 4))].view(16, 16, -1).permute(2, 0, 1)
    scores = q.matmul(q.transpose(-2, -1)) + bias + torchvision_mask((8, 8), (4, 4), (2, 2)).unsqueeze(1)
    torch.testing.assert_close(torch.from_numpy(expected[0]), scores)


def test_position_index_is_an_int64_buffer(tmp_path):
    model = compile_net(tmp_path, net("[4, 4, 8]", "relative_bias(relative_position_bias_table: param([9, 2]),"
                                      " relative_position_index: position_index(2))", "h, w, c")
                        .replace("x -> relative_bias", "x -> windows(2) -> reshape([4, 2, 4, 4])"
                                                        " -> relative_bias"))
    state = model.to_torch().state_dict()
    assert state["relative_position_index"].dtype == torch.int64
    assert state["relative_position_index"].tolist() == relative_index((2, 2))
    assert model.analysis.totals.buffers == 16 and model.params == 18


@pytest.mark.parametrize("shape, chain, message", [
    ("[6, 8, 4]", "windows([2, 2, 3])", "windows: a 6×8 map needs 2 window sizes and shifts, not 2×2×3 and 0×0"),
    ("[6, 8, 4]", "windows(4, shift=4)", "windows: the shift 4×4 must be below the window 4×4"),
    ("[4, 8, 8]", "permute(\"c\", \"h\", \"w\") -> windows(2)",
     "windows needs a channels-last map (h, w, c or t, h, w, c), but its input is 8×4×8 (c, h, w):"
     " permute(\"h\", \"w\", \"c\") first"),
    ("[6, 8, 4]", "windows(2) -> unwindows(2, [8, 8])", "unwindows: 12×4×4 is not the windows of 2×2 of a 8×8 map"),
    ("[6, 8, 4]", "roll([1, 2], [\"h\"])", "roll: 2 shifts for 1 axes"),
    ("[6, 8, 4]", "matmul(x)", "matmul: input 1 is 6×8×4 but input 2 is 6×8×4"),
    ("[6, 8, 4]", "matmul(x -> take(0))", "matmul: input 1 is 6×8×4 but input 2 is 8×4"),
    ("[6, 8, 4]", "windows(2) -> reshape([12, 1, 4, 4]) -> shift_mask(2, 2, [6, 8])",
     "shift_mask: the shift 2×2 must be below the window 2×2 on every axis, and above 0 on one"),
    ("[6, 8, 4]", "windows(2) -> reshape([12, 1, 4, 4]) -> shift_mask(2, 1, [8, 8])",
     "shift_mask: scores 12×1×4×4 are not those of the 2×2 windows of a 8×8 map (16×heads×4×4)"),
])
def test_misuse(tmp_path, shape, chain, message):
    with pytest.raises(CompileError) as err:
        compile_net(tmp_path, net(shape, chain, "h, w, c"))
    assert err.value.diagnostics[0].message == message


def test_square_buffers_and_params_are_built_whole(tmp_path):
    """A 3-D window's S×S index and a square param keep both sizes in the generated module (a pair of
    equal sizes is otherwise written once, as conv's kernel 3 for (3, 3))."""
    model = compile_net(tmp_path, """network n() {
    input x: [2, 4, 4, 8] as t, h, w, c
    table = relative_position_bias_table: param([27, 2])
    index = relative_position_index: position_index([2, 2, 2], flat=false)
    q = x -> windows(2) -> reshape([4, 8, 2, 4]) -> permute(0, 2, 1, 3)
    output y = q -> matmul(q, transpose=true) -> relative_bias(table, index) -> mul(square: param([1, 1, 8, 8]))
}""")
    assert model.network.outputs[0].shape == (4, 2, 8, 8)
    state = model.to_torch().state_dict()
    assert tuple(state["relative_position_index"].shape) == (8, 8)
    assert state["relative_position_index"].flatten().tolist() == relative_index((2, 2, 2))
    assert tuple(state["square"].shape) == (1, 1, 8, 8)
    run_torch_and_onnx(model)


def torchvision_coords_table(window: tuple[int, int]):
    """ShiftedWindowAttentionV2.define_relative_position_bias_table, as torchvision writes it."""
    h = torch.arange(-(window[0] - 1), window[0], dtype=torch.float32)
    w = torch.arange(-(window[1] - 1), window[1], dtype=torch.float32)
    table = torch.stack(torch.meshgrid([h, w], indexing="ij")).permute(1, 2, 0).contiguous().unsqueeze(0)
    table[:, :, :, 0] /= window[0] - 1
    table[:, :, :, 1] /= window[1] - 1
    table *= 8
    return torch.sign(table) * torch.log2(torch.abs(table) + 1.0) / 3.0


@pytest.mark.parametrize("window", [(8, 8), (7, 7), (3, 5)])
def test_coords_table_is_torchvisions(window):
    torch.testing.assert_close(torch.from_numpy(coords_table(window)), torchvision_coords_table(window))


def test_swin_v2_scores_equal_torchvisions(tmp_path):
    """Cosine scores of 2 heads over 4×4 windows, K's bias left out, scaled by exp(min(logit_scale,
    log 100)), plus 16·sigmoid of the coordinate MLP's bias: torchvision's V2 steps, one by one."""
    model = compile_net(tmp_path, """network n() {
    input x: [8, 8, 6] as h, w, c
    table = coords: coords_table(4) -> cpb: (linear(16) -> relu -> linear(2, bias=false)) -> sigmoid -> scale(16.0)
    q = x -> windows(4) -> qkv: packed_qkv(k_bias=false) -> reshape([4, 16, 3, 2, 3]) -> permute(2, 0, 3, 1, 4)
    output y = q -> take(0) -> normalize -> matmul(q -> take(1) -> normalize, transpose=true)
        -> exp_scale(logit: param([2, 1, 1], 2.3)) -> relative_bias(table, index: position_index(4))
}""")
    state = random_state(model)
    state["logit"] = np.array([[[5.0]], [[0.5]]], np.float32)  # one above log(100): clamped
    state["coords"] = torchvision_coords_table((4, 4)).numpy()
    state["index"] = torchvision_index((4, 4)).numpy()
    _, inputs, expected = run_torch_and_onnx(model, state=state)
    s = {k: torch.from_numpy(v) for k, v in state.items()}
    bias = s["qkv.bias"].clone()
    bias[6:12] = 0
    qkv = torch.nn.functional.linear(_windows(torch.from_numpy(inputs["x"]), 4), s["qkv.weight"], bias)
    q, k = qkv.reshape(2, 4, 16, 3, 2, 3).permute(3, 0, 1, 4, 2, 5)[:2]
    scores = torch.nn.functional.normalize(q, dim=-1) @ torch.nn.functional.normalize(k, dim=-1).transpose(-2, -1)
    scores = scores * torch.clamp(s["logit"], max=math.log(100.0)).exp()
    hidden = torch.relu(torch.nn.functional.linear(s["coords"], s["cpb.0.weight"], s["cpb.0.bias"]))
    table = torch.nn.functional.linear(hidden, s["cpb.2.weight"]).view(-1, 2)
    bias = 16 * torch.sigmoid(table[s["index"]].view(16, 16, -1).permute(2, 0, 1))
    torch.testing.assert_close(torch.from_numpy(expected[0]), scores + bias, rtol=1e-5, atol=1e-5)
