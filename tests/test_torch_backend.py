"""The PyTorch backend: generated modules match the analyzer, run under the usual
PyTorch transformations, and train."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest
import torch

import netdsl
from backend_support import inputs, load, net_params, state
from netdsl.analysis.state import state_shapes
from netdsl.backends.torch_module import build_module

NETS = net_params()
ONE_PER_FILE = net_params(one_per_file=True)


def _module(name: str) -> torch.nn.Module:
    return build_module(load(name).network, state(name))


def _run(module: torch.nn.Module, model: netdsl.Model, batch: int = 2):
    xs = inputs(model, batch)
    with torch.no_grad():
        return module(*(torch.from_numpy(xs[p.name]) for p in model.network.inputs))


@pytest.mark.parametrize("name", NETS)
def test_module_matches_the_analyzer(name):
    model = load(name)
    module = _module(name)
    assert {k: tuple(v.shape) for k, v in module.state_dict().items()} == state_shapes(model.network)
    assert sum(p.numel() for p in module.parameters()) == model.params
    out = _run(module.eval(), model)
    inference = model.network.inference_outputs
    got = out if isinstance(out, dict) else {inference[0].name: out}
    assert {k: tuple(v.shape) for k, v in got.items()} == {p.name: (2, *p.shape) for p in inference}
    if any(p.training for p in model.network.outputs):
        trained = _run(module.train(), model)
        assert {k: tuple(v.shape) for k, v in trained.items()} == {p.name: (2, *p.shape)
                                                                    for p in model.network.outputs}


@pytest.mark.parametrize("name", ONE_PER_FILE)
def test_standalone_source_is_the_same_module(name, tmp_path):
    model = load(name)
    path = tmp_path / f"{name}_generated.py"
    path.write_text(model.torch_source())
    spec = importlib.util.spec_from_file_location(path.stem, path)
    standalone_module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(standalone_module)
    standalone = standalone_module.build()
    reference = _module(name).eval()
    assert list(standalone.state_dict()) == list(reference.state_dict())
    standalone.load_state_dict(reference.state_dict())
    a, b = _run(standalone.eval(), model), _run(reference, model)
    for x, y in zip(a.values() if isinstance(a, dict) else [a], b.values() if isinstance(b, dict) else [b]):
        assert torch.equal(x, y)


def test_source_reads_like_hand_written_code():
    source = netdsl.load("resnet50").torch_source()
    assert "class BottleneckDownsample(nn.Module):" in source and "class Bottleneck(nn.Module):" in source
    assert "self.layer1 = nn.ModuleList([" in source
    assert "F.relu(" in source and "networkx" not in source and "netdsl" not in source.split('"""', 2)[2]


def test_seeded_initialisation_is_reproducible_and_like_pytorch():
    model = load("resnet18")
    a, b, c = model.to_torch(seed=0), model.to_torch(seed=0), model.to_torch(seed=1)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    assert not torch.equal(a.fc.weight, c.fc.weight)
    bound = 1 / np.sqrt(512)
    assert a.fc.weight.abs().max() <= bound and a.fc.weight.abs().max() > 0.9 * bound
    assert torch.equal(a.bn1.weight, torch.ones(64)) and torch.equal(a.bn1.running_var, torch.ones(64))
    assert a.training


def test_train_and_eval_modes_behave():
    model = load("allops")
    module = model.to_torch()
    x = torch.randn(4, 3, 16, 16)
    module.eval()
    assert torch.equal(module(x), module(x))
    module.train()
    before = module.logits["4"].running_mean.clone()
    module(x)
    assert not torch.equal(before, module.logits["4"].running_mean)


def test_googlenet_eval_returns_logits_alone_and_training_every_output():
    module = load("googlenet").to_torch()
    x = torch.randn(2, 3, 64, 64)
    assert set(module.train()(x)) == {"aux1", "aux2", "logits"}
    assert module.eval()(x).shape == (2, 1000)


@pytest.mark.parametrize("name", ["resnet50", "googlenet"])
def test_torch_compile_fullgraph_has_no_graph_break(name):
    """Dynamo with fullgraph=True raises on any graph break; the eager backend keeps
    the test fast (inductor's code generation is exercised in the slow test)."""
    module = load(name).to_torch().eval()
    x = torch.randn(1, 3, 64, 64)
    compiled = torch.compile(module, fullgraph=True, backend="eager")
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), module(x))


@pytest.mark.slow
def test_torch_compile_inductor_resnet50():
    module = load("resnet50").to_torch().eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(torch.compile(module, fullgraph=True)(x), module(x), rtol=1e-3, atol=1e-4)


def test_jit_trace_channels_last_autocast_and_to():
    module = load("resnet18").to_torch().eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        expected = module(x)
        traced = torch.jit.trace(module, x)
        torch.testing.assert_close(traced(x), expected)
        last = module.to(memory_format=torch.channels_last)
        torch.testing.assert_close(last(x.to(memory_format=torch.channels_last)), expected, rtol=1e-4, atol=1e-4)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            assert last(x).dtype == torch.bfloat16
        assert module.to(torch.float64)(x.double()).dtype == torch.float64


@pytest.mark.parametrize("name", ["lenet", "allops"])
def test_training_lowers_the_loss_and_reaches_every_weight(name):
    """A few steps of SGD on a fixed batch: every parameter gets a gradient (so
    gradients flow through every op kind) and the loss falls."""
    torch.manual_seed(0)
    model = load(name)
    module = model.to_torch(seed=0).train()
    shape = model.network.inputs[0].shape
    classes = model.network.inference_outputs[0].shape[0]
    x, y = torch.randn(16, *shape), torch.randint(0, classes, (16,))
    optimiser = torch.optim.Adam(module.parameters(), lr=1e-2)
    losses = []
    for _ in range(20):
        optimiser.zero_grad()
        loss = torch.nn.functional.cross_entropy(module(x), y)
        loss.backward()
        if not losses:
            assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in module.parameters())
        optimiser.step()
        losses.append(loss.item())
    assert losses[-1] < 0.85 * losses[0]


def test_tracebacks_show_the_generated_source():
    import traceback

    module = netdsl.load("lenet").to_torch()
    with pytest.raises(RuntimeError) as info:
        module(torch.randn(2, 3, 32, 32))
    text = "".join(traceback.format_exception(info.value))
    assert "<netdsl-generated lenet" in text and "self.c1(" in text


def test_importing_netdsl_for_a_summary_does_not_import_torch():
    import subprocess

    code = "import sys, netdsl; netdsl.load('resnet50').summary(); print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_a_param_inside_a_group_is_a_located_diagnostic(compile_text):
    """PyTorch's ModuleDict cannot hold a Parameter: say so at the param (a TypeError before)."""
    model = compile_text("network n() {\n    input x: [4, 8, 8]\n"
                         "    output y = x -> g: (mul { identity; scale: param([4, 1, 1]) })\n}\n")
    with pytest.raises(netdsl.CompileError) as err:
        model.to_torch()
    (diagnostic,) = err.value.diagnostics
    assert (diagnostic.span.line, diagnostic.span.col) == (3, 48)
    assert diagnostic.message == "PyTorch cannot hold the parameter `scale` inside the group `g`"
