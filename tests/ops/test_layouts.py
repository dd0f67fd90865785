"""Tensor layouts: shapes of any rank, axis names from the rank or declared with `as`,
spatial ops over however many spatial axes a tensor has, `linear` on the last axis."""

from __future__ import annotations

import pytest

from netdsl.views.units import shape_text
from tests.ops.support import compile_net, first_error, net, run_torch_and_onnx, same_as_reference

torch = pytest.importorskip("torch")
nn = torch.nn


def test_layout_is_inferred_from_the_rank_and_named_with_as(tmp_path):
    text = """network n() {
    input wave: [1, 16000]
    input clip: [3, 8, 56, 56] as c, t, h, w
    input tokens: [197, 768] as n, d
    input vector: [10]
    output a = wave -> conv(wave.c * 4, 80, stride=16)
    output b = clip -> conv(clip.t * 8, [1, 3, 3], pad=[0, 1, 1])
    output c = tokens -> linear(tokens.d // 2)
    output d = vector -> linear(vector.c + 2)
}"""
    model = compile_net(tmp_path, text)
    ports = {p.name: p for p in model.network.inputs + model.network.outputs}
    assert [ports[n].axes for n in ("wave", "clip", "tokens", "vector")] == [
        ("c", "l"), ("c", "t", "h", "w"), ("n", "d"), ("c",)]
    assert ports["a"].shape == (4, 996)
    assert ports["b"].shape == (64, 8, 56, 56)
    assert ports["c"].shape == (197, 384)
    assert ports["d"].shape == (12,)
    assert [ports[n].axes for n in "abcd"] == [("c", "l"), ("c", "t", "h", "w"), ("n", "d"), ("c",)]
    assert [shape_text(ports[n].shape) for n in ("wave", "clip", "tokens")] == ["1×16000", "3×8×56×56", "197×768"]


@pytest.mark.parametrize("declaration, message", [
    ("input x: [3, 8] as c, h, w", "input `x`: 3 axis names for a shape of 2 axes"),
    ("input x: [3, 8] as c, c", "input `x`: axis `c` is named twice"),
    ("input x: [1, 2, 3, 4, 5]",
     "a shape of 5 axes has no default layout: name its axes, e.g. `as a0, a1, a2, a3, a4`"),
    ("input x: [1, 2, 3, 4, 5, 6, 7]", "an input shape is a list of 1 to 6 positive integers"),
])
def test_bad_layouts_are_located(tmp_path, declaration, message):
    diag = first_error(tmp_path, f"network n() {{\n    {declaration}\n    output y = x -> relu\n}}\n")
    assert message in diag.message and diag.span.line == 2


def test_unknown_axis_names_the_axes_there_are(tmp_path):
    diag = first_error(tmp_path, net("[197, 768]", "linear(x.c)", "n, d"))
    assert diag.message == "a tensor has no attribute `c`"
    assert ".n, .d" in diag.hint


@pytest.mark.parametrize("shape, axes, chain, reference", [
    ("[2, 50]", "", "layer: conv(4, 5, stride=2, pad=1, dilation=2)",
     lambda: nn.Conv1d(2, 4, 5, stride=2, padding=1, dilation=2)),
    ("[4, 30]", "", "layer: conv(4, 3, groups=4, bias=false)", lambda: nn.Conv1d(4, 4, 3, groups=4, bias=False)),
    ("[3, 6, 10, 10]", "c, t, h, w", "layer: conv(8, [3, 3, 3], stride=[1, 2, 2], pad=1)",
     lambda: nn.Conv3d(3, 8, 3, stride=(1, 2, 2), padding=1)),
    ("[3, 5, 9, 9]", "", "layer: conv(6, [1, 3, 3], pad=[0, 1, 1], groups=3)",
     lambda: nn.Conv3d(3, 6, (1, 3, 3), padding=(0, 1, 1), groups=3)),
    ("[3, 9]", "", "layer: bn", lambda: nn.BatchNorm1d(3)),
    ("[3, 4, 5, 5]", "", "layer: bn(eps=1e-3)", lambda: nn.BatchNorm3d(3, eps=1e-3)),
    ("[5, 16]", "n, d", "layer: linear(8)", lambda: nn.Linear(16, 8)),
    ("[2, 5, 16]", "b, n, d", "layer: linear(8, bias=false)", lambda: nn.Linear(16, 8, bias=False)),
])
def test_stateful_ops_of_any_rank_equal_pytorchs_layer(tmp_path, shape, axes, chain, reference):
    model = compile_net(tmp_path, net(shape, chain, axes))
    module, inputs, expected = run_torch_and_onnx(model)
    layer = reference()
    assert {k: tuple(v.shape) for k, v in layer.state_dict().items()} == {
        k.split(".", 1)[1]: tuple(v.shape) for k, v in module.state_dict().items()}
    same_as_reference(module, layer, inputs, expected)


@pytest.mark.parametrize("shape, chain, out, reference", [
    ("[2, 51]", "maxpool(3, stride=2, pad=1, ceil=true)", (2, 26), lambda x: torch.nn.functional.max_pool1d(
        x, 3, 2, 1, ceil_mode=True)),
    ("[2, 50]", "avgpool(4, count_pad=false, pad=2)", (2, 13),
     lambda x: torch.nn.functional.avg_pool1d(x, 4, 4, 2, count_include_pad=False)),
    ("[2, 50]", "adaptive_avgpool(7)", (2, 7), lambda x: torch.nn.functional.adaptive_avg_pool1d(x, 7)),
    ("[2, 50]", "global_maxpool", (2, 1), lambda x: x.amax(-1, keepdim=True)),
    ("[2, 4, 8, 8]", "maxpool([1, 2, 2])", (2, 4, 4, 4), lambda x: torch.nn.functional.max_pool3d(x, (1, 2, 2))),
    ("[2, 4, 8, 8]", "avgpool(2, stride=[2, 1, 1])", (2, 2, 7, 7),
     lambda x: torch.nn.functional.avg_pool3d(x, 2, (2, 1, 1))),
    ("[2, 4, 9, 7]", "adaptive_avgpool([2, 3, 3])", (2, 2, 3, 3),
     lambda x: torch.nn.functional.adaptive_avg_pool3d(x, (2, 3, 3))),
    ("[2, 4, 8, 8]", "global_avgpool", (2, 1, 1, 1), lambda x: x.mean((2, 3, 4), keepdim=True)),
    ("[4, 6, 5, 5]", "shuffle(2)", (4, 6, 5, 5), lambda x: x.unflatten(1, (2, 2)).transpose(1, 2).flatten(1, 2)),
    ("[4, 30]", "lrn(3)", (4, 30), lambda x: torch.nn.functional.local_response_norm(x, 3)),
])
def test_pools_of_any_rank_equal_pytorch(tmp_path, shape, chain, out, reference):
    model = compile_net(tmp_path, net(shape, chain))
    assert model.network.outputs[0].shape == out
    module, inputs, expected = run_torch_and_onnx(model)
    got = reference(torch.from_numpy(inputs["x"])).numpy()
    assert abs(got - expected[0]).max() <= 1e-5


def test_per_axis_arguments_count_the_spatial_axes(tmp_path):
    assert first_error(tmp_path, net("[3, 8, 8, 8]", "conv(4, [3, 3])")).message == \
        "conv: `kernel` must be an integer or [depth, height, width], not a list of 2"


def test_conv_on_tokens_is_refused_in_the_users_terms(tmp_path):
    assert first_error(tmp_path, net("[197, 768]", "conv(4, 3)", "n, d")).message == \
        "conv needs a C×L, C×H×W or C×D×H×W input, but its input is 197×768 (n, d)"


def test_costs_of_any_rank(tmp_path):
    model = compile_net(tmp_path, net("[3, 8, 16, 16]", "conv3: conv(8, 3, pad=1) -> bn -> pool: global_avgpool"))
    conv, pool = model.analysis.layers["conv3"], model.analysis.layers["pool"]
    assert conv.cost.macs == 8 * 8 * 16 * 16 * 3 * 27
    assert conv.cost.params == 8 * 3 * 27 + 8
    assert pool.node.shape == (8, 1, 1, 1) and pool.cost.flops == 8 * 8 * 16 * 16
    assert conv.receptive_field == (3, 3, 3) and pool.receptive_field == (10, 18, 18)
