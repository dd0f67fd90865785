"""Receptive fields where a layer has no sliding window: an adaptive pool sees what its
bins cover, a global pool and a linear over a flattened map see the whole input."""

from __future__ import annotations

import pytest

import netdsl
from tests.ops.support import compile_net, net


def _fields(name: str) -> dict[str, tuple[int, ...]]:
    analysis = netdsl.load(name).analysis
    return {layer: lc.receptive_field for layer, lc in analysis.layers.items()}


@pytest.mark.parametrize("name, layer, field", [
    ("vgg16", "avgpool", (212, 212)),  # 7×7 → 7×7: each bin is one position, the field of features.30
    ("vgg16", "features.30", (212, 212)),
    ("alexnet", "avgpool", (195, 195)),  # 6×6 → 6×6
    ("vgg16", "classifier.6", (404, 404)),  # a linear over the flattened 7×7 map: 212 + 6 × 32
    ("alexnet", "classifier.6", (355, 355)),
    ("zfnet", "classifier.6", (331, 331)),
])
def test_published_endpoints(name, layer, field):
    assert _fields(name)[layer] == field


def test_adaptive_bins_that_overlap_widen_the_field(tmp_path):
    # 7 → 3 bins: [0, 3), [2, 5), [4, 7): three positions wide, two apart.
    model = compile_net(tmp_path, net("[2, 7, 7]", "conv(2, 1) -> pool: adaptive_avgpool(3) -> conv3: conv(2, 2)"))
    layers = model.analysis.layers
    assert layers["pool"].receptive_field == (3, 3) and layers["pool"].stride == (2, 2)
    assert layers["conv3"].receptive_field == (5, 5)


def test_flatten_alone_does_not_widen_but_the_next_linear_does(tmp_path):
    model = compile_net(tmp_path, net("[2, 9]", "conv(2, 3) -> flat: flatten -> drop: dropout(0.1) -> fc: linear(4)"))
    layers = model.analysis.layers
    assert layers["flat"].receptive_field == (3,) and layers["drop"].receptive_field == (3,)
    assert layers["fc"].receptive_field == (9,)


def test_tokens_have_no_receptive_field(tmp_path):
    model = compile_net(tmp_path, net("[4, 8]", "fc: linear(4)", "n, d"))
    assert model.analysis.layers["fc"].receptive_field is None


def test_resampling_ops_keep_their_inputs_field(tmp_path):
    """Padding, upsampling, pixel shuffle and a transposed conv report their input's field and
    stride (the field is in input positions; none of them widens what a value sees there)."""
    model = compile_net(tmp_path, net("[4, 16, 16]", "a: conv(4, 3, stride=2) -> b: pad(0, 1, 0, 1) -> c: upsample(2)"
                                      " -> d: conv_transpose(4, 2, stride=2) -> e: pixel_shuffle(2) -> f: conv(4, 3)"))
    layers = model.analysis.layers
    assert {layers[k].receptive_field for k in "abcde"} == {(3, 3)}
    assert {layers[k].stride for k in "abcde"} == {(2, 2)}
    assert layers["f"].receptive_field == (7, 7)


def test_fields_of_one_and_three_spatial_axes(tmp_path):
    wave = compile_net(tmp_path, net("[1, 8000]", "a: conv(8, 80, stride=4) -> b: maxpool(4) -> c: conv(8, 3)"))
    assert [wave.analysis.layers[k].receptive_field for k in "abc"] == [(80,), (92,), (124,)]
    clip = compile_net(tmp_path, net("[3, 8, 32, 32]", "a: conv(8, [3, 7, 7], stride=[1, 2, 2], pad=[1, 3, 3])"
                                     " -> b: maxpool([1, 3, 3], stride=[1, 2, 2], pad=[0, 1, 1])", "c, t, h, w"))
    assert clip.analysis.layers["b"].receptive_field == (3, 11, 11)
    assert clip.analysis.layers["b"].stride == (1, 4, 4)
