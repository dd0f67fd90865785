"""param: a learnable tensor with the layer's own name as its state_dict key, usable in
mul and add (ConvNeXt's layer scale, ViT's position embedding)."""

from __future__ import annotations

import pytest

from tests.ops.support import compile_net, first_error, random_state, run_torch_and_onnx

torch = pytest.importorskip("torch")

LAYER_SCALE = """block cn(dim) {
    add {
        identity
        conv(dim, 3, pad=1, groups=dim) -> mul(layer_scale: param([dim, 1, 1], 1e-6)) -> stochastic_depth(0.1)
    }
}
network n() {
    input x: [8, 5, 5]
    output y = x -> features: cn(8) -> add(pos_embedding: param([8, 5, 5], std=0.02, batch=true))
}
"""


def test_layer_scale_and_position_embedding(tmp_path):
    model = compile_net(tmp_path, LAYER_SCALE)
    shapes = {k: v for k, v in model.analysis.network.graph.nodes(data="node") if v.op == "param"}
    assert sorted(shapes) == ["features.layer_scale", "pos_embedding"]
    module = model.to_torch()
    state = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    assert state["features.layer_scale"] == (8, 1, 1) and state["pos_embedding"] == (1, 8, 5, 5)
    assert torch.allclose(module.features.layer_scale, torch.full((8, 1, 1), 1e-6))
    assert 0.01 < float(module.state_dict()["pos_embedding"].std()) < 0.03
    assert model.params == 8 * 9 + 8 + 8 + 8 * 25
    _, inputs, expected = run_torch_and_onnx(model, state=random_state(model))
    x = torch.from_numpy(inputs["x"])
    weights = {k: torch.from_numpy(v) for k, v in random_state(model).items()}
    conv = torch.nn.functional.conv2d(x, weights["features.0.1.0.weight"], weights["features.0.1.0.bias"],
                                      padding=1, groups=8)
    reference = x + conv * weights["features.layer_scale"] + weights["pos_embedding"]
    assert abs(reference.numpy() - expected[0]).max() <= 1e-5


@pytest.mark.parametrize("chain, message", [
    ("x -> param([8, 5, 5])", "param takes no input, but gets 1"),
    ("x -> mul(param([8, 0, 5]))", "param: a shape is 1 to 6 positive sizes, not [8, 0, 5]"),
    ("x -> mul(param([8, 5, 5], std=-1))", "param: `std` must be at least 0, not -1"),
    ("x -> add(param([8, 4, 5]))", "add: input 2 is 8×4×5 but input 1 is 8×5×5"),
])
def test_misuse(tmp_path, chain, message):
    text = f"network n() {{\n    input x: [8, 5, 5]\n    output y = {chain}\n}}\n"
    assert first_error(tmp_path, text).message == message
