"""`netdsl tui`: wires the panes to one Session and keeps them in step.

The widgets draw; this module decides what they draw: the selection, the
search, reloading on save, and the long jobs (SVG, ONNX) in worker threads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Header, Input, ProgressBar, Static, TabbedContent, TabPane, Tree

from netdsl.analysis.costs import Analysis
from netdsl.views.tui.detail import DetailPane
from netdsl.views.tui.exports import export_onnx, export_svg
from netdsl.views.tui.graph import GraphPane, graph_root
from netdsl.views.tui.layers import LayerTable
from netdsl.views.tui.screens import HelpScreen, NetworkPicker
from netdsl.views.tui.session import Session
from netdsl.views.tui.tree import NetworkTree
from netdsl.views.units import human, human_bytes

POLL_SECONDS = 0.5


class NetdslApp(App[None]):
    CSS_PATH = "netdsl.tcss"
    TITLE = "netdsl"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("slash", "search", "Search"),
        Binding("n", "next_match(1)", "Next match", show=False),
        Binding("N", "next_match(-1)", "Previous match", show=False),
        Binding("g", "toggle_view", "Layers/Graph"),
        Binding("p", "pick_network", "Network"),
        Binding("w", "write_svg", "SVG"),
        Binding("x", "export_onnx", "ONNX"),
        Binding("question_mark", "help", "Help"),
        Binding("escape", "close_search", "Close search", show=False),
    ]

    def __init__(self, path: str | Path, net: str | None = None, overrides: dict[str, Any] | None = None,
                 poll_seconds: float = POLL_SECONDS) -> None:
        super().__init__()
        self.session = Session(Path(path), net, overrides or {})
        self.poll_seconds = poll_seconds
        self.selected: str = ""
        self.matches: list[str] = []
        self.match_index = 0

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◆")
        with Horizontal(id="main"):
            yield NetworkTree(id="tree")
            with Vertical(id="right"):
                with TabbedContent(id="views"):
                    with TabPane("Layers", id="layers-tab"):
                        yield LayerTable(id="layers")
                    with TabPane("Graph", id="graph-tab"):
                        yield GraphPane(id="graph")
                with VerticalScroll(id="detail-scroll"):
                    yield DetailPane(id="detail")
        yield Static(id="diagnostics")
        yield ProgressBar(id="busy", total=None, show_eta=False)
        yield Input(placeholder="search layers by name or op (enter: go, esc: close)", id="search")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#tree", NetworkTree).border_title = "Network"
        self.query_one("#detail-scroll").border_title = "Detail"
        self._apply(self.session.compile())
        self.set_interval(self.poll_seconds, self._poll)
        self.query_one("#tree", NetworkTree).focus()

    # ---- loading ---------------------------------------------------------------

    def _poll(self) -> None:
        if self.session.changed():
            self._reload()

    @work(thread=True, exclusive=True, group="reload")
    def _reload(self) -> None:
        self.app.call_from_thread(self._apply, self.session.compile())

    def _apply(self, fresh: bool) -> None:
        """Shows a new model, or the diagnostics next to the last good one."""
        self._show_diagnostics()
        model = self.session.model
        if not fresh or model is None:
            return
        self.session.net = model.name
        analysis = model.analysis
        self.title = f"{model.name} · {self.session.path.name}"
        t = analysis.totals
        self.sub_title = (f"{human(t.params)} params · {human(t.macs)} MACs · {human(t.flops)} FLOPs"
                          f" · peak {human_bytes(analysis.peak_activations)} · {len(analysis.layers)} layers")
        if self.selected not in analysis.layers and self.selected not in model.network.scopes:
            self.selected = ""
        self.query_one("#tree", NetworkTree).show(analysis, self.selected)
        self.query_one("#layers", LayerTable).show(analysis)
        self.query_one("#graph", GraphPane).forget()
        self.select(self.selected)

    def _show_diagnostics(self) -> None:
        pane = self.query_one("#diagnostics", Static)
        if not self.session.diagnostics:
            pane.remove_class("shown")
            return
        kept = "showing the last good network" if self.session.model else "nothing compiled yet"
        pane.border_title = f"{self.session.path.name} does not compile · {kept}"
        pane.update(self.session.diagnostics_text())
        pane.add_class("shown")

    # ---- selection -------------------------------------------------------------

    def select(self, name: str) -> None:
        """Shows `name` (a layer or a scope) in the detail pane and its scope in the graph pane."""
        model = self.session.model
        if model is None:
            return
        try:
            detail, graph = self.query_one("#detail", DetailPane), self.query_one("#graph", GraphPane)
        except NoMatches:  # a late highlight while the app shuts down
            return
        self.selected = name
        analysis = model.analysis
        detail.show(analysis, name, self.session.sources)
        graph.show(analysis, graph_root(analysis, name), name)

    @on(Tree.NodeHighlighted, "#tree")
    def _tree_moved(self, event: Tree.NodeHighlighted) -> None:
        if event.node.data is not None:
            self.select(event.node.data)

    @on(DataTable.RowHighlighted, "#layers")
    def _table_moved(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self.select(event.row_key.value)

    # ---- search ----------------------------------------------------------------

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.add_class("shown")
        search.focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.search(event.value)

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        self.query_one("#search", Input).remove_class("shown")
        self.query_one("#tree", NetworkTree).focus()

    def search(self, query: str) -> None:
        """Filters the layer table and moves the tree to the first scope or layer matching by name or op."""
        model = self.session.model
        if model is None:
            return
        needle = query.strip().lower()
        ops = {**{n: lc.node.op for n, lc in model.analysis.layers.items()},
               **{p: s.name for p, s in model.network.scopes.items()}}
        self.matches = [n for n in _tree_order(model.analysis)
                        if needle and (needle in n.lower() or needle == ops[n].lower())]
        self.match_index = 0
        self.query_one("#layers", LayerTable).filter(needle)
        if self.matches:
            self.query_one("#tree", NetworkTree).reveal(self.matches[0])

    def action_next_match(self, step: int) -> None:
        if self.matches:
            self.match_index = (self.match_index + step) % len(self.matches)
            self.query_one("#tree", NetworkTree).reveal(self.matches[self.match_index])

    def action_close_search(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_class("shown") or search.value:
            search.value = ""
            search.remove_class("shown")
            self.search("")
            self.query_one("#tree", NetworkTree).focus()

    # ---- views and screens -----------------------------------------------------

    def action_toggle_view(self) -> None:
        views = self.query_one("#views", TabbedContent)
        views.active = "graph-tab" if views.active == "layers-tab" else "layers-tab"

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_pick_network(self) -> None:
        self.push_screen(NetworkPicker(self.session.networks(), self.session.net or ""), self._switch_network)

    def _switch_network(self, name: str | None) -> None:
        if name and name != self.session.net:
            self.session.net = name
            self.selected = ""
            self._reload()

    # ---- long jobs -------------------------------------------------------------

    def action_write_svg(self) -> None:
        if self.session.model is not None:
            self._write_svg(self.query_one("#graph", GraphPane).root_path or "")

    @work(thread=True, exclusive=True, group="svg")
    def _write_svg(self, root: str) -> None:
        message, severity = export_svg(self.session.model, root, Path.cwd())
        self.app.call_from_thread(self.notify, message, severity=severity)

    def action_export_onnx(self) -> None:
        if self.session.model is not None:
            self.query_one("#busy", ProgressBar).add_class("shown")
            self._export_onnx()

    @work(thread=True, exclusive=True, group="onnx")
    def _export_onnx(self) -> None:
        message, severity = export_onnx(self.session, Path.cwd())
        self.app.call_from_thread(self._onnx_done, message, severity)

    def _onnx_done(self, message: str, severity: str) -> None:
        self.query_one("#busy", ProgressBar).remove_class("shown")
        self.notify(message, severity=severity, timeout=8)


def _tree_order(analysis: Analysis) -> list[str]:
    """Scopes and layers in the order the tree shows them."""
    order: dict[str, None] = {}
    for lc in analysis.layers.values():
        order.update((s.path, None) for s in analysis.network.scope_chain(lc.node.scope))
        order[lc.node.name] = None
    return list(order)
