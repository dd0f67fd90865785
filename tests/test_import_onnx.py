"""`netdsl import` and `.onnx` in the views (issue 16): library nets go to ONNX and come
back as `.net` files with the same params, MACs, state_dict and outputs; hostile files
are diagnostics."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper

import netdsl
from netdsl.analysis.state import state_shapes
from netdsl.diagnostics import CompileError
from netdsl.frontends.importer import import_onnx, write_import

ROUND_TRIP = ["resnet18", "mobilenet_v2", "squeezenet1_0", "shufflenet_v2_x0_5", "mnasnet0_5", "alexnet"]
# Every library preset of at most 60M params whose ONNX the importer reads back exactly (slow).
ROUND_TRIP_SLOW = [
    "resnet34", "resnet50", "resnext50_32x4d", "wide_resnet50_2", "densenet121", "densenet201",
    "efficientnet_b0", "efficientnet_b3", "efficientnet_v2_s", "mobilenet_v3_large", "mobilenet_v3_small",
    "regnet_x_400mf", "regnet_y_400mf", "inception_v3", "inception_v4", "xception", "seresnet50", "vgg11",
    "fcn_resnet50", "deeplabv3_mobilenet_v3_large",
]


def _export(name: str, folder) -> tuple[netdsl.Model, str]:
    """A library network by name, or a .net file by path, as ONNX in `folder`."""
    model = netdsl.load(name)
    path = str(folder / f"{model.name}.onnx")
    onnx.save(model.to_onnx(dynamic_batch=True), path)
    return model, path


def _round_trip(name: str, folder) -> None:
    import onnxruntime
    import torch

    model, path = _export(name, folder)
    net, weights = write_import(path, folder / f"{model.name}.net")
    back = netdsl.load(net)
    inference_params = model.params - model.analysis.training_only.params  # an ONNX holds no training-only head
    assert (back.params, back.macs) == (inference_params, model.macs)
    expected = {k: v for k, v in state_shapes(model.network).items()
                if not k.startswith(("aux", "AuxLogits"))}  # training-only heads are not in an ONNX
    assert state_shapes(back.network) == expected
    x = np.random.default_rng(0).standard_normal((2, *model.network.inputs[0].shape)).astype(np.float32)
    session = onnxruntime.InferenceSession(path)
    reference = session.run(None, {session.get_inputs()[0].name: x})[0]
    with torch.no_grad():
        got = back.to_torch(weights=weights).eval()(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, reference, rtol=1e-4, atol=1e-4 * np.abs(reference).max())


@pytest.mark.parametrize("name", ROUND_TRIP)
def test_round_trip(name, tmp_path):
    _round_trip(name, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("name", ROUND_TRIP_SLOW)
def test_round_trip_slow(name, tmp_path):
    _round_trip(name, tmp_path)


def test_resnet50_reads_as_a_person_would_write_it(tmp_path):
    """From an ONNX without any module hierarchy: the bottleneck is a block, each stage a loop."""
    _, path = _export("resnet50", tmp_path)
    source = import_onnx(path).source
    assert "-> conv1: conv(64, 7, stride=2, pad=3, bias=false) -> bn1: bn -> relu" in source
    assert "block layer_unit(c) {" in source and "conv3: conv(c * 4, 1, bias=false) -> bn3: bn" in source
    for stage, (c, repeats) in enumerate([(128, 3), (256, 5), (512, 2)], start=2):
        assert f"layer{stage}: (layer_unit({c}) -> for i in range({repeats}) {{ layer_unit2({c}) }})" in source
    assert len(source.splitlines()) == 31  # nets/resnet.net: 71 lines, comments and all five depths included
    (tmp_path / "r50.net").write_text(source)
    assert subprocess.run([sys.executable, "-m", "netdsl", "fmt", "--check", str(tmp_path / "r50.net")]).returncode == 0


def test_cli_import_and_summary_of_onnx(tmp_path):
    _, path = _export("squeezenet1_0", tmp_path)
    run = subprocess.run([sys.executable, "-m", "netdsl", "import", path, "-o", str(tmp_path / "sq.net")],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "sq.net").is_file() and (tmp_path / "sq.safetensors").is_file()
    summary = subprocess.run([sys.executable, "-m", "netdsl", "summary", path, "--json"],
                             capture_output=True, text=True)
    assert summary.returncode == 0, summary.stderr
    assert json.loads(summary.stdout)["totals"]["params"] == 1_248_424


def _save(tmp_path, graph, name="m.onnx") -> str:
    path = str(tmp_path / name)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


def _image(name: str, shape=(1, 3, 8, 8)):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape))


def _error(path) -> str:
    with pytest.raises(CompileError) as err:
        import_onnx(path)
    return str(err.value.diagnostics[0].message)


def test_unsupported_op_names_node_and_inputs(tmp_path):
    graph = helper.make_graph([helper.make_node("Celu", ["x"], ["y"], name="odd")], "g",
                              [_image("x")], [_image("y")])
    assert _error(_save(tmp_path, graph)).endswith("node `odd` (Celu) reading x has no equivalent in netdsl")


def test_patches_read_as_tokens(tmp_path):
    """A map's positions as tokens (Reshape to C×(H·W), Transpose) read back as `tokens`, 2-D and 3-D."""
    source = tmp_path / "source" / "patches.net"
    source.parent.mkdir()
    source.write_text("network patches() {\n    input clip: [3, 4, 32, 32]\n    output logits = clip\n"
                      "        -> conv_proj: conv(16, [2, 8, 8], stride=[2, 8, 8]) -> tokens -> ln: layer_norm\n"
                      "        -> head: linear(10)\n}\n")
    _round_trip(str(source), tmp_path)
    assert "-> tokens\n" in (tmp_path / "patches.net").read_text()


def test_pad_reads_as_netdsl_pad(tmp_path):
    """ONNX's pads list begins then ends, first axis first; netdsl's pad names sides, the last axis first
    (NASNet's asymmetric TF "same" padding); a non-zero constant has no equivalent."""
    pads = helper.make_tensor("pads", TensorProto.INT64, [8], [0, 0, 1, 0, 0, 0, 2, 3])
    graph = helper.make_graph([helper.make_node("Pad", ["x", "pads"], ["y"], name="p", mode="reflect")], "g",
                              [_image("x")], [_image("y", (1, 3, 11, 11))], [pads])
    source = import_onnx(_save(tmp_path, graph)).source
    assert 'pad(right=3, top=1, bottom=2, mode="reflect")' in source
    (tmp_path / "padded.net").write_text(source)
    x = np.random.default_rng(0).standard_normal((1, 3, 8, 8)).astype(np.float32)
    out = netdsl.load(tmp_path / "padded.net").to_torch()(torch.from_numpy(x)).numpy()
    np.testing.assert_array_equal(out, np.pad(x, ((0, 0), (0, 0), (1, 2), (0, 3)), mode="reflect"))
    value = helper.make_tensor("v", TensorProto.FLOAT, [], [1.0])
    graph = helper.make_graph([helper.make_node("Pad", ["x", "pads", "v"], ["y"], name="p")], "g",
                              [_image("x")], [_image("y", (1, 3, 11, 11))], [pads, value])
    assert _error(_save(tmp_path, graph, "one.onnx")).endswith("node `p` (Pad) reading x has no equivalent in netdsl")


def test_truncated_file(tmp_path):
    _, path = _export("squeezenet1_0", tmp_path)
    data = open(path, "rb").read()
    open(path, "wb").write(data[: len(data) // 3])
    assert "not a readable ONNX model" in _error(path)


def test_cycle(tmp_path):
    nodes = [helper.make_node("Relu", ["b"], ["a"], name="r1"), helper.make_node("Relu", ["a"], ["b"], name="r2")]
    graph = helper.make_graph(nodes, "g", [_image("x")], [_image("b")])
    assert "the graph has a cycle" in _error(_save(tmp_path, graph))


def test_external_data_outside_the_folder(tmp_path):
    weight = helper.make_tensor("w", TensorProto.FLOAT, [4, 3, 1, 1], np.zeros(12, np.float32))
    weight.data_location = TensorProto.EXTERNAL
    weight.ClearField("float_data")
    entry = weight.external_data.add()
    entry.key, entry.value = "location", "../../etc/passwd"
    graph = helper.make_graph([helper.make_node("Conv", ["x", "w"], ["y"], name="c")], "g",
                              [_image("x")], [_image("y", (1, 4, 8, 8))], [weight])
    path = str(tmp_path / "m.onnx")
    onnx.save(helper.make_model(graph), path, save_as_external_data=False)
    assert "which is not a file inside the model's folder" in _error(path)


def test_absurd_and_symbolic_shapes(tmp_path):
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"], name="r")], "g",
                              [_image("x", (1, 3, "height", 8))], [_image("y")])
    assert "netdsl needs a batch axis then fixed sizes" in _error(_save(tmp_path, graph))
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"], name="r")], "g",
                              [_image("x", (1, 3, 1 << 30, 1 << 30))], [_image("y")])
    with pytest.raises(CompileError) as err:
        netdsl.load(_save(tmp_path, graph, "huge.onnx"))
    assert "beyond netdsl's limit" in str(err.value)


def test_not_a_regular_file(tmp_path):
    assert "not a regular file" in _error(tmp_path)
    assert "no such file" in _error(tmp_path / "absent.onnx")




def small_net():
    import torch
    from torch import nn

    class Residual(nn.Module):
        def __init__(self, c: int):
            super().__init__()
            self.conv1, self.bn1 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
            self.conv2, self.bn2 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)

        def forward(self, x):
            return torch.relu(x + self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x))))))

    class SmallNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.ReLU())
            self.blocks = nn.Sequential(Residual(16), Residual(16))
            self.head = nn.Linear(16, 10)

        def forward(self, x):
            return self.head(torch.flatten(nn.functional.adaptive_avg_pool2d(self.blocks(self.stem(x)), 1), 1))

    torch.manual_seed(0)
    net = SmallNet()
    for name, value in net.state_dict().items():  # batch-norm statistics that are not the defaults
        if name.endswith(("running_mean", "running_var")):
            value.copy_(torch.rand_like(value) + 0.5)
    return net


def test_import_torch_module(tmp_path):
    import torch

    run = subprocess.run([sys.executable, "-m", "netdsl", "import", "--torch", "tests.test_import_onnx:small_net",
                          "--input", "3,32,32", "-o", str(tmp_path / "small.net")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    source = (tmp_path / "small.net").read_text()
    assert "blocks: (for i in range(2) { blocks_unit })" in source
    original = small_net().eval()
    compiled = netdsl.load(tmp_path / "small.net").to_torch().eval()
    compiled.load_state_dict(original.state_dict(), strict=True)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), original(x), rtol=1e-5, atol=1e-5)


def test_tui_opens_an_onnx_model(tmp_path):
    """`netdsl tui resnet18.onnx`: the imported network's tree and table, as for a .net file."""
    import asyncio

    from netdsl.library import resolve
    from netdsl.views.tui.app import NetdslApp
    from netdsl.views.tui.layers import LayerTable
    from netdsl.views.tui.tree import NetworkTree

    _, path = _export("resnet18", tmp_path)
    source, net = resolve(path, None)

    async def browse() -> None:
        app = NetdslApp(source, net)
        async with app.run_test(size=(200, 50)) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            tree = app.query_one(NetworkTree)
            assert tree.node_for("layer1") is not None and tree.node_for("layer4.1") is not None
            assert app.query_one(LayerTable).row_count >= 60
            assert app.session.model.params == 11_689_512

    asyncio.run(browse())
