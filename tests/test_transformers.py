"""Transformers in the library and examples: torchvision's published params and MACs for the
vision transformers, the text encoder against nn.TransformerEncoder, the views' token shapes, and
(slow) torch.compile and ONNX of ViT-B/16. Outputs against the reference: test_reference_outputs."""

from __future__ import annotations

from functools import lru_cache

import pytest

import netdsl
from netdsl.analysis.state import state_shapes
from tests.conftest import EXAMPLES, REPO

# torchvision 0.28's published figures for its weights: `num_params` and `_ops` (GMACs of convs, linears
# and attention's two matrix products, 3 decimals), at the resolution of those weights' transforms
PUBLISHED = {
    "vit_b_16": (86_567_656, 17.564, None),
    "vit_b_32": (88_224_232, 4.409, None),
    "vit_l_16": (304_326_632, 61.555, None),
    "vit_l_32": (306_535_400, 15.378, None),
    "vit_h_14": (632_045_800, 167.295, None),  # IMAGENET1K_SWAG_LINEAR_V1, at 224
    "swin_t": (28_288_354, 4.491, None),
    "swin_s": (49_606_258, 8.741, None),
    "swin_b": (87_768_224, 15.431, None),
    "maxvit_t": (30_919_624, 5.558, None),
    "swin3d_t": (28_158_070, 43.882, None),  # Kinetics-400, 16×224×224 clips
    "swin3d_s": (49_816_678, 82.841, None),
    "swin3d_b": (88_048_984, 140.667, None),
    "mvit_v1_b": (36_610_672, 70.599, None),
    "mvit_v2_s": (34_537_744, 64.224, None),
}
# weights at other resolutions: the position embedding grows with the tokens
PUBLISHED_AT = {
    ("vit_b_16", 384): (86_859_496, 55.484),  # IMAGENET1K_SWAG_E2E_V1
    ("vit_l_16", 512): (305_174_504, 361.986),
    ("vit_h_14", 518): (633_470_440, 1016.717),
    ("swin_v2_t", 256): (28_351_570, 5.94),  # the presets are at 224, as the reference outputs
    ("swin_v2_s", 256): (49_737_442, 11.546),
    ("swin_v2_b", 256): (87_930_848, 20.325),
}
TEXT = EXAMPLES / "text_transformer.net"


@lru_cache(maxsize=None)
def _model(name: str, side: int | None = None) -> netdsl.Model:
    return netdsl.load(name, input_shape=(3, side, side) if side else None)


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_figures(name):
    params, gmacs, _ = PUBLISHED[name]
    model = _model(name)
    assert model.params == params
    assert round(model.macs / 1e9, 3) == gmacs


@pytest.mark.parametrize("name, side", sorted(PUBLISHED_AT))
def test_published_figures_at_other_resolutions(name, side):
    params, gmacs = PUBLISHED_AT[(name, side)]
    model = _model(name, side)
    assert (model.params, round(model.macs / 1e9, 3)) == (params, gmacs)


def test_vit_b_16_layers():
    """Tokens 197×768 from the patch embedding on; one layer's MACs: attention 4·N·D² + 2·N²·D,
    the MLP 2·N·D·4D."""
    model = _model("vit_b_16")
    layers = model.analysis.layers
    assert layers["conv_proj"].node.shape == (768, 14, 14)
    assert [layers[n].node.shape for n in ("class_token", "encoder.layers.encoder_layer_11.ln_2")] == [
        (1, 768), (197, 768)]
    n, d = 197, 768
    attention = layers["encoder.layers.encoder_layer_0.self_attention"]
    assert attention.cost.macs == 4 * n * d * d + 2 * n * n * d
    assert model.analysis.scopes["encoder.layers.encoder_layer_0"].macs == attention.cost.macs + 2 * n * d * 4 * d
    assert model.analysis.layers["heads.head"].node.in_shapes == ((768,),)


def test_vit_summary_shows_token_shapes(capsys):
    from netdsl.cli import main

    assert main(["summary", "vit_b_16", "--depth", "3"]) == 0
    out = capsys.readouterr().out
    assert "197×768" in out and "12 heads, 197² scores" in out
    assert "Params: 86,567,656" in out and "MACs: 17,563,828,224" in out


def test_text_transformer_state_dict_is_transformer_encoders():
    torch = pytest.importorskip("torch")
    model = netdsl.load(TEXT)
    layer = torch.nn.TransformerEncoderLayer(256, 8, 1024, batch_first=True)
    encoder = torch.nn.TransformerEncoder(layer, 4, enable_nested_tensor=False)
    expected = {f"layers.{k.split('.', 1)[1]}": tuple(v.shape) for k, v in encoder.state_dict().items()}
    assert {k: v for k, v in state_shapes(model.network).items() if k.startswith("layers.")} == expected
    # per layer: attention 4·256² + 4·256, feed-forward 2·256·1024 + 1024 + 256, two norms 4·256
    per_layer = (4 * 256 ** 2 + 4 * 256) + (2 * 256 * 1024 + 1024 + 256) + 4 * 256
    assert model.params == 4 * per_layer + 256 * 2 + 2 == 3_159_554
    # per layer: attention 4·128·256² + 2·128²·256, feed-forward 2·128·256·1024; the head 256·2
    assert model.macs == 4 * (4 * 128 * 256 ** 2 + 2 * 128 ** 2 * 256 + 2 * 128 * 256 * 1024) + 512


def test_text_transformer_equals_transformer_encoder():
    """The compiled module computes what nn.TransformerEncoder (post-norm, ReLU) does under its weights."""
    torch = pytest.importorskip("torch")
    model = netdsl.load(TEXT)
    module = model.to_torch().eval()
    layer = torch.nn.TransformerEncoderLayer(256, 8, 1024, batch_first=True)
    encoder = torch.nn.TransformerEncoder(layer, 4, enable_nested_tensor=False).eval()
    encoder.load_state_dict({k: v for k, v in module.state_dict().items() if k.startswith("layers.")})
    head = torch.nn.Linear(256, 2)
    head.load_state_dict({"weight": module.state_dict()["head.weight"], "bias": module.state_dict()["head.bias"]})
    tokens = torch.randn(3, 128, 256, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(module(tokens), head(encoder(tokens)[:, 0]), rtol=1e-4, atol=1e-5)


def test_cookbook_vit_figures():
    """docs/cookbook.md part 2 prints the summaries of examples/tiny_vit.net: its figures are netdsl's."""
    cookbook = (REPO / "docs" / "cookbook.md").read_text(encoding="utf-8")
    for net in ("tiny_vit", "tiny_vit_deeper"):
        model = netdsl.load(EXAMPLES / "tiny_vit.net", net)
        assert model.network.node("layers.0.self_attention").shape == (65, 192)
    model = netdsl.load(EXAMPLES / "tiny_vit.net")
    assert f"Params: {model.params:,}" in cookbook and f"MACs: {model.macs:,}" in cookbook
    attention = model.analysis.layers["layers.0.self_attention"].cost.macs
    assert attention == 4 * 65 * 192 ** 2 + 2 * 65 ** 2 * 192 == 11_207_040


@pytest.mark.parametrize("path", [TEXT, EXAMPLES / "tiny_vit.net"], ids=["text_transformer", "tiny_vit"])
def test_examples_through_the_cli(path, tmp_path, capsys):
    from netdsl.cli import main

    path = str(path)
    assert main(["check", path]) == 0
    assert main(["summary", path]) == 0
    assert main(["render", path, "-o", str(tmp_path / "net.svg")]) == 0
    assert (tmp_path / "net.svg").read_text().startswith("<?xml")
    assert main(["compile", path, "--onnx", "-o", str(tmp_path / "net.onnx"), "--verify", "--dynamic-batch"]) == 0
    assert "verify: max abs diff" in capsys.readouterr().err


def test_swin_t_layers():
    """Stage 1 of Swin-T: 56×56×96 in 64 windows of 49 tokens, 3 heads; the second block's windows
    shifted by 3 and masked; the last stage's 7×7 map is one window, never shifted."""
    layers = _model("swin_t").analysis.layers
    assert layers["features.0.2"].node.shape == (56, 56, 96)
    assert layers["features.1.0.attn.qkv"].node.shape == (64, 49, 288)
    assert [lc.node.args["shift"] for lc in layers.values() if lc.node.op == "shift_mask"] == [(3, 3)] * 5
    assert layers["features.7.1.attn.relative_position_index"].node.shape == (2401,)
    assert sum(lc.cost.buffers for lc in layers.values()) == 12 * 2401
    # attention's two products in a window: 49² scores × 32 per head, 64 windows, 3 heads
    assert [lc.cost.macs for lc in layers.values() if lc.node.op == "matmul"][:2] == [64 * 3 * 49 * 49 * 32] * 2


def test_swin_v2_t_pads_its_windows():
    """At 224, stage 3's 14×14 map is padded to 16×16 (four 8×8 windows, shifted by 4) and stage 4's
    7×7 to one 8×8 window, never shifted, as torchvision pads; the coordinate MLP runs on the
    15×15 table of each block."""
    layers = _model("swin_v2_t").analysis.layers
    assert layers["features.5.1.attn.qkv"].node.shape == (4, 64, 1152)
    assert layers["features.7.0.attn.qkv"].node.shape == (1, 64, 2304)
    assert [lc.node.args["shift"] for lc in layers.values() if lc.node.op == "shift_mask"] == [(4, 4)] * 5
    assert layers["features.1.0.attn.relative_coords_table"].cost.buffers == 15 * 15 * 2
    assert layers["features.1.0.attn.cpb_mlp.0"].cost.macs == 15 * 15 * 2 * 512


def test_maxvit_t_partitions():
    """The first stage's 56×56 map as 64 windows of 7×7 tokens, then as 64 groups of 49 tokens spread
    over the map (one from each 8×8 cell of a 7×7 grid); the bias index is torchvision's 49×49."""
    layers = _model("maxvit_t").analysis.layers
    first = "blocks.0.layers.0.layers"
    assert layers[f"{first}.window_attention.attn_layer.1.to_qkv"].node.shape == (64, 49, 192)
    assert layers[f"{first}.grid_attention.attn_layer.1.to_qkv"].node.shape == (64, 49, 192)
    assert layers[f"{first}.window_attention.attn_layer.1.relative_position_index"].node.shape == (49, 49)
    assert layers[f"{first}.MBconv.layers.conv_b.0"].node.shape == (256, 56, 56)


def test_swin3d_t_layers():
    """Video: 2×4×4 patches of 16×224×224 make 8×56×56 tokens of 96; 8×7×7 windows of 392 tokens, the
    time axis never shifted (its 8 frames are one window); the S×S index buffer as torchvision's."""
    layers = _model("swin3d_t").analysis.layers
    assert layers["patch_embed.norm"].node.shape == (8, 56, 56, 96)
    assert layers["features.0.0.attn.qkv"].node.shape == (64, 392, 288)
    assert {lc.node.args["shift"] for lc in layers.values() if lc.node.op == "shift_mask"} == {(0, 3, 3)}
    assert layers["features.0.0.attn.relative_position_index"].node.shape == (392, 392)
    assert layers["features.0.0.attn.relative_position_bias_table"].node.shape == (15 * 13 * 13, 3)


def test_mvit_grids_and_pooling():
    """3×7×7 patches at stride 2×4×4 make an 8×56×56 grid after a class token; the queries are pooled to
    28×28 in block 1, keys and values by 8 in block 0 (7×7); v2's tables have 2·max(q, k) − 1 rows."""
    v1 = _model("mvit_v1_b").analysis.layers
    assert v1["pos_encoding.1"].node.shape == (1 + 8 * 56 * 56, 96)  # prepend(class_token)
    assert v1["blocks.0.attn.pool_k.pool"].node.shape == (1, 1 + 8 * 7 * 7, 96)
    assert v1["blocks.1.attn.pool_q.pool"].node.shape == (2, 1 + 8 * 28 * 28, 96)
    assert v1["blocks.1.attn.pool_q.pool"].cost.macs == 2 * 8 * 28 * 28 * 96 * 27
    assert "blocks.0.attn.pool_q.pool" not in v1
    v2 = _model("mvit_v2_s").analysis.layers
    assert v2["blocks.0.attn.pool_q.pool"].node.shape == (1, 1 + 8 * 56 * 56, 96)
    assert v2["blocks.0.attn.rel_pos_h"].node.shape == (111, 96)
    assert v2["blocks.1.attn.rel_pos_h"].node.shape == (55, 96)
    assert v2["blocks.0.attn.rel_pos_t"].node.shape == (15, 96)
    rel = next(lc for name, lc in v2.items() if name.startswith("blocks.0.attn.") and lc.node.op == "rel_pos")
    assert rel.cost.macs == 1 * (8 * 56 * 56) * (8 + 7 + 7) * 96


@pytest.mark.slow
@pytest.mark.parametrize("name", ["vit_b_16", "swin_t"])
def test_compiles_without_a_graph_break(name):
    """torch.compile(fullgraph=True) traces the whole forward in one graph (dynamo fails on a break);
    the eager backend keeps the test to the tracing."""
    torch = pytest.importorskip("torch")
    module = _model(name).to_torch().eval()
    compiled = torch.compile(module, fullgraph=True, backend="eager")
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), module(x))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["vit_b_16", "swin_t"])
def test_onnx_with_dynamic_batch_verifies(name, tmp_path, capsys):
    import onnx

    from netdsl.cli import main

    out = tmp_path / f"{name}.onnx"
    assert main(["compile", name, "--onnx", "-o", str(out), "--verify", "--dynamic-batch"]) == 0
    assert capsys.readouterr().err.rstrip().endswith(": ok")
    model = onnx.load(str(out), load_external_data=False)
    onnx.checker.check_model(model)
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
