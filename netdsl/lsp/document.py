"""What the editor knows about one open document: its syntax errors, its definitions,
and for each span of the source the layers and block instances it elaborated to,
with their shapes and costs. Pure data and functions: no LSP types here.

Analysis runs in steps so a big file never holds up the editor: `analyse` parses,
defines and elaborates the document's main network (the one named like the file, else
the first): enough for its diagnostics; `cost` then gives its shapes and costs by span;
`check_others` elaborates the other networks and presets for their errors only, and
can be abandoned between networks.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from netdsl.analysis.costs import Analysis, Cost, analyze
from netdsl.diagnostics import CompileError, Diagnostic, Span
from netdsl.elaborate.elaborator import Limits
from netdsl.elaborate.instances import merge
from netdsl.elaborate.modules import Definitions, define, elaborate
from netdsl.elaborate.program import ParseCache, load_source
from netdsl.ir import Network
from netdsl.syntax import ast, chunks
from netdsl.syntax.parser import parse_partial


@dataclass(frozen=True, slots=True)
class Instance:
    """One layer or block/group instance that a span of the source elaborated to."""

    path: str  # the layer's or scope's name: `inception4a.branch3.1`
    kind: str  # "layer", "block", "group" or "input"
    what: str  # the op, or the block's name
    shape: tuple[int, ...]
    cost: Cost
    receptive_field: tuple[int, ...] | None = None


@dataclass
class Document:
    path: str
    text: str
    module: ast.Module
    syntax: list[Diagnostic]
    errors: list[Diagnostic] = field(default_factory=list)
    defs: Definitions | None = None
    network: str | None = None  # the main network, whose shapes and costs are shown
    instances: dict[Span, list[Instance]] = field(default_factory=dict)
    checked: bool = False  # whether every network has been elaborated for errors
    elaborated: Network | None = None  # the main network, until `cost` has analysed it

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return self.syntax + self.errors


def analyse(text: str, path: str, cache: ParseCache | None = None, limits: Limits | None = None) -> Document:
    """Parse, define, and elaborate and cost the main network of one document. A keystroke
    re-parses only the definition it is in (netdsl.syntax.chunks) unless the text has errors."""
    module, syntax = chunks.parse(text, path), []
    if module is None:
        module, syntax = parse_partial(text, path)
    doc = Document(path, text, module, syntax)
    if syntax:
        return doc
    try:
        doc.defs = define(load_source(module, path, cache))
    except CompileError as err:
        doc.errors = err.diagnostics
        return doc
    doc.network = main_network(doc.defs)
    if doc.network is None:
        doc.checked = True
        return doc
    try:
        doc.elaborated = elaborate(doc.defs, doc.network, limits=limits)
    except CompileError as err:
        doc.errors = err.diagnostics
    return doc


def cost(doc: Document) -> Document:
    """Shapes and costs of the main network by span (after its diagnostics are out)."""
    if doc.elaborated is not None:
        doc.instances = instances(analyze(doc.elaborated))
        doc.elaborated = None
    return doc


def check_others(doc: Document, limits: Limits | None = None, cancelled: Callable[[], bool] = lambda: False) -> bool:
    """Elaborates every other network and preset of the document for its errors;
    False if abandoned because `cancelled()` turned true."""
    if doc.defs is None or doc.checked:
        return True
    errors = list(doc.errors)
    for name in doc.defs.own_networks:
        if name == doc.network:
            continue
        if cancelled():
            return False
        try:
            elaborate(doc.defs, name, limits=limits)
        except CompileError as err:
            errors += err.diagnostics
    doc.errors = merge(errors)
    doc.checked = True
    return True


def main_network(defs: Definitions) -> str | None:
    stem = Path(defs.path).stem
    if stem in defs.own_networks:
        return stem
    return defs.own_networks[0] if defs.own_networks else None


def instances(analysis: Analysis) -> dict[Span, list[Instance]]:
    """Every layer and scope of an analysed network, by the span that made it."""
    found: dict[Span, list[Instance]] = {}
    for name, layer in analysis.layers.items():
        node = layer.node
        kind = "input" if node.op == "input" else "layer"
        found.setdefault(node.span, []).append(
            Instance(name, kind, node.op, node.shape, layer.cost, layer.receptive_field))
    network = analysis.network
    last = _last_layers(analysis, network.scopes)
    for path, scope in network.scopes.items():
        if path and path in analysis.scope_shapes:
            rf = analysis.layers[last[path]].receptive_field if path in last else None
            found.setdefault(scope.span, []).append(Instance(
                path, scope.kind, scope.name, analysis.scope_shapes[path], analysis.scopes.get(path, Cost()), rf))
    return found


def _last_layers(analysis: Analysis, scopes) -> dict[str, str]:
    """The last layer of each scope, whose receptive field is the scope's."""
    last: dict[str, str] = {}
    for name in analysis.layers:
        parts = name.split(".")
        for k in range(1, len(parts)):
            prefix = ".".join(parts[:k])
            if prefix in scopes:
                last[prefix] = name
    return last


# ---- the syntax tree, position by position ------------------------------------

def walk(node) -> Iterator:
    """Every AST node under `node`, itself first."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, tuple):
            stack.extend(reversed(current))
            continue
        if not dataclasses.is_dataclass(current) or isinstance(current, Span):
            continue
        yield current
        stack.extend(reversed([getattr(current, f.name) for f in dataclasses.fields(current)]))


def contains(span: Span, line: int, col: int) -> bool:
    return (span.line, span.col) <= (line, col) <= (span.end_line, span.end_col)


def size(span: Span) -> tuple[int, int]:
    return span.end_line - span.line, span.end_col - span.col if span.end_line == span.line else 1 << 20


def sites_at(doc: Document, line: int, col: int) -> tuple[Span, list[Instance]] | None:
    """The innermost span under the cursor that elaborated to something (a label
    stands for its step)."""
    for node in walk(doc.module):
        if isinstance(node, ast.Labelled) and contains(node.label.span, line, col):
            return (node.step.span, doc.instances[node.step.span]) if node.step.span in doc.instances else None
    spans = [span for span in doc.instances if span.path == doc.path and contains(span, line, col)]
    if not spans:
        return None
    best = min(spans, key=size)
    return best, doc.instances[best]
