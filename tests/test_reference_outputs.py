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
from tests.reference import assert_matches, figures, reference_output

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


# presets that do not yet equal the reference, and why (strict: a fixed one must leave this list)
PENDING: dict[str, str] = {}


def _pending(name: str) -> list:
    return [pytest.mark.xfail(reason=PENDING[name], strict=True)] if name in PENDING else []


def _marks(name: str) -> list:
    return ([] if name in FAST else [pytest.mark.slow]) + _pending(name)


def _forward_cases() -> list:
    return [pytest.param(table, name, id=name, marks=_marks(name)) for table, name in _presets()]


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


def test_every_reference_model_of_the_library_is_checked():
    """The presets compared here are the library's torchvision and timm names (a renamed preset would
    silently drop out of the comparison)."""
    names = {name for _, name in _presets()}
    assert {"resnet50", "densenet121", "googlenet", "seresnet50", "nasnetalarge"} <= names
