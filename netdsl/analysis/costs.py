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

from netdsl.gcpause import paused
from netdsl.ir import Network, Node
from netdsl.ops import Shape, Window, numel
from netdsl.ops.base import ADAPTIVE, FEATURES, FOLD, GLOBAL
from netdsl.ops.layout import spatial_rank
from netdsl.ops.pool import adaptive_bins

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
    receptive_field: tuple[int, ...] | None  # per spatial axis of the input, in input positions
    stride: tuple[int, ...] | None
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
    spec, site = node.spec, node.site
    params = sum(math.prod(s) for s in spec.weights(site).values())
    buffers = sum(math.prod(s) for s in spec.buffers(site).values())
    macs = spec.macs(site)
    flops = 2 * macs + spec.flops(site)
    return Cost(params, buffers, macs, flops, numel(node.shape) * BYTES_PER_VALUE)


@paused()
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
    return network.upstream(targets)


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
    """The most bytes of activations alive at once in the generated module's inference forward,
    the input excluded (the caller's); an op's scratch (attention's scores) counts while it runs.

    Walks the layers in topological order. A value is freed after its last reader, but a value
    passed into a block stays alive until that block returns: the caller's frame holds it."""
    order = [n for n in network.nodes() if n.name in inference]
    index = {n.name: i for i, n in enumerate(order)}
    by_scope = {scope: [s.path for s in network.scope_chain(scope) if s.kind == "block"]
                for scope in {n.scope for n in order}}
    blocks = {n.name: by_scope[n.scope] for n in order}
    block_end: dict[str, int] = {}
    for node in order:
        for block in blocks[node.name]:
            block_end[block] = index[node.name]
    free_at: dict[str, int] = {}
    for node in order:
        for producer in node.inputs:
            outer = next((b for b in blocks[node.name] if b not in blocks.get(producer, ())), None)
            end = block_end[outer] if outer is not None else index[node.name]
            free_at[producer] = max(free_at.get(producer, 0), end)
    keep = {p.node for p in network.outputs}
    freed: dict[int, list[str]] = {}
    for name, at in free_at.items():
        if name not in keep and name in index:
            freed.setdefault(at, []).append(name)
    live = peak = 0
    for i, node in enumerate(order):
        if node.inputs:  # an input is the caller's
            live += layers[node.name].cost.activations
        peak = max(peak, live + node.spec.scratch(node.site) * BYTES_PER_VALUE)
        live -= sum(layers[name].cost.activations for name in freed.get(i, ()) if network.node(name).inputs)
    return peak


def _receptive_fields(network: Network) -> dict[str, tuple[tuple[int, ...], tuple[int, ...]]]:
    """Receptive field and cumulative stride of every layer, per spatial axis of the input, in input
    positions. Only a network whose first input is channels-first with spatial axes has them."""
    if not network.inputs or not spatial_rank(network.node(network.inputs[0].node).layout):
        return {}
    fields: dict[str, _Field] = {}
    for node in network.nodes():
        if not node.inputs:
            n = spatial_rank(node.layout)
            fields[node.name] = _Field((1,) * n, (1,) * n)
            continue
        fields[node.name] = _field(node, [fields[i] for i in node.inputs])
    rank = len(fields[network.inputs[0].node].rf)
    return {name: (f.rf, f.jump) for name, f in fields.items() if len(f.rf) == rank}


@dataclass(frozen=True, slots=True)
class _Field:
    """What one value of a tensor sees of the input: `rf` positions per axis, neighbours `jump`
    apart; `folded`: the sizes of a map whose positions were folded into the feature axis (by
    flatten) and that the next op mixing features (linear) sees all of."""

    rf: tuple[int, ...]
    jump: tuple[int, ...]
    folded: tuple[int, ...] | None = None


def _field(node: Node, ins: list[_Field]) -> _Field:
    if len(ins) == 1:  # most layers: no per-axis maxima to take
        rf, jump, folded = ins[0].rf, ins[0].jump, ins[0].folded or None
        rank = len(rf)
    else:
        rank = len(ins[0].rf)
        ins = [f for f in ins if len(f.rf) == rank]
        rf = tuple(max(f.rf[k] for f in ins) for k in range(rank))
        jump = tuple(max(f.jump[k] for f in ins) for k in range(rank))
        folded = next((f.folded for f in ins if f.folded), None)
    site = node.site
    window = node.spec.window(site)
    aligned = spatial_rank(site.x_axes) == rank
    sizes = site.x[1:] if aligned else folded
    if isinstance(window, Window) and aligned:
        dilation = window.dilation or (1,) * rank
        rf = tuple(rf[k] + (window.kernel[k] - 1) * dilation[k] * jump[k] for k in range(rank))
        return _Field(rf, tuple(jump[k] * window.stride[k] for k in range(rank)))
    if window == ADAPTIVE and aligned:
        bins = [adaptive_bins(n, o) for n, o in zip(site.x[1:], site["size"])]
        widest = [max(end - start for start, end in b) for b in bins]
        step = [max((b[i + 1][0] - b[i][0] for i in range(len(b) - 1)), default=1) for b in bins]
        return _Field(tuple(rf[k] + (widest[k] - 1) * jump[k] for k in range(rank)),
                      tuple(jump[k] * step[k] for k in range(rank)))
    if window == GLOBAL or (window == FEATURES and folded):
        if sizes:
            rf = tuple(rf[k] + (sizes[k] - 1) * jump[k] for k in range(rank))
        return _Field(rf, jump)
    if window == FOLD and aligned:
        return _Field(rf, jump, site.x[1:])
    return _Field(rf, jump, folded)
