"""The elaborator remembers an op's binding, shape, weight count and axes by its arguments and
inputs (netdsl.elaborate.builder): what it remembers must still count, and differ where they do."""

from __future__ import annotations

import pytest

import netdsl


def only_error(tmp_path, output: str) -> tuple[str, int, int]:
    path = tmp_path / "net.net"
    path.write_text(f"network net() {{\n    input x: [16384]\n    output y = {output}\n}}\n")
    with pytest.raises(netdsl.CompileError) as caught:
        netdsl.load(path)
    (diag,) = caught.value.diagnostics
    return diag.message, diag.span.line, diag.span.col


def test_remembered_layers_still_fill_the_weight_budget(tmp_path):
    """Layers 2-4 are the first's inference remembered; each still adds its 268,451,840 weights."""
    assert only_error(tmp_path, "x -> linear(16384) -> linear(16384) -> linear(16384) -> linear(16384)") == (
        "the network's weights reach 4,295,229,440 bytes here (1,073,807,360 float32 parameters),"
        " beyond the budget of 4,294,967,296 bytes", 3, 72)


def test_a_remembered_binding_is_not_taken_for_an_equal_value_of_another_type(tmp_path):
    """false == 0 and they hash alike: linear(8, bias=false) bound first must not make bias=0 pass."""
    assert only_error(tmp_path, "x -> linear(8, bias=false) -> linear(8, bias=0)") == (
        "linear: `bias` must be true or false, not the number 0", 3, 46)


def test_same_op_and_arguments_on_other_shapes_or_argument_types(tmp_path):
    path = tmp_path / "twice.net"
    path.write_text("network twice() {\n    input x: [3, 32, 32]\n"
                    "    output y = x -> conv(8, 3) -> conv(8, 3) -> upsample(2) -> upsample(2.0)\n}\n")
    model = netdsl.load(path)
    shapes = [layer["output_shape"] for layer in model.summary()["layers"]]
    assert shapes == [[3, 32, 32], [8, 30, 30], [8, 28, 28], [8, 56, 56], [8, 112, 112]]
