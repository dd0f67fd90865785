"""upsample and upsample_like against F.interpolate, through the generated module and ONNX."""

from __future__ import annotations

import pytest

from tests.ops.support import compile_net, first_error, net, run_torch_and_onnx

torch = pytest.importorskip("torch")
F = torch.nn.functional


@pytest.mark.parametrize("shape, chain, out, reference", [
    ("[3, 5, 7]", "upsample(2)", (3, 10, 14), lambda x: F.interpolate(x, scale_factor=2.0)),
    ("[3, 5, 7]", "upsample(scale=[2, 3])", (3, 10, 21), lambda x: F.interpolate(x, scale_factor=(2.0, 3.0))),
    ("[3, 5, 7]", "upsample(1.5, mode=\"bilinear\")", (3, 7, 10),
     lambda x: F.interpolate(x, scale_factor=1.5, mode="bilinear", align_corners=False,
                           recompute_scale_factor=True)),
    ("[3, 5, 7]", "upsample(size=[9, 16], mode=\"bilinear\")", (3, 9, 16),
     lambda x: F.interpolate(x, size=(9, 16), mode="bilinear", align_corners=False)),
    ("[3, 5, 7]", "upsample(size=[9, 16], mode=\"bilinear\", align_corners=true)", (3, 9, 16),
     lambda x: F.interpolate(x, size=(9, 16), mode="bilinear", align_corners=True)),
    ("[3, 1, 1]", "upsample(size=[6, 6], mode=\"bilinear\")", (3, 6, 6),
     lambda x: F.interpolate(x, size=(6, 6), mode="bilinear", align_corners=False)),
    ("[3, 5, 7]", "upsample(size=[11, 13])", (3, 11, 13), lambda x: F.interpolate(x, size=(11, 13))),
    ("[3, 5, 7]", "upsample(size=12, mode=\"bicubic\")", (3, 12, 12),
     lambda x: F.interpolate(x, size=12, mode="bicubic", align_corners=False)),
    ("[2, 40]", "upsample(4, mode=\"linear\")", (2, 160),
     lambda x: F.interpolate(x, scale_factor=4.0, mode="linear", align_corners=False)),
    ("[2, 3, 4, 5]", "upsample([1, 2, 2], mode=\"trilinear\")", (2, 3, 8, 10),
     lambda x: F.interpolate(x, scale_factor=(1.0, 2.0, 2.0), mode="trilinear", align_corners=False)),
])
@pytest.mark.parametrize("opset", [17, 18])
def test_upsample_equals_interpolate(tmp_path, shape, chain, out, reference, opset):
    model = compile_net(tmp_path, net(shape, chain))
    assert model.network.outputs[0].shape == out
    _, inputs, expected = run_torch_and_onnx(model, opset=opset)
    assert abs(reference(torch.from_numpy(inputs["x"])).numpy() - expected[0]).max() <= 1e-5


def test_upsample_like_takes_the_other_tensors_size(tmp_path):
    model = compile_net(tmp_path, """network n() {
    input x: [4, 16, 16]
    deep = x -> conv(8, 3, stride=2, pad=1) -> conv(8, 3, stride=2, pad=1)
    output y = deep -> up: upsample_like(x, mode="bilinear") -> concat(x)
}""")
    assert model.network.outputs[0].shape == (12, 16, 16)
    assert model.analysis.layers["up"].cost.flops == 7 * 8 * 16 * 16
    run_torch_and_onnx(model)


@pytest.mark.parametrize("chain, message", [
    ("upsample", "upsample needs exactly one of `scale` and `size`"),
    ("upsample(2, size=4)", "upsample needs exactly one of `scale` and `size`"),
    ("upsample(0)", "upsample: `scale` must be greater than 0, not 0"),
    ("upsample(2, mode=\"area\")", "upsample: `mode` must be one of 'nearest', 'linear', 'bilinear', 'trilinear',"
                                   " 'bicubic', not 'area'"),
    ("upsample(2, mode=\"trilinear\")", "upsample: mode 'trilinear' is for 3 spatial axes; this input has 2"
                                        " (use bilinear or bicubic)"),
    ("upsample(2, align_corners=true)", "upsample: `align_corners` applies to the interpolating modes, not nearest"),
    ("upsample(0.1)", "upsample: the output would be 0×0"),
])
def test_upsample_misuse(tmp_path, chain, message):
    assert first_error(tmp_path, net("[3, 5, 7]", chain)).message == message
