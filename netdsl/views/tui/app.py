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
from netdsl.diagnostics import CompileError
from netdsl.views.tui.detail import DetailPane
from netdsl.views.tui.diffview import DiffScreen
from netdsl.views.tui.graph import GraphPane, graph_root
from netdsl.views.tui.jobs import write_onnx, write_svg
from netdsl.views.tui.layers import LayerTable
from netdsl.views.tui.screens import HelpScreen, NetworkPicker, Prompt, help_markdown
from netdsl.views.tui.session import Session
from netdsl.views.tui.tree import NetworkTree, header
from netdsl.views.units import human, human_bytes

POLL_SECONDS = 0.5


class NetdslApp(App[None]):
    CSS_PATH = "netdsl.tcss"
    TITLE = "netdsl"
    BINDINGS = [
        Binding("q", "quit", "Quit", tooltip="quit at once, whatever is still running"),
        Binding("slash", "search", "Search", tooltip="search layers by name or op; enter keeps the filter"),
        Binding("n", "next_match(1)", "Next match", show=False, tooltip="next search match"),
        Binding("N", "next_match(-1)", "Previous match", show=False, tooltip="previous search match"),
        Binding("escape", "close_search", "Clear filter", tooltip="clear the search filter"),
        Binding("s", "sort", "Sort", tooltip="layer table: next sort column (or click a header)"),
        Binding("r", "reverse", "Reverse", show=False, tooltip="layer table: reverse the sort"),
        Binding("E", "expand_all", "Expand all", show=False, tooltip="tree: expand every block"),
        Binding("C", "collapse_all", "Collapse all", show=False, tooltip="tree: collapse every block"),
        Binding("g", "toggle_view", "Layers/Graph", tooltip="switch between the layer table and the graph"),
        Binding("p", "pick_network", "Network", tooltip="pick another network or preset of this file"),
        Binding("d", "diff", "Diff", tooltip="compare with another network or preset, layer by layer"),
        Binding("w", "write_svg", "SVG", tooltip="write the SVG of the graph pane's scope (asks where)"),
        Binding("x", "export_onnx", "ONNX", tooltip="compile to ONNX (asks where)"),
        Binding("question_mark", "help", "Help", tooltip="this help"),
    ]

    def __init__(self, path: str | Path, net: str | None = None, overrides: dict[str, Any] | None = None,
                 poll_seconds: float = POLL_SECONDS, compare: str | None = None) -> None:
        super().__init__()
        self.session = Session(Path(path), net, overrides or {})
        self.poll_seconds = poll_seconds
        self.compare_with = compare
        self.selected: str = ""
        self.matches: list[str] = []
        self.match_index = 0

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◆")
        with Horizontal(id="main"):
            with Vertical(id="tree-pane"):
                yield Static(header(), id="tree-header")
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
        self.query_one("#tree-pane").border_title = "Network"
        self.query_one("#detail-scroll").border_title = "Detail"
        self._apply(self.session.compile())
        self.set_interval(self.poll_seconds, self._poll)
        self.query_one("#tree", NetworkTree).focus()
        if self.compare_with:
            self._load_other(self.compare_with)

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
        if self.session.renamed:
            old, new = self.session.renamed
            self.notify(f"`{old}` is now `{new}` in {self.session.path.name}: showing it")
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

    def select(self, name: str, root: str | None = None) -> None:
        """Shows `name` (a layer or a scope) in the detail pane, and in the graph pane `root`, by default
        the scope around `name`."""
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
        graph.show(analysis, graph_root(analysis, name) if root is None else root, name)

    @on(Tree.NodeHighlighted, "#tree")
    def _tree_moved(self, event: Tree.NodeHighlighted) -> None:
        if event.node.data is not None and event.node.data != self.selected:
            self.select(event.node.data)

    @on(DataTable.RowHighlighted, "#layers")
    def _table_moved(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None and event.row_key.value != self.selected:
            self.select(event.row_key.value)

    @on(GraphPane.Selected)
    def _graph_moved(self, event: GraphPane.Selected) -> None:
        """A move inside the graph pane keeps its scope; the tree follows."""
        self.select(event.name, event.root)
        self.query_one("#tree", NetworkTree).reveal(event.name)

    # ---- search ----------------------------------------------------------------

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.add_class("shown")
        search.focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.search(event.value)
        self.refresh_bindings()

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
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`esc` shows in the footer only while a search or filter is on."""
        if action == "close_search":
            search = self.query_one("#search", Input)
            return search.has_class("shown") or bool(search.value)
        return True

    # ---- keys that act on one pane, from any pane -------------------------------

    def action_sort(self) -> None:
        self._layers().action_next_sort()

    def action_reverse(self) -> None:
        self._layers().action_reverse_sort()

    def _layers(self) -> LayerTable:
        """The layer table, brought into view: sorting a hidden table would change nothing visible."""
        views = self.query_one("#views", TabbedContent)
        if views.active != "layers-tab":
            views.active = "layers-tab"
            self.notify("sorting applies to the layer table: showing it")
        return self.query_one("#layers", LayerTable)

    def action_expand_all(self) -> None:
        self.query_one("#tree", NetworkTree).action_expand_all()

    def action_collapse_all(self) -> None:
        self.query_one("#tree", NetworkTree).action_collapse_all()

    # ---- views and screens -----------------------------------------------------

    def action_toggle_view(self) -> None:
        views = self.query_one("#views", TabbedContent)
        views.active = "graph-tab" if views.active == "layers-tab" else "layers-tab"

    def action_help(self) -> None:
        self.push_screen(HelpScreen(help_markdown(self.help_sections())))

    def help_sections(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """Every binding of the app and its panes, as (key, what it does), for the help screen."""
        def rows(bindings) -> list[tuple[str, str]]:
            keys: dict[str, list[str]] = {}  # by action, so `esc` `q` share one line
            texts: dict[str, str] = {}
            for b in bindings:
                keys.setdefault(b.action, []).append(self.get_key_display(b))
                texts[b.action] = b.tooltip or b.description
            return [("` `".join(keys[action]), texts[action]) for action in keys]

        moves = [("↑ ↓ ← →", "move; → and ← expand and collapse in the tree"), ("tab", "next pane"),
                 ("enter", "tree: expand or collapse")]
        return [("Everywhere", rows(Binding.make_bindings(self.BINDINGS)) + moves),
                ("Graph pane", rows(Binding.make_bindings(GraphPane.BINDINGS))),
                ("Diff view", rows(Binding.make_bindings(DiffScreen.BINDINGS))),
                ("This help", rows(Binding.make_bindings(HelpScreen.BINDINGS)))]

    def action_pick_network(self) -> None:
        self.push_screen(NetworkPicker(self.session.networks(), self.session.net or ""), self._switch_network)

    def _switch_network(self, name: str | None) -> None:
        if name and name != self.session.net:
            self.session.net = name
            self.selected = ""
            self._reload()

    # ---- long jobs -------------------------------------------------------------

    def action_write_svg(self) -> None:
        model = self.session.model
        if model is None:
            self.notify("nothing to draw: the file does not compile", severity="warning")
            return
        root = self.query_one("#graph", GraphPane).root_path or ""
        default = f"{model.name}-{root}.svg" if root else f"{model.name}.svg"
        self._ask_path(f"Write the SVG of {root or model.name} to", default, "svg")

    def action_export_onnx(self) -> None:
        model = self.session.model
        if model is None:
            self.notify("nothing to export: the file does not compile", severity="warning")
            return
        self._ask_path(f"Compile {model.name} to ONNX at", f"{model.name}.onnx", "onnx")

    def _ask_path(self, question: str, default: str, kind: str) -> None:
        def chosen(answer: str | None) -> None:
            if answer:
                path = Path(answer).expanduser()
                self._busy(f"writing {path}…")
                self._write(kind, path, self.query_one("#graph", GraphPane).root_path or "")

        self.push_screen(Prompt(question, str(Path.cwd() / default)), chosen)

    def _busy(self, what: str) -> None:
        busy = self.query_one("#busy", ProgressBar)
        busy.tooltip = what
        busy.add_class("shown")
        self.notify(what, timeout=3)

    @work(thread=True, exclusive=True, group="export")
    def _write(self, kind: str, path: Path, root: str) -> None:
        if kind == "svg":
            message, severity = write_svg(self.session.model, root, path)
        else:
            message, severity = write_onnx(self.session, path)
        self.app.call_from_thread(self._written, message, severity)

    def _written(self, message: str, severity: str) -> None:
        self.query_one("#busy", ProgressBar).remove_class("shown")
        self.notify(message, severity=severity, timeout=8)

    # ---- the diff view -----------------------------------------------------------

    def action_diff(self) -> None:
        if self.session.model is None:
            self.notify("nothing to compare: the file does not compile", severity="warning")
            return
        self.push_screen(Prompt("Compare with (a bundled network, a .net file, or FILE.net:NETWORK)",
                                placeholder="resnet50"),
                         lambda answer: self._load_other(answer) if answer else None)

    @work(thread=True, exclusive=True, group="diff")
    def _load_other(self, target: str) -> None:
        from netdsl.views.compare import load_target

        try:
            other = load_target(target)
        except CompileError as err:
            self.app.call_from_thread(self.notify, f"cannot compare with {target}: {err.diagnostics[0].message}",
                                      severity="error", timeout=8)
            return
        self.app.call_from_thread(self._show_diff, other.analysis)

    def _show_diff(self, other: Analysis) -> None:
        if self.session.model is not None:
            self.push_screen(DiffScreen(self.session.model.analysis, other))


def _tree_order(analysis: Analysis) -> list[str]:
    """Scopes and layers in the order the tree shows them."""
    order: dict[str, None] = {}
    for lc in analysis.layers.values():
        order.update((s.path, None) for s in analysis.network.scope_chain(lc.node.scope))
        order[lc.node.name] = None
    return list(order)
