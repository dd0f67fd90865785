"""The network as a collapsible tree: scopes (blocks, groups) → layers, with op, shape and costs per row.

Rows are named by their full path (`layer1.0.conv1`, as the layer table and
PyTorch's state_dict name them), cut from the left when long, so the end that
tells siblings apart always shows; `header()` titles the columns.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from netdsl.analysis.costs import Analysis, Cost
from netdsl.views.table import count
from netdsl.views.tui.layers import clip
from netdsl.views.units import shape_text

NAME_WIDTH = 34
OP_WIDTH = 10
SHAPE_WIDTH = 12
GUIDE = 4  # Textual's default indent per level


class NetworkTree(Tree[str]):
    """Each node's data is a layer name or a scope path; the root's is ""."""

    BINDINGS = [
        Binding("right", "expand_node", "Expand", show=False),
        Binding("left", "collapse_node", "Collapse", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__("network", data="", **kwargs)
        self.guide_depth = GUIDE
        self._by_name: dict[str, TreeNode[str]] = {}

    def show(self, analysis: Analysis, selected: str | None = None) -> None:
        """Rebuilds the tree for a new analysis, keeping what was open and selected where it still exists."""
        opened = {name for name, node in self._by_name.items() if node.is_expanded}
        self.clear()
        net = analysis.network
        self.root.set_label(_row(net.name, 0, analysis.network.outputs[0].shape if net.outputs else (),
                                 analysis.totals, bold=True))
        self._by_name = {"": self.root}
        for lc in analysis.layers.values():
            parent = self.root
            for level, scope in enumerate(net.scope_chain(lc.node.scope), start=1):
                if scope.path not in self._by_name:
                    label = _row(scope.path, level, analysis.scope_shapes[scope.path],
                                 analysis.scopes[scope.path], bold=True, op=scope.title)
                    self._by_name[scope.path] = parent.add(label, data=scope.path)
                parent = self._by_name[scope.path]
            level = len(net.scope_chain(lc.node.scope)) + 1
            label = _row(lc.node.name, level, lc.node.shape, lc.cost, dim=lc.training_only,
                         op=lc.node.op)
            self._by_name[lc.node.name] = parent.add_leaf(label, data=lc.node.name)
        self.root.expand()
        for name in opened & set(self._by_name):
            self._by_name[name].expand()
        if selected is not None:
            self.reveal(selected)

    def reveal(self, name: str) -> None:
        """Opens the ancestors of `name` and moves the cursor onto it."""
        node = self._by_name.get(name)
        if node is None:
            return
        parent = node.parent
        while parent is not None:
            parent.expand()
            parent = parent.parent
        self.call_after_refresh(self._move_to, node)

    def _move_to(self, node: TreeNode[str]) -> None:
        self.move_cursor(node)
        self.scroll_to_node(node)

    def get_label_width(self, node: TreeNode[str]) -> int:
        """Without rendering: labels are one cell a character (names, op, shape, counts) and an
        expandable row has the 2-cell icon. Rendering each of 20,000 labels to measure it held
        up every rebuild of the tree, `q` included, for seconds."""
        return len(node.label.plain) + (len(self.ICON_NODE) if node.allow_expand else 0)

    def node_for(self, name: str) -> TreeNode[str] | None:
        return self._by_name.get(name)

    def action_expand_node(self) -> None:
        if self.cursor_node is not None:
            self.cursor_node.expand()

    def action_collapse_node(self) -> None:
        node = self.cursor_node
        if node is not None and (node.is_expanded or node.parent is None):
            node.collapse()
        elif node is not None and node.parent is not None:
            self.move_cursor(node.parent)

    def action_expand_all(self) -> None:
        self.root.expand_all()

    def action_collapse_all(self) -> None:
        for child in self.root.children:
            child.collapse_all()


def header() -> Text:
    """Column titles aligned with the rows below them."""
    text = Text(" " + "Name".ljust(NAME_WIDTH - 1), style="bold")
    text.append(f" {'Op':<{OP_WIDTH}} {'Output':>{SHAPE_WIDTH}} {'Params':>7} {'MACs':>7}", style="bold")
    return text


def _row(name: str, level: int, shape: tuple[int, ...], cost: Cost, *, bold: bool = False, dim: bool = False,
         op: str = "") -> Text:
    width = max(8, NAME_WIDTH - GUIDE * level - (2 if bold else 0))  # "▶ " before an expandable row
    text = Text(clip(name, width, keep_end=True).ljust(width), style="bold" if bold else ("dim" if dim else ""))
    text.append(f" {clip(op, OP_WIDTH):<{OP_WIDTH}}", style="cyan" if bold else "dim cyan")
    text.append(f" {clip(shape_text(shape), SHAPE_WIDTH, keep_end=True):>{SHAPE_WIDTH}}")
    text.append(f" {count(cost.params):>7}", style="green")
    text.append(f" {count(cost.macs):>7}", style="yellow")
    return text
