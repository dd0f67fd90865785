"""`netdsl tui` driven with Textual's Pilot: selection, sorting, search, live reload, snapshots."""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter

import pytest
from rich.console import Console

import netdsl
from netdsl.library import nets_dir
from textual.binding import Binding

from netdsl.views.diff import counts
from netdsl.views.tui.app import NetdslApp
from netdsl.views.tui.diffview import DiffScreen, DiffTable
from netdsl.views.tui.graph import WINDOW, GraphPane
from netdsl.views.tui.layers import LayerTable
from netdsl.views.tui.screens import HelpScreen
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
            await pilot.pause()
            await pilot.press("enter")  # the prompt's default: NET.onnx in the working folder
            await _until(pilot, lambda: (tmp_path / f"{app.session.model.name}.onnx").exists(), seconds=120)
            await _until(pilot, lambda: not app.query_one("#busy").has_class("shown"))
            assert (tmp_path / f"{app.session.model.name}.onnx").stat().st_size > 0

    asyncio.run(run())


# ---- issue 15: the rough edges, each driven as a user would ---------------------------------------------------

def _screen_text(app: NetdslApp) -> str:
    """What the terminal shows, as plain text lines."""
    update = app.screen._compositor.render_full_update()
    return "\n".join("".join(strip.text for strip in row) for row in update.strips)


def _all_nodes(node) -> list:
    return [node, *(n for child in node.children for n in _all_nodes(child))]


def test_share_column_is_whole_at_180_columns():
    async def run() -> None:
        app = NetdslApp(NETS / "googlenet.net", "googlenet")
        async with app.run_test(size=(180, 45)) as pilot:
            await _settle(app, pilot)
            table = app.query_one(LayerTable)
            assert table.show_vertical_scrollbar and table.max_scroll_x == 0
            row = next(line for line in _screen_text(app).splitlines() if "conv1.conv" in line and "%" in line)
            # conv1.conv: 118,013,952 of googlenet's 1,497,822,152 inference MACs
            assert "7.9%" in row

    asyncio.run(run())


def test_tree_has_headers_and_full_names():
    async def run() -> None:
        app = NetdslApp(NETS / "resnet.net", "resnet18")
        async with app.run_test(size=SIZE) as pilot:
            await _settle(app, pilot)
            assert str(app.query_one("#tree-header").render()).split() == ["Name", "Op", "Output", "Params", "MACs"]
            tree = app.query_one(NetworkTree)
            tree.reveal("layer1.0.conv1")
            await _settle(app, pilot)
            label = tree.node_for("layer1.0.conv1").label.plain
            assert label.split()[:3] == ["layer1.0.conv1", "conv", "64×56×56"]
            assert tree.node_for("layer1.0").label.plain.split()[:2] == ["layer1.0", "basic"]

    asyncio.run(run())


def test_sort_keys_work_from_the_tree_and_the_graph():
    async def run() -> None:
        app = NetdslApp(NETS / "googlenet.net", "googlenet")
        async with app.run_test(size=SIZE) as pilot:
            await _settle(app, pilot)
            table = app.query_one(LayerTable)
            assert app.focused is app.query_one(NetworkTree)
            await pilot.press("s")
            assert table.sort_key == "name"
            await pilot.press("g")
            assert app.query_one("#views").active == "graph-tab"
            await pilot.press("s", "r")
            assert app.query_one("#views").active == "layers-tab" and table.sort_key == "op" and table.reverse

    asyncio.run(run())


def test_escape_clears_a_kept_filter():
    async def run() -> None:
        app = NetdslApp(NETS / "googlenet.net", "googlenet_paper")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("slash", *"lrn", "enter")
            await _settle(app, pilot)
            table = app.query_one(LayerTable)
            assert table.row_count == 2 and app.focused is app.query_one(NetworkTree)
            assert app.check_action("close_search", ()) and "Clear filter" in _screen_text(app)
            await pilot.press("escape")
            await pilot.pause()
            assert table.row_count == len(app.session.model.analysis.layers)
            assert not app.check_action("close_search", ())

    asyncio.run(run())


def test_help_lists_every_key_and_how_to_close_it():
    async def run() -> None:
        app = NetdslApp(NETS / "lenet.net")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("question_mark")
            await pilot.pause()
            text = app.screen.text
            for binding in Binding.make_bindings(NetdslApp.BINDINGS):
                assert f"| `{app.get_key_display(binding)}` | {binding.tooltip} |" in text
            assert "| `E` | tree: expand every block |" in text and "| `⏎` | Into block |" in text
            assert "| `esc` `q` `?` | Close help |" in text
            await pilot.press("escape")
            assert not isinstance(app.screen, HelpScreen)

    asyncio.run(run())


def test_renamed_preset_is_followed_not_reported(tmp_path):
    for name in ("googlenet.net", "common.net"):
        shutil.copy(NETS / name, tmp_path / name)
    path = tmp_path / "googlenet.net"

    async def run() -> None:
        app = NetdslApp(path, "googlenet_paper", poll_seconds=0.05)
        async with app.run_test(size=SIZE) as pilot:
            await _settle(app, pilot)
            path.write_text(path.read_text().replace("network googlenet_paper =", "network googlenet_v1 ="))
            await _until(pilot, lambda: app.session.net == "googlenet_v1")
            await _settle(app, pilot)
            assert not app.query_one("#diagnostics").has_class("shown") and not app.session.diagnostics
            assert app.title == "googlenet_v1 · googlenet.net"

    asyncio.run(run())


def test_switching_networks_leaves_no_stale_rows():
    async def run() -> None:
        app = NetdslApp(NETS / "resnet.net", "resnet152")
        async with app.run_test(size=SIZE) as pilot:
            await _settle(app, pilot)
            app.query_one(NetworkTree).action_expand_all()
            app.query_one(NetworkTree).reveal("layer3.35.conv3")
            await _settle(app, pilot)
            app._switch_network("resnet18")
            await _until(pilot, lambda: app.session.model.name == "resnet18")
            await _settle(app, pilot)
            model = app.session.model
            names = {n.data for n in _all_nodes(app.query_one(NetworkTree).root)}
            assert set(model.analysis.layers) < names <= {"", *model.analysis.layers, *model.network.scopes}
            assert "layer3.35" not in _screen_text(app) and "layer2.1.conv1" in _screen_text(app)
            assert app.query_one(LayerTable).row_count == len(model.analysis.layers)

    asyncio.run(run())


def test_graph_drill_down_and_back():
    async def run() -> None:
        app = NetdslApp(NETS / "googlenet.net", "googlenet")
        async with app.run_test(size=SIZE) as pilot:
            await _settle(app, pilot)
            app.query_one(NetworkTree).reveal("maxpool3")
            await _settle(app, pilot)
            await pilot.press("g")
            graph = app.query_one(GraphPane)
            graph.focus()
            await pilot.press("down")
            await _settle(app, pilot)
            assert (graph.root_path, graph.selected, app.selected) == ("", "inception4a", "inception4a")
            await pilot.press("enter")
            await _settle(app, pilot)
            assert graph.root_path == "inception4a" and "inception4a.branch1" in graph.order
            assert "branch3 ▸" in _screen_text(app) and "Graph · inception4a" in _screen_text(app)
            await pilot.press("backspace")
            await _settle(app, pilot)
            assert (graph.root_path, graph.selected) == ("", "inception4a")
            assert app.query_one(NetworkTree).cursor_node.data == "inception4a"

    asyncio.run(run())


def test_graph_of_a_long_chain_is_a_window(tmp_path):
    path = tmp_path / "chain.net"
    steps = "\n".join("        -> conv(4, 3, pad=1) -> relu" for _ in range(1500))
    path.write_text(f"network chain() {{\n    input x: [4, 8, 8]\n    output y = x\n{steps}\n}}\n")

    async def run() -> None:
        app = NetdslApp(path)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("g")
            await _settle(app, pilot)
            graph = app.query_one(GraphPane)
            assert len(graph.order) == 3002  # input, 3,000 layers and the output
            assert graph._shown[0].view.boxes.keys() <= set(graph.order[:WINDOW])
            assert f"boxes 1–{WINDOW} of 3002" in _screen_text(app)
            await pilot.press("q")
        assert not app.is_running

    asyncio.run(run())


def test_svg_key_asks_where_and_writes_there(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    async def run() -> None:
        app = NetdslApp(NETS / "lenet.net")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("w")
            await pilot.pause()
            answer = app.screen.query_one("#answer")
            assert answer.value == str(tmp_path / "lenet.svg")
            answer.value = str(tmp_path / "pictures.svg")
            await pilot.press("enter")
            await _until(pilot, lambda: not app.query_one("#busy").has_class("shown"))
            assert (tmp_path / "pictures.svg").read_text().lstrip().startswith("<?xml")
            assert not (tmp_path / "lenet.svg").exists()
            await pilot.press("x", "escape")  # cancelled: nothing written
            await pilot.pause()
            assert sorted(p.name for p in tmp_path.iterdir()) == ["pictures.svg"]

    asyncio.run(run())


def test_diff_view_of_resnet50_and_resnet101():
    async def run() -> None:
        app = NetdslApp(NETS / "resnet.net", "resnet50", compare="resnet101")
        async with app.run_test(size=SIZE) as pilot:
            await _until(pilot, lambda: isinstance(app.screen, DiffScreen))
            await pilot.pause()
            screen = app.screen
            table = screen.query_one(DiffTable)
            assert counts(screen.rows) == {"same": 176, "changed": 0, "added": 170, "removed": 0}  # 17 blocks × 10
            summary = str(screen.query_one("#diff-summary").render())
            # 44,549,160 - 25,557,032 params; 7,801,405,440 - 4,089,184,256 MACs
            assert "B − A: +19M params · +3.71G MACs" in summary
            added = next(r for r in screen.rows if r.name == "layer3.6.conv2")
            assert added.status == "added" and added.delta.params == 589_824
            await pilot.press("u")
            assert table.row_count == 170
            await pilot.press("escape")
            assert not isinstance(app.screen, DiffScreen)

    asyncio.run(run())


def test_diff_key_asks_for_the_other_network():
    async def run() -> None:
        app = NetdslApp(NETS / "googlenet.net", "googlenet")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("d", *"googlenet_paper", "enter")
            await _until(pilot, lambda: isinstance(app.screen, DiffScreen))
            ops = Counter((r.status, (r.a or r.b).node.op) for r in app.screen.rows)
            # the paper's units: each of the 59 convs gains a bias and loses its BN; two LRNs come in
            assert (ops["changed", "conv"], ops["removed", "bn"], ops["added", "lrn"]) == (59, 59, 2)
            await pilot.press("escape", "d", *"nosuchnet", "enter")
            await _settle(app, pilot)
            assert not isinstance(app.screen, DiffScreen) and app.is_running

    asyncio.run(run())


def _diff_app() -> NetdslApp:
    return NetdslApp(NETS / "resnet.net", "resnet18", compare="resnet34")


async def _wait_for_diff(pilot) -> None:
    await _until(pilot, lambda: isinstance(pilot.app.screen, DiffScreen))
    await pilot.pause()


def test_snapshot_diff_view(snap_compare):
    assert snap_compare(_diff_app(), terminal_size=SIZE, run_before=_wait_for_diff)


def test_source_excerpt_of_a_whole_network_is_capped():
    from netdsl.diagnostics import Span
    from netdsl.views.tui.detail import MAX_EXCERPT_LINES, source_excerpt

    text = "\n".join(f"line {i}" for i in range(1, 2001))
    excerpt = source_excerpt(Span("chain.net", 1, 1, 2000, 5), text).plain.splitlines()
    assert len(excerpt) == 1 + MAX_EXCERPT_LINES and excerpt[-1] == "  16 │ line 16"
