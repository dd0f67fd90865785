"""Modal screens: the help (generated from the bindings), the network picker and a one-line prompt."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Markdown, OptionList

INTRO = """\
# netdsl tui

Browse a network's layers, shapes and costs. Everything shown comes from the same
analysis as `netdsl summary`. Saving the `.net` file reloads it; a broken save shows
the diagnostics and keeps the last good network on screen.
"""


def help_markdown(sections: list[tuple[str, list[tuple[str, str]]]]) -> str:
    """The help page: one table of keys per pane, in the order given."""
    parts = [INTRO]
    for title, rows in sections:
        parts.append(f"\n## {title}\n\n| key | does |\n|---|---|")
        parts.extend(f"| `{key}` | {text} |" for key, text in rows)
    return "\n".join(parts) + "\n"


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close help")]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            yield Markdown(self.text)


class NetworkPicker(ModalScreen[str | None]):
    """Lists the networks of the file; dismisses with the chosen name, or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, names: list[str], current: str, title: str = "Network") -> None:
        super().__init__()
        self.names, self.current, self.title_text = names, current, title

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            options = OptionList(*self.names, id="networks")
            options.border_title = self.title_text
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


class Prompt(ModalScreen[str | None]):
    """Asks for one line (where to write a file, a network to compare with), offering a default;
    enter accepts, esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, value: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.question, self.value, self.placeholder = question, value, placeholder

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt"):
            yield Label(self.question)
            yield Input(self.value, placeholder=self.placeholder, id="answer")
            yield Label("enter: accept · esc: cancel", classes="hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
