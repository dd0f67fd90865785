"""Static costs of an elaborated network: the one place they are computed.

Per layer: trainable parameters, buffers, MACs, FLOPs, activation memory,
receptive field and cumulative stride. Totals per scope (block instance or
group) and per network, with the training-only part (auxiliary heads) apart
and the peak activation memory of a forward pass from tensor lifetimes.
Counts are per sample (batch 1); see docs/language.md for the definitions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import networkx as nx

from netdsl.ir import Network, Node
from netdsl.ops import Shape, Window, numel

BYTES_PER_VALUE = 4  # float32


@dataclass(frozen=True, slots=True)
class Cost:
    params: int = 0
    buffers: int = 0
    macs: int = 0
    flops: int = 0
    activations: int = 0  # bytes of output tensors

    def __add__(self, other: "Cost") -> "Cost":
        return Cost(self.params + other.params, self.buffers + other.buffers, self.macs + other.macs,
                    self.flops + other.flops, self.activations + other.activations)


@dataclass(frozen=True, slots=True)
class LayerCost:
    node: Node
    cost: Cost
    receptive_field: tuple[int, int] | None
    stride: tuple[int, int] | None
    training_only: bool


@dataclass
class Analysis:
    network: Network
    layers: dict[str, LayerCost]
    totals: Cost  # params of every layer; the rest on the inference path
    training_only: Cost  # layers that only training outputs use
    peak_activations: int  # bytes alive at once in an inference forward pass
    scopes: dict[str, Cost] = field(default_factory=dict)
    scope_shapes: dict[str, Shape] = field(default_factory=dict)  # a scope's output: its last layer's

    def layer(self, name: str) -> LayerCost:
        return self.layers[name]


def layer_cost(node: Node) -> Cost:
    spec, ins = node.spec, list(node.in_shapes)
    params = sum(math.prod(s) for s in spec.weights(ins, node.shape, node.args).values())
    buffers = sum(math.prod(s) for s in spec.buffers(ins, node.shape, node.args).values())
    macs = spec.macs(ins, node.shape, node.args)
    flops = 2 * macs + spec.flops(ins, node.shape, node.args)
    return Cost(params, buffers, macs, flops, numel(node.shape) * BYTES_PER_VALUE)


def analyze(network: Network) -> Analysis:
    inference = _inference_nodes(network)
    fields = _receptive_fields(network)
    layers: dict[str, LayerCost] = {}
    for node in network.nodes():
        rf, jump = fields.get(node.name, (None, None))
        layers[node.name] = LayerCost(node, layer_cost(node), rf, jump, node.name not in inference)
    totals, training = Cost(), Cost()
    for lc in layers.values():
        if lc.training_only:
            training += lc.cost
            totals += Cost(params=lc.cost.params, buffers=lc.cost.buffers)
        else:
            totals += lc.cost
    totals_by_scope, shapes_by_scope = _scope_totals(network, layers)
    return Analysis(network, layers, totals, training, _peak(network, inference, layers),
                    totals_by_scope, shapes_by_scope)


def _inference_nodes(network: Network) -> set[str]:
    targets = [p.node for p in network.inference_outputs] or [p.node for p in network.outputs]
    needed: set[str] = set(targets)
    for target in targets:
        needed |= nx.ancestors(network.graph, target)
    return needed


def _scope_totals(network: Network, layers: dict[str, LayerCost]) -> tuple[dict[str, Cost], dict[str, Shape]]:
    """Each scope's summed cost and its output shape (that of its last layer in forward order)."""
    totals = {path: Cost() for path in network.scopes}
    shapes: dict[str, Shape] = {}
    for lc in layers.values():
        scope: str | None = lc.node.scope
        while scope is not None:
            totals[scope] += lc.cost
            shapes[scope] = lc.node.shape
            scope = network.scopes[scope].parent
    return totals, shapes


def _peak(network: Network, inference: set[str], layers: dict[str, LayerCost]) -> int:
    """Simulates a forward pass in topological order, freeing each tensor after its last use."""
    graph = network.graph
    remaining = {n: sum(1 for s in graph.successors(n) if s in inference) for n in inference}
    keep = {p.node for p in network.outputs}
    live = peak = 0
    for node in network.nodes():
        if node.name not in inference:
            continue
        live += layers[node.name].cost.activations
        peak = max(peak, live)
        for producer in set(node.inputs):
            remaining[producer] -= 1
            if remaining[producer] == 0 and producer not in keep:
                live -= layers[producer].cost.activations
    return peak


def _receptive_fields(network: Network) -> dict[str, tuple[tuple[int, int], tuple[int, int]]]:
    fields: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {}
    for node in network.nodes():
        if not node.inputs:
            fields[node.name] = ((1, 1), (1, 1))
            continue
        rf = tuple(max(fields[i][0][k] for i in node.inputs) for k in (0, 1))
        jump = tuple(max(fields[i][1][k] for i in node.inputs) for k in (0, 1))
        window = node.spec.window(node.args)
        if isinstance(window, Window):
            rf = tuple(rf[k] + (window.kernel[k] - 1) * window.dilation[k] * jump[k] for k in (0, 1))
            jump = tuple(jump[k] * window.stride[k] for k in (0, 1))
        elif window == "global" and len(node.in_shapes[0]) == 3:
            size = node.in_shapes[0][1:]
            rf = tuple(rf[k] + (size[k] - 1) * jump[k] for k in (0, 1))
        fields[node.name] = (rf, jump)
    return fields
