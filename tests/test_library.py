"""The architecture library (nets/) against published figures: torchvision's state_dict
keys and shapes, params and MACs; timm's params and MACs; the seeds' tables. All static:
no weights are built, so the whole library checks in seconds."""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

import pytest

import netdsl
from netdsl.analysis.state import state_shapes
from netdsl.library import index
from netdsl.syntax import ast
from netdsl.syntax.parser import parse
from tests.conftest import EXAMPLES, NETS
from tests.reference import figures


@lru_cache(maxsize=None)
def _model(name: str) -> netdsl.Model:
    """Each preset compiled once for the whole module."""
    return netdsl.load(name)


def _with_macs(table: str) -> list[str]:
    """The models whose conv and linear MACs the reference lists."""
    return sorted(name for name, ref in figures(table).items() if "macs" in ref)


def _assert_exact(name: str, ref: dict) -> None:
    model = _model(name)
    assert list(model.network.inputs[0].shape) == ref["input_shape"][1:]
    # dicts compare keys and shapes; the listed order is the reference's module order
    assert state_shapes(model.network) == {key: tuple(shape) for key, shape in ref["state_dict"]}
    assert (model.params, model.macs) == (ref["params"], ref["macs"])


@pytest.mark.parametrize("name", _with_macs("torchvision"))
def test_torchvision_models_exact(name):
    _assert_exact(name, figures("torchvision")[name])


@pytest.mark.parametrize("name", _with_macs("timm"))
def test_timm_models_exact(name):
    _assert_exact(name, figures("timm")[name])


# torchvision 0.28's published figures for its default weights: `num_params` and `_ops` (GMACs of convs and
# linears, 3 decimals) at the resolution of those weights' transforms, which `input` gives where it is not
# the preset's own
PUBLISHED = {
    "convnext_base": (88_591_464, 15.355, None),
    "convnext_large": (197_767_336, 34.361, None),
    "convnext_small": (50_223_688, 8.684, None),
    "convnext_tiny": (28_589_128, 4.456, None),
    "efficientnet_b0": (5_288_548, 0.386, None),
    "efficientnet_b1": (7_794_184, 0.687, None),
    "efficientnet_b2": (9_109_994, 1.088, None),
    "efficientnet_b3": (12_233_232, 1.827, None),
    "efficientnet_b4": (19_341_616, 4.394, None),
    "efficientnet_b5": (30_389_784, 10.266, None),
    "efficientnet_b6": (43_040_704, 19.068, None),
    "efficientnet_b7": (66_347_960, 37.746, None),
    "efficientnet_v2_s": (21_458_488, 8.366, None),
    "efficientnet_v2_m": (54_139_356, 24.582, None),
    "efficientnet_v2_l": (118_515_272, 56.08, None),
    "inception_v3": (27_161_264, 5.713, None),
    "mnasnet0_5": (2_218_512, 0.104, None),
    "mnasnet0_75": (3_170_208, 0.215, None),
    "mnasnet1_0": (4_383_312, 0.314, None),
    "mnasnet1_3": (6_282_256, 0.526, None),
    "mobilenet_v3_large": (5_483_032, 0.217, None),
    "mobilenet_v3_small": (2_542_856, 0.057, None),
    "lraspp_mobilenet_v3_large": (3_221_538, 2.086, (3, 520, 520)),
    "mc3_18": (11_695_440, 43.343, (3, 16, 112, 112)),
    "r2plus1d_18": (31_505_325, 40.519, (3, 16, 112, 112)),
    "r3d_18": (33_371_472, 40.697, (3, 16, 112, 112)),
    "regnet_x_400mf": (5_495_976, 0.414, None),
    "regnet_x_800mf": (7_259_656, 0.8, None),
    "regnet_x_1_6gf": (9_190_136, 1.603, None),
    "regnet_x_3_2gf": (15_296_552, 3.177, None),
    "regnet_x_8gf": (39_572_648, 7.995, None),
    "regnet_x_16gf": (54_278_536, 15.941, None),
    "regnet_x_32gf": (107_811_560, 31.736, None),
    "regnet_y_400mf": (4_344_144, 0.402, None),
    "regnet_y_800mf": (6_432_512, 0.834, None),
    "regnet_y_1_6gf": (11_202_430, 1.612, None),
    "regnet_y_3_2gf": (19_436_338, 3.176, None),
    "regnet_y_8gf": (39_381_472, 8.473, None),
    "regnet_y_16gf": (83_590_140, 15.912, None),
    "regnet_y_32gf": (145_046_770, 32.28, None),
    "regnet_y_128gf": (644_812_894, 374.57, None),
    "resnext101_64x4d": (83_455_272, 15.46, None),
    "s3d": (8_320_048, 17.979, None),
    "wide_resnet50_2": (68_883_240, 11.398, None),
    "wide_resnet101_2": (126_886_696, 22.753, None),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_torchvision_published_figures(name):
    params, gmacs, input_shape = PUBLISHED[name]
    model = netdsl.load(name, input_shape=input_shape) if input_shape else _model(name)
    assert model.params == params
    assert round(model.macs / 1e9, 3) == gmacs


# The segmentation nets' published figures (at 520×520) count the auxiliary FCN head on the stride-8 map
# (layer3 of the ResNets, 1024 channels; block 4 of MobileNetV3, 40 channels) that the COCO weights carry;
# the presets leave it out, as the reference does (aux_loss=False). Its conv 3×3 to a quarter of the
# width, batch norm and 1×1 to 21 classes account for the difference exactly.
SEGMENTATION = {
    "fcn_resnet50": (35_322_218, 152.717, 1024),
    "fcn_resnet101": (54_314_346, 232.738, 1024),
    "deeplabv3_resnet50": (42_004_074, 178.722, 1024),
    "deeplabv3_resnet101": (60_996_202, 258.743, 1024),
    "deeplabv3_mobilenet_v3_large": (11_029_328, 10.452, 40),
}


@pytest.mark.parametrize("name", sorted(SEGMENTATION))
def test_segmentation_published_figures(name):
    params, gmacs, aux_in = SEGMENTATION[name]
    mid, classes, side = aux_in // 4, 21, 520 // 8
    aux_params = aux_in * mid * 9 + 2 * mid + mid * classes + classes
    aux_macs = side * side * (aux_in * mid * 9 + mid * classes)
    model = netdsl.load(name, input_shape=(3, 520, 520))
    assert model.params + aux_params == params
    assert round((model.macs + aux_macs) / 1e9, 3) == gmacs


def _output_sizes(model: netdsl.Model, op: str) -> list[int]:
    return [lc.node.shape[1] for lc in model.analysis.layers.values() if lc.node.op == op]


def test_alexnet_paper_seed_figures():
    model = _model("alexnet_paper")
    conv1 = model.analysis.layer("features.0")
    assert conv1.cost.params == 34_944  # (11×11×3 + 1) × 96
    assert conv1.node.shape[1] == 55
    assert _output_sizes(model, "maxpool") == [27, 13, 6]
    assert model.analysis.layer("features.4").cost.params == (5 * 5 * 96 + 1) * 256


def test_lenet5_seed_figures():
    model = _model("lenet5")
    assert model.params == 61_706
    assert [lc.node.shape for lc in model.analysis.layers.values() if lc.node.op == "conv"] == [
        (6, 28, 28), (16, 10, 10), (120, 1, 1)]


@pytest.mark.parametrize("name", sorted(index()))
def test_every_preset_analyzes(name):
    model = _model(name)
    assert model.params > 0 and model.macs > 0
    assert model.network.outputs


def test_no_block_is_defined_in_two_files():
    files: dict[str, list[str]] = defaultdict(list)
    for path in sorted(NETS.glob("*.net")):
        for item in parse(path.read_text(encoding="utf-8"), str(path)).items:
            if isinstance(item, ast.BlockDef):
                files[item.name].append(path.name)
    repeated = {name: where for name, where in files.items() if len(where) > 1}
    assert not repeated, f"blocks defined in more than one file: {repeated}"


def test_every_net_file_cites_its_paper():
    for path in sorted(NETS.glob("*.net")):
        if path.name != "common.net":
            assert path.read_text(encoding="utf-8").startswith("# "), f"{path.name} lacks its header comment"


def test_nets_readme_is_generated():
    """nets/README.md is `netdsl nets --markdown`: regenerate it when the library changes."""
    from netdsl.views.catalog import entries, markdown

    assert (NETS / "README.md").read_text(encoding="utf-8") == markdown(entries())


@pytest.mark.parametrize("name", ["highway", "tutorial", "tutorial_wide"])
def test_examples_compile(name):
    model = netdsl.load(EXAMPLES / f"{name.split('_')[0]}.net", name)
    assert model.params > 0


def test_highway_layer_gates():
    model = netdsl.load(EXAMPLES / "highway.net", depth=3)
    first = sum(lc.cost.params for name, lc in model.analysis.layers.items() if name.startswith("layers.0."))
    assert first == 2 * (50 * 50 + 50)  # transform H and gate T
    assert {lc.node.op for lc in model.analysis.layers.values()} >= {"mul", "add", "sigmoid", "scale"}


@pytest.mark.parametrize("name", ["unet", "yolo_neck", "audio_m5"])
def test_layout_examples_through_the_cli(name, tmp_path, capsys):
    """The U-Net, YOLO-style neck and 1-D audio examples check, summarize, render, and compile to ONNX
    that matches the PyTorch module (--verify)."""
    from netdsl.cli import main

    path = str(EXAMPLES / f"{name}.net")
    assert main(["check", path]) == 0
    assert main(["summary", path]) == 0
    assert main(["render", path, "-o", str(tmp_path / f"{name}.svg")]) == 0
    assert (tmp_path / f"{name}.svg").read_text().startswith("<?xml")
    assert main(["compile", path, "--onnx", "-o", str(tmp_path / f"{name}.onnx"), "--verify"]) == 0
    assert "verify: max abs diff" in capsys.readouterr().err


def test_layout_example_shapes():
    unet = netdsl.load(EXAMPLES / "unet.net")
    assert [(p.name, p.shape) for p in unet.network.outputs] == [("mask", (2, 128, 128))]
    neck = netdsl.load(EXAMPLES / "yolo_neck.net")
    assert [(p.name, p.shape) for p in neck.network.outputs] == [
        ("large", (75, 8, 8)), ("medium", (75, 16, 16)), ("small", (75, 32, 32))]


def test_audio_m5_figures():
    """M5 on 1×8000: lengths 8000 → conv 80/4 → 1981 → pool 495 → 493 → 123 → 121 → 30 → 28 → 7."""
    model = netdsl.load(EXAMPLES / "audio_m5.net")
    assert [lc.node.shape for lc in model.analysis.layers.values() if lc.node.op == "conv"] == [
        (128, 1981), (128, 493), (256, 121), (512, 28)]
    # convs (weights + biases), four batch norms (scale + shift), fc
    assert model.params == (128 * 80 + 128) + (128 * 128 * 3 + 128) + (256 * 128 * 3 + 256) + (512 * 256 * 3 + 512) \
        + 2 * (128 + 128 + 256 + 512) + (512 * 10 + 10)
    assert model.macs == 1981 * 128 * 80 + 493 * 128 * 128 * 3 + 121 * 256 * 128 * 3 + 28 * 512 * 256 * 3 + 5120
