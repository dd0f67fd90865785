"""`netdsl compile`: outputs, weights, --verify, and atomic writes (real processes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
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
    """The written module runs against the ONNX lowering in onnxruntime (independent of its source)."""
    assert main(["compile", "lenet", "--torch", "-o", str(tmp_path / "lenet.py"), "--verify"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("verify: max abs diff ") and err.endswith("(tolerance 0.0001): ok\n")


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
    assert result.returncode == 2 and "argument --opset: netdsl exports opsets 14 to" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "lenet.onnx").exists()


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


# ---- weights of every dtype (issue 10.7) --------------------------------------------------

def _save(state: dict, path: Path) -> None:
    if path.suffix == ".pt":
        torch.save(state, path)
    else:
        save_file(state, str(path))


@pytest.mark.parametrize("fmt", [".pt", ".safetensors"])
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
def test_float_weights_are_converted_and_said(tmp_path, capsys, fmt, dtype):
    module = netdsl.load("lenet").to_torch(seed=5)
    weights = tmp_path / f"w{fmt}"
    _save({k: v.to(dtype) for k, v in module.state_dict().items()}, weights)
    out = tmp_path / "lenet.onnx"
    assert main(["compile", "lenet", "--onnx", "-o", str(out), "--weights", str(weights), "--verify"]) == 0
    err = capsys.readouterr().err
    name = str(dtype).removeprefix("torch.")
    assert (f"netdsl: note: --weights {weights}: converted 10 tensors from {name} to the model's float32"
            " (c1.weight, c1.bias, c3.weight, c3.bias, c5.weight and 5 more)") in err
    exported = {i.name: onnx.numpy_helper.to_array(i) for i in onnx.load(str(out)).graph.initializer}
    assert exported["c1.weight"].dtype == np.float32
    assert (exported["c1.weight"] == module.c1.weight.detach().to(dtype).float().numpy()).all()


@pytest.mark.parametrize("fmt", [".pt", ".safetensors"])
@pytest.mark.parametrize("dtype", [torch.int32, torch.complex64, torch.bool, torch.uint8])
def test_weights_of_other_dtypes_are_refused_by_name(tmp_path, fmt, dtype):
    state = {k: v.to(dtype) for k, v in netdsl.load("lenet").to_torch().state_dict().items()}
    _save(state, tmp_path / f"w{fmt}")
    result = _netdsl("compile", "lenet", "--onnx", "--weights", f"w{fmt}", cwd=tmp_path)
    name = str(dtype).removeprefix("torch.")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"netdsl: error: --weights w{fmt}: tensor `c1.weight` is {name}; the model's is float32" in result.stderr
    assert not (tmp_path / "lenet.onnx").exists()


@pytest.mark.parametrize("change, message", [
    (lambda sd: {i: v for i, v in enumerate(sd.values())}, "key 0 is int, not a string"),
    (lambda sd: {**sd, "f6.weight": sd["f6.weight"].to_sparse()},
     "tensor `f6.weight` is sparse (torch.sparse_coo); netdsl reads dense tensors"),
])
def test_non_string_keys_and_sparse_tensors_are_refused(tmp_path, change, message):
    torch.save(change(netdsl.load("lenet").to_torch().state_dict()), tmp_path / "w.pt")
    result = _netdsl("compile", "lenet", "--onnx", "--weights", "w.pt", cwd=tmp_path)
    assert result.returncode == 1 and message in result.stderr and "Traceback" not in result.stderr


def test_int64_counters_stay_int64(tmp_path, capsys):
    state = netdsl.load("resnet18").to_torch().state_dict()
    torch.save(state, tmp_path / "r18.pt")
    assert main(["compile", "resnet18", "--torch", "-o", str(tmp_path / "r.py"), "--weights",
                 str(tmp_path / "r18.pt"), "--verify"]) == 0
    assert "note" not in capsys.readouterr().err


def test_to_torch_with_fp16_weights_builds_a_float32_module(tmp_path):
    model = netdsl.load("lenet")
    reference = model.to_torch(seed=3)
    torch.save({k: v.half() for k, v in reference.state_dict().items()}, tmp_path / "h.pt")
    with pytest.warns(UserWarning, match="converted 10 tensors from float16 to the model's float32"):
        module = model.to_torch(weights=tmp_path / "h.pt")
    assert {p.dtype for p in module.parameters()} == {torch.float32}
    assert module.eval()(torch.randn(1, 1, 32, 32)).dtype == torch.float32


# ---- the safe loader (issue 10.15) -------------------------------------------------------

class _Payload:
    def __init__(self, target: str):
        self.target = target

    def __reduce__(self):
        return (Path.touch, (Path(self.target),))


def test_a_malicious_pickle_is_refused(tmp_path):
    sentinel = tmp_path / "pwned"
    torch.save({"c1.weight": _Payload(str(sentinel))}, tmp_path / "evil.pt")
    result = _netdsl("compile", "lenet", "--onnx", "--weights", "evil.pt", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "netdsl: error: --weights evil.pt: cannot read it (UnpicklingError:" in result.stderr
    assert not sentinel.exists() and not (tmp_path / "lenet.onnx").exists()


def test_pyproject_requires_a_torch_with_the_safe_loader():
    text = (REPO / "pyproject.toml").read_text()
    assert "torch>=2.2" not in text and text.count('"torch>=2.6"') >= 3


# ---- optional dependencies (issue 10.6) --------------------------------------------------

@pytest.mark.parametrize("missing, args, extra", [
    ("onnxruntime", ["--onnx", "--verify"], "verify"),
    ("onnxruntime", ["--torch", "--verify"], "verify"),
    ("torch", ["--torch", "--verify"], "torch"),
    ("torch", ["--onnx", "--weights", "w.pt"], "torch"),
    ("safetensors", ["--onnx", "--weights", "w.safetensors"], "weights"),
])
def test_a_missing_optional_dependency_says_what_to_install(tmp_path, missing, args, extra):
    for name in ("w.pt", "w.safetensors"):
        (tmp_path / name).write_bytes(b"x")
    code = (f"import sys; sys.modules[{missing!r}] = None; from netdsl.cli import main;"
            f" sys.exit(main(['compile', 'lenet', '-o', 'out', *{args!r}]))")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f'needs {missing}, which is not installed: pip install "netdsl[{extra}]"' in result.stderr
    assert not (tmp_path / "out").exists()
    assert f'{extra} = [' in (REPO / "pyproject.toml").read_text()


# ---- what was written (issue 10.14, 10.16) -----------------------------------------------

def test_onnx_doc_string_names_the_file_not_its_folder(tmp_path):
    out = tmp_path / "g.onnx"
    assert main(["compile", str(REPO / "nets" / "googlenet.net"), "--onnx", "-o", str(out)]) == 0
    assert onnx.load(str(out)).doc_string == "googlenet from googlenet.net"


def test_wrote_lines_say_what_was_written(tmp_path, capsys):
    torch.save(netdsl.load("lenet").to_torch().state_dict(), tmp_path / "w.pt")
    main(["compile", "lenet", "--torch", "-o", str(tmp_path / "l.py"), "--weights", str(tmp_path / "w.pt")])
    line = capsys.readouterr().out
    assert line.startswith(f"wrote {tmp_path / 'l.py'} (")
    assert line.endswith("; lenet, PyTorch source, 61,706 params; no weights (build() initialises them;"
                         f" load {tmp_path / 'w.pt'} with load_state_dict))\n")
    free = tmp_path / "free.net"
    free.write_text("network free() {\n    input x: [3, 4, 4]\n    output y = x -> relu\n}\n")
    main(["compile", str(free), "--onnx", "-o", str(tmp_path / "f.onnx")])
    assert capsys.readouterr().out.endswith("; free, 0 tensors, 0 params, no weights)\n")
    main(["compile", "lenet", "--onnx", "-o", str(tmp_path / "l.onnx"), "--seed", "4"])
    assert capsys.readouterr().out.endswith("; lenet, 10 tensors, 61,706 params, seeded random weights (seed 4))\n")
    main(["compile", "googlenet", "--onnx", "-o", str(tmp_path / "g.onnx")])
    assert capsys.readouterr().out.endswith("; googlenet, 287 tensors, 6,624,904 params, seeded random weights"
                                            " (seed 0))\n")  # not the training-only aux heads' 364 and 13,004,888
    initializers = onnx.load(str(tmp_path / "g.onnx")).graph.initializer
    assert len(initializers) == 287
    assert sum(int(np.prod(t.dims)) for t in initializers if t.name.endswith(("weight", "bias"))) == 6_624_904


# ---- one compile API (issue 10.24) -------------------------------------------------------

def test_export_api_and_the_tui_use_it_with_string_overrides(tmp_path):
    from netdsl.views.tui.exports import export_onnx
    from netdsl.views.tui.session import Session

    path = tmp_path / "act.net"
    path.write_text('network act(kind="relu") {\n    input x: [3, 4, 4]\n'
                    '    output y = x -> if kind == "tanh" { tanh } else { relu }\n}\n')
    exported = netdsl.export(netdsl.load(path, kind="tanh"), "onnx", tmp_path / "api.onnx", verify=True)
    assert exported.ok and exported.difference.max_rel < 1e-6
    assert [n.op_type for n in onnx.load(str(tmp_path / "api.onnx")).graph.node] == ["Tanh", "Identity"]
    session = Session(path, None, {"kind": "tanh"})
    assert session.compile()
    message, severity = export_onnx(session, tmp_path)
    assert severity == "information" and message.startswith(f"wrote {tmp_path / 'act.onnx'} (")
    assert [n.op_type for n in onnx.load(str(tmp_path / "act.onnx")).graph.node] == ["Tanh", "Identity"]


def test_the_tui_export_does_not_import_the_cli():
    code = "import sys, netdsl.views.tui.exports; print('netdsl.cli' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.stdout.strip() == "False"


def test_to_torch_without_torch_says_what_to_install():
    code = ("import sys; sys.modules['torch'] = None; import netdsl\n"
            "try:\n    netdsl.load('lenet').to_torch()\nexcept netdsl.CompileError as err:\n"
            "    print(err.diagnostics[0].message)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.stdout.strip() == 'to_torch() needs torch, which is not installed: pip install "netdsl[torch]"'
