"""pad, pixel_shuffle and conv_transpose against PyTorch, through the generated module and ONNX."""

from __future__ import annotations

import pytest

from tests.ops.support import compile_net, first_error, net, random_state, run_torch_and_onnx, same_as_reference

torch = pytest.importorskip("torch")
F, nn = torch.nn.functional, torch.nn


@pytest.mark.parametrize("shape, chain, out, reference", [
    ("[3, 5, 7]", "pad(0, 1, 0, 1)", (3, 6, 8), lambda x: F.pad(x, (0, 1, 0, 1))),
    ("[3, 5, 7]", "pad(1, 2, 3, 0, mode=\"reflect\")", (3, 8, 10), lambda x: F.pad(x, (1, 2, 3, 0), mode="reflect")),
    ("[3, 5, 7]", "pad(top=2, mode=\"replicate\")", (3, 7, 7), lambda x: F.pad(x, (0, 0, 2, 0), mode="replicate")),
    ("[2, 9]", "pad(3, 1)", (2, 13), lambda x: F.pad(x, (3, 1))),
    ("[2, 3, 4, 4]", "pad(1, 0, 0, 1, 2, 0)", (2, 5, 5, 5), lambda x: F.pad(x, (1, 0, 0, 1, 2, 0))),
    ("[3, 5, 7]", "pad(-1, 1, -1, 1)", (3, 5, 7), lambda x: F.pad(x, (-1, 1, -1, 1))),
    ("[8, 3, 4]", "pixel_shuffle(2)", (2, 6, 8), lambda x: F.pixel_shuffle(x, 2)),
])
def test_pad_and_pixel_shuffle_equal_pytorch(tmp_path, shape, chain, out, reference):
    model = compile_net(tmp_path, net(shape, chain))
    assert model.network.outputs[0].shape == out
    _, inputs, expected = run_torch_and_onnx(model)
    assert abs(reference(torch.from_numpy(inputs["x"])).numpy() - expected[0]).max() <= 1e-6


@pytest.mark.parametrize("shape, chain, reference", [
    ("[4, 5, 6]", "layer: conv_transpose(3, 4, stride=2, pad=1)", lambda: nn.ConvTranspose2d(4, 3, 4, 2, 1)),
    ("[4, 5, 6]", "layer: conv_transpose(6, 3, stride=2, pad=1, output_pad=1, groups=2, bias=false)",
     lambda: nn.ConvTranspose2d(4, 6, 3, 2, 1, 1, groups=2, bias=False)),
    ("[4, 7]", "layer: conv_transpose(2, 5, stride=3, dilation=2)", lambda: nn.ConvTranspose1d(4, 2, 5, 3, dilation=2)),
    ("[2, 3, 4, 4]", "layer: conv_transpose(3, [1, 2, 2], stride=[1, 2, 2])",
     lambda: nn.ConvTranspose3d(2, 3, (1, 2, 2), (1, 2, 2))),
])
def test_conv_transpose_equals_pytorchs_layer(tmp_path, shape, chain, reference):
    model = compile_net(tmp_path, net(shape, chain))
    module, inputs, expected = run_torch_and_onnx(model, state=random_state(model))
    layer = reference()
    assert {k: tuple(v.shape) for k, v in layer.state_dict().items()} == {
        k.split(".", 1)[1]: tuple(v.shape) for k, v in module.state_dict().items()}
    assert model.network.outputs[0].shape == layer(torch.zeros(1, *model.network.inputs[0].shape)).shape[1:]
    same_as_reference(module, layer, inputs, expected)


def test_costs(tmp_path):
    model = compile_net(tmp_path, net("[4, 5, 6]", "up: conv_transpose(8, 3, stride=2, groups=2) -> pad(1, 1)"
                                      " -> ps: pixel_shuffle(2)"))
    up = model.analysis.layers["up"]
    assert up.node.shape == (8, 11, 13)
    assert (up.cost.params, up.cost.macs) == (4 * 4 * 9 + 8, 4 * 5 * 6 * 4 * 9)
    assert model.network.outputs[0].shape == (2, 22, 30)
    assert model.analysis.layers["ps"].cost.flops == 0


@pytest.mark.parametrize("shape, chain, message", [
    ("[3, 5, 7]", "pad(0, 1, 0, 1, 1)", "pad: `front` pads a spatial axis this input does not have (2 spatial axes)"),
    ("[3, 5, 7]", "pad(7, mode=\"reflect\")", "pad: reflect padding of 7 needs more than 7 positions along w"),
    ("[3, 5, 7]", "pad(-1, mode=\"replicate\")", "pad: a negative side crops, which only mode=\"zeros\" does (as F.pad)"),
    ("[3, 5, 7]", "pad(-4, -3)", "pad: -4 and -3 leave no position of the 7 along w"),
    ("[3, 5, 7]", "pad(mode=\"edge\")", "pad: `mode` must be one of 'zeros', 'reflect', 'replicate', not 'edge'"),
    ("[6, 5, 7]", "pixel_shuffle(2)", "pixel_shuffle: 6 channels are not divisible by factor² = 4"),
    ("[6, 5]", "pixel_shuffle(2)", "pixel_shuffle needs a C×H×W input, but its input is 6×5 (c, l)"),
    ("[4, 5, 6]", "conv_transpose(3, 3, stride=2, output_pad=2)",
     "conv_transpose: output_pad 2 must be less than the stride or the dilation"),
])
def test_misuse(tmp_path, shape, chain, message):
    assert first_error(tmp_path, net(shape, chain)).message == message
