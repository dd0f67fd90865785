"""`netdsl compare NET...`: several networks side by side, as a table, JSON or a Canziani-style chart.

Every figure comes from the analysis (params, MACs, FLOPs, activations, peak
memory); `depth` is the longest chain of layers with a weight matrix or
kernel, the way ResNet-50 and VGG-16 are counted. Accuracy is not computed:
it comes from the user (`--accuracy acc.json`), from an `# accuracy: 76.1`
line in the `.net` file, or for library presets from torchvision's published
top-1 (`published_top1.json`).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from netdsl.diagnostics import CompileError, Diagnostic
from netdsl.views.units import human, human_bytes

if TYPE_CHECKING:
    from netdsl.analysis.costs import Analysis

PUBLISHED = Path(__file__).with_name("published_top1.json")
# `# accuracy: 76.13` (every network of the file) or `# accuracy resnet50: 76.13` (one network)
_ACCURACY_LINE = re.compile(r"^#\s*accuracy(?:\s+([A-Za-z_]\w*))?\s*[:=]\s*([0-9]+(?:\.[0-9]+)?)\s*%?\s*$",
                            re.MULTILINE)


@dataclass(frozen=True)
class Entry:
    """One network's figures; `accuracy` is top-1 in percent, None when nobody gave it."""

    name: str
    source: str
    params: int
    macs: int
    flops: int
    activations: int
    peak_memory: int
    depth: int
    accuracy: float | None = None
    accuracy_source: str | None = None


def weighted_depth(analysis: Analysis) -> int:
    """Layers with a weight of rank ≥ 2 (convolutions, linear maps) on the longest path: linear time."""
    longest: dict[str, int] = {}
    for node in analysis.network.nodes():
        name = node.name
        weighted = any(len(shape) >= 2 for shape in node.spec.weights(node.site).values())
        longest[name] = max((longest[p] for p in node.inputs), default=0) + weighted
    return max(longest.values(), default=0)


def measure(target: str, accuracies: dict[str, float] | None = None) -> Entry:
    """Compiles `target` (a preset name, a .net path, or `path.net:network`) and reads its figures."""
    model = load_target(target)
    analysis, totals = model.analysis, model.analysis.totals
    accuracy, origin = _accuracy(model.name, model.source, target, accuracies or {})
    return Entry(model.name, str(model.source), totals.params, totals.macs, totals.flops, totals.activations,
                 analysis.peak_activations, weighted_depth(analysis), accuracy, origin)


def load_target(target: str):
    """The model a NET argument names: a preset, a .net path, or `path.net:network`."""
    from netdsl.model import load

    path, net = _split(target)
    return load(path, net)


def _split(target: str) -> tuple[str, str | None]:
    if ":" in target and not Path(target).exists():
        path, _, net = target.rpartition(":")
        return path, net or None
    return target, None


def _accuracy(name: str, source: Path, target: str, given: dict[str, float]
              ) -> tuple[float | None, str | None]:
    for key in (target, name):
        if key in given:
            return float(given[key]), "--accuracy"
    declared = file_accuracies(source.read_text(encoding="utf-8", errors="replace"))
    for key in (name, ""):
        if key in declared:
            return declared[key], source.name
    if name in published():
        return published()[name], "torchvision"
    return None, None


def file_accuracies(text: str) -> dict[str, float]:
    """`# accuracy: 76.1` lines of a .net file, by network name ("" for the whole file)."""
    return {m.group(1) or "": float(m.group(2)) for m in _ACCURACY_LINE.finditer(text)}


@lru_cache(maxsize=1)
def published() -> dict[str, float]:
    """torchvision's published ImageNet top-1 of its V1 weights, by model name."""
    return json.loads(PUBLISHED.read_text(encoding="utf-8"))["top1"]


def read_accuracies(path: str) -> dict[str, float]:
    """`{"resnet50": 76.13, ...}` from a JSON file; a bad file is a located user error."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise CompileError([Diagnostic(f"cannot read {path}: {err.strerror}", None)]) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CompileError([Diagnostic(f"{path}: not JSON ({err})", None)]) from None
    bad = [k for k, v in data.items() if not isinstance(v, (int, float)) or isinstance(v, bool)] \
        if isinstance(data, dict) else ["(the file is not an object)"]
    if bad:
        raise CompileError([Diagnostic(f"{path}: accuracies must be an object of numbers, e.g."
                                       f' {{"resnet50": 76.13}}; not: {", ".join(bad[:3])}', None)])
    return data


def text_table(entries: list[Entry]):
    """A rich Table, one row per network; the accuracy column only when some network has one."""
    from rich.table import Table

    table = Table(header_style="bold", title_justify="left")
    columns = ["Network", "Params", "MACs", "FLOPs", "Activations", "Peak memory", "Depth"]
    with_accuracy = any(e.accuracy is not None for e in entries)
    for column in columns + (["Top-1 %"] if with_accuracy else []):
        table.add_column(column, justify="left" if column == "Network" else "right", no_wrap=True)
    for e in entries:
        row = [e.name, human(e.params), human(e.macs), human(e.flops), human_bytes(e.activations),
               human_bytes(e.peak_memory), str(e.depth)]
        if with_accuracy:
            row.append("–" if e.accuracy is None else f"{e.accuracy:.2f}")
        table.add_row(*row)
    return table


def add_parser(sub: argparse._SubParsersAction) -> None:
    """The `compare` subcommand's options (cli.py registers the command)."""
    p = sub.add_parser("compare", help="compare networks: params, MACs, FLOPs, memory, depth; a chart",
                       epilog="examples: netdsl compare resnet50 mobilenet_v2 googlenet vgg16\n"
                              "          netdsl compare resnet50 my.net:mynet --json\n"
                              "          netdsl compare resnet50 mobilenet_v2 vgg16 --plot chart.svg",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("nets", nargs="+", metavar="NET",
                   help="a bundled network's name, a .net file, or FILE.net:NETWORK")
    p.add_argument("--json", action="store_true", help="exact integers as JSON")
    p.add_argument("--plot", metavar="OUT", help="draw accuracy against MACs, bubbles sized by params"
                                                 " (.svg or .png; needs matplotlib: pip install netdsl[plot])")
    p.add_argument("--accuracy", metavar="ACC.json", help='top-1 per network, e.g. {"resnet50": 76.13}')


def run(args: argparse.Namespace) -> int:
    """Measures every network (each compile error reported), then prints and plots."""
    accuracies = read_accuracies(args.accuracy) if args.accuracy else {}
    entries = [measure(target, accuracies) for target in args.nets]
    if args.json:
        print(json.dumps([asdict(e) for e in entries], indent=1))
    else:
        from rich.console import Console

        console = Console()
        if not console.is_terminal:
            console = Console(width=max(console.width, 120))
        console.print(text_table(entries))
    if args.plot:
        from netdsl.views.chart import ChartError, write_chart

        try:
            note = write_chart(entries, args.plot)
        except ChartError as err:
            print(f"netdsl: error: {err}", file=sys.stderr)
            return 1
        if note:
            print(f"netdsl: note: {note}", file=sys.stderr)
    return 0
