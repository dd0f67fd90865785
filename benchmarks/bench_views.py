"""Views speed: `render` of many residual blocks, and the TUI's first paint, keystroke latency and quit.

    python benchmarks/bench_views.py render        # range(N) residual blocks: the picture's Python side
    python benchmarks/bench_views.py tui-chain     # the TUI on chains of 2k ... 20k layers: paint, quit
    python benchmarks/bench_views.py tui-nets      # googlenet, densenet201, nasnetalarge: paint, keys

Both must grow linearly with the file; `q` must quit at once. Run against an
older checkout by putting it first on PYTHONPATH (the numbers in RESULTS.md
were taken that way for "before").
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import netdsl

BLOCKS = (500, 1000, 2000, 4000)
CHAINS = (2000, 5000, 20000)
NETS = ("googlenet", "densenet201", "nasnetalarge")
KEYS = 20


def residual_source(blocks: int) -> str:
    return ("block res() {\n    add { identity; conv(8, 3, pad=1) -> relu }\n}\nnetwork blocks() {\n"
            f"    input x: [8, 8, 8]\n    output y = x -> for i in range({blocks}) {{ res() }}\n}}\n")


def chain_source(layers: int) -> str:
    steps = "\n".join("        -> conv(4, 3, pad=1) -> relu" for _ in range(layers // 2))
    return f"network chain() {{\n    input x: [4, 8, 8]\n    output y = x\n{steps}\n}}\n"


def _written(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def bench_render() -> None:
    from netdsl.views.graphviz_view import RenderOptions, render_bytes

    print("| blocks | layers | dot source, default depth | dot source, --depth 1 | SVG (Graphviz), default |")
    print("|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for blocks in BLOCKS:
            analysis = netdsl.load(_written(Path(tmp), "r.net", residual_source(blocks))).analysis
            times = []
            for options, fmt in ((RenderOptions(), "dot"), (RenderOptions(depth=1), "dot"), (RenderOptions(), "svg")):
                start = time.perf_counter()
                render_bytes(analysis, fmt, options)
                times.append(time.perf_counter() - start)
            print(f"| {blocks:,} | {len(analysis.layers):,} | " + " | ".join(f"{t:.2f} s" for t in times) + " |")


async def _tui(path: Path, net: str | None, keys: int) -> tuple[float, float | None, float]:
    """(first paint, median keystroke, quit) in seconds, headless through Textual's Pilot."""
    from netdsl.views.tui.app import NetdslApp

    start = time.perf_counter()
    app = NetdslApp(path, net)
    latencies = []
    async with app.run_test(size=(180, 45)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        paint = time.perf_counter() - start
        for _ in range(keys):
            began = time.perf_counter()
            await pilot.press("down")
            await pilot.pause()
            await app.workers.wait_for_complete()
            latencies.append(time.perf_counter() - began)
        began = time.perf_counter()
        await pilot.press("q")
    quit_time = time.perf_counter() - began
    return paint, (statistics.median(latencies) if latencies else None), quit_time


def bench_tui_chain() -> None:
    print("| layers | first paint | quit after q |")
    print("|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for layers in CHAINS:
            path = _written(Path(tmp), "chain.net", chain_source(layers))
            paint, _, quit_time = asyncio.run(_tui(path, None, 0))
            print(f"| {layers:,} | {paint:.1f} s | {quit_time * 1000:.0f} ms |")


def _import_seconds() -> float:
    """What a `netdsl tui` process spends importing the app (Textual, rich, netdsl) before it starts:
    the median of 5 fresh interpreters, less the bare interpreter's start."""
    def run(code: str) -> float:
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - began
    return statistics.median(run("import netdsl.views.tui.app") - run("pass") for _ in range(5))


def bench_tui_nets() -> None:
    from netdsl.library import resolve

    print(f"Importing the app in a fresh process: {_import_seconds() * 1000:.0f} ms (add it to the first paint"
          " for the time from the command to the first screen)")
    print(f"| network | layers | first paint | keystroke (median of {KEYS} × ↓) | quit |")
    print("|---|---:|---:|---:|---:|")
    for name in NETS:
        path, net = resolve(name, None)
        paint, key, quit_time = asyncio.run(_tui(path, net, KEYS))
        layers = len(netdsl.load(path, net).analysis.layers)
        print(f"| {name} | {layers:,} | {paint:.2f} s | {key * 1000:.0f} ms | {quit_time * 1000:.0f} ms |")


if __name__ == "__main__":
    {"render": bench_render, "tui-chain": bench_tui_chain, "tui-nets": bench_tui_nets}[sys.argv[1]]()
