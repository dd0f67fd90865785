"""gelu (exact and tanh), elu and stochastic_depth against PyTorch."""

from __future__ import annotations

import pytest

from tests.ops.support import compile_net, first_error, net, run_torch_and_onnx

torch = pytest.importorskip("torch")
F = torch.nn.functional


@pytest.mark.parametrize("chain, reference", [
    ("gelu", F.gelu),
    ("gelu(approximate=\"tanh\")", lambda x: F.gelu(x, approximate="tanh")),
    ("elu", F.elu),
    ("elu(0.5)", lambda x: F.elu(x, 0.5)),
    ("stochastic_depth(0.2)", lambda x: x),
])
@pytest.mark.parametrize("opset", [14, 20])
def test_activations_equal_pytorch(tmp_path, chain, reference, opset):
    model = compile_net(tmp_path, net("[4, 6, 6]", chain))
    _, inputs, expected = run_torch_and_onnx(model, opset=opset)
    assert abs(reference(torch.from_numpy(inputs["x"])).numpy() - expected[0]).max() <= 1e-5


def test_stochastic_depth_drops_rows_in_training_as_torchvision(tmp_path):
    model = compile_net(tmp_path, net("[3, 4, 4]", "stochastic_depth(0.5)"))
    module = model.to_torch().train()
    torch.manual_seed(0)
    out = module(torch.ones(64, 3, 4, 4))
    per_row = out.flatten(1)
    assert set(per_row.unique().tolist()) == {0.0, 2.0}  # dropped, or kept and scaled by 1 / (1 − p)
    assert all(len(set(row.tolist())) == 1 for row in per_row)  # a whole row at once
    assert 16 <= int((per_row[:, 0] == 0).sum()) <= 48
    batch = compile_net(tmp_path, net("[3, 4, 4]", "stochastic_depth(0.5, mode=\"batch\")")).to_torch().train()
    values = {float(batch(torch.ones(8, 3, 4, 4)).unique()[0]) for _ in range(20)}
    assert values == {0.0, 2.0}
    assert torch.equal(module.eval()(torch.ones(2, 3, 4, 4)), torch.ones(2, 3, 4, 4))


@pytest.mark.parametrize("chain, message", [
    ("stochastic_depth(1)", "stochastic_depth: `p` must be in [0, 1), not 1"),
    ("stochastic_depth(0.1, mode=\"rows\")", "stochastic_depth: `mode` must be one of 'row', 'batch', not 'rows'"),
    ("gelu(approximate=\"erf\")", "gelu: `approximate` must be one of 'none', 'tanh', not 'erf'"),
])
def test_misuse(tmp_path, chain, message):
    assert first_error(tmp_path, net("[4, 6, 6]", chain)).message == message
