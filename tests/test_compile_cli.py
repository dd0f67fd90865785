"""`netdsl compile`: outputs, weights, --verify, and atomic writes (real processes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import onnx
import pytest
import torch
from safetensors.torch import save_file

import netdsl
from netdsl.cli import main

REPO = Path(__file__).resolve().parents[1]
SMALL = ["--input", "3,64,64"]


def _netdsl(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "netdsl", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_onnx_default_output_in_the_cwd(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["compile", str(REPO / "nets" / "googlenet.net"), "--onnx", "--verify"]) == 0
    onnx.checker.check_model(str(tmp_path / "googlenet.onnx"), full_check=True)
    err = capsys.readouterr().err
    assert "verify: max abs diff" in err and ": ok" in err


def test_torch_source_imports_without_netdsl(tmp_path):
    result = _netdsl("compile", "resnet18", "--torch", "-o", "r18.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    code = ("import sys; sys.modules['netdsl'] = None; import torch, r18; m = r18.build().eval();"
            " print(sorted(m.state_dict())[:2], tuple(m(torch.randn(1, 3, 64, 64)).shape))")
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "(1, 1000)" in run.stdout
    keys = sorted(netdsl.load("resnet18").to_torch().state_dict())[:2]
    assert str(keys) in run.stdout


def test_torch_verify(tmp_path, capsys):
    assert main(["compile", "lenet", "--torch", "-o", str(tmp_path / "lenet.py"), "--verify"]) == 0
    assert "max abs diff 0," in capsys.readouterr().err


@pytest.mark.parametrize("fmt", [".pt", ".safetensors"])
def test_weights_are_exported(tmp_path, fmt):
    module = netdsl.load("lenet").to_torch(seed=5)
    weights = tmp_path / f"w{fmt}"
    if fmt == ".pt":
        torch.save(module.state_dict(), weights)
    else:
        save_file(dict(module.state_dict()), str(weights))
    out = tmp_path / "lenet.onnx"
    assert main(["compile", "lenet", "--onnx", "-o", str(out), "--weights", str(weights), "--verify"]) == 0
    exported = {i.name: onnx.numpy_helper.to_array(i) for i in onnx.load(str(out)).graph.initializer}
    assert (exported["c1.weight"] == module.c1.weight.detach().numpy()).all()


@pytest.mark.parametrize("change, message", [
    (lambda sd: sd.pop("c1.bias"), "missing key c1.bias"),
    (lambda sd: sd.update(extra=torch.zeros(1)), "unexpected key extra"),
    (lambda sd: sd.update({"f6.weight": torch.zeros(3, 3)}), "f6.weight is [3, 3], expected [84, 120]"),
])
def test_bad_weights_are_one_line_errors(tmp_path, change, message):
    state = netdsl.load("lenet").to_torch().state_dict()
    change(state)
    torch.save(state, tmp_path / "bad.pt")
    result = _netdsl("compile", "lenet", "--onnx", "--weights", "bad.pt", cwd=tmp_path)
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "lenet.onnx").exists()


def test_unreadable_weights_and_bad_opset(tmp_path):
    (tmp_path / "junk.pt").write_bytes(b"not a state dict")
    result = _netdsl("compile", "lenet", "--torch", "--weights", "junk.pt", cwd=tmp_path)
    assert result.returncode == 1 and "cannot read it" in result.stderr and "Traceback" not in result.stderr
    result = _netdsl("compile", "lenet", "--onnx", "--opset", "7", cwd=tmp_path)
    assert result.returncode == 1 and "--opset 7" in result.stderr


def test_failed_compile_keeps_the_good_file(tmp_path):
    good = tmp_path / "out.onnx"
    good.write_bytes(b"good")
    bad = tmp_path / "bad.net"
    bad.write_text("network bad() {\n    input x: [3, 8, 8]\n    output y = x -> conv(4, 9)\n}\n")
    result = _netdsl("compile", str(bad), "--onnx", "-o", str(good), cwd=tmp_path)
    assert result.returncode == 1 and "bad.net:3" in result.stderr
    assert good.read_bytes() == b"good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.net", "out.onnx"]


def test_killed_compile_leaves_no_partial_file(tmp_path):
    """SIGTERM at several points of a large export: the old file survives whole and no
    temporary file is left behind."""
    good = tmp_path / "big.onnx"
    for delay in (1.0, 2.5, 4.0):
        good.write_bytes(b"good")
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc = subprocess.Popen([sys.executable, "-m", "netdsl", "compile", "vgg16", "--onnx", "-o", str(good)],
                                cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(delay)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
        data = good.read_bytes()
        assert data == b"good" or onnx.load_from_string(data).graph.name == "vgg16"
        assert [p.name for p in tmp_path.iterdir()] == ["big.onnx"]
