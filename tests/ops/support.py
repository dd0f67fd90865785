"""Shared by the op tests: one op applied in a tiny network, run through the generated
PyTorch module, the ONNX export (onnxruntime) and, where given, PyTorch's own layer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import netdsl
from netdsl.diagnostics import Diagnostic
from netdsl.backends.verify import compare, onnx_outputs, random_inputs, torch_outputs

TOLERANCE = 1e-5


def net(shape: str, chain: str, axes: str = "") -> str:
    """A one-input network `n` applying `chain` to an input of `shape` (`[2, 50]`)."""
    return f"network n() {{\n    input x: {shape}{' as ' + axes if axes else ''}\n    output y = x -> {chain}\n}}\n"


def compile_net(tmp_path: Path, text: str) -> netdsl.Model:
    path = tmp_path / "n.net"
    path.write_text(text)
    return netdsl.load(path)


def first_error(tmp_path: Path, text: str) -> Diagnostic:
    """The first diagnostic of a network that must not compile."""
    with pytest.raises(netdsl.CompileError) as err:
        compile_net(tmp_path, text)
    return err.value.diagnostics[0]


def run_torch_and_onnx(model: netdsl.Model, batch: int = 2, seed: int = 0, opset: int = 17,
                       state: dict | None = None):
    """(eval-mode module, inputs, torch outputs), after checking that ONNX agrees. `state`: numpy
    weights by state_dict key (default: seeded PyTorch-default initialisation)."""
    from netdsl.backends.onnx_export import export
    from netdsl.backends.torch_module import build_module
    from netdsl.backends.weights import init_state

    state = state if state is not None else init_state(model.network, seed)
    module = build_module(model.network, state)
    inputs = random_inputs(model.network, batch, seed)
    expected = torch_outputs(module, model.network, inputs)
    onnx = export(model.network, state, opset, dynamic_batch=True).SerializeToString()
    got = onnx_outputs(onnx, inputs)
    assert [o.shape for o in got] == [(batch, *p.shape) for p in model.network.inference_outputs]
    assert compare(expected, got).max_rel <= TOLERANCE
    return module, inputs, expected


def random_state(model: netdsl.Model, seed: int = 0) -> dict:
    """Weights and buffers drawn uniformly from [-1, 1) (positive for variances), so that a
    swapped weight and bias, or a missed scale, shows."""
    from netdsl.backends.weights import init_state

    rng = np.random.default_rng(seed)
    state = {}
    for key, value in init_state(model.network, seed).items():
        drawn = rng.uniform(-1, 1, value.shape).astype(value.dtype)
        state[key] = np.abs(drawn) + 0.5 if key.endswith("running_var") else drawn
    return state


def same_as_reference(module, reference, inputs: dict[str, np.ndarray], expected: list[np.ndarray]) -> None:
    """PyTorch's own layer, given the generated module's state_dict, computes the same output."""
    import torch

    reference.load_state_dict(_strip(module.state_dict()), strict=True)
    with torch.no_grad():
        out = reference.eval()(*(torch.from_numpy(v) for v in inputs.values()))
    assert compare(expected, [out.numpy()]).max_rel <= TOLERANCE


def _strip(state: dict) -> dict:
    """`y.weight` → `weight`: the network's one layer as a bare module."""
    return {key.split(".", 1)[1] if "." in key else key: value for key, value in state.items()}
