"""Accumulates the IR of one network while it is elaborated: nodes with their
shapes, scopes, and the checks that need the whole set (unique names, budget)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from netdsl.diagnostics import DiagnosticError, Span
from netdsl.elaborate.naming import LayerNames
from netdsl.elaborate.values import Tensor
from netdsl.ir import Node, Scope
from netdsl.ops import Axes, Op, ShapeError, Site
from netdsl.ops.base import MAX_ELEMENTS, check_size

DEFAULT_NODE_BUDGET = 100_000
WEIGHT_BYTES = 4  # float32
DEFAULT_WEIGHT_BYTES = 4 << 30  # 4 GiB: the largest bundled network (RegNetY-128GF) holds 2.6 GB


@dataclass(frozen=True, slots=True)
class _Inferred:
    """What an op gives on given inputs and arguments: the same wherever it is applied (ResNet-152
    applies the same few convolutions to the same shapes hundreds of times, and an edit re-elaborates
    them all). `op` keeps the op alive, so that its id in the key is not reused."""

    op: Op
    shape: tuple[int, ...]
    weights: int  # elements
    axes: Axes


_INFERRED: dict[tuple, _Inferred] = {}
_INFERRED_LIMIT = 50_000


def _inference_key(op: Op, site: Site) -> tuple | None:
    """The op's identity, its arguments (each with its type: 1, 1.0 and True hash alike) and its
    inputs' shapes, layouts and names; None when an argument is unhashable (a list), not remembered."""
    key = (id(op), tuple((k, type(v), v) for k, v in site.args.items()), site.ins, site.axes, site.names)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _remember(table: dict, key: tuple, value: Any) -> None:
    if len(table) >= _INFERRED_LIMIT:
        table.clear()
    table[key] = value


_SCALARS = frozenset({int, float, str, bool, type(None)})
_BOUND: dict[tuple, tuple[Op, dict[str, Any]]] = {}


def bind(op: Op, args: list[Any], kwargs: dict[str, Any], inputs: list[Tensor]) -> dict[str, Any]:
    """`op.bind` on these inputs, remembered for scalar arguments: binding depends only on the op,
    the arguments and the first input's spatial rank, and a network repeats the same calls (ResNet-152
    binds conv(256, 1) 50 times). A fresh dict each time: a node owns its arguments."""
    site = input_site(inputs, {})
    if not all(type(v) in _SCALARS for v in (*args, *kwargs.values())):
        return op.bind(args, kwargs, site)
    key = (id(op), tuple((type(v), v) for v in args), tuple((k, type(v), v) for k, v in kwargs.items()),
           site.spatial if site.ins else 0)
    known = _BOUND.get(key)
    if known is None:
        known = (op, op.bind(args, kwargs, site))
        _remember(_BOUND, key, known)
    return dict(known[1])


class GraphBuilder:
    def __init__(self, span: Span, node_budget: int = DEFAULT_NODE_BUDGET,
                 weight_bytes: int = DEFAULT_WEIGHT_BYTES):
        self.layers: dict[str, Node] = {}  # in creation order, which is topological
        self.scopes: dict[str, Scope] = {"": Scope("", "network", "", None, span)}
        self.scope_stack: list[str] = [""]
        self.node_budget = node_budget
        self.weight_bytes = weight_bytes  # float32 weights of the whole network, what to_torch() allocates
        self._weights = 0
        self._spans: dict[str, Span] = {}
        self._results: dict[str, Tensor] = {}  # a block instance's or group's output, by path
        self._names = LayerNames()

    @property
    def scope(self) -> str:
        return self.scope_stack[-1]

    def add(self, name: str, op: Op, args: dict[str, Any], inputs: list[Tensor], span: Span,
            input_names: list[str]) -> Tensor:
        if len(self.layers) >= self.node_budget:
            raise DiagnosticError(f"the network has more than {self.node_budget:,} layers", span,
                                  hint="raise the budget with --max-nodes if this is intended")
        site = input_site(inputs, args, input_names)
        key = _inference_key(op, site)
        known = _INFERRED.get(key) if key is not None else None
        try:
            out = known.shape if known else check_size(tuple(op.shape(site)))
        except ShapeError as err:
            raise DiagnosticError(str(err), span) from None
        site = Site(site.ins, site.args, out, site.names, site.axes)
        weights = known.weights if known else sum(math.prod(s) for s in op.weights(site).values())
        self._check_weights(op.name, weights, span)
        self._claim(name, span, "module" if op.torch_module else "layer")
        axes = known.axes if known else tuple(op.axes(site))
        if key is not None and not known:
            _remember(_INFERRED, key, _Inferred(op, out, weights, axes))
        node = Node(name, op.name, args, tuple(t.node for t in inputs), site.ins, site.out, span, self.scope,
                    axes, site.axes)
        self.layers[name] = node
        return Tensor(name, site.out, axes)

    def add_input(self, name: str, shape: tuple[int, ...], axes: Axes, span: Span) -> Tensor:
        try:
            check_size(shape)
        except ShapeError as err:
            raise DiagnosticError(str(err), span) from None
        self._claim(name, span, "input")
        node = Node(name, "input", {"shape": shape}, (), (), shape, span, "", axes)
        self.layers[name] = node
        return Tensor(name, shape, axes)

    def enter(self, path: str, kind: str, name: str, span: Span, args: dict[str, Any] | None = None) -> None:
        self._claim(path, span, "group")
        self.scopes[path] = Scope(path, kind, name, self.scope, span, args or {})
        self.scope_stack.append(path)

    def leave(self) -> None:
        self.scope_stack.pop()

    def record(self, path: str, value: object) -> None:
        if isinstance(value, Tensor):
            self._results[path] = value

    def result(self, path: str) -> Tensor | None:
        """The output of the layer, block instance or group named `path`, if it has been built."""
        if path in self._results:
            return self._results[path]
        if path in self.layers:
            node = self.layers[path]
            return Tensor(path, node.shape, node.axes)
        return None

    def names(self) -> list[str]:
        return [*self._results, *self.layers]

    def _check_weights(self, op: str, weights: int, span: Span) -> None:
        if weights > MAX_ELEMENTS:
            raise DiagnosticError(f"{op} would have {weights:,} parameters, beyond netdsl's limit of"
                                  f" {MAX_ELEMENTS:,}", span)
        self._weights += weights
        if self._weights * WEIGHT_BYTES > self.weight_bytes:
            raise DiagnosticError(f"the network's weights reach {self._weights * WEIGHT_BYTES:,} bytes here"
                                  f" ({self._weights:,} float32 parameters), beyond the budget of"
                                  f" {self.weight_bytes:,} bytes", span,
                                  hint="raise it with --max-weight-bytes or Limits(weight_bytes=...) if intended")

    def _claim(self, name: str, span: Span, kind: str) -> None:
        """`kind`: "module" (a layer with a PyTorch module), "layer" (a stateless one), "group" (a block
        or group) or "input"; the names of layers and groups must map to submodules (naming.LayerNames)."""
        if name in self._spans:
            first = self._spans[name]
            notes = ((f"`{name}` was first named here", first),) if first != span else ()
            raise DiagnosticError(
                f"two layers are named `{name}`", span,
                hint="labels inside `for` repeat on every pass: compute them, e.g. `conv{i}:`", notes=notes)
        problem = self._names.claim(name, kind) if kind != "input" else None
        if problem is not None:
            raise DiagnosticError(problem, span, hint="rename the label")
        self._spans[name] = span


def input_site(inputs: list[Tensor], args: dict[str, Any], names: list[str] | None = None) -> Site:
    """The site of an op about to be applied to `inputs`: their shapes, layouts and names."""
    return Site(tuple(t.shape for t in inputs), args, (), tuple(names or ()), tuple(t.layout for t in inputs))
