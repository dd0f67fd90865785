"""`netdsl render`: the network as a Graphviz picture with shapes and costs.

Every number drawn comes from the analysis through a `GraphView`; this module
only decides how it looks: labels, clusters with their totals, a log-scaled
fill that makes the expensive layers stand out, dashed training-only parts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Callable

import graphviz

from netdsl.analysis.costs import Analysis, Cost
from netdsl.io import WriteError, write_atomic
from netdsl.views.graphview import Box, GraphView, auto_depth, fold
from netdsl.views.units import human, human_bytes, shape_text

FORMATS = ("dot", "svg", "png", "pdf")
COLOR_METRICS = {"macs": "MACs", "params": "params", "memory": "activation memory", "none": ""}
# white → orange → red: the hotter the layer, the redder its box
_RAMP = ((255, 255, 255), (253, 212, 158), (252, 141, 89), (215, 48, 31))
_INSTALL_HINT = ("Graphviz's `dot` program is not installed or not on PATH; install Graphviz"
                 " (apt-get install graphviz, brew install graphviz) or write a .dot file")


Warn = Callable[[str], None]
LAYOUT_BUDGET = 5000  # boxes Graphviz lays out in a few seconds (4,000 folded blocks: 3 s)
LEGEND_ID = "heat legend"  # a space: no layer can be named so


class RenderError(Exception):
    """A picture could not be written; the message is for the user, in one line."""


@dataclass(frozen=True)
class RenderOptions:
    depth: int | None = None  # None: the deepest that stays legible
    rankdir: str = "TB"
    color: str = "macs"
    root: str = ""  # draw only this scope's subgraph


def graph_view(analysis: Analysis, options: RenderOptions, warn: Warn | None = None) -> GraphView:
    """The boxes to draw; an asked-for depth with more boxes than Graphviz lays out in seconds is
    folded until it fits, and `warn` is told so."""
    depth = auto_depth(analysis, options.root) if options.depth is None else options.depth
    view = fold(analysis, depth, options.root)
    asked = len(view.boxes)
    while len(view.boxes) > LAYOUT_BUDGET and view.depth > 0:
        view = fold(analysis, view.depth - 1, options.root)
    if view.depth != depth and warn is not None:
        warn(f"{asked:,} boxes at depth {depth} would take Graphviz minutes to lay out; folded to depth"
             f" {view.depth} ({len(view.boxes):,} boxes). Draw one block with a smaller picture instead")
    return view


def digraph(analysis: Analysis, options: RenderOptions = RenderOptions(), warn: Warn | None = None
            ) -> graphviz.Digraph:
    """The Graphviz graph of `analysis` as `options` ask."""
    view = graph_view(analysis, options, warn)
    graph = graphviz.Digraph(view.title(), graph_attr={
        "rankdir": options.rankdir, "label": _header(view, options.color), "labelloc": "t",
        "labeljust": "l", "fontname": "Helvetica", "fontsize": "14", "nodesep": "0.25", "ranksep": "0.35",
        "newrank": "true"})
    graph.attr("node", shape="box", style="rounded,filled", fontname="Helvetica", fontsize="10",
               margin="0.08,0.04")
    graph.attr("edge", fontname="Helvetica", fontsize="8", fontcolor="#555555", color="#555555",
               arrowsize="0.6")
    scale = Heat(view, options.color)
    _emit_cluster(graph, view.root, _Layout(view), scale)
    if scale.top > 0:
        graph.node(LEGEND_ID, _legend(scale), shape="plaintext", style="", margin="0")
    for link in view.links:
        graph.edge(link.tail, link.head, label=shape_text(link.shape),
                   style="dashed" if link.training_only else "solid")
    return graph


class _Layout:
    """Which boxes and child clusters each cluster holds, and which clusters are training-only,
    worked out in one pass so that emitting thousands of clusters stays linear."""

    def __init__(self, view: GraphView) -> None:
        self.analysis = view.analysis
        self.boxes: dict[str, list[Box]] = {}
        for box in view.boxes.values():
            self.boxes.setdefault(box.cluster, []).append(box)
        self.children: dict[str | None, list[str]] = {}
        for child in view.clusters:
            self.children.setdefault(view.analysis.network.scopes[child].parent, []).append(child)
        self.training: dict[str, bool] = {}
        network = view.analysis.network
        for lc in view.analysis.layers.values():
            for scope in network.scope_chain(lc.node.scope):
                self.training[scope.path] = self.training.get(scope.path, True) and lc.training_only


def _emit_cluster(container: graphviz.Digraph, path: str, layout: _Layout, scale: "Heat") -> None:
    for box in layout.boxes.get(path, ()):
        _emit_box(container, box, scale)
    for child in layout.children.get(path, ()):
        sub = graphviz.Digraph(name=f"cluster_{child}")
        sub.attr(label=cluster_label(layout.analysis, child), labeljust="l", fontsize="11",
                 style="rounded,dashed" if layout.training.get(child) else "rounded",
                 color="#888888", fontname="Helvetica-Bold")
        _emit_cluster(sub, child, layout, scale)
        container.subgraph(sub)


def cluster_label(analysis: Analysis, path: str) -> str:
    """`inception4a — 365K params, 71.2M MACs`: a block instance with its totals."""
    cost = analysis.scopes[path]
    return f"{path} — {human(cost.params)} params, {human(cost.macs)} MACs"


def box_lines(box: Box) -> list[str]:
    """The text of a box, first line its title; tests read the same lines back from the SVG."""
    if box.kind in ("output", "stub"):
        return [box.title, shape_text(box.shape)]
    lines = [box.title + (" ▸" if box.kind == "folded" else ""), box.op, shape_text(box.shape)]
    if box.cost.params or box.cost.macs:
        lines.append(f"{human(box.cost.params)} params · {human(box.cost.macs)} MACs")
    return lines


def _emit_box(container: graphviz.Digraph, box: Box, scale: "Heat") -> None:
    lines = [escape(line) for line in box_lines(box)]
    label = "<<b>" + lines[0] + "</b>" + "".join(f"<br/>{line}" for line in lines[1:]) + ">"
    style = "rounded,filled" + (",dashed" if box.training_only else "")
    if box.kind == "output":
        container.node(box.id, label, shape="oval", style="filled" + (",dashed" if box.training_only else ""),
                       fillcolor="#e8f0fe")
    elif box.kind == "stub":
        container.node(box.id, label, style="rounded,dotted", fillcolor="white")
    else:
        container.node(box.id, label, style=style, fillcolor=scale.color(box.cost),
                       shape="box3d" if box.kind == "folded" else "box",
                       penwidth="1.5" if box.kind == "folded" else "1")


def _header(view: GraphView, color: str) -> str:
    t = view.cost()
    lines = [f"{view.title()} — {human(t.params)} params · {human(t.macs)} MACs · {human(t.flops)} FLOPs"]
    details = [f"depth {view.depth}"]
    if not view.root:
        details.insert(0, f"peak activations {human_bytes(view.analysis.peak_activations)}")
        training = view.analysis.training_only
        if training.params or training.macs:
            details.append(f"dashed: training only ({human(training.params)} params, not in the MACs)")
    if color != "none":
        details.append(f"fill: {COLOR_METRICS[color]}, log scale over 3 decades")
    return "\n".join([lines[0], " · ".join(details)]) + "\n "


class Heat:
    """Log-scaled fill colours over the three decades below the costliest box shown."""

    DECADES = 3

    def __init__(self, view: GraphView, metric: str):
        self.metric = metric
        values = [self.value(b.cost) for b in view.boxes.values() if b.kind in ("layer", "folded")]
        self.top = max(values, default=0)

    def value(self, cost: Cost) -> int:
        return {"macs": cost.macs, "params": cost.params, "memory": cost.activations}.get(self.metric, 0)

    def color(self, cost: Cost) -> str:
        return self.color_of(self.value(cost))

    def color_of(self, value: float) -> str:
        if self.metric == "none" or value <= 0:
            return "white"
        t = max(0.0, 1 + math.log10(value / self.top) / self.DECADES) * (len(_RAMP) - 1)
        low = min(int(t), len(_RAMP) - 2)
        frac = t - low
        rgb = (round(a + (b - a) * frac) for a, b in zip(_RAMP[low], _RAMP[low + 1]))
        return "#" + "".join(f"{c:02x}" for c in rgb)


def _legend(scale: Heat) -> str:
    """The heat scale as a row of swatches: the costliest box shown and each decade below it."""
    stops = [scale.top / 10 ** k for k in range(scale.DECADES + 1)]
    cells = "".join(f'<td bgcolor="{scale.color_of(v)}">{escape(human(round(v)))}</td>' for v in stops)
    title = f"{COLOR_METRICS[scale.metric]} (log)"
    return (f'<<table border="0" cellborder="1" cellspacing="0" cellpadding="4"><tr><td colspan="{len(stops)}"'
            f' border="0"><b>{escape(title)}</b></td></tr><tr>{cells}</tr></table>>')


def render_bytes(analysis: Analysis, fmt: str, options: RenderOptions = RenderOptions(),
                 warn: Warn | None = None) -> bytes:
    """The picture in `fmt`; raises RenderError when Graphviz's `dot` is missing."""
    graph = digraph(analysis, options, warn)
    if fmt == "dot":
        return graph.source.encode("utf-8")
    try:
        return graph.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise RenderError(_INSTALL_HINT) from None
    except graphviz.CalledProcessError as err:
        raise RenderError(f"Graphviz failed: {err.stderr.decode(errors='replace').strip()}") from None


def write(analysis: Analysis, path: str | Path, options: RenderOptions = RenderOptions(),
          warn: Warn | None = None, fmt: str | None = None) -> Path:
    """Writes the picture in `fmt`, by default the one its suffix names; a reader never sees a
    half-written file."""
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise RenderError(f"{path}: unknown picture format; use one of " + ", ".join(f".{f}" for f in FORMATS))
    _atomic_write(path, render_bytes(analysis, fmt, options, warn))
    return path


def _atomic_write(path: Path, data: bytes) -> None:
    try:
        write_atomic(path, data)
    except WriteError as err:
        raise RenderError(str(err)) from None
