"""Modal screens: the help text and the picker for another network of the same file."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Markdown, OptionList

HELP = """\
# netdsl tui

Browse a network's layers, shapes and costs. Everything shown comes from the same
analysis as `netdsl summary`. Saving the `.net` file reloads it; a broken save shows
the diagnostics and keeps the last good network on screen.

| key | does |
|---|---|
| `↑` `↓` `←` `→`, `enter` | move, expand and collapse in the tree |
| `tab` | next pane |
| `/` | search layers by name or op; `n` / `N` next / previous match |
| `s`, `r` | in the layer table: next sort column, reverse (or click a header) |
| `g` | switch between the layer table and the graph |
| `p` | pick another network or preset of this file |
| `w` | write the SVG of the graph pane's scope |
| `x` | compile to ONNX |
| `?` | this help |
| `q` | quit |
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            yield Markdown(HELP)


class NetworkPicker(ModalScreen[str | None]):
    """Lists the networks of the file; dismisses with the chosen name, or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, names: list[str], current: str) -> None:
        super().__init__()
        self.names, self.current = names, current

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            options = OptionList(*self.names, id="networks")
            options.border_title = "Network"
            yield options

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.current in self.names:
            options.highlighted = self.names.index(self.current)
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.names[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)
