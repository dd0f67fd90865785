"""Jupyter display: a loaded model shows its totals, summary table and picture.

Through IPython's own display formatter when IPython is installed (what a
notebook calls), else through the repr methods that formatter looks up.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import netdsl
from netdsl.views.table import rows


class _Cells(HTMLParser):
    """Table rows as lists of cell texts, and whether an inline <svg> came along."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.svg = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "svg":
            self.svg = True

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _bundle(model) -> dict[str, str]:
    try:
        from IPython.core.formatters import DisplayFormatter
    except ImportError:
        return {"text/html": model._repr_html_(), "image/svg+xml": model._repr_svg_(), "text/plain": repr(model)}
    data, _ = DisplayFormatter().format(model)
    return data


def test_lenet_displays_its_table_and_picture():
    model = netdsl.load("lenet")
    bundle = _bundle(model)
    assert bundle["text/plain"] == "<netdsl.Model lenet: 13 layers, 61,706 params, 416,520 MACs>"
    html = bundle["text/html"]
    assert "<b>lenet</b>: 61,706 params (61.7K) · 416,520 MACs (417K)" in html
    parsed = _Cells()
    parsed.feed(html)
    assert parsed.rows[0] == ["Layer", "Op", "Output", "Params", "MACs", "Activations"]
    assert ["c1", "conv 5×5, 6", "6×28×28", "156", "118K", "18.4 KiB"] in parsed.rows
    assert len(parsed.rows) == 1 + len(rows(model.analysis, 1))
    if shutil.which("dot"):
        assert parsed.svg and "<?xml" not in html
        assert bundle["image/svg+xml"].lstrip().startswith("<?xml") and ">c3</text>" in bundle["image/svg+xml"]


def test_blocks_fold_to_bold_rows_with_their_totals():
    html = netdsl.load("resnet18")._repr_html_()
    parsed = _Cells()
    parsed.feed(html)
    layer1 = next(r for r in parsed.rows if r and r[0].endswith("layer1.0 ▸"))
    # two 3×3 convs of 64→64 (36,864 weights each) and two BNs (128): 73,984; 2 × 36,864 × 56² MACs
    assert layer1[1:] == ["basic", "64×56×56", "74K", "231M", "5.36 MiB"]


def test_without_graphviz_the_table_still_shows(tmp_path):
    code = "import netdsl; m = netdsl.load('lenet'); print(m._repr_svg_(), '<table>' in m._repr_html_())"
    env = {**os.environ, "PATH": str(tmp_path), "PYTHONPATH": str(Path(netdsl.__file__).parent.parent)}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["None", "True"], result.stderr
