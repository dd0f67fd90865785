"""`netdsl check` and `netdsl summary` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import netdsl
from netdsl.cli import main
from tests.conftest import EXAMPLES, NETS

MULTI = """
network small(width=8) {
    input x: [3, 16, 16]
    output y = x -> conv(width, 3) -> global_avgpool -> flatten -> fc: linear(10)
}
network big = small(width=64)
"""


def run_json(capsys, *args: str) -> dict:
    assert main(["summary", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_summary_json_schema_and_exact_integers(capsys):
    data = run_json(capsys, str(NETS / "resnet.net"), "--net", "resnet50")
    assert set(data) >= {"network", "input", "outputs", "totals", "layers"}
    assert data["network"] == "resnet50"
    assert data["input"] == [3, 224, 224]
    assert data["outputs"] == {"logits": [1000]}
    assert data["totals"]["params"] == 25_557_032 and data["totals"]["macs"] == 4_089_184_256
    assert data["totals"]["flops"] >= 2 * data["totals"]["macs"]
    conv = next(layer for layer in data["layers"] if layer["name"] == "layer1.0.conv2")
    assert conv == {**conv, "op": "conv", "block": "layer1.0", "output_shape": [64, 56, 56],
                    "params": 36_864, "macs": 115_605_504, "activations": 64 * 56 * 56 * 4}
    assert sum(layer["params"] for layer in data["layers"]) == data["totals"]["params"]


def test_set_overrides_a_network_parameter(capsys):
    data = run_json(capsys, str(NETS / "resnet.net"), "--net", "resnet", "--set", "depth=101")
    assert data["totals"]["params"] == 44_549_160


def test_input_override(capsys):
    data = run_json(capsys, "resnet18", "--input", "3,160,160")
    assert data["input"] == [3, 160, 160]
    assert next(la for la in data["layers"] if la["name"] == "conv1")["output_shape"] == [64, 80, 80]


def test_network_choice(tmp_path, capsys):
    path = tmp_path / "models.net"
    path.write_text(MULTI)
    assert main(["summary", str(path)]) == 1
    assert "defines 2 networks; choose one with --net" in capsys.readouterr().err
    assert run_json(capsys, str(path), "--net", "big")["totals"]["params"] == 64 * 27 + 64 + 650
    named = tmp_path / "small.net"
    named.write_text(MULTI)
    assert run_json(capsys, str(named))["network"] == "small"
    assert main(["summary", str(path), "--net", "bgi"]) == 1
    assert "did you mean `big`?" in capsys.readouterr().err


def test_unknown_set_parameter(capsys):
    assert main(["summary", str(NETS / "resnet.net"), "--net", "resnet50", "--set", "dpeth=18"]) == 1
    err = capsys.readouterr().err
    assert "network `resnet` has no parameter `dpeth`" in err and "did you mean `depth`?" in err


def test_table_folds_blocks_below_depth(capsys):
    assert main(["summary", "resnet50", "--depth", "0"]) == 0
    shallow = capsys.readouterr().out
    assert main(["summary", "resnet50", "--depth", "2"]) == 0
    deep = capsys.readouterr().out
    assert "layer1 ▸" in shallow and "layer1.0.conv1" not in shallow
    assert "layer1.0.conv1" in deep
    for out in (shallow, deep):
        assert "Params: 25,557,032 (25.6M)" in out and "MACs: 4,089,184,256 (4.09G)" in out


def test_check_many_files(capsys):
    assert main(["check", str(NETS / "resnet.net"), str(EXAMPLES / "inception_module.net")]) == 0
    out = capsys.readouterr().out
    assert "resnet.net: ok (16 networks)" in out


def test_bundled_network_by_name():
    assert netdsl.load("vgg16").params == 138_357_544


def test_usage_error_exits_2():
    proc = subprocess.run([sys.executable, "-m", "netdsl", "summary"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "usage:" in proc.stderr


def test_summary_never_imports_torch():
    code = ("import sys, netdsl.cli; netdsl.cli.main(['summary', 'resnet50']); "
            "assert 'torch' not in sys.modules, 'torch imported'; "
            "assert 'onnx' not in sys.modules and 'textual' not in sys.modules")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_version_and_help(flag):
    proc = subprocess.run([sys.executable, "-m", "netdsl", flag], capture_output=True, text=True)
    assert proc.returncode == 0
    assert (f"netdsl {netdsl.__version__}" in proc.stdout) if flag == "--version" else "summary" in proc.stdout


def test_unused_layer_is_not_called_an_auxiliary_output(tmp_path, capsys):
    """Issue 10.23b: a `let` nothing reads was labelled "Training only (auxiliary outputs)"."""
    path = tmp_path / "u.net"
    path.write_text("network u() {\n    input x: [3, 8, 8]\n    let z = x -> conv(16, 3)\n"
                    "    output y = x -> relu\n}\n")
    assert main(["summary", str(path)]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last == "Unused (no output reads them): 448 params, 15.6K MACs, not in the totals above except params"
    assert main(["summary", "googlenet"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "Training only (auxiliary outputs): 6.38M params, 8.37M MACs, not in the totals above except params")
