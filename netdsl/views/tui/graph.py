"""The graph pane: one scope's boxes and links, laid out by Graphviz in a background thread.

Like Netron's drill-down: arrows move between the boxes, `enter` steps into a
folded block, `backspace` back out to the enclosing one. A scope with more
boxes than a terminal can show is drawn as a window around the selection, so
a 20,000-layer chain costs `dot` a few hundred boxes, not 20,000.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.containers import ScrollableContainer
from textual.message import Message
from textual.widgets import Static

from netdsl.analysis.costs import Analysis
from netdsl.views.graphview import GraphView, fold
from netdsl.views.graphviz_view import Heat
from netdsl.views.tui.canvas import Drawing, LayoutError, layout, paint, wrap

MIN_BOXES = 4
WINDOW = 120  # boxes drawn at most; a larger scope shows this many around the selection


@dataclass(frozen=True)
class Frame:
    """What the pane draws: a scope's view, or the window of it around the selection."""

    root: str
    start: int  # index of the first box of the window in the scope's forward order
    view: GraphView


class GraphPane(ScrollableContainer, can_focus=True):
    """Draws one scope with its child scopes folded; layouts are cached per analysis, scope and window."""

    BINDINGS = [
        Binding("down,right", "step(1)", "Next box", show=False),
        Binding("up,left", "step(-1)", "Previous box", show=False),
        Binding("enter", "enter", "Into block"),
        Binding("backspace", "leave", "Out of block"),
    ]

    class Selected(Message):
        """The selection moved inside the pane: `name` is selected, and `root` is the scope to draw."""

        def __init__(self, name: str, root: str) -> None:
            super().__init__()
            self.name, self.root = name, root

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.root_path: str | None = None
        self.analysis: Analysis | None = None
        self.selected: str | None = None
        self.order: list[str] = []  # box ids of the whole scope, forward order
        self._view: GraphView | None = None
        self._cache: dict[tuple[int, str, int], Drawing | str] = {}
        self._shown: tuple[Frame, Drawing | str] | None = None

    def compose(self):
        yield Static(Text("…"), id="graph-canvas")

    def show(self, analysis: Analysis, root: str, selected: str | None) -> None:
        """Draws `root` with the box holding `selected` highlighted."""
        if self._view is None or (analysis, root) != (self.analysis, self.root_path):
            self._view = fold(analysis, 0, root)
            self.order = [b for b, box in self._view.boxes.items() if box.kind != "stub"]
        self.analysis, self.root_path = analysis, root
        self.selected = box_of(analysis, root, selected)
        self.border_title = f"Graph · {root or analysis.network.name}" + (" · backspace: out" if root else "")
        frame = self._frame(analysis, root)
        key = (id(analysis), root, frame.start)
        if key in self._cache:
            self._paint(frame, self._cache[key])
        else:
            self.query_one("#graph-canvas", Static).update(Text("laying out…", style="dim"))
            self._lay_out(frame, key)

    def forget(self) -> None:
        self._cache.clear()
        self._view = None

    def _frame(self, analysis: Analysis, root: str) -> Frame:
        view = self._view
        if len(self.order) <= WINDOW:
            return Frame(root, 0, view)
        at = self.order.index(self.selected) if self.selected in self.order else 0
        start = max(0, min(at - WINDOW // 2, len(self.order) - WINDOW)) // (WINDOW // 4) * (WINDOW // 4)
        kept = set(self.order[start:start + WINDOW])
        window = GraphView(analysis, root, 0, {b: box for b, box in view.boxes.items() if b in kept},
                           [link for link in view.links if link.tail in kept and link.head in kept])
        return Frame(root, start, window)

    @work(thread=True, exclusive=True, group="graph-layout")
    def _lay_out(self, frame: Frame, key: tuple[int, str, int]) -> None:
        try:
            result: Drawing | str = layout(frame.view)
        except LayoutError as err:
            result = str(err)
        self._cache[key] = result
        self.app.call_from_thread(self._paint, frame, result)

    def _paint(self, frame: Frame, result: Drawing | str) -> None:
        if frame.root != self.root_path:
            return
        self._shown = (frame, result)
        canvas = self.query_one("#graph-canvas", Static)
        if isinstance(result, str):
            canvas.update(Text(result, style="yellow"))
            return
        text = paint(result, Heat(frame.view, "macs"), self.selected)
        if len(self.order) > len(frame.view.boxes):
            text = Text(f"boxes {frame.start + 1}–{frame.start + len(frame.view.boxes)} of {len(self.order)}"
                        " (the window follows the selection)\n", style="dim") + text
        region = self.scrollable_content_region
        canvas.update(wrap(result, text, region.height, region.width))

    def on_resize(self) -> None:
        self._repaint()

    def on_show(self) -> None:
        self.call_after_refresh(self._repaint)

    def _repaint(self) -> None:
        """The same layout again, wrapped to the pane's new size."""
        if self._shown is not None:
            self._paint(*self._shown)

    def action_step(self, step: int) -> None:
        if not self.order:
            return
        at = self.order.index(self.selected) if self.selected in self.order else -step
        self.post_message(self.Selected(self.order[(at + step) % len(self.order)], self.root_path or ""))

    def action_enter(self) -> None:
        """Steps into the selected box when it is a folded block or group."""
        if self.analysis is not None and self.selected in self.analysis.network.scopes:
            self.post_message(self.Selected(self.selected, self.selected))
        else:
            self.notify("enter steps into a block: select a folded box (▸) first", severity="warning")

    def action_leave(self) -> None:
        """Back out to the scope around this one, with this one selected."""
        if self.analysis is None or not self.root_path:
            self.notify("already at the top of the network", severity="warning")
            return
        parent = self.analysis.network.scopes[self.root_path].parent or ""
        self.post_message(self.Selected(self.root_path, parent))


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


def box_of(analysis: Analysis, root: str, selected: str | None) -> str | None:
    """The box that holds the selection: the layer itself, or the child scope it lies in."""
    if selected is None or selected == root:
        return None
    scope = analysis.layers[selected].node.scope if selected in analysis.layers else selected
    prefix = root + "." if root else ""
    if scope.startswith(prefix) and scope != root:
        return prefix + scope[len(prefix):].split(".")[0]
    return selected
