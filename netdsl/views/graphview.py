"""The network as boxes and links at a chosen depth: what every picture of the graph draws.

Scopes (block instances, labelled groups) nested deeper than `depth` below
`root` fold into one box carrying the scope's totals from the analysis; links
are re-routed to the folded boxes. Graphviz output and the terminal graph pane
both draw a `GraphView`, so they cannot disagree about what is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from netdsl.analysis.costs import Analysis, Cost
from netdsl.ops import Shape

DEFAULT_BUDGET = 100  # boxes a picture stays legible with; picks the default depth


@dataclass(frozen=True, slots=True)
class Box:
    id: str
    kind: str  # "layer", "folded" (a whole scope), "output" (a network output), "stub" (outside root)
    title: str
    op: str  # "conv 3×3/2, 64", a block's name, "group" or "output"
    shape: Shape
    cost: Cost
    training_only: bool
    cluster: str  # innermost open scope holding it; root for the top level


@dataclass(frozen=True, slots=True)
class Link:
    tail: str
    head: str
    shape: Shape
    training_only: bool


@dataclass
class GraphView:
    analysis: Analysis
    root: str
    depth: int
    boxes: dict[str, Box] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    clusters: list[str] = field(default_factory=list)  # open scopes below root, outer first

    def title(self) -> str:
        scope = self.analysis.network.scopes[self.root]
        if not self.root:
            return self.analysis.network.name
        return f"{self.root} ({scope.name})" if scope.kind == "block" else self.root

    def cost(self) -> Cost:
        return self.analysis.totals if not self.root else self.analysis.scopes[self.root]


def relative_chain(analysis: Analysis, scope: str, root: str) -> list[str] | None:
    """Scope paths from just below `root` down to `scope`; None when `scope` lies outside `root`."""
    chain = [s.path for s in analysis.network.scope_chain(scope)]
    if not root:
        return chain
    if root not in chain:
        return None
    return chain[chain.index(root) + 1:]


def max_depth(analysis: Analysis, root: str = "") -> int:
    chains = (relative_chain(analysis, lc.node.scope, root) for lc in analysis.layers.values())
    return max((len(c) for c in chains if c is not None), default=0)


def auto_depth(analysis: Analysis, root: str = "", budget: int = DEFAULT_BUDGET) -> int:
    """The deepest unfolding that keeps at most `budget` boxes (at least depth 0)."""
    best = 0
    for depth in range(max_depth(analysis, root) + 1):
        if _box_count(analysis, depth, root) > budget:
            break
        best = depth
    return best


def _box_count(analysis: Analysis, depth: int, root: str) -> int:
    shown = set()
    for lc in analysis.layers.values():
        rep = _representative(analysis, lc.node.name, lc.node.scope, depth, root)
        if rep:
            shown.add(rep[0])
    return len(shown)


def _representative(analysis: Analysis, name: str, scope: str, depth: int, root: str
                    ) -> tuple[str, list[str]] | None:
    """The box id a layer is drawn as and the open scopes around it; None outside root."""
    chain = relative_chain(analysis, scope, root)
    if chain is None:
        return None
    if len(chain) > depth:
        return chain[depth], chain[:depth]
    return name, chain


def fold(analysis: Analysis, depth: int, root: str = "") -> GraphView:
    """Boxes and links of `root`'s subgraph with scopes deeper than `depth` folded."""
    view = GraphView(analysis, root, depth)
    reps: dict[str, str] = {}
    clusters: dict[str, None] = {}  # ordered set: a list's membership test made this quadratic
    for lc in analysis.layers.values():
        rep = _representative(analysis, lc.node.name, lc.node.scope, depth, root)
        if rep is None:
            continue
        box_id, opened = rep
        reps[lc.node.name] = box_id
        clusters.update(dict.fromkeys(opened))
        _add_box(view, box_id, lc.node.name, opened)
    view.clusters = list(clusters)
    _add_links(view, reps)
    if not root:
        _add_outputs(view, reps)
    return view


def _add_box(view: GraphView, box_id: str, layer: str, opened: list[str]) -> None:
    analysis = view.analysis
    lc = analysis.layers[layer]
    cluster = opened[-1] if opened else view.root
    if box_id == layer:
        node = lc.node
        op = f"{node.op} {node.spec.describe(node.site)}".strip()
        view.boxes[box_id] = Box(box_id, "layer", layer, op, node.shape, lc.cost, lc.training_only, cluster)
        return
    scope = analysis.network.scopes[box_id]
    previous = view.boxes.get(box_id)
    training = lc.training_only and (previous is None or previous.training_only)
    view.boxes[box_id] = Box(box_id, "folded", box_id, scope.title, analysis.scope_shapes[box_id],
                             analysis.scopes[box_id], training, cluster)


def _add_links(view: GraphView, reps: dict[str, str]) -> None:
    analysis, seen = view.analysis, set()
    for lc in analysis.layers.values():
        head_node = lc.node
        for producer in head_node.inputs:
            tail, head = reps.get(producer), reps.get(head_node.name)
            if tail is None and head is None:
                continue
            if tail is None:
                tail = _stub(view, producer)
            if head is None:
                head = _stub(view, head_node.name)
            if tail == head or (tail, head) in seen:
                continue
            seen.add((tail, head))
            shape = analysis.layers[producer].node.shape
            training = analysis.layers[head_node.name].training_only
            view.links.append(Link(tail, head, shape, training))


def _stub(view: GraphView, layer: str) -> str:
    """A layer outside root that feeds it or reads from it, drawn small and apart."""
    lc = view.analysis.layers[layer]
    view.boxes.setdefault(layer, Box(layer, "stub", layer, lc.node.op, lc.node.shape, Cost(), lc.training_only,
                                     view.root))
    return layer


def _add_outputs(view: GraphView, reps: dict[str, str]) -> None:
    for port in view.analysis.network.outputs:
        box_id = f"output {port.name}"
        view.boxes[box_id] = Box(box_id, "output", port.name, "output", port.shape, Cost(), port.training, "")
        view.links.append(Link(reps[port.node], box_id, port.shape, port.training))
