"""Published figures, asserted exactly: the seeds' tables and torchvision's counts."""

from __future__ import annotations

import math

import pytest

import netdsl
from netdsl.analysis.state import state_shapes
from tests.conftest import EXAMPLES, NETS
from tests.reference import figures


def test_inception_module_naive_and_reduced():
    naive = netdsl.load(EXAMPLES / "inception_module.net", "naive")
    reduced = netdsl.load(EXAMPLES / "inception_module.net", "reduced")
    assert naive.macs == 854_196_224
    assert reduced.macs == 271_351_808
    assert naive.network.outputs[0].shape == (672, 28, 28)
    assert reduced.network.outputs[0].shape == (480, 28, 28)


def _weights_without_bias(model, prefixes: tuple[str, ...]) -> int:
    total = 0
    for lc in model.analysis.layers.values():
        node = lc.node
        if node.op in ("conv", "linear") and node.name.split(".")[0] in prefixes:
            total += math.prod(node.spec.weights(node.site)["weight"])
    return total


def _macs(model, prefixes: tuple[str, ...]) -> int:
    return sum(lc.cost.macs for lc in model.analysis.layers.values() if lc.node.name.split(".")[0] in prefixes)


# The paper's table (seed 002): params in K = 1024 weights without biases, ops in M = 10^6 multiply-adds.
# Rows where the paper's own arithmetic is off are listed in PAPER_ERRATA with the figure that does follow.
GOOGLENET_TABLE = {
    ("conv2", "conv3"): (112, 360),
    ("inception3a",): (159, 128),
    ("inception3b",): (380, 304),
    ("inception4a",): (364, 73),
    ("inception4b",): (437, 88),
    ("inception4c",): (463, 100),
    ("inception4d",): (580, 119),
    ("inception4e",): (840, 170),
    ("inception5a",): (1072, 54),
    ("inception5b",): (1388, 71),
    ("fc",): (1000, 1),
}
# 4c's params and 5a's row do not follow from the paper's own channel counts; 3b, 4a, 4d, 4e and 5b
# params differ from the table by under 2% (the table's rounding is loose there).
PAPER_ERRATA = {("inception4c",): (497, 100), ("inception5a",): (1018, 51)}


@pytest.mark.parametrize("prefixes", list(GOOGLENET_TABLE), ids=lambda p: "+".join(p))
def test_googlenet_paper_table(prefixes):
    model = netdsl.load(NETS / "googlenet.net", "googlenet_paper")
    params_k, ops_m = PAPER_ERRATA.get(prefixes, GOOGLENET_TABLE[prefixes])
    weights = _weights_without_bias(model, prefixes) / 1024
    ops = _macs(model, prefixes) / 1e6
    assert abs(weights - params_k) / params_k < 0.02
    assert ops_m in _table_rounding(ops)


def _table_rounding(value: float) -> set[int]:
    return {math.floor(value), round(value)}


def test_googlenet_table_exact_rows():
    model = netdsl.load(NETS / "googlenet.net", "googlenet_paper")
    assert 112 in _table_rounding(_weights_without_bias(model, ("conv2", "conv3")) / 1024)
    assert 159 in _table_rounding(_weights_without_bias(model, ("inception3a",)) / 1024)
    assert _weights_without_bias(model, ("fc",)) == 1024 * 1000
    assert _macs(model, ("fc",)) == 1_024_000


@pytest.mark.parametrize("depth,paper", [(18, 1.8), (34, 3.6), (50, 3.8), (101, 7.6), (152, 11.3)])
def test_resnet_v1_paper_flops(depth, paper):
    macs = netdsl.load(NETS / "resnet.net", f"resnet{depth}_v1").macs / 1e9
    # the paper's table rounds loosely (3.86 is printed 3.8, 3.66 is 3.6): within 2%
    assert abs(macs - paper) / paper < 0.02


@pytest.mark.parametrize("name", ["resnet50", "vgg16"])
def test_torchvision_counts(name):
    ref = figures("torchvision")[name]
    model = netdsl.load(name)
    assert model.params == ref["params"]
    assert model.macs == ref["macs"]
    assert state_shapes(model.network) == {k: tuple(v) for k, v in ref["state_dict"]}


def test_exact_headline_figures():
    resnet50 = netdsl.load(NETS / "resnet.net", "resnet50")
    vgg16 = netdsl.load(NETS / "vgg.net", "vgg16")
    assert (resnet50.params, resnet50.macs) == (25_557_032, 4_089_184_256)
    assert (vgg16.params, vgg16.macs) == (138_357_544, 15_470_264_320)


def test_vgg16_activation_values():
    model = netdsl.load(NETS / "vgg.net", "vgg16")
    values = sum(lc.cost.activations // 4 for lc in model.analysis.layers.values()
                 if lc.node.op in ("input", "conv", "maxpool", "linear"))
    assert values == 15_237_608
    first = model.analysis.layer("features.0")
    assert first.cost.params - 64 == 1_728  # (3×3×3)×64 weights plus 64 biases


def test_seed_conv_arithmetic(compile_text):
    model = compile_text("""
network n() {
    input x: [3, 32, 32]
    output y = x -> conv(10, 5, stride=1, pad=2)
}""")
    assert model.network.outputs[0].shape == (10, 32, 32)
    assert model.params == 760


def test_googlenet_torchvision_and_training_only_heads():
    model = netdsl.load(NETS / "googlenet.net", "googlenet")
    assert model.params == 13_004_888
    assert model.macs == 1_498_376_192
    assert model.analysis.training_only.macs > 0
    assert [p.name for p in model.network.outputs if not p.training] == ["logits"]
