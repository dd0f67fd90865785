"""What netdsl prints to a terminal: colour only for a person at a colour terminal
(not piped, not `TERM=dumb`, no `NO_COLOR`), and text from a user's files with its
control characters escaped, so a file name or label cannot move the cursor, retitle
the window or hide output with an escape sequence."""

from __future__ import annotations

import os
from typing import IO, Any

_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x00, 0x20), *range(0x7f, 0xa0)) if chr(c) not in "\n\t"}


def printable(text: str) -> str:
    """`text` with every control character but newline and tab written as `\\xNN`."""
    return text.translate(_CONTROLS)


def use_color(stream: IO) -> bool:
    """Colour only for a person at a terminal who has not asked for none (no-color.org)."""
    if "NO_COLOR" in os.environ or os.environ.get("TERM", "") in ("dumb", "unknown"):
        return False
    return hasattr(stream, "isatty") and stream.isatty()


class EscapingStream:
    """A text stream that escapes control characters on their way out: stdout and stderr
    where no colour is wanted, so nothing at all can reach the terminal as an escape."""

    def __init__(self, stream: IO[str]):
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(printable(text))
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
