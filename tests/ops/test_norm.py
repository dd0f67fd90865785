"""layer_norm and group_norm against PyTorch's own layers, through the generated module and ONNX."""

from __future__ import annotations

import pytest

from tests.ops.support import compile_net, first_error, net, random_state, run_torch_and_onnx, same_as_reference

torch = pytest.importorskip("torch")
nn = torch.nn


class LayerNorm2d(nn.LayerNorm):
    """torchvision.models.convnext.LayerNorm2d, as written there."""

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = nn.functional.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


@pytest.mark.parametrize("shape, axes, chain, reference", [
    ("[5, 16]", "n, d", "layer: layer_norm", lambda: nn.LayerNorm(16)),
    ("[5, 16]", "n, d", "layer: layer_norm(eps=1e-6, affine=false)",
     lambda: nn.LayerNorm(16, eps=1e-6, elementwise_affine=False)),
    ("[6, 4, 5]", "", "layer: layer_norm(eps=1e-6)", lambda: LayerNorm2d(6, eps=1e-6)),
    ("[4, 5, 6]", "h, w, c", "layer: layer_norm", lambda: nn.LayerNorm(6)),
    ("[12]", "", "layer: layer_norm", lambda: nn.LayerNorm(12)),
    ("[6, 4, 5]", "", "layer: group_norm(3)", lambda: nn.GroupNorm(3, 6)),
    ("[6, 9]", "", "layer: group_norm(2, eps=1e-3, affine=false)", lambda: nn.GroupNorm(2, 6, 1e-3, affine=False)),
    ("[8, 2, 3, 3]", "", "layer: group_norm(4)", lambda: nn.GroupNorm(4, 8)),
])
@pytest.mark.parametrize("opset", [14, 17])
def test_norms_equal_pytorchs_layers(tmp_path, shape, axes, chain, reference, opset):
    model = compile_net(tmp_path, net(shape, chain, axes))
    module, inputs, expected = run_torch_and_onnx(model, opset=opset, state=random_state(model))
    same_as_reference(module, reference(), inputs, expected)


def test_costs(tmp_path):
    model = compile_net(tmp_path, net("[64, 7, 7]", "ln: layer_norm -> gn: group_norm(8, affine=false)"))
    ln, gn = model.analysis.layers["ln"], model.analysis.layers["gn"]
    assert (ln.cost.params, ln.cost.macs, ln.cost.flops) == (128, 0, 7 * 64 * 49)
    assert (gn.cost.params, gn.cost.flops) == (0, 5 * 64 * 49)
    assert model.analysis.layers["ln"].receptive_field == (1, 1)


@pytest.mark.parametrize("shape, axes, chain, message", [
    ("[6, 4, 4]", "", "group_norm(4)", "group_norm: 6 channels are not divisible by groups=4"),
    ("[5, 16]", "n, d", "group_norm(4)",
     "group_norm normalises groups of channels, but its input 5×16 (n, d) has no `c` axis first"),
    ("[6, 4, 4]", "", "layer_norm(eps=0)", "layer_norm: `eps` must be greater than 0, not 0"),
])
def test_misuse(tmp_path, shape, axes, chain, message):
    assert first_error(tmp_path, net(shape, chain, axes)).message == message
