"""permute, reshape, flatten(start, end), mean(axes), softmax(axis): shapes, axis names,
and the same numbers as PyTorch through the generated module and ONNX."""

from __future__ import annotations

import pytest

from tests.ops.support import compile_net, first_error, net, run_torch_and_onnx

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("shape, axes, chain, out, out_axes, reference", [
    ("[6, 4, 5]", "", "permute(\"h\", \"w\", \"c\")", (4, 5, 6), ("h", "w", "c"), lambda x: x.permute(0, 2, 3, 1)),
    ("[6, 4, 5]", "", "permute(2, 0, 1)", (5, 6, 4), ("w", "c", "h"), lambda x: x.permute(0, 3, 1, 2)),
    ("[6, 4, 5]", "", "flatten", (120,), ("c",), lambda x: x.flatten(1)),
    ("[6, 4, 5]", "", "flatten(1)", (6, 20), ("c", "hw"), lambda x: x.flatten(2)),
    ("[6, 4, 5]", "", "flatten(\"h\", \"w\") -> permute(\"hw\", \"c\")", (20, 6), ("hw", "c"),
     lambda x: x.flatten(2).transpose(1, 2)),
    ("[6, 4, 5]", "", "flatten(0, 1)", (24, 5), ("ch", "w"), lambda x: x.flatten(1, 2)),
    ("[20, 6]", "n, d", "reshape([4, 5, 6], axes=[\"h\", \"w\", \"c\"])", (4, 5, 6), ("h", "w", "c"),
     lambda x: x.reshape(-1, 4, 5, 6)),
    ("[20, 6]", "n, d", "reshape([-1, 3])", (40, 3), ("c", "l"), lambda x: x.reshape(-1, 40, 3)),
    ("[6, 4, 5]", "", "mean(\"h\", \"w\")", (6,), ("c",), lambda x: x.mean((2, 3))),
    ("[6, 4, 5]", "", "mean(-1, keepdim=true)", (6, 4, 1), ("c", "h", "w"), lambda x: x.mean(3, keepdim=True)),
    ("[5, 16]", "n, d", "mean(\"n\")", (16,), ("d",), lambda x: x.mean(1)),
    ("[6, 4, 5]", "", "softmax", (6, 4, 5), ("c", "h", "w"), lambda x: x.softmax(1)),
    ("[6, 4, 5]", "", "softmax(\"w\")", (6, 4, 5), ("c", "h", "w"), lambda x: x.softmax(3)),
    ("[5, 16]", "n, d", "softmax", (5, 16), ("n", "d"), lambda x: x.softmax(2)),
    ("[5, 16]", "n, d", "softmax(-2)", (5, 16), ("n", "d"), lambda x: x.softmax(1)),
])
@pytest.mark.parametrize("opset", [14, 18])
def test_axis_ops_equal_pytorch(tmp_path, shape, axes, chain, out, out_axes, reference, opset):
    model = compile_net(tmp_path, net(shape, "y0: " + chain, axes))
    port = model.network.outputs[0]
    assert (port.shape, model.network.node(port.node).layout) == (out, out_axes)
    _, inputs, expected = run_torch_and_onnx(model, opset=opset)
    assert abs(reference(torch.from_numpy(inputs["x"])).numpy() - expected[0]).max() <= 1e-6


def test_layer_norm_linear_over_channels_last_as_convnext(tmp_path):
    """ConvNeXt's block: permute to channels last, layer_norm and linear act on the last axis, back."""
    model = compile_net(tmp_path, net("[8, 5, 5]", "conv(8, 7, pad=3, groups=8) -> permute(\"h\", \"w\", \"c\")"
                                      " -> layer_norm(eps=1e-6) -> linear(32) -> gelu -> fc2: linear(8)"
                                      " -> permute(\"c\", \"h\", \"w\")"))
    assert model.network.outputs[0].shape == (8, 5, 5)
    assert model.analysis.layers["fc2"].cost.macs == 25 * 32 * 8
    assert model.analysis.layers["fc2"].receptive_field == (7, 7)
    run_torch_and_onnx(model)


def test_mean_over_the_map_sees_it_all(tmp_path):
    model = compile_net(tmp_path, net("[4, 9, 9]", "conv(4, 3) -> m: mean(\"h\", \"w\")"))
    assert model.analysis.layers["m"].receptive_field == (9, 9)
    assert model.analysis.layers["m"].cost.flops == 4 * 49


@pytest.mark.parametrize("shape, axes, chain, message", [
    ("[6, 4, 5]", "", "permute(\"h\", \"c\")", "permute needs every axis of the input (c, h, w) once, not 2"),
    ("[6, 4, 5]", "", "permute(\"h\", \"h\", \"c\")", "permute: an axis is named twice in h, h, c"),
    ("[6, 4, 5]", "", "permute(\"t\", \"h\", \"c\")", "permute: the input (c, h, w) has no axis `t`"),
    ("[6, 4, 5]", "", "permute(3, 1, 2)", "permute: axis 3 is out of range for an input of 3 axes (c, h, w)"),
    ("[6, 4, 5]", "", "reshape([7, -1])", "reshape: 6×4×5 = 120 elements do not divide into [7, -1]"),
    ("[6, 4, 5]", "", "reshape([7, 3])", "reshape: 6×4×5 = 120 elements cannot be 7×3 = 21"),
    ("[6, 4, 5]", "", "reshape([2, 60], axes=[\"n\"])", "reshape: 1 axis names for 2 sizes"),
    ("[6, 4, 5]", "", "flatten(2, 1)", "flatten: start axis w comes after end axis h"),
    ("[6]", "", "mean(0)", "mean over every axis would leave no axis: keep one, or use keepdim=true"),
    ("[6, 4, 5]", "", "softmax([1, 2])", "softmax runs along one axis, not 2"),
    ("[6, 4, 5]", "", "mean(1.5)",
     "mean: `axes` must be an axis (a name such as \"c\", or an index) or a list of them, not the number 1.5"),
])
def test_misuse(tmp_path, shape, axes, chain, message):
    assert first_error(tmp_path, net(shape, chain, axes)).message == message


def test_concat_along_a_named_axis(tmp_path):
    """Swin's patch merging joins channels-last maps along `c`; the default is the first axis."""
    model = compile_net(tmp_path, """network n() {
    input x: [4, 6, 3] as h, w, c
    a = x -> relu
    b = concat(concat(a, x, axis="c"), concat(x, a, axis="c"), axis="w")
    output y = concat(x, a, axis="c") -> concat(concat(a, x, axis="c"), axis="w") -> concat(b)
}""")
    assert model.network.outputs[0].shape == (8, 12, 6)
    _, inputs, expected = run_torch_and_onnx(model)
    x = torch.from_numpy(inputs["x"])
    a = x.relu()
    b = torch.cat([torch.cat([a, x], 3), torch.cat([x, a], 3)], 2)
    y = torch.cat([torch.cat([torch.cat([x, a], 3), torch.cat([a, x], 3)], 2), b], 1)
    assert abs(y.numpy() - expected[0]).max() <= 1e-6
    assert first_error(tmp_path, net("[4, 6, 3]", 'concat(x -> avgpool(2, stride=1), axis="w")')).message == \
        "concat: input 2 is 4×5×2 but input 1 is 4×6×3 (all axes but w must agree)"
