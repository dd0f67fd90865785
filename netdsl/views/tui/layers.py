"""Every layer in one table, sortable by any column, with each row's share of the total as a bar."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from rich.text import Text
from textual.widgets import DataTable

from netdsl.analysis.costs import Analysis, LayerCost
from netdsl.views.table import count
from netdsl.views.units import human_bytes, shape_text

BAR_WIDTH = 12
MIN_FLEXIBLE = 8  # the narrowest the Layer and Op columns get
_EIGHTHS = " ▏▎▍▌▋▊▉█"


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    sort: Callable[[LayerCost], object]
    cell: Callable[[LayerCost], str]
    descending: bool = True  # costs sort the most expensive first
    share: bool = False  # whether the bar can show this column's share


COLUMNS = (
    Column("order", "#", lambda lc: 0, lambda lc: "", descending=False),
    Column("name", "Layer", lambda lc: lc.node.name, lambda lc: lc.node.name, descending=False),
    Column("op", "Op", lambda lc: lc.node.op, lambda lc: f"{lc.node.op} {lc.node.spec.describe(lc.node.site)}",
           descending=False),
    Column("shape", "Output", lambda lc: lc.cost.activations, lambda lc: shape_text(lc.node.shape)),
    Column("params", "Params", lambda lc: lc.cost.params, lambda lc: count(lc.cost.params), share=True),
    Column("macs", "MACs", lambda lc: lc.cost.macs, lambda lc: count(lc.cost.macs), share=True),
    Column("flops", "FLOPs", lambda lc: lc.cost.flops, lambda lc: count(lc.cost.flops), share=True),
    Column("memory", "Memory", lambda lc: lc.cost.activations, lambda lc: human_bytes(lc.cost.activations),
           share=True),
)
BY_KEY = {c.key: c for c in COLUMNS}


def clip(text: str, width: int, keep_end: bool = False) -> str:
    """`text` in at most `width` cells, an ellipsis where it is cut; names keep their end (the part
    that tells siblings apart), descriptions their start."""
    if len(text) <= width:
        return text
    return "…" + text[len(text) - width + 1:] if keep_end else text[:width - 1] + "…"


class LayerTable(DataTable):
    """Rows keyed by layer name; `s` cycles the sort column, `r` reverses, a click on a header sorts by it.
    Column widths are fitted to the pane so the Share column is never cut by the scrollbar."""

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.analysis: Analysis | None = None
        self.sort_key = "order"
        self.reverse = False
        self.query_text = ""
        self._shown_widths: dict[str, int] = {}
        self._natural_widths: dict[str, int] = {}
        self._natural_for: Analysis | None = None

    def on_resize(self) -> None:
        if self.analysis is not None and self._widths() != self._shown_widths:
            self._fill()

    def show(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self._fill()

    def sort_by(self, key: str) -> None:
        """Sorts by a column; the same column again flips the direction."""
        self.reverse = not self.reverse if key == self.sort_key else False
        self.sort_key = key
        self._fill()

    def filter(self, query: str) -> None:
        self.query_text = query.lower()
        self._fill()

    def action_next_sort(self) -> None:
        keys = [c.key for c in COLUMNS]
        self.sort_by(keys[(keys.index(self.sort_key) + 1) % len(keys)])

    def action_reverse_sort(self) -> None:
        self.sort_by(self.sort_key)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        if event.column_key.value in BY_KEY:
            self.sort_by(event.column_key.value)

    def first_row(self) -> str | None:
        return self.coordinate_to_cell_key((0, 0)).row_key.value if self.row_count else None

    def _rows(self) -> list[LayerCost]:
        layers = [lc for lc in self.analysis.layers.values() if self._matches(lc)]
        column = BY_KEY[self.sort_key]
        if column.key != "order":
            layers.sort(key=column.sort, reverse=column.descending != self.reverse)
        elif self.reverse:
            layers.reverse()
        return layers

    def _matches(self, lc: LayerCost) -> bool:
        return not self.query_text or self.query_text in lc.node.name.lower() or self.query_text in lc.node.op

    def _fill(self) -> None:
        if self.analysis is None:
            return
        selected = self._selected_key()
        share = BY_KEY[self.sort_key] if BY_KEY[self.sort_key].share else BY_KEY["macs"]
        total = sum(share.sort(lc) for lc in self.analysis.layers.values() if not lc.training_only) or 1
        widths = self._shown_widths = self._widths()
        self.clear(columns=True)
        for column in COLUMNS[1:]:
            self.add_column(column.title, key=column.key, width=widths[column.key])
        self.add_column("Share", key="share", width=widths["share"])
        for lc in self._rows():
            cells = [Text(clip(c.cell(lc), widths[c.key], keep_end=c.key == "name"),
                          style="dim" if lc.training_only else "") for c in COLUMNS[1:]]
            self.add_row(*cells, _bar(share.sort(lc) / total), key=lc.node.name)
        arrow = "↑" if (BY_KEY[self.sort_key].descending == self.reverse) else "↓"
        self.border_title = (f"Layers · sorted by {BY_KEY[self.sort_key].title} {arrow}"
                             f" · share of {share.title}" + (f" · /{self.query_text}" if self.query_text else ""))
        if selected in self.rows:
            self.move_cursor(row=self.get_row_index(selected))

    def _widths(self) -> dict[str, int]:
        """Each column's natural width; Layer and Op give way when the pane is too narrow for all."""
        widths = dict(self._natural())
        widths["share"] = BAR_WIDTH + 7
        room = self.scrollable_content_region.width - 2 * self.cell_padding * len(widths)
        flexible = room - sum(w for k, w in widths.items() if k not in ("name", "op"))
        if room > 0 and widths["name"] + widths["op"] > flexible:
            widths["op"] = min(widths["op"], max(MIN_FLEXIBLE, flexible * 2 // 5))
            widths["name"] = max(MIN_FLEXIBLE, flexible - widths["op"])
        return widths

    def _natural(self) -> dict[str, int]:
        """The widest cell of each column, worked out once per analysis."""
        if self._natural_for is not self.analysis:
            layers = self.analysis.layers.values()
            self._natural_widths = {c.key: max([len(c.title), *(len(c.cell(lc)) for lc in layers)])
                                    for c in COLUMNS[1:]}
            self._natural_for = self.analysis
        return self._natural_widths

    def _selected_key(self) -> str | None:
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value


def _bar(fraction: float) -> Text:
    fraction = min(max(fraction, 0.0), 1.0)
    eighths = round(fraction * BAR_WIDTH * 8)
    bar = "█" * (eighths // 8) + (_EIGHTHS[eighths % 8] if eighths % 8 else "")
    return Text(f"{bar:<{BAR_WIDTH}} {fraction * 100:5.1f}%", style="magenta")
