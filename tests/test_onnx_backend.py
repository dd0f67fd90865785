"""The ONNX backend: lowered straight from the IR, checked, and equal to the PyTorch
module in onnxruntime."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from backend_support import inputs, load, net_params, state
from netdsl.backends.onnx_export import PROTOBUF_LIMIT, export, to_bytes
from netdsl.diagnostics import CompileError
from netdsl.backends.torch_module import build_module
from netdsl.backends.verify import compare, torch_outputs


def _ort(model: onnx.ModelProto, feeds: dict) -> list[np.ndarray]:
    session = ort.InferenceSession(to_bytes(model), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def _max_rel(name: str, opset: int = 17, batch: int = 1, dynamic: bool = False) -> float:
    model = load(name)
    exported = export(model.network, state(name), opset, dynamic_batch=dynamic)
    feeds = inputs(model, batch)
    reference = torch_outputs(build_module(model.network, state(name)), model.network, feeds)
    return compare(reference, _ort(exported, feeds)).max_rel


@pytest.mark.parametrize("name", net_params())
def test_onnxruntime_equals_torch(name):
    if load(name).params * 4 >= PROTOBUF_LIMIT:
        pytest.skip("beyond one ONNX file's 2 GiB: test_weights_beyond_2_gib_are_a_diagnostic")
    assert _max_rel(name) <= 1e-4


def test_weights_beyond_2_gib_are_a_diagnostic(monkeypatch):
    """A protobuf message holds at most 2 GiB (vit_h_14's and regnet_y_128gf's weights are more):
    a diagnostic rather than protobuf's EncodeError; shown here with the limit lowered to 1 KiB."""
    import netdsl.backends.onnx_export as onnx_export

    monkeypatch.setattr(onnx_export, "PROTOBUF_LIMIT", 1 << 10)
    with pytest.raises(CompileError) as err:
        to_bytes(export(load("lenet").network, state("lenet")))
    assert "0.00 GiB of weights is beyond the 2 GiB that one ONNX file (a protobuf message) can hold" \
        in err.value.diagnostics[0].message


@pytest.mark.parametrize("opset", [14, 18, 20])
def test_other_opsets(opset):
    assert _max_rel("allops", opset) <= 1e-4


def test_dynamic_batch():
    assert _max_rel("allops", batch=3, dynamic=True) <= 1e-4
    graph = export(load("allops").network, state("allops"), dynamic_batch=True).graph
    assert graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"


def test_model_is_checked_named_and_shaped():
    model = load("googlenet")
    exported = export(model.network, state("googlenet"))
    onnx.checker.check_model(exported, full_check=True)
    keys = {k for k in state("googlenet") if not k.endswith("num_batches_tracked") and not k.startswith("aux")}
    assert {i.name for i in exported.graph.initializer} == keys
    shaped = {v.name for v in exported.graph.value_info}
    assert all(n.name in shaped for n in model.network.nodes()
               if n.op != "input" and not n.name.startswith("aux"))
    assert [o.name for o in exported.graph.output] == ["logits"]


def test_training_outputs_on_request():
    exported = export(load("googlenet").network, state("googlenet"), training_outputs=True)
    assert [o.name for o in exported.graph.output] == ["aux1", "aux2", "logits"]


def test_same_bytes_for_the_same_input_and_seed():
    model = load("googlenet")
    assert to_bytes(model.to_onnx(seed=3)) == to_bytes(model.to_onnx(seed=3))
    assert to_bytes(model.to_onnx(seed=3)) != to_bytes(model.to_onnx(seed=4))


def test_weights_are_the_torch_modules():
    model = load("resnet18")
    exported = export(model.network, state("resnet18"))
    module = build_module(model.network, state("resnet18"))
    tensors = module.state_dict()
    for init in exported.graph.initializer:
        assert torch.equal(torch.from_numpy(onnx.numpy_helper.to_array(init).copy()), tensors[init.name])
