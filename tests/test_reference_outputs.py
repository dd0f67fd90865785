"""Every library preset with a torchvision or timm name against the vendored reference figures:
its state_dict keys and shapes and its parameter count (static, every preset), and its output under
the reference's weights and input (`tests/reference`), which also loads those weights with
`load_state_dict(strict=True)`. Forward passes of big networks are slow tests; run them by name."""

from __future__ import annotations

from functools import lru_cache

import pytest

import netdsl
from netdsl.analysis.state import state_shapes
from netdsl.library import index
from tests.reference import assert_matches, figures, reference_input, reference_output

# forward passes cheap enough for the default suite (well under a second each on one thread)
FAST = {"alexnet", "mnasnet0_5", "mnasnet0_75", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small",
        "resnet18", "shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "squeezenet1_0", "squeezenet1_1",
        "efficientnet_b0", "regnet_x_400mf", "regnet_y_400mf", "lraspp_mobilenet_v3_large"}


def _presets() -> list[tuple[str, str]]:
    """(table, name) for every preset whose name the reference knows."""
    return [(table, name) for table in ("torchvision", "timm") for name in sorted(figures(table))
            if name in index()]


@lru_cache(maxsize=None)
def _model(name: str) -> netdsl.Model:
    return netdsl.load(name)


def _forward_cases() -> list:
    return [pytest.param(table, name, id=name, marks=[] if name in FAST else [pytest.mark.slow])
            for table, name in _presets()]


@pytest.mark.parametrize("table,name", _presets(), ids=[name for _, name in _presets()])
def test_state_dict_and_params(table, name):
    ref = figures(table)[name]
    model = _model(name)
    assert list(model.network.inputs[0].shape) == ref["input_shape"][1:]
    assert state_shapes(model.network) == {key: tuple(shape) for key, shape in ref["state_dict"]}
    assert model.params == ref["params"]


@pytest.mark.parametrize("table,name", _forward_cases())
def test_output_equals_reference(table, name):
    ref = figures(table)[name]
    assert_matches(reference_output(_model(name).to_torch(), ref), ref)


def test_a_changed_weight_is_noticed():
    """The comparison is tight enough to see one bias of the last layer moved by 0.01."""
    import torch

    ref = figures("torchvision")["squeezenet1_1"]
    module = _model("squeezenet1_1").to_torch()
    assert_matches(reference_output(module, ref), ref)
    dict(module.named_parameters())["classifier.1.bias"].data[0] += 0.01
    with torch.no_grad():
        out = module(reference_input(ref))
    with pytest.raises(AssertionError):
        assert_matches(out, ref)


# issue 11's list, and the six timm seeds: each must be a preset that this file compares
EXPECTED = {
    "inception_v3", "wide_resnet50_2", "wide_resnet101_2", "resnext101_64x4d", "mnasnet0_5", "mnasnet0_75",
    "mnasnet1_0", "mnasnet1_3", "mobilenet_v3_large", "mobilenet_v3_small", "efficientnet_v2_s",
    "efficientnet_v2_m", "efficientnet_v2_l", "convnext_tiny", "convnext_small", "convnext_base", "convnext_large",
    "fcn_resnet50", "fcn_resnet101", "deeplabv3_resnet50", "deeplabv3_resnet101", "deeplabv3_mobilenet_v3_large",
    "lraspp_mobilenet_v3_large", "r3d_18", "mc3_18", "r2plus1d_18", "s3d",
    "seresnet50", "seresnext50_32x4d", "inception_v4", "inception_resnet_v2", "legacy_xception", "nasnetalarge",
} | {f"efficientnet_b{i}" for i in range(8)} | {f"regnet_{kind}_{size}" for kind in "xy" for size in (
    "400mf", "800mf", "1_6gf", "3_2gf", "8gf", "16gf", "32gf")}


def test_every_model_of_the_issue_is_compared():
    """A renamed or dropped preset would silently leave the comparison: the list is checked."""
    assert EXPECTED - {name for _, name in _presets()} == set()
