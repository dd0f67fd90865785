"""Jupyter display of a loaded model: its summary table (the rows of `netdsl summary`) and its picture.

`Model._repr_html_` calls `html(analysis)`: a notebook shows the totals, the
table folded at depth 1 and, when Graphviz is installed, the SVG inline.
"""

from __future__ import annotations

from html import escape

from netdsl.analysis.costs import Analysis
from netdsl.views.graphviz_view import RenderError, render_bytes
from netdsl.views.table import count, rows
from netdsl.views.units import human, human_bytes, shape_text

HEADERS = ("Layer", "Op", "Output", "Params", "MACs", "Activations")
TABLE_DEPTH = 1


def svg(analysis: Analysis) -> str | None:
    """The Graphviz picture as SVG text, None without Graphviz (the notebook falls back to text)."""
    try:
        return render_bytes(analysis, "svg").decode("utf-8")
    except RenderError:
        return None


def html(analysis: Analysis) -> str:
    """Totals, the layer table and the picture, as one HTML fragment."""
    t = analysis.totals
    title = (f"<p><b>{escape(analysis.network.name)}</b>: {t.params:,} params ({human(t.params)}) · "
             f"{t.macs:,} MACs ({human(t.macs)}) · {human(t.flops)} FLOPs · "
             f"peak activations {human_bytes(analysis.peak_activations)}</p>")
    picture = svg(analysis)
    figure = f"<details><summary>graph</summary>{_strip_prolog(picture)}</details>" if picture else ""
    return f'<div class="netdsl">{title}{table_html(analysis)}{figure}</div>'


def table_html(analysis: Analysis, depth: int = TABLE_DEPTH) -> str:
    """The summary rows as an HTML table; folded scopes are bold with their totals."""
    head = "".join(f"<th>{h}</th>" for h in HEADERS)
    body = []
    for row in rows(analysis, depth):
        name = "&nbsp;" * 2 * row.depth + escape(row.name) + (" ▸" if row.kind == "folded" else "")
        cells = [name, escape(row.op), shape_text(row.shape), count(row.cost.params), count(row.cost.macs),
                 human_bytes(row.cost.activations)]
        style = ' style="font-weight:bold"' if row.kind != "layer" else ""
        body.append(f"<tr{style}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _strip_prolog(svg_text: str) -> str:
    """Inline SVG in HTML takes no XML declaration or DOCTYPE."""
    start = svg_text.find("<svg")
    return svg_text[start:] if start >= 0 else svg_text
