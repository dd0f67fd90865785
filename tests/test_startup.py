"""A command imports only what it uses (issue 14): the start-up of `netdsl summary`
and `netdsl check` is a large part of their time, and networkx alone took longer
to import than analysing ResNet-152. Each case runs the real command in a fresh
interpreter under `python -X importtime` and reads which packages it imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

NETS = Path(__file__).resolve().parents[1] / "nets"
# The libraries only some commands need: graphs for backends, terminal UI, ONNX, PyTorch, Graphviz.
HEAVY = {"networkx", "rich", "textual", "onnx", "onnxruntime", "torch", "graphviz", "matplotlib", "pygments"}


def imported_packages(args: list[str], cwd: Path) -> set[str]:
    """The top-level packages a whole `netdsl ARGS` process imports."""
    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "netdsl", *args], cwd=cwd,
                         capture_output=True, text=True, check=True)
    names = {line.rsplit("|", 1)[1].strip() for line in run.stderr.splitlines() if line.startswith("import time:")}
    return {name.split(".")[0] for name in names}


@pytest.mark.parametrize("args, allowed", [
    (["summary", "resnet152", "--json"], set()),
    (["summary", "googlenet"], {"rich", "pygments"}),  # the table is drawn by rich
    (["check", str(NETS / "resnet.net")], set()),
    (["compile", "googlenet", "--onnx", "-o", "googlenet.onnx"], {"onnx"}),  # no torch without --verify
])
def test_command_imports_no_heavy_library_it_does_not_use(args: list[str], allowed: set[str], tmp_path: Path):
    packages = imported_packages(args, tmp_path)
    assert {"netdsl", "argparse"} <= packages  # the measurement sees the imports
    assert packages & HEAVY <= allowed, f"netdsl {' '.join(args)} imported {sorted(packages & HEAVY - allowed)}"


def test_graph_view_is_built_on_demand(tmp_path: Path):
    """`Network.graph` still gives networkx's DiGraph, with each node's Node and order, for those who ask."""
    import netdsl

    model = netdsl.load("googlenet")
    graph = model.graph
    names = [node.name for node in model.network.nodes()]
    assert list(graph.nodes) == names and len(graph) == 216
    assert [graph.nodes[n]["order"] for n in names] == list(range(len(names)))
    assert all(graph.nodes[n]["node"] is model.network.node(n) for n in names)
    join = model.network.node("inception3a.0")
    assert list(graph.predecessors(join.name)) == list(join.inputs) and len(join.inputs) == 4
    assert {s: tuple(model.network.users[s]) for s in names} == {s: tuple(graph.successors(s)) for s in names}
