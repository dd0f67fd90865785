"""The op contract: adding an op is one file plus tests. Every op has a shape rule, a cost,
PyTorch and ONNX lowerings, a row in docs/language.md's op table and a use in
tests/backend_nets/allops.net (which the backend tests run through both lowerings)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import netdsl
from netdsl.analysis.costs import layer_cost
from netdsl.ops import OPS

REPO = Path(__file__).resolve().parents[2]
ALLOPS = REPO / "tests" / "backend_nets" / "allops.net"
OP_NAMES = sorted(name for name in OPS if name != "input")


def _doc_rows() -> str:
    text = (REPO / "docs" / "language.md").read_text(encoding="utf-8")
    section = text.split("## Built-in ops", 1)[1].split("\n## ", 1)[0]
    return "\n".join(line for line in section.splitlines() if line.startswith("| `"))


@pytest.fixture(scope="module")
def allops() -> netdsl.Model:
    return netdsl.load(ALLOPS)


@pytest.mark.parametrize("name", OP_NAMES)
def test_op_has_both_lowerings(name):
    op = OPS[name]
    assert (op.torch_module is None) != (op.torch_call is None), f"{name}: exactly one PyTorch lowering"
    assert op.onnx is not None, f"{name}: no ONNX lowering"
    assert op.doc, f"{name}: no doc line"


@pytest.mark.parametrize("name", OP_NAMES)
def test_op_has_a_doc_table_row(name):
    assert re.search(rf"`{name}[`(]", _doc_rows()), f"{name}: no row in docs/language.md's op table"


@pytest.mark.parametrize("name", OP_NAMES)
def test_op_is_used_in_allops_with_a_shape_and_cost(name, allops):
    if name == "identity":  # adds no node: it must still appear in the source
        assert re.search(r"\bidentity\b", ALLOPS.read_text(encoding="utf-8"))
        return
    nodes = [n for n in allops.network.nodes() if n.op == name]
    assert nodes, f"{name}: not used in {ALLOPS.name}"
    for node in nodes:
        assert node.shape and all(d > 0 for d in node.shape)
        cost = layer_cost(node)
        assert cost.activations > 0 and cost.flops >= 2 * cost.macs >= 0


def test_registry_test_would_catch_a_missing_op(allops):
    """A guard for the guard: an op name absent from allops and the doc table is noticed."""
    assert not [n for n in allops.network.nodes() if n.op == "no_such_op"]
    assert not re.search(r"`no_such_op[`(]", _doc_rows())
