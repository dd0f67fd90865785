"""`netdsl render`: every net of the library drawn, and the picture read back against the analysis.

The SVG is parsed as XML: cluster labels, box lines and edge labels must show
exactly the analyzer's shapes and costs (in the same human units).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path

import pytest

import netdsl
from netdsl.library import nets_dir
from netdsl.syntax import ast
from netdsl.syntax.parser import parse
from netdsl.views.graphview import auto_depth, fold, max_depth
from netdsl.views.graphviz_view import COLOR_METRICS, LEGEND_ID, Heat, RenderOptions, render_bytes, write
from netdsl.views.units import human, shape_text

SVG = "{http://www.w3.org/2000/svg}"
NET_FILES = sorted(p for p in nets_dir().glob("*.net"))
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def _networks(path: Path) -> list[str]:
    module = parse(path.read_text(encoding="utf-8"), str(path))
    return [item.name for item in module.items if isinstance(item, (ast.NetworkDef, ast.PresetDef))]


ALL_NETWORKS = [(p, n) for p in NET_FILES for n in _networks(p)]
FIRST_NETWORKS = [(p, names[0]) for p in NET_FILES if (names := _networks(p))]


@lru_cache(maxsize=None)
def _analysis(path: Path, name: str):
    return netdsl.load(path, name).analysis


def _ids(cases):
    return [f"{p.stem}:{n}" for p, n in cases]


def _texts(group: ET.Element) -> list[str]:
    return [t.text or "" for t in group.iter(f"{SVG}text")]


def _groups(root: ET.Element, cls: str) -> dict[str, ET.Element]:
    return {g.find(f"{SVG}title").text: g for g in root.iter(f"{SVG}g") if g.get("class") == cls}


def check_svg(analysis, svg: bytes, options: RenderOptions) -> None:
    """Everything the picture states equals the analyzer's numbers."""
    root = ET.fromstring(svg)
    depth = auto_depth(analysis) if options.depth is None else options.depth
    view = fold(analysis, depth)
    clusters = _groups(root, "cluster")
    assert set(clusters) == {f"cluster_{p}" for p in view.clusters}
    for path in view.clusters:
        cost = analysis.scopes[path]
        assert _texts(clusters[f"cluster_{path}"]) == [f"{path} — {human(cost.params)} params, {human(cost.macs)} MACs"]
    nodes = _groups(root, "node")
    _check_legend(nodes.pop(LEGEND_ID, None), Heat(view, options.color))
    assert set(nodes) == set(view.boxes)
    for box_id, group in nodes.items():
        _check_box(analysis, box_id, _texts(group))
    for title, group in _groups(root, "edge").items():
        tail = title.split("->")[0]
        shape = analysis.layers[tail].node.shape if tail in analysis.layers else None
        if shape is not None:
            assert _texts(group) == [shape_text(shape)], title
    header = " ".join(t.text or "" for t in root.find(f"{SVG}g").findall(f"{SVG}text"))
    totals = analysis.totals
    assert f"{human(totals.params)} params · {human(totals.macs)} MACs · {human(totals.flops)} FLOPs" in header


def _check_legend(group: ET.Element | None, heat: Heat) -> None:
    """The legend reads the heat scale: the costliest box shown, then each decade below it."""
    if heat.top == 0:
        assert group is None
        return
    stops = [human(round(heat.top / 10 ** k)) for k in range(heat.DECADES + 1)]
    assert _texts(group) == [f"{COLOR_METRICS[heat.metric]} (log)", *stops]
    fills = [p.get("fill") for p in group.iter(f"{SVG}polygon") if p.get("fill") not in (None, "none")]
    assert fills == [heat.color_of(heat.top / 10 ** k) for k in range(heat.DECADES + 1)]


def _check_box(analysis, box_id: str, lines: list[str]) -> None:
    if box_id.startswith("output "):
        port = next(p for p in analysis.network.outputs if f"output {p.name}" == box_id)
        assert lines == [port.name, shape_text(port.shape)]
        return
    if box_id in analysis.layers:
        node, cost = analysis.layers[box_id].node, analysis.layers[box_id].cost
        assert lines[0] == box_id and lines[1].split()[0] == node.op and lines[2] == shape_text(node.shape)
    else:
        cost = analysis.scopes[box_id]
        assert lines[0] == f"{box_id} ▸"
    if cost.params or cost.macs:
        assert lines[3] == f"{human(cost.params)} params · {human(cost.macs)} MACs"
    else:
        assert len(lines) == 3


@pytest.mark.parametrize("path,name", ALL_NETWORKS, ids=_ids(ALL_NETWORKS))
def test_dot_of_every_network(path, name, tmp_path):
    out = write(_analysis(path, name), tmp_path / "net.dot")
    text = out.read_text(encoding="utf-8")
    assert text.startswith("digraph") and "cluster_" in text or "->" in text


@needs_dot
@pytest.mark.parametrize("path,name", FIRST_NETWORKS, ids=_ids(FIRST_NETWORKS))
def test_svg_shows_the_analysis(path, name, tmp_path):
    options = RenderOptions()
    out = write(_analysis(path, name), tmp_path / "net.svg", options)
    check_svg(_analysis(path, name), out.read_bytes(), options)


@needs_dot
@pytest.mark.slow
@pytest.mark.parametrize("path,name", ALL_NETWORKS, ids=_ids(ALL_NETWORKS))
def test_svg_of_every_network(path, name):
    for depth in range(max_depth(_analysis(path, name)) + 1):
        options = RenderOptions(depth=depth)
        check_svg(_analysis(path, name), render_bytes(_analysis(path, name), "svg", options), options)


@needs_dot
def test_googlenet_clusters_and_folding():
    analysis = _analysis(nets_dir() / "googlenet.net", "googlenet")
    options = RenderOptions(depth=1)
    svg = render_bytes(analysis, "svg", options)
    check_svg(analysis, svg, options)
    texts = _texts(ET.fromstring(svg))
    assert "inception4a — 365K params, 71.2M MACs" in texts
    assert "conv 7×7/2, 64" in texts and "64×112×112" in texts


@pytest.mark.parametrize("name", ["googlenet", "resnet152"])
def test_folding_keeps_the_totals(name):
    analysis = netdsl.load(name).analysis
    counts = []
    for depth in range(max_depth(analysis) + 1):
        view = fold(analysis, depth)
        costs = [b.cost for b in view.boxes.values() if b.kind in ("layer", "folded")]
        assert sum(c.params for c in costs) == analysis.totals.params
        inference = [b.cost for b in view.boxes.values() if b.kind in ("layer", "folded") and not b.training_only]
        assert sum(c.macs for c in inference) == analysis.totals.macs
        assert all(link.tail != link.head for link in view.links)
        assert all(link.tail in view.boxes and link.head in view.boxes for link in view.links)
        counts.append(len(view.boxes))
    assert counts == sorted(counts) and counts[0] < counts[-1]
    assert len(fold(analysis, auto_depth(analysis)).boxes) <= 100


def test_folded_dot_has_fewer_nodes():
    analysis = _analysis(nets_dir() / "googlenet.net", "googlenet")
    shallow = render_bytes(analysis, "dot", RenderOptions(depth=0)).decode()
    deep = render_bytes(analysis, "dot", RenderOptions(depth=3)).decode()
    assert shallow.count("label=<") < deep.count("label=<")


@needs_dot
def test_output_is_deterministic(tmp_path):
    analysis = _analysis(nets_dir() / "googlenet.net", "googlenet")
    assert render_bytes(analysis, "svg") == render_bytes(analysis, "svg")
    assert render_bytes(analysis, "dot") == render_bytes(analysis, "dot")


def _cli(args: list[str], cwd: Path, path_env: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": path_env, "PYTHONPATH": str(Path(netdsl.__file__).parent.parent)}
    return subprocess.run([sys.executable, "-m", "netdsl", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=60)


def test_without_dot_only_dot_output_works(tmp_path):
    googlenet = str(nets_dir() / "googlenet.net")
    empty = tmp_path / "bin"
    empty.mkdir()
    ok = _cli(["render", googlenet, "-o", "g.dot"], tmp_path, str(empty))
    assert ok.returncode == 0 and (tmp_path / "g.dot").read_text().startswith("digraph")
    failed = _cli(["render", googlenet, "-o", "g.svg"], tmp_path, str(empty))
    assert failed.returncode == 1 and not (tmp_path / "g.svg").exists()
    assert len(failed.stderr.strip().splitlines()) == 1
    assert "Graphviz" in failed.stderr and "install" in failed.stderr and "Traceback" not in failed.stderr


def test_unknown_format_is_a_usage_error(tmp_path):
    result = _cli(["render", "lenet", "-o", "x.jpg"], tmp_path, os.environ["PATH"])
    assert result.returncode == 2 and re.search(r"\.svg", result.stderr)


@needs_dot
def test_repr_svg_for_jupyter():
    assert netdsl.load("lenet")._repr_svg_().lstrip().startswith("<?xml")


@needs_dot
def test_legend_of_lenet():
    analysis = netdsl.load("lenet").analysis
    svg = render_bytes(analysis, "svg")
    legend = _groups(ET.fromstring(svg), "node")[LEGEND_ID]
    assert _texts(legend) == ["MACs (log)", "240K", "24K", "2.4K", "240"]  # c3's 240K MACs tops the scale
    assert LEGEND_ID not in render_bytes(analysis, "dot", RenderOptions(color="none")).decode()


def test_format_flag_overrides_the_suffix(tmp_path):
    result = _cli(["render", "lenet", "--format", "dot", "-o", "lenet.gv"], tmp_path, os.environ["PATH"])
    assert result.returncode == 0 and (tmp_path / "lenet.gv").read_text().startswith("digraph lenet")
    result = _cli(["render", "lenet", "--format", "dot"], tmp_path, os.environ["PATH"])
    assert result.returncode == 0 and (tmp_path / "lenet.dot").read_text().startswith("digraph lenet")


def _residual_blocks(tmp_path: Path, count: int) -> Path:
    path = tmp_path / "blocks.net"
    path.write_text("block res() {\n    add { identity; conv(8, 3, pad=1) -> relu }\n}\n"
                    "network blocks() {\n    input x: [8, 8, 8]\n"
                    f"    output y = x -> for i in range({count}) {{ res() }}\n}}\n")
    return path


def test_too_many_boxes_fold_with_a_warning(tmp_path):
    path = _residual_blocks(tmp_path, 1700)  # depth 1: 3 boxes a block, past the layout budget
    result = _cli(["render", str(path), "--depth", "1", "-o", "b.dot"], tmp_path, os.environ["PATH"])
    assert result.returncode == 0
    assert "netdsl: warning: 5,102 boxes at depth 1 would take Graphviz minutes" in result.stderr
    assert "folded to depth 0 (1,702 boxes)" in result.stderr
    assert (tmp_path / "b.dot").read_text().count("label=<<b>") == 1702
