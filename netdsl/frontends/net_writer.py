"""Writing imported steps as a `.net` file a person would have written.

A graph that is series-parallel (chains, and forks that meet again in one
`add`, `concat` or `mul` — every CNN of the library but NASNet) becomes one
chain with combinators, found backwards from the output: the fork of a join is
the join's immediate dominator. Module paths from the weights' names then become
groups and labels, so the `state_dict` keys come back as they were. Any other
graph is written as one statement per tensor that several steps read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Union

import networkx as nx

from netdsl.frontends.blocks import RESERVED, Group, Groups, fold
from netdsl.frontends.steps import Graph, Step, is_path
from netdsl.ops import OPS
from netdsl.syntax.format import format_source

JOINS = {"add", "concat", "mul"}


@dataclass
class Leaf:
    step: Step


@dataclass
class Combine:
    step: Step
    branches: list[list["Item"]]


Item = Union[Leaf, Combine]


class NotSeriesParallel(Exception):
    """The graph needs named tensors: a fork whose branches do not meet in one join."""


@dataclass
class Written:
    source: str
    weights: dict[str, Any] = field(default_factory=dict)  # state_dict key → numpy array


def write_net(graph: Graph) -> Written:
    """The .net source of `graph`, in the canonical layout, and its weights by state_dict key."""
    writer = _Writer()
    definitions = ""
    try:
        output, pieces = writer.series_parallel(graph)
        found, chain = fold(pieces, writer.groups)
        definitions = "".join(f"block {b.name}({', '.join(b.params)}) {{\n{b.body}\n}}\n\n" for b in found)
        body = f"{output} = {chain}"
    except NotSeriesParallel:
        writer = _Writer()
        body = writer.statements(graph)
    inputs = "\n".join(f"input {_name(n)}: [{', '.join(map(str, shape))}]" for n, shape in graph.inputs)
    text = f"{definitions}network {graph.name}() {{\n{inputs}\n{body}\n}}\n"
    return Written(format_source(text), writer.weights)


def _name(tensor: str) -> str:
    name = re.sub(r"\W", "_", tensor).strip("_") or "x"
    return name if not name[0].isdigit() else f"t_{name}"


class _Writer:
    def __init__(self) -> None:
        self.weights: dict[str, Any] = {}
        self.groups = Groups()

    # ---- series-parallel: one chain ------------------------------------------------

    def series_parallel(self, graph: Graph) -> tuple[str, list[str]]:
        """`output NAME` and the steps of its chain, from the graph's one input."""
        if len(graph.inputs) != 1 or len(graph.outputs) != 1:
            raise NotSeriesParallel
        made = {s.output: s for s in graph.steps}
        (public, end), start = graph.outputs[0], _name(graph.inputs[0][0])
        tensors = nx.DiGraph()
        tensors.add_nodes_from([graph.inputs[0][0]] + [s.output for s in graph.steps])
        tensors.add_edges_from((i, s.output) for s in graph.steps for i in s.inputs)
        dominators = nx.immediate_dominators(tensors, graph.inputs[0][0])
        used: set[int] = set()
        items = _back(end, graph.inputs[0][0], made, dominators, used)
        if len(used) != len(graph.steps):
            raise NotSeriesParallel
        out = _name(public)
        return f"output {out}", [start] + self.chain(items, "", out)

    def chain(self, items: list[Item], scope: str, numbering: str, taken: set[str] | None = None) -> list[str]:
        """The step texts of `items` in a chain whose labels land in `scope` and whose
        unlabelled steps are numbered under `numbering`. A step whose number a label of
        the scope already holds (`taken`) is labelled instead."""
        runs = _runs(items, scope)
        taken = (taken or set()) | {head for _, head in runs if head is not None}
        clash = _head(numbering, scope) in taken  # numbering under a name a label holds
        texts: list[str] = []
        for run, head in runs:
            position = len(texts) if len(runs) > 1 else None  # one step in parentheses is not numbered
            if head is not None:
                texts.append(self.group(run, head, _join_path(scope, head), position, numbering))
            elif clash or (scope == numbering and str(len(texts)) in taken):  # a name a label holds
                texts.append(self.renamed(run[0], scope, len(texts), taken))
            else:
                texts.append(self.plain(run[0], scope, _join_path(numbering, str(len(texts)))))
        return texts

    def renamed(self, item: Item, scope: str, position: int, taken: set[str]) -> str:
        label = next(f"{item.step.op}_{k}" for k in range(position, position + len(taken) + 1)
                     if f"{item.step.op}_{k}" not in taken)
        taken.add(label)
        path = _join_path(scope, label)
        text = self.leaf(item.step, path, label, numbered=False) if isinstance(item, Leaf) \
            else f"{label}: {self.combine(item, path, path)}"
        return text

    def group(self, items: list[Item], head: str, path: str, position: int | None, numbering: str) -> str:
        only = items[0] if len(items) == 1 else None
        numbered = position is not None and _join_path(numbering, str(position)) == path
        if isinstance(only, Leaf) and _path(only) == path:
            return self.leaf(only.step, path, head, numbered=numbered)
        if isinstance(only, Combine) and _path(only) == path:
            return f"{_label(head)}: {self.combine(only, path, path)}"
        return self.groups.add(Group(_label(head), path, self.chain(items, path, path), numbered))

    def plain(self, item: Item, scope: str, number: str) -> str:
        if isinstance(item, Leaf):
            return self.leaf(item.step, number, None, numbered=True)
        return self.combine(item, scope, number)

    def leaf(self, step: Step, path: str, head: str | None, numbered: bool) -> str:
        for suffix, value in step.weights.items():
            self.weights[f"{path}.{suffix}" if suffix else path] = value
        call = _call(step)
        return call if numbered else f"{_label(head or path)}: {call}"

    def combine(self, item: Combine, scope: str, number: str) -> str:
        labels = {head for b in item.branches for _, head in _runs(b, scope) if head is not None}
        branches = [" -> ".join(self.chain(b, scope, f"{number}.{k}", labels)) or "identity"
                    for k, b in enumerate(item.branches)]
        return f"{item.step.op} {{\n" + "\n".join(branches) + "\n}"

    # ---- any other graph: named tensors --------------------------------------------

    def statements(self, graph: Graph) -> str:
        names = {n: _name(n) for n, _ in graph.inputs}
        lines = []
        for step in graph.steps:
            names[step.output] = _name(step.output)
            label = (step.module or names[step.output]).replace(".", "_").replace("-", "_")
            for suffix, value in step.weights.items():
                self.weights[f"{label}.{suffix}"] = value
            call = _call(step) if step.op not in JOINS else step.op
            if step.op in JOINS:
                value = f"{step.op}({', '.join(names[i] for i in step.inputs)})"
            else:
                extra = "".join(f"({names[i]})" for i in step.inputs[1:])
                value = f"{names[step.inputs[0]]} -> {_label(label)}: {call}{extra}"
            lines.append(f"{names[step.output]} = {value}")
        lines += [f"output {_name(public)} = {names[tensor]}" for public, tensor in graph.outputs]
        return "\n".join(lines)


def _back(tensor: str, stop: str, made: dict[str, Step], dominators: dict[str, str], used: set[int]) -> list[Item]:
    """The chain from `stop` (exclusive) to `tensor`, found from its end."""
    items: list[Item] = []
    while tensor != stop:
        step = made.get(tensor)
        if step is None or id(step) in used:
            raise NotSeriesParallel
        used.add(id(step))
        if not step.inputs:  # a learnable tensor: a branch of its own
            return [Leaf(step)]
        if len(step.inputs) == 1:
            items.append(Leaf(step))
            tensor = step.inputs[0]
        elif step.op in JOINS:
            fork = dominators[tensor]
            items.append(Combine(step, [_back(i, fork, made, dominators, used) for i in step.inputs]))
            tensor = fork
        else:
            raise NotSeriesParallel
    return items[::-1]


def _path(item: Item) -> str | None:
    """Where an item's weights live: a step's module; for a combinator, its own name if it
    is a labelled one (netdsl names the join by the label its branches sit in), else the
    deepest scope holding its branches and its join."""
    if isinstance(item, Leaf):
        return item.step.module
    paths = [p for branch in item.branches for i in branch if (p := _path(i)) is not None]
    if not paths:
        return None
    common = _common(paths)
    own = item.step.node
    if is_path(own) and common is not None and _under(common, own):
        return own
    container = item.step.container
    return _common(paths + [container]) if container is not None else common


def _common(paths: list[str]) -> str | None:
    common = paths[0].split(".")
    for path in paths[1:]:
        parts = path.split(".")
        n = next((k for k, (a, b) in enumerate(zip(common, parts)) if a != b), min(len(common), len(parts)))
        common = common[:n]
    return ".".join(common) or None


def _runs(items: list[Item], scope: str) -> list[tuple[list[Item], str | None]]:
    """The chain cut into runs: items below one child of `scope` (with its name), or single items."""
    runs: list[tuple[list[Item], str | None]] = []
    i = 0
    while i < len(items):
        head = _head(_path(items[i]), scope)
        end = i + 1 if head is None else _extent(items, i, _join_path(scope, head))
        runs.append((items[i:end], head))
        i = end
    return runs


def _head(path: str | None, scope: str) -> str | None:
    """The first part of `path` below `scope`, if `path` lies below it."""
    if path is None:
        return None
    prefix = scope + "." if scope else ""
    return path[len(prefix):].split(".")[0] if path.startswith(prefix) and path != scope else None


def _extent(items: list[Item], start: int, path: str) -> int:
    """Where the run of items under `path` ends: a weightless item joins the run if its
    name says it belongs there, or if the run goes on after it."""
    end = start + 1
    for k in range(start + 1, len(items)):
        p = _path(items[k])
        if p is None:
            hint = items[k].step.container if isinstance(items[k], Leaf) else None
            if hint is not None and _under(hint, path):
                end = k + 1
            continue
        if not _under(p, path):
            break
        end = k + 1
    return end


def _under(path: str, scope: str) -> bool:
    return path == scope or path.startswith(scope + ".")


def _join_path(scope: str, part: str) -> str:
    return f"{scope}.{part}" if scope else part


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _label(name: str) -> str:
    return name if _IDENTIFIER.fullmatch(name) and name not in RESERVED else json.dumps(name)


def _call(step: Step) -> str:
    """`conv(64, 3, stride=2)`: required arguments by position, the rest by name where not the default."""
    parts = []
    for param in OPS[step.op].params:
        if param.name not in step.args:
            continue
        value = _plain(step.args[param.name])
        if param.required:
            parts.append(_value(value))
        elif value != _plain(param.default):
            parts.append(f"{param.name}={_value(value)}")
    return f"{step.op}({', '.join(parts)})" if parts else step.op


def _plain(value: Any) -> Any:
    """One number for a per-axis list of equal numbers; floats at float32's precision."""
    if isinstance(value, (list, tuple)) and value and len(set(value)) == 1:
        return _plain(value[0])
    if isinstance(value, float):
        return float(f"{value:.7g}")
    return value


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, float):
        return repr(value)
    return str(int(value))
