"""The graph IR: one network per elaboration, one node per op.

A `Node` holds its PyTorch-style hierarchical name, the op with resolved
arguments, input and output shapes, its source span and the scope (block
instance or labelled group) it sits in; `Node.inputs` keeps their order.
`Network.layers` keeps the nodes in creation order, which is topological and
follows the source, so the analysis walks a plain dict. `Network.graph` is a
networkx view (producer → consumer) built on first use: importing networkx
costs more than analysing ResNet-152, and only some backends need it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from netdsl.diagnostics import Span
from netdsl.ops import OPS, Axes, Op, Shape, Site, default_axes

if TYPE_CHECKING:
    import networkx as nx


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
    # The op's application here, as its callbacks take it; the inputs are named by their nodes. Made
    # once: the analysis asks every node for it several times.
    site: Site = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "site", Site(self.in_shapes, self.args, self.shape, self.inputs, self.in_axes))

    @property
    def spec(self) -> Op:
        return OPS[self.op]

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
    layers: dict[str, Node]  # in creation order: inputs before their users, as in the source
    inputs: list[Port]
    outputs: list[Port]
    scopes: dict[str, Scope]
    span: Span

    def node(self, name: str) -> Node:
        return self.layers[name]

    def nodes(self) -> Iterator[Node]:
        """Nodes in a topological order that follows the source where it can."""
        return iter(self.layers.values())

    def upstream(self, names: Iterable[str]) -> set[str]:
        """`names` and every node they read from, directly or not (their ancestors in `graph`)."""
        found = set(names)
        stack = list(found)
        while stack:
            for name in self.layers[stack.pop()].inputs:
                if name not in found:
                    found.add(name)
                    stack.append(name)
        return found

    @cached_property
    def users(self) -> dict[str, tuple[str, ...]]:
        """Each node's consumers, once each, in creation order (a graph's successors)."""
        users: dict[str, dict[str, None]] = {name: {} for name in self.layers}
        for node in self.layers.values():
            for name in node.inputs:
                users[name][node.name] = None
        return {name: tuple(found) for name, found in users.items()}

    @cached_property
    def graph(self) -> nx.DiGraph:
        """The network as a networkx DiGraph: each node's `"node"` is its Node and `"order"` its
        position in `layers`; each edge's `"shape"` is the tensor it carries."""
        import networkx as nx

        graph = nx.DiGraph()
        for order, node in enumerate(self.layers.values()):
            graph.add_node(node.name, node=node, order=order)
            for name in node.inputs:
                graph.add_edge(name, node.name, shape=self.layers[name].shape)
        return graph

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
