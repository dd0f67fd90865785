"""Everything known about the selected layer or scope, and the `.net` source that made it."""

from __future__ import annotations

from pathlib import Path

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from netdsl.analysis.costs import Analysis, Cost
from netdsl.diagnostics import Span
from netdsl.highlight import rich_text
from netdsl.views.units import human, human_bytes, shape_text

CONTEXT_LINES = 3
MAX_EXCERPT_LINES = 16  # the pane shows about this many; more would only cost time to draw


class DetailPane(Static):
    def show(self, analysis: Analysis, name: str, sources: dict[str, str]) -> None:
        self.update(detail(analysis, name, sources))


def detail(analysis: Analysis, name: str, sources: dict[str, str]) -> RenderableType:
    """The facts of a layer or a scope as a two-column table, then its source excerpt."""
    if name in analysis.layers:
        facts, span = _layer_facts(analysis, name), analysis.layers[name].node.span
    else:
        facts, span = _scope_facts(analysis, name), analysis.network.scopes[name].span
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for key, value in facts:
        table.add_row(key, value)
    side_by_side = Table.grid(padding=(0, 3), expand=True)
    side_by_side.add_column(ratio=1)
    side_by_side.add_column(ratio=1)
    side_by_side.add_row(table, source_excerpt(span, sources.get(span.path, "")))
    return side_by_side


def _layer_facts(analysis: Analysis, name: str) -> list[tuple[str, str]]:
    lc = analysis.layers[name]
    node = lc.node
    described = node.spec.describe(node.site)
    inputs = ", ".join(f"{i} {shape_text(s)}" for i, s in zip(node.inputs, node.in_shapes)) or "–"
    facts = [("layer", node.name), ("op", f"{node.op} {described}".strip()),
             ("arguments", ", ".join(f"{k}={_value(v)}" for k, v in node.args.items()) or "–"),
             ("scope", node.scope or "(network)"), ("inputs", inputs), ("output", shape_text(node.shape))]
    facts += _cost_facts(lc.cost)
    if lc.receptive_field:
        facts.append(("receptive field", f"{_pair(lc.receptive_field)}, stride {_pair(lc.stride)}"))
    if lc.training_only:
        facts.append(("training only", "yes: feeds only training outputs; not in the inference MACs"))
    return facts


def _scope_facts(analysis: Analysis, path: str) -> list[tuple[str, str]]:
    net = analysis.network
    if not path:
        return [("network", net.name), ("parameters", _args(net.params)),
                ("inputs", ", ".join(f"{p.name} {shape_text(p.shape)}" for p in net.inputs)),
                ("outputs", ", ".join(f"{p.name} {shape_text(p.shape)}" + (" (training)" if p.training else "")
                                      for p in net.outputs))] + _cost_facts(analysis.totals) + [
                ("peak memory", human_bytes(analysis.peak_activations))]
    scope = net.scopes[path]
    layers = [lc for lc in analysis.layers.values() if lc.node.scope == path
              or lc.node.scope.startswith(path + ".")]
    what = f"block {scope.name}" if scope.kind == "block" else "group"
    return [("scope", path), ("kind", what), ("arguments", _args(scope.args)),
            ("layers", str(len(layers))), ("input", shape_text(layers[0].node.in_shapes[0])
                                           if layers and layers[0].node.in_shapes else "–"),
            ("output", shape_text(layers[-1].node.shape) if layers else "–")] + _cost_facts(analysis.scopes[path])


def _cost_facts(cost: Cost) -> list[tuple[str, str]]:
    return [("params", f"{cost.params:,} ({human(cost.params)})"), ("buffers", f"{cost.buffers:,}"),
            ("MACs", f"{cost.macs:,} ({human(cost.macs)})"), ("FLOPs", f"{cost.flops:,} ({human(cost.flops)})"),
            ("activations", human_bytes(cost.activations))]


def _args(args: dict) -> str:
    return ", ".join(f"{k}={_value(v)}" for k, v in args.items()) or "–"


def _value(value: object) -> str:
    if isinstance(value, tuple) and len(value) == 2 and value[0] == value[1]:
        return str(value[0])
    if isinstance(value, tuple):
        return "×".join(str(v) for v in value)
    return str(value).lower() if isinstance(value, bool) else str(value)


def _pair(pair: tuple[int, ...]) -> str:
    return str(pair[0]) if len(set(pair)) == 1 else "×".join(map(str, pair))


def source_excerpt(span: Span, text: str) -> Text:
    """A few numbered lines around the span, the span itself highlighted."""
    lines = text.splitlines()
    out = Text(f"{_shown(span.path)}:{span.line}:{span.col}\n", style="dim", no_wrap=True, overflow="ellipsis")
    if not lines:
        return out
    first = max(1, span.line - CONTEXT_LINES)
    last = min(len(lines), span.end_line + CONTEXT_LINES, first + MAX_EXCERPT_LINES - 1)  # a network spans its file
    for number in range(first, last + 1):
        line = lines[number - 1]
        row = Text(f"{number:>4} │ ", style="dim")
        start = span.col - 1 if number == span.line else 0
        end = span.end_col - 1 if number == span.end_line else len(line)
        row.append_text(rich_text(line))
        if span.line <= number <= span.end_line:
            row.stylize("bold black on yellow", 7 + start, 7 + max(end, start + 1))
        out.append_text(row)
        out.append("\n")
    return out


def _shown(path: str) -> str:
    """Relative to the working directory where it can be: short, and the same on every checkout."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return path
