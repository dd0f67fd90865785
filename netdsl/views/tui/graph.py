"""The graph pane: the selected scope's boxes and links, laid out by Graphviz in a background thread."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.containers import ScrollableContainer
from textual.widgets import Static

from netdsl.analysis.costs import Analysis
from netdsl.views.graphview import fold
from netdsl.views.graphviz_view import Heat
from netdsl.views.tui.canvas import Drawing, LayoutError, layout, paint


MIN_BOXES = 4


class GraphPane(ScrollableContainer):
    """Draws one scope with its child scopes folded; layouts are cached per analysis and scope."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.root_path: str | None = None
        self._cache: dict[tuple[int, str], Drawing | str] = {}

    def compose(self):
        yield Static(Text("…"), id="graph-canvas")

    def show(self, analysis: Analysis, root: str, selected: str | None) -> None:
        self.root_path = root
        self.border_title = f"Graph · {root or analysis.network.name}"
        key = (id(analysis), root)
        if key in self._cache:
            self._paint(analysis, root, self._cache[key], selected)
        else:
            self.query_one("#graph-canvas", Static).update(Text("laying out…", style="dim"))
            self._lay_out(analysis, root, selected)

    def forget(self) -> None:
        self._cache.clear()

    @work(thread=True, exclusive=True, group="graph-layout")
    def _lay_out(self, analysis: Analysis, root: str, selected: str | None) -> None:
        try:
            result: Drawing | str = layout(fold(analysis, 0, root))
        except LayoutError as err:
            result = str(err)
        self._cache[(id(analysis), root)] = result
        self.app.call_from_thread(self._paint, analysis, root, result, selected)

    def _paint(self, analysis: Analysis, root: str, result: Drawing | str, selected: str | None) -> None:
        if root != self.root_path:
            return
        canvas = self.query_one("#graph-canvas", Static)
        if isinstance(result, str):
            canvas.update(Text(result, style="yellow"))
            return
        canvas.update(paint(result, Heat(fold(analysis, 0, root), "macs"), _box_of(analysis, root, selected)))


def graph_root(analysis: Analysis, name: str) -> str:
    """The scope to draw for a selection: a scope itself; for a layer, the nearest enclosing scope
    with a few boxes to show, so a layer inside a small unit still shows the block around it."""
    if name not in analysis.layers:
        return name
    scope: str | None = analysis.layers[name].node.scope
    while scope:
        boxes = fold(analysis, 0, scope).boxes.values()
        if sum(1 for b in boxes if b.kind != "stub") >= MIN_BOXES:
            return scope
        scope = analysis.network.scopes[scope].parent
    return ""


def _box_of(analysis: Analysis, root: str, selected: str | None) -> str | None:
    """The box that holds the selection: the layer itself, or the child scope it lies in."""
    if selected is None or selected == root:
        return None
    scope = analysis.layers[selected].node.scope if selected in analysis.layers else selected
    prefix = root + "." if root else ""
    if scope.startswith(prefix) and scope != root:
        return prefix + scope[len(prefix):].split(".")[0]
    return selected
