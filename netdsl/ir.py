"""The graph IR: one networkx DiGraph per elaborated network, one node per op.

Each graph node's `"node"` attribute holds a `Node`: its PyTorch-style
hierarchical name, the op with resolved arguments, input and output shapes,
its source span and the scope (block instance or labelled group) it sits in.
Edges run from producer to consumer; `Node.inputs` keeps their order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

import networkx as nx

from netdsl.diagnostics import Span
from netdsl.ops import OPS, Axes, Op, Shape, Site, default_axes


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    op: str
    args: dict[str, Any]
    inputs: tuple[str, ...]
    in_shapes: tuple[Shape, ...]
    shape: Shape
    span: Span
    scope: str  # path of the innermost scope; "" is the network itself
    axes: Axes = ()  # the output's axis names (its layout)
    in_axes: tuple[Axes, ...] = ()

    @property
    def spec(self) -> Op:
        return OPS[self.op]

    @property
    def site(self) -> Site:
        """The op's application here, as its callbacks take it; the inputs are named by their nodes."""
        return Site(self.in_shapes, self.args, self.shape, self.inputs, self.in_axes)

    @property
    def layout(self) -> Axes:
        return self.axes or default_axes(len(self.shape))


@dataclass(frozen=True, slots=True)
class Scope:
    """A namespace in the network: a block instance or a labelled group (`layer1: for ...`)."""

    path: str
    kind: str  # "network", "block" or "group"
    name: str  # the block's name for a block instance, else the label
    parent: str | None
    span: Span
    args: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """What a view shows in a scope's op column: the block's name, or `group`."""
        return self.name if self.kind == "block" else "group"

    @property
    def depth(self) -> int:
        return 0 if not self.path else self.path.count(".") + 1


@dataclass(frozen=True, slots=True)
class Port:
    name: str
    node: str
    shape: Shape
    span: Span
    training: bool = False
    axes: Axes = ()


@dataclass
class Network:
    name: str
    params: dict[str, Any]
    graph: nx.DiGraph
    inputs: list[Port]
    outputs: list[Port]
    scopes: dict[str, Scope]
    span: Span

    def node(self, name: str) -> Node:
        return self.graph.nodes[name]["node"]

    def nodes(self) -> Iterator[Node]:
        """Nodes in a topological order that follows the source where it can."""
        for name in nx.lexicographical_topological_sort(self.graph, key=self._order_key):
            yield self.graph.nodes[name]["node"]

    def _order_key(self, name: str) -> int:
        return self.graph.nodes[name]["order"]

    @property
    def inference_outputs(self) -> list[Port]:
        return [p for p in self.outputs if not p.training]

    def scope_chain(self, scope: str) -> list[Scope]:
        """The scopes from the outermost down to `scope`."""
        chain = []
        current: str | None = scope
        while current:
            chain.append(self.scopes[current])
            current = self.scopes[current].parent
        return chain[::-1]
