"""attention and the token ops (tokens, take, prepend) against PyTorch's own layers and
tensor code, through the generated module and ONNX."""

from __future__ import annotations

import pytest

from netdsl import CompileError
from tests.ops.support import compile_net, net, random_state, run_torch_and_onnx

torch = pytest.importorskip("torch")
nn = torch.nn


class SelfAttention(nn.Module):
    """nn.MultiheadAttention as torchvision's ViT calls it: self-attention, no weights returned."""

    def __init__(self, d: int, heads: int, bias: bool = True):
        super().__init__()
        self.y = nn.MultiheadAttention(d, heads, bias=bias, batch_first=True)

    def forward(self, x):
        return self.y(x, x, x, need_weights=False)[0]


@pytest.mark.parametrize("chain, heads, bias", [
    ("y: attention(4)", 4, True),
    ("y: attention(1)", 1, True),
    ("y: attention(8, bias=false)", 8, False),
    ("y: attention(2, dropout=0.1)", 2, True),  # dropout only in training
])
@pytest.mark.parametrize("opset", [14, 17])
def test_attention_equals_multihead_attention(tmp_path, chain, heads, bias, opset):
    model = compile_net(tmp_path, net("[10, 32]", chain, "n, d"))
    module, inputs, expected = run_torch_and_onnx(model, opset=opset, state=random_state(model))
    reference = SelfAttention(32, heads, bias)
    reference.load_state_dict(module.state_dict(), strict=True)
    with torch.no_grad():
        out = reference.eval()(torch.from_numpy(inputs["x"])).numpy()
    assert abs(out - expected[0]).max() <= 1e-4 * abs(out).max()


def test_attention_state_dict_is_multihead_attentions(tmp_path):
    model = compile_net(tmp_path, net("[10, 32]", "y: attention(4)", "n, d"))
    reference = nn.MultiheadAttention(32, 4, batch_first=True)
    assert {k: tuple(v.shape) for k, v in model.to_torch().state_dict().items()} == {
        f"y.{k}": tuple(v.shape) for k, v in reference.state_dict().items()}


def test_attention_costs(tmp_path):
    """N = 10 tokens of D = 32, 4 heads: projections 4·N·D², Q·Kᵀ and A·V N²·D each; the softmax
    (3) and scaling (1) per score of the 4×10×10 attention matrix."""
    model = compile_net(tmp_path, net("[10, 32]", "y: attention(4)", "n, d"))
    cost = model.analysis.layers["y"].cost
    assert cost.params == 3 * 32 * 32 + 3 * 32 + 32 * 32 + 32
    assert cost.macs == 4 * 10 * 32 * 32 + 2 * 10 * 10 * 32 == 47_360
    assert cost.flops == 2 * 47_360 + 4 * 4 * 10 * 10


def test_attention_matrix_counts_in_peak_memory(tmp_path):
    """The H×N×N scores live while attention runs: 8 heads × 128² × 4 bytes on top of its output
    (128×64; the input is the caller's)."""
    model = compile_net(tmp_path, net("[128, 64]", "y: attention(8)", "n, d"))
    assert model.analysis.peak_activations == 128 * 64 * 4 + 8 * 128 * 128 * 4


@pytest.mark.parametrize("shape, axes, chain, message", [
    ("[10, 30]", "n, d", "attention(4)", "attention: 30 features are not divisible by heads=4"),
    ("[3, 8, 8]", "", "attention(1)",
     "attention needs tokens (N×D, e.g. `as n, d`), but its input is 3×8×8 (c, h, w)"),
    ("[10, 32]", "n, d", "attention(0)", "attention: `heads` must be at least 1, not 0"),
    ("[10, 32]", "n, d", "attention(2, dropout=1)", "attention: `dropout` must be in [0, 1), not 1"),
    ("[10, 32]", "n, d", "take(10)", "take: index 10 is outside axis n of 10"),
    ("[10, 32]", "n, d", "take(0, axis=\"c\")", "take: the input (n, d) has no axis `c`"),
    ("[16]", "", "take(0)", "take: a vector of 16 has no axis to spare; take keeps the others"),
    ("[10, 32]", "n, d", "tokens", "tokens needs a C×L, C×H×W or C×D×H×W input, but its input is 10×32 (n, d)"),
])
def test_misuse(tmp_path, shape, axes, chain, message):
    with pytest.raises(CompileError) as err:
        compile_net(tmp_path, net(shape, chain, axes))
    assert err.value.diagnostics[0].message == message


@pytest.mark.parametrize("shape, chain, out, axes, reference", [
    ("[6, 4, 5]", "tokens", (20, 6), ("n", "d"), lambda x: x.reshape(x.shape[0], 6, 20).permute(0, 2, 1)),
    ("[6, 2, 3, 4]", "tokens", (24, 6), ("n", "d"), lambda x: x.flatten(2).transpose(1, 2)),
    ("[6, 4, 5]", "tokens -> take(0)", (6,), ("c",), lambda x: x.flatten(2)[:, :, 0]),
    ("[6, 4, 5]", "tokens -> take(-1, axis=\"d\")", (20,), ("c",), lambda x: x.flatten(2)[:, -1]),
    ("[6, 4, 5]", "take(2, axis=\"h\")", (6, 5), ("c", "w"), lambda x: x[:, :, 2]),
])
def test_token_ops_move_data_as_torch_does(tmp_path, shape, chain, out, axes, reference):
    model = compile_net(tmp_path, net(shape, chain))
    port = model.network.outputs[0]
    assert (port.shape, model.network.node(port.node).layout) == (out, axes)
    assert model.macs == model.analysis.totals.flops == 0
    _, inputs, expected = run_torch_and_onnx(model)
    assert torch.equal(reference(torch.from_numpy(inputs["x"])), torch.from_numpy(expected[0]))


def test_prepend_broadcasts_a_shared_token_over_the_batch(tmp_path):
    model = compile_net(tmp_path, net("[6, 4, 5]", "tokens -> prepend(cls: param([1, 6], batch=true))"))
    assert model.network.outputs[0].shape == (21, 6)
    state = random_state(model)
    _, inputs, expected = run_torch_and_onnx(model, batch=3, state=state)
    tokens = torch.from_numpy(inputs["x"]).flatten(2).transpose(1, 2)
    cls = torch.from_numpy(state["cls"]).expand(3, -1, -1)
    assert torch.equal(torch.from_numpy(expected[0]), torch.cat([cls, tokens], 1))


def test_prepend_needs_tokens_of_one_width(tmp_path):
    with pytest.raises(CompileError) as err:
        compile_net(tmp_path, net("[6, 4, 5]", "tokens -> prepend(param([1, 8], batch=true))"))
    assert err.value.diagnostics[0].message == "prepend needs tokens of one width, but input 1 is 20×6 and input 2 is 1×8"


def test_patch_embedding_and_encoder_layer_compose(tmp_path):
    """A ViT in miniature, composed: patches → tokens → class token → position embedding → one
    pre-norm attention layer, the same through the generated module and ONNX."""
    model = compile_net(tmp_path, net("[3, 16, 16]", "conv(32, 4, stride=4) -> tokens"
                                      " -> prepend(cls: param([1, 32], batch=true))"
                                      " -> add { identity; pos: param([17, 32], batch=true) }"
                                      " -> add { identity; layer_norm -> attention(4) }"
                                      " -> layer_norm -> take(0)"))
    assert model.network.outputs[0].shape == (32,)
    run_torch_and_onnx(model, state=random_state(model))
