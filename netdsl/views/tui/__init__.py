"""`netdsl tui`: a Textual terminal UI over the same IR and analysis as `netdsl summary`.

Importing this package is cheap; Textual loads only when the UI runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def run(path: str | Path, net: str | None = None, overrides: dict[str, Any] | None = None,
        compare: str | None = None) -> int:
    """Runs the UI until the user quits; compile errors are shown inside it, not raised.
    `compare` (a preset, a .net path or FILE.net:NETWORK) opens the diff view against it."""
    from netdsl.views.tui.app import NetdslApp

    NetdslApp(path, net, overrides, compare=compare).run()
    return 0
