"""Every form of the language parses, elaborates and gets the PyTorch-style names
the naming rules promise (netdsl/elaborate/naming.py)."""

from __future__ import annotations

import pytest

from netdsl import CompileError
from netdsl.syntax import ast
from netdsl.syntax.parser import parse


def names(model) -> list[str]:
    return [n.name for n in model.network.nodes()]


def test_chain_and_sequential_numbering(compile_text):
    model = compile_text("""
# a comment
network n() {
    input x: [3, 32, 32]   # trailing comment
    output y = x -> conv(8, 3, pad=1) -> relu
        -> fc1: conv(16, 1)
}""")
    assert names(model) == ["x", "y.0", "y.1", "fc1"]
    assert model.network.outputs[0].shape == (16, 32, 32)


def test_concat_add_mul_and_identity(compile_text):
    model = compile_text("""
network n() {
    input x: [16, 8, 8]
    a = x -> concat { conv(8, 1); conv(8, 3, pad=1) }
    b = a -> add { identity; conv(16, 1) }
    output y = b -> mul {
        identity
        global_avgpool -> conv(16, 1) -> sigmoid
    }
}""")
    shapes = {n.name: n.shape for n in model.network.nodes()}
    assert shapes["a.0"] == (16, 8, 8)
    assert model.network.node("b.0").inputs == ("a.0", "b.0.1.0")
    assert model.network.node("y.0").op == "mul"
    assert model.network.outputs[0].shape == (16, 8, 8)


def test_labels_and_computed_labels(compile_text):
    model = compile_text("""
network n(blocks=3) {
    input x: [4, 8, 8]
    output y = x -> stage: for i in range(blocks) {
        layer{i + 1}: conv(4, 3, pad=1) -> act{i}: relu
    }
}""")
    assert names(model)[1:] == ["stage.layer1", "stage.act0", "stage.layer2", "stage.act1",
                                "stage.layer3", "stage.act2"]
    assert model.network.scopes["stage"].kind == "group"


def test_for_splices_like_a_sequential_built_from_a_list(compile_text):
    model = compile_text("""
network n() {
    input x: [3, 8, 8]
    output y = x -> features: (for c in [8, 16] { conv(c, 3, pad=1) -> relu } -> maxpool(2))
}""")
    assert names(model)[1:] == ["features.0", "features.1", "features.2", "features.3", "features.4"]


def test_if_else_chooses_structure(compile_text):
    text = """
network n(deep=false) {
    input x: [3, 8, 8]
    output y = x -> if deep { conv(8, 3, pad=1) -> conv(8, 3, pad=1) } else { conv(8, 1) }
        -> if deep { relu }
}"""
    assert [n.op for n in compile_text(text).network.nodes()] == ["input", "conv"]
    assert [n.op for n in compile_text(text, deep=True).network.nodes()] == ["input", "conv", "conv", "relu"]


def test_named_values_and_multi_input_ops(compile_text):
    model = compile_text("""
network n() {
    input x: [8, 8, 8]
    a = x -> conv(8, 1)
    b = x -> conv(8, 3, pad=1)
    output y = concat(add(a, b), mul(a, b), x -> avgpool(3, stride=1, pad=1))
}""")
    assert model.network.outputs[0].shape == (24, 8, 8)
    join = [n for n in model.network.nodes() if n.op == "concat"][0]
    assert [model.network.node(i).op for i in join.inputs] == ["add", "mul", "avgpool"]


def test_blocks_defaults_block_values_and_partial_calls(compile_text):
    model = compile_text("""
block unit(c, k=3, act=relu) { conv(c, k, pad=k // 2) -> act }
block stack(n, make) { for i in range(n) { make() } }
network n() {
    input x: [3, 8, 8]
    output y = x -> a: unit(4) -> b: unit(8, k=1, act=sigmoid) -> c: stack(2, unit(16))
}""")
    assert [n.name for n in model.network.nodes() if n.op == "conv"] == ["a.0", "b.0", "c.0.0", "c.1.0"]
    assert model.network.node("b.1").op == "sigmoid"
    assert model.network.scopes["c.1"].name == "unit"


def test_multi_input_block_with_return(compile_text):
    model = compile_text("""
block cell(c)(cur, prev) {
    a = cur -> conv(c, 1)
    b = prev -> conv(c, 3, pad=1)
    return concat(add(a, b), add(cur -> avgpool(3, stride=1, pad=1), prev))
}
network n() {
    input x: [8, 8, 8]
    p = x -> conv(8, 1)
    c1 = cell(8)(x, p)
    output y = c1 -> conv(8, 1) -> second: cell(8)(p)
}""")
    assert model.network.node("c1.0.3").shape == (16, 8, 8)
    assert model.network.outputs[0].shape == (16, 8, 8)
    assert model.network.scopes["second"].name == "cell"
    assert model.network.node("second.b.0").inputs == ("p.0",)


def test_in_shape_and_let(compile_text):
    model = compile_text("""
let ratio = 4
block se() {
    mul { identity; global_avgpool -> conv(in.c // ratio, 1) -> relu -> conv(in.c, 1) -> sigmoid }
}
network n() {
    input x: [32, 8, 8]
    output y = x -> se()
}""")
    convs = [n for n in model.network.nodes() if n.op == "conv"]
    assert [c.shape[0] for c in convs] == [8, 32]


def test_presets_and_overrides(compile_text, tmp_path):
    text = """
network net(width=8, classes=10) {
    input x: [3, 8, 8]
    output y = x -> conv(width, 3) -> global_avgpool -> flatten -> linear(classes)
}
network wide = net(width=32)
"""
    assert compile_text(text, "wide").network.node("y.0").shape == (32, 6, 6)
    assert compile_text(text, "wide", classes=5).network.outputs[0].shape == (5,)
    assert compile_text(text, "net").network.node("y.0").shape == (8, 6, 6)


def test_relative_import(tmp_path):
    import netdsl

    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "common.net").write_text("block unit(c) { conv(c, 1) -> relu }\n")
    (tmp_path / "model.net").write_text('import "lib/common.net"\nnetwork model() {\n'
                                         "    input x: [3, 4, 4]\n    output y = x -> unit(8)\n}\n")
    assert netdsl.load(tmp_path / "model.net").network.outputs[0].shape == (8, 4, 4)


def test_import_cycle_is_reported(tmp_path):
    import netdsl

    (tmp_path / "a.net").write_text('import "b.net"\n')
    (tmp_path / "b.net").write_text('import "a.net"\n')
    with pytest.raises(CompileError) as err:
        netdsl.load(tmp_path / "a.net")
    diag = err.value.diagnostics[0]
    assert diag.message == "import cycle: a.net → b.net → a.net"
    assert (diag.span.line, diag.span.col) == (1, 1) and diag.span.path.endswith("b.net")


def test_statement_level_loop_rebinds(compile_text):
    model = compile_text("""
network n() {
    input x: [4, 8, 8]
    h = x
    for i in range(3) {
        h = h -> cell{i}: conv(4, 3, pad=1)
    }
    output y = h
}""")
    assert [n.name for n in model.network.nodes()] == ["x", "cell0", "cell1", "cell2"]


def test_training_only_outputs(compile_text):
    model = compile_text("""
network n() {
    input x: [3, 8, 8]
    a = x -> conv(4, 3, pad=1)
    train output aux = a -> head: (flatten -> linear(10))
    output y = a -> global_avgpool -> flatten -> fc: linear(10)
}""")
    assert model.analysis.training_only.macs == 4 * 8 * 8 * 10
    assert model.macs == 3 * 4 * 9 * 64 + 40


def test_every_ast_node_has_a_span():
    module = parse(open("nets/googlenet.net").read(), "nets/googlenet.net")

    def walk(node):
        if isinstance(node, ast.Node):
            assert node.span.line >= 1 and node.span.col >= 1
            for value in vars(node).values() if hasattr(node, "__dict__") else (
                    getattr(node, f) for f in node.__dataclass_fields__):
                walk(value)
        elif isinstance(node, tuple):
            for item in node:
                walk(item)

    walk(module)


def test_in_is_the_block_input_in_if_and_for_bodies_too(compile_text):
    """`in` is the input of the innermost block or combinator branch; `if`, `for` and
    groups do not rebind it (issue 10: `in.c` gave 3 in a chain but 5 inside an `if`)."""
    model = compile_text("""
block t() { conv(5, 1) -> a: conv(in.c, 1) }
block u() { conv(5, 1) -> if true { a: conv(in.c, 1) } }
block v() { conv(5, 1) -> for i in range(2) { a{i}: conv(in.c + i, 1) } }
block g() { conv(5, 1) -> grp: (a: conv(in.c, 1)) }
block w() { conv(5, 1) -> add { identity; a: conv(in.c, 1) } }
network n() {
    input x: [3, 8, 8]
    output a = x -> t: t()
    output b = x -> u: u()
    output c = x -> v: v()
    output d = x -> g: g()
    output e = x -> w: w()
}""")
    out = {n.name: n.shape[0] for n in model.network.nodes()}
    assert (out["t.a"], out["u.a"], out["v.a0"], out["v.a1"], out["g.grp.a"]) == (3, 3, 3, 4, 3)
    assert out["w.a"] == 5  # a combinator branch's `in` is what enters the combinator


def test_in_outside_a_block_or_branch_is_a_diagnostic(compile_text):
    with pytest.raises(CompileError) as err:
        compile_text("network n() {\n    input x: [3, 8, 8]\n    output y = x -> if true { conv(in.c, 1) }\n}")
    diag = err.value.diagnostics[0]
    assert diag.message == "`in` is only defined inside a block or a combinator branch"
    assert (diag.span.line, diag.span.col) == (3, 36)


TAP = """
block stage(c) { conv(c, 3, stride=2, pad=1) -> relu }
block trunk() { stage(8) -> stage(16) -> stage(32) }
network n() {
    input x: [3, 32, 32]
    high = x -> backbone: trunk()
    low = tap("backbone.1")
    output out = high -> up: upsample_like(low) -> concat(low -> low_classifier: conv(4, 1))
        -> classifier: conv(2, 1)
}
"""


def test_tap_reads_a_numbered_layer_inside_a_block(compile_text):
    """LR-ASPP reads `backbone.4`: a layer or block instance inside another, by its name."""
    model = compile_text(TAP)
    node = model.network.node("low_classifier")
    assert node.inputs == ("backbone.1.1",) and node.in_shapes == ((16, 8, 8),)
    assert model.network.outputs[0].shape == (2, 8, 8)
    module = model.to_torch().eval()
    import torch

    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        low = module.backbone.__getattr__("1")(module.backbone.__getattr__("0")(x))
        high = module.backbone.__getattr__("2")(low)
        up = torch.nn.functional.interpolate(high, size=(8, 8))
        expected = module.classifier(torch.cat([up, module.low_classifier(low)], 1))
        assert torch.allclose(module(x), expected, atol=1e-6)


@pytest.mark.parametrize("text, message", [
    (TAP.replace('tap("backbone.1")', 'tap("backbone.7")'),
     "tap: no layer `backbone.7` has been built before this point"),
    (TAP.replace('tap("backbone.1")', 'tap(1)'), 'tap takes the name of a layer as a string, e.g. tap("backbone.4")'),
    ('let t = tap("x")\n' + TAP, "tap reads a layer of the network being built: use it inside a network or block"),
])
def test_tap_misuse(compile_text, text, message):
    with pytest.raises(CompileError) as err:
        compile_text(text, "n")
    assert err.value.diagnostics[0].message == message
