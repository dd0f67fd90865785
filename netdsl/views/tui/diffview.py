"""The diff view: two networks side by side, layer by layer (`netdsl tui a.net --compare resnet50`, or `d`).

Each matched layer shows both shapes and both costs with the change; layers
only in one network are marked added or removed. `u` hides the unchanged.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from netdsl.analysis.costs import Analysis, LayerCost
from netdsl.views.diff import DiffRow, counts, diff
from netdsl.views.table import count
from netdsl.views.tui.layers import clip
from netdsl.views.units import human, shape_text

STYLES = {"same": "dim", "changed": "yellow", "added": "green", "removed": "red"}
MARKS = {"same": " ", "changed": "~", "added": "+", "removed": "-"}
NAME_WIDTH = 40


def signed(value: int) -> str:
    """+18.9M, -2.1K, or a dash for no change."""
    return ("+" if value > 0 else "-") + human(abs(value)) if value else "–"


def summary(a: Analysis, b: Analysis, rows: list[DiffRow]) -> Text:
    """Both networks' totals, the change, and how many layers of each kind."""
    ta, tb, n = a.totals, b.totals, counts(rows)
    text = Text()
    for mark, analysis, total in (("A", a, ta), ("B", b, tb)):
        text.append(f"{mark} ", style="bold")
        text.append(f"{analysis.network.name}: {human(total.params)} params · {human(total.macs)} MACs · "
                    f"{len(analysis.layers)} layers · output {shape_text(analysis.network.outputs[0].shape)}\n")
    text.append(f"B − A: {signed(tb.params - ta.params)} params · {signed(tb.macs - ta.macs)} MACs · ", "bold")
    for status in ("changed", "added", "removed", "same"):
        text.append(f"{n[status]} {status}  ", style=STYLES[status])
    return text


class DiffTable(DataTable):
    """One row per layer of either network, coloured by what happened to it."""

    def __init__(self, rows: list[DiffRow], **kwargs) -> None:
        super().__init__(cursor_type="row", **kwargs)
        self.rows_all = rows
        self.hide_same = False

    def on_mount(self) -> None:
        for title in ("", "Layer", "Op", "Output A", "Output B", "Params A", "Params B", "Δ Params",
                      "MACs A", "MACs B", "Δ MACs"):
            self.add_column(title)
        self.fill()

    def fill(self) -> None:
        self.clear()
        for row in self.rows_all:
            if not (self.hide_same and row.status == "same"):
                self.add_row(*_cells(row), key=row.name)


def _cells(row: DiffRow) -> list[Text]:
    a, b, style = row.a, row.b, STYLES[row.status]
    op = _op(a) if b is None or a is not None and _op(a) == _op(b) else (_op(b) if a is None
                                                                         else f"{_op(a)} → {_op(b)}")
    cells = [MARKS[row.status], clip(row.name, NAME_WIDTH, keep_end=True), op, _shape(a), _shape(b),
             _params(a), _params(b), signed(row.delta.params), _macs(a), _macs(b), signed(row.delta.macs)]
    return [Text(c, style=style) for c in cells]


def _op(lc: LayerCost) -> str:
    return f"{lc.node.op} {lc.node.spec.describe(lc.node.site)}".strip()


def _shape(lc: LayerCost | None) -> str:
    return shape_text(lc.node.shape) if lc else ""


def _params(lc: LayerCost | None) -> str:
    return count(lc.cost.params) if lc else ""


def _macs(lc: LayerCost | None) -> str:
    return count(lc.cost.macs) if lc else ""


class DiffScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,q", "dismiss", "Close diff"),
        Binding("u", "toggle_same", "Hide/show unchanged"),
    ]

    def __init__(self, a: Analysis, b: Analysis) -> None:
        super().__init__()
        self.a, self.b = a, b
        self.rows = diff(a, b)

    def compose(self) -> ComposeResult:
        with Vertical(id="diff"):
            yield Static(summary(self.a, self.b, self.rows), id="diff-summary")
            table = DiffTable(self.rows, id="diff-table")
            table.border_title = f"Diff · A {self.a.network.name} → B {self.b.network.name} · matched by layer name"
            yield table
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DiffTable).focus()

    def action_toggle_same(self) -> None:
        table = self.query_one(DiffTable)
        table.hide_same = not table.hide_same
        table.fill()
