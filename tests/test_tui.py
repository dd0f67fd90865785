"""`netdsl tui` driven with Textual's Pilot: selection, sorting, search, live reload, snapshots."""

from __future__ import annotations

import asyncio
import shutil

import pytest
from rich.console import Console

import netdsl
from netdsl.library import nets_dir
from netdsl.views.tui.app import NetdslApp
from netdsl.views.tui.layers import LayerTable
from netdsl.views.tui.tree import NetworkTree

NETS = nets_dir()
SIZE = (200, 50)


def _text(renderable) -> str:
    console = Console(width=200, record=True, file=open("/dev/null", "w"))
    console.print(renderable)
    return console.export_text()


async def _settle(app: NetdslApp, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def _until(pilot, condition, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("the UI did not get there in time")


def _detail_text(app: NetdslApp) -> str:
    from netdsl.views.tui.detail import detail

    model = app.session.model
    return _text(detail(model.analysis, app.selected, app.session.sources))


def test_select_the_5x5_conv_of_inception4a():
    asyncio.run(_test_select_the_5x5_conv_of_inception4a())


async def _test_select_the_5x5_conv_of_inception4a():
    app = NetdslApp(NETS / "googlenet.net", "googlenet_paper")
    async with app.run_test(size=SIZE) as pilot:
        tree = app.query_one(NetworkTree)
        node = tree.node_for("inception4a")
        node.expand()
        await pilot.pause()
        assert tree.node_for("inception4a.branch3") in node.children
        tree.reveal("inception4a.branch3.1.conv")
        await _settle(app, pilot)
        assert app.selected == "inception4a.branch3.1.conv"
        shown = _detail_text(app)
        macs = netdsl.load(NETS / "googlenet.net", "googlenet_paper").analysis.layers[app.selected].cost.macs
        assert "5×5" in shown and "48×14×14" in shown and f"{macs:,}" in shown
        assert "receptive field" in shown and "common.net:12" in shown


def test_sort_by_macs_puts_the_costliest_layer_first():
    asyncio.run(_test_sort_by_macs_puts_the_costliest_layer_first())


async def _test_sort_by_macs_puts_the_costliest_layer_first():
    app = NetdslApp(NETS / "googlenet.net", "googlenet")
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(LayerTable)
        table.focus()
        while table.sort_key != "macs":
            await pilot.press("s")
        analysis = app.session.model.analysis
        costliest = max(analysis.layers.values(), key=lambda lc: lc.cost.macs).node.name
        assert table.first_row() == costliest == "conv3.conv"
        await pilot.press("r")
        assert analysis.layers[table.first_row()].cost.macs == 0


def test_search_filters_and_jumps():
    asyncio.run(_test_search_filters_and_jumps())


async def _test_search_filters_and_jumps():
    app = NetdslApp(NETS / "googlenet.net", "googlenet_paper")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"lrn")
        await _settle(app, pilot)
        table = app.query_one(LayerTable)
        assert table.row_count == 2 and app.matches == ["a.2", "a.5"]
        assert app.query_one(NetworkTree).cursor_node.data == "a.2"
        await pilot.press("enter", "n")
        await pilot.pause()
        assert app.query_one(NetworkTree).cursor_node.data == "a.5"
        await pilot.press("escape")
        assert table.row_count == len(app.session.model.analysis.layers)


def test_broken_save_shows_diagnostics_and_a_fix_reloads(tmp_path):
    asyncio.run(_test_broken_save_shows_diagnostics_and_a_fix_reloads(tmp_path))


async def _test_broken_save_shows_diagnostics_and_a_fix_reloads(tmp_path):
    for name in ("googlenet.net", "common.net"):
        shutil.copy(NETS / name, tmp_path / name)
    path = tmp_path / "googlenet.net"
    good = path.read_text()
    app = NetdslApp(path, "googlenet", poll_seconds=0.05)
    async with app.run_test(size=SIZE) as pilot:
        model = app.session.model
        path.write_text(good.replace("inception(192, 96, 208", "inception(192, 96, ,208"))
        diagnostics = app.query_one("#diagnostics")
        await _until(pilot, lambda: diagnostics.has_class("shown"))
        assert "error" in _text(diagnostics.render()) or app.session.diagnostics
        assert app.session.model is model and app.is_running
        await pilot.press("down", "down")
        path.write_text(good.replace("network googlenet(classes=1000", "network googlenet(classes=10"))
        await _until(pilot, lambda: not diagnostics.has_class("shown") and app.session.model is not model)
        assert app.session.model.network.outputs[-1].shape == (10,)
        assert "googlenet" in app.title


def _snapshot_app() -> NetdslApp:
    return NetdslApp(NETS / "googlenet.net", "googlenet")


async def _reveal_4a(pilot) -> None:
    pilot.app.query_one(NetworkTree).reveal("inception4a.branch3.1.conv")
    await _settle(pilot.app, pilot)


async def _graph_of_4a(pilot) -> None:
    await _reveal_4a(pilot)
    await pilot.press("g")
    await _settle(pilot.app, pilot)


def test_snapshot_main_screen(snap_compare):
    assert snap_compare(_snapshot_app(), terminal_size=SIZE, run_before=_reveal_4a)


def test_snapshot_graph_pane(snap_compare):
    assert snap_compare(_snapshot_app(), terminal_size=SIZE, run_before=_graph_of_4a)


def test_snapshot_help(snap_compare):
    assert snap_compare(_snapshot_app(), terminal_size=SIZE, press=["question_mark"])


def test_broken_file_at_start_still_opens(tmp_path):
    path = tmp_path / "broken.net"
    path.write_text("network broken { input x: [3, 8, 8]\n output y = x -> nonsense(3) }\n")

    async def run() -> None:
        app = NetdslApp(path)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert app.session.model is None and app.query_one("#diagnostics").has_class("shown")
            await pilot.press("slash", "x", "escape", "g", "w")
            assert app.is_running

    asyncio.run(run())


@pytest.mark.slow
def test_onnx_key_writes_the_model(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    async def run() -> None:
        app = NetdslApp(NETS / "lenet.net")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("x")
            await _until(pilot, lambda: (tmp_path / f"{app.session.model.name}.onnx").exists(), seconds=120)
            await _until(pilot, lambda: not app.query_one("#busy").has_class("shown"))
            assert (tmp_path / f"{app.session.model.name}.onnx").stat().st_size > 0

    asyncio.run(run())
