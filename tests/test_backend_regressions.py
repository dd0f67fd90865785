"""Backend regressions from issue 10: multi-input order (1), outputs that are an input or share
a value, train-only networks, one-branch joins and ceil-mode pools in ONNX (5b)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch

import netdsl
from netdsl.backends.onnx_export import export, to_bytes
from netdsl.backends.torch_module import load_source
from netdsl.backends.weights import init_state


def _model(tmp_path: Path, body: str) -> netdsl.Model:
    path = tmp_path / "n.net"
    path.write_text("network n() {\n" + body + "\n}\n")
    return netdsl.load(path)


def _onnx(model: netdsl.Model, feeds: dict) -> list[np.ndarray]:
    data = to_bytes(export(model.network, init_state(model.network)))
    return ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, feeds)


def test_inputs_bind_in_declared_order(tmp_path):
    """forward(a, b) as declared, though `b` is used first; inputs of different shapes."""
    model = _model(tmp_path, "    input a: [2, 4, 4]\n    input b: [3, 4, 4]\n    output y = concat(b -> relu, a)")
    a, b = torch.randn(1, 2, 4, 4), torch.randn(1, 3, 4, 4)
    expected = torch.cat([b.relu(), a], 1)
    module = model.to_torch()
    assert torch.equal(module(a, b), expected)
    assert torch.equal(module(b=b, a=a), expected)
    standalone = load_source(model.torch_source(), "n")["build"]()
    assert torch.equal(standalone(a, b), expected)
    onnx_model = export(model.network, {})
    assert [i.name for i in onnx_model.graph.input] == ["a", "b"]
    (got,) = _onnx(model, {"a": a.numpy(), "b": b.numpy()})
    np.testing.assert_array_equal(got, expected.numpy())


@pytest.mark.parametrize("body, outputs", [
    ("    output y = x\n    output z = x -> relu", {"y": "x", "z": "relu"}),
    ("    output y = concat(x, x) -> relu\n    output z = x", {"y": "cat", "z": "x"}),
    ("    output y = x", {"y": "x"}),
])
def test_an_output_that_is_the_input_stays_the_input(tmp_path, body, outputs):
    model = _model(tmp_path, "    input x: [3, 8, 8]\n" + body)
    x = torch.randn(1, 3, 8, 8)
    values = {"x": x, "relu": x.relu(), "cat": torch.cat([x, x], 1).relu()}
    got = model.to_torch().eval()(x)
    got = got if isinstance(got, dict) else {next(iter(outputs)): got}
    assert {k: v.shape for k, v in got.items()} == {k: values[v].shape for k, v in outputs.items()}
    assert all(torch.equal(got[k], values[v]) for k, v in outputs.items())
    for name, array in zip(outputs, _onnx(model, {"x": x.numpy()})):
        np.testing.assert_array_equal(array, values[outputs[name]].numpy())


def test_a_network_with_only_a_training_output(tmp_path):
    model = _model(tmp_path, "    input x: [3, 8, 8]\n    train output y = x -> relu")
    module = model.to_torch()
    x = torch.randn(1, 3, 8, 8)
    assert torch.equal(module.train()(x)["y"], x.relu())
    assert module.eval()(x) == {}
    with pytest.raises(netdsl.CompileError) as info:
        export(model.network, {})
    assert str(info.value.diagnostics[0].span).endswith("n.net:1:1")
    assert "has only training outputs" in info.value.diagnostics[0].message
    assert [o.name for o in export(model.network, {}, training_outputs=True).graph.output] == ["y"]


@pytest.mark.parametrize("step", ["add { relu }", "concat { relu }", "mul { sigmoid }",
                                  "maxpool(1, stride=2, ceil=true)", "avgpool(1, stride=2, ceil=true)",
                                  "maxpool(3, stride=2, pad=1, ceil=true)"])
def test_onnx_equals_torch_on_edge_cases(tmp_path, step):
    model = _model(tmp_path, f"    input x: [3, 16, 16]\n    output y = x -> {step}")
    x = torch.randn(2, 3, 16, 16)
    expected = model.to_torch().eval()(x)
    assert expected.shape[1:] == model.network.outputs[0].shape
    (got,) = _onnx(model, {"x": x[:1].numpy()})
    np.testing.assert_allclose(got, expected[:1].detach().numpy(), rtol=1e-6, atol=1e-6)
