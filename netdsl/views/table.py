"""`netdsl summary`: the analysis as a rich table, blocks folded below --depth."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console
from rich.table import Table
from rich.text import Text

from netdsl.analysis.costs import Analysis, Cost
from netdsl.views.units import human, human_bytes, shape_text


@dataclass(frozen=True)
class Row:
    name: str
    op: str
    shape: tuple[int, ...]
    cost: Cost
    depth: int
    kind: str  # "layer", "open" (an expanded scope's header) or "folded"
    training_only: bool = False


def rows(analysis: Analysis, depth: int) -> list[Row]:
    """Table rows in forward order; scopes deeper than `depth` fold into one row with their totals."""
    net = analysis.network
    out: list[Row] = []
    shown: set[str] = set()
    for lc in analysis.layers.values():
        chain = net.scope_chain(lc.node.scope)
        for level, scope in enumerate(chain[:depth + 1]):
            if scope.path in shown:
                continue
            shown.add(scope.path)
            folded = level == depth
            out.append(Row(scope.path, scope.title, analysis.scope_shapes[scope.path],
                           analysis.scopes[scope.path], level, "folded" if folded else "open", lc.training_only))
        if len(chain) <= depth:
            node = lc.node
            args = node.spec.describe(node.site)
            out.append(Row(node.name, f"{node.op} {args}".strip(), node.shape, lc.cost, len(chain), "layer",
                           lc.training_only))
    return out


def render_table(analysis: Analysis, depth: int, console: Console) -> None:
    net = analysis.network
    table = Table(title=f"{net.name}", title_justify="left", header_style="bold", expand=False)
    for column, justify in (("Layer", "left"), ("Op", "left"), ("Output", "right"), ("Params", "right"),
                            ("MACs", "right"), ("Activations", "right")):
        table.add_column(column, justify=justify, no_wrap=column != "Op")
    for row in rows(analysis, depth):
        style = "bold" if row.kind != "layer" else ("dim" if row.training_only else "")
        name = Text("  " * row.depth + row.name + (" ▸" if row.kind == "folded" else ""), style=style)
        table.add_row(name, Text(row.op, style="cyan" if row.kind != "layer" else ""), shape_text(row.shape),
                      count(row.cost.params), count(row.cost.macs), human_bytes(row.cost.activations),
                      style="dim" if row.training_only else None)
    console.print(table)
    console.print(_totals(analysis))


def count(value: int) -> str:
    """A count in human units; a dash for none, so zero-cost layers read as empty."""
    return human(value) if value else "–"


def _totals(analysis: Analysis) -> Text:
    t, net = analysis.totals, analysis.network
    inputs = ", ".join(f"{p.name} {shape_text(p.shape)}" for p in net.inputs)
    outputs = ", ".join(f"{p.name} {shape_text(p.shape)}" + (" (training)" if p.training else "")
                        for p in net.outputs)
    lines = [
        f"Input: {inputs}    Output: {outputs}    (per sample, float32)",
        f"Params: {t.params:,} ({human(t.params)})    Buffers: {t.buffers:,}",
        f"MACs: {t.macs:,} ({human(t.macs)})    FLOPs: {t.flops:,} ({human(t.flops)})",
        f"Activations: {human_bytes(t.activations)} in all, peak {human_bytes(analysis.peak_activations)}",
    ]
    training, unused = _outside_inference(analysis)
    for words, cost in (("Training only (auxiliary outputs)", training), ("Unused (no output reads them)", unused)):
        if cost.params or cost.macs:
            lines.append(f"{words}: {human(cost.params)} params, {human(cost.macs)} MACs,"
                         " not in the totals above except params")
    return Text("\n".join(lines))


def _outside_inference(analysis: Analysis) -> tuple[Cost, Cost]:
    """The layers outside the inference forward, split: those a training output reads, and those
    nothing reads (an unused `let`), which are no auxiliary output."""
    used = analysis.network.upstream([p.node for p in analysis.network.outputs])
    training, unused = Cost(), Cost()
    for lc in analysis.layers.values():
        if lc.training_only:
            if lc.node.name in used:
                training += lc.cost
            else:
                unused += lc.cost
    return training, unused
