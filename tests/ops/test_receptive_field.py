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
