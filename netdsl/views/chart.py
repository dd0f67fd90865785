"""The Canziani et al. (2017) chart: top-1 accuracy against operations, parameter count as bubble area.

MACs on a log x axis, accuracy on y, each bubble's area proportional to the
network's parameters and labelled with its name. Drawn with matplotlib (the
optional `plot` extra) in its non-interactive Agg backend; SVG text stays
text and the file carries no date, so the same networks give the same file.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from netdsl.io import WriteError, write_atomic
from netdsl.views.units import human

if TYPE_CHECKING:  # annotations only: compare imports this module to draw
    from netdsl.views.compare import Entry

FORMATS = ("svg", "png")
AREA_PER_PARAM = 2000 / 150e6  # points² per parameter: VGG-16's 138M is a large but not covering bubble
MIN_AREA = 20.0
BUBBLES_GID = "bubbles"


class ChartError(Exception):
    """The chart could not be drawn; the message is for the user."""


def bubble_area(params: int) -> float:
    """Marker area in points² for a parameter count: proportional, with a floor so tiny nets show."""
    return max(MIN_AREA, params * AREA_PER_PARAM)


def write_chart(entries: list[Entry], path: str | Path) -> str | None:
    """Writes the chart; returns a note naming networks left out for want of an accuracy."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ChartError(f"{path}: unknown chart format; use .svg or .png")
    shown = [e for e in entries if e.accuracy is not None]
    if not shown:
        raise ChartError("no network has an accuracy to plot: pass --accuracy acc.json"
                         ' ({"name": top-1 %}) or add an `# accuracy: 76.1` line to the .net file')
    figure = _draw(shown)
    try:
        write_atomic(path, lambda out: figure.savefig(out, format=fmt, metadata=_metadata(fmt), dpi=150))
    except WriteError as err:
        raise ChartError(str(err)) from None
    left_out = [e.name for e in entries if e.accuracy is None]
    return f"no accuracy for {', '.join(left_out)}: not on the chart" if left_out else None


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ChartError("--plot needs matplotlib: pip install 'netdsl[plot]'") from None
    matplotlib.use("Agg")
    matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "netdsl"})
    import matplotlib.pyplot as plt

    return plt


def _draw(entries: list[Entry]):
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(8, 5.5))
    macs = [e.macs for e in entries]
    accuracy = [e.accuracy for e in entries]
    bubbles = axes.scatter(macs, accuracy, s=[bubble_area(e.params) for e in entries],
                           c=range(len(entries)), cmap="tab10", vmin=0, vmax=9, alpha=0.6,
                           edgecolors="black", linewidths=0.5)
    bubbles.set_gid(BUBBLES_GID)
    for e in entries:
        axes.annotate(e.name, (e.macs, e.accuracy), xytext=(0, math.sqrt(bubble_area(e.params)) / 2 + 3),
                      textcoords="offset points", ha="center", fontsize=8)
    axes.set_xscale("log")
    _pad(axes, macs, accuracy)
    axes.set_xlabel("operations (MACs per image, log scale)")
    axes.set_ylabel("top-1 accuracy (%)")
    axes.set_title("Accuracy against operations; bubble area ∝ parameters", fontsize=10)
    axes.grid(True, which="both", alpha=0.3)
    _legend(axes, entries)
    figure.tight_layout()
    return figure


def _pad(axes, macs: list[int], accuracy: list[float]) -> None:
    """Room around the bubbles so the largest and their labels stay inside the axes."""
    low, high = min(macs), max(macs)
    axes.set_xlim(low / 2.5, high * 2.5)
    bottom, top = min(accuracy), max(accuracy)
    span = max(top - bottom, 2.0)
    axes.set_ylim(bottom - span * 0.25, top + span * 0.3)


def _legend(axes, entries: list[Entry]) -> None:
    """Three reference bubbles that read the area scale: 5M, 25M and 100M parameters."""
    for params in (5_000_000, 25_000_000, 100_000_000):
        axes.scatter([], [], s=bubble_area(params), color="grey", alpha=0.4, edgecolors="black",
                     linewidths=0.5, label=f"{human(params)} params")
    axes.legend(loc="lower right", labelspacing=1.6, borderpad=1.0, fontsize=8, frameon=False)


def _metadata(fmt: str) -> dict[str, str | None]:
    return {"Date": None} if fmt == "svg" else {}
