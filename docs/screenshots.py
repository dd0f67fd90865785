"""Regenerates the TUI screenshots in docs/ (SVG, from Textual's own screenshot) at 180×45.

    python docs/screenshots.py
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from netdsl.library import resolve
from netdsl.views.tui.app import NetdslApp
from netdsl.views.tui.graph import GraphPane
from netdsl.views.tui.tree import NetworkTree

DOCS = Path(__file__).resolve().parent
SIZE = (180, 45)


async def _settle(app: NetdslApp, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause(0.3)


async def shoot(name: str, out: str, reveal: str | None = None, keys: tuple[str, ...] = (),
                compare: str | None = None, graph: bool = False) -> None:
    path, net = resolve(name, None)
    app = NetdslApp(path, net, compare=compare)
    async with app.run_test(size=SIZE) as pilot:
        await _settle(app, pilot)
        if reveal:
            app.query_one(NetworkTree).reveal(reveal)
            await _settle(app, pilot)
        if graph:
            await pilot.press("g")
            app.query_one(GraphPane).focus()
        for key in keys:
            await pilot.press(key)
            await _settle(app, pilot)
        await _settle(app, pilot)
        (DOCS / out).write_text(app.export_screenshot(), encoding="utf-8")


async def main() -> None:
    await shoot("googlenet", "tui.svg", reveal="inception4a.branch3.1.conv")
    await shoot("googlenet", "tui-graph.svg", reveal="maxpool3", graph=True, keys=("down", "enter", "down"))
    await shoot("densenet201", "tui-densenet201.svg", reveal="features.denseblock2.denselayer12.conv2")
    await shoot("nasnetalarge", "tui-nasnetalarge.svg", reveal="cell_7", graph=True)
    await shoot("resnet50", "tui-diff.svg", compare="resnet101")


if __name__ == "__main__":
    asyncio.run(main())
