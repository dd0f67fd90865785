"""`netdsl compare`: figures per network, JSON, accuracy sources, and the Canziani chart read back from SVG."""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET

import pytest

from netdsl.cli import main
from netdsl.views.compare import file_accuracies, published

NETS = ["resnet50", "mobilenet_v2", "googlenet", "vgg16"]
SVG = "{http://www.w3.org/2000/svg}"


def _json(capsys, *argv: str) -> list[dict]:
    assert main(["compare", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_figures_and_depths(capsys):
    rows = {r["name"]: r for r in _json(capsys, *NETS)}
    r50 = rows["resnet50"]
    assert (r50["params"], r50["macs"], r50["flops"]) == (25_557_032, 4_089_184_256, 8_217_631_232)
    assert r50["peak_memory"] == 10_436_608 and r50["activations"] == 150_849_440
    # weighted layers on the longest path: the names' own counts
    assert {n: r["depth"] for n, r in rows.items()} == {"resnet50": 50, "mobilenet_v2": 53, "googlenet": 22,
                                                         "vgg16": 16}
    assert rows["vgg16"]["params"] == 138_357_544
    assert (r50["accuracy"], r50["accuracy_source"]) == (76.13, "torchvision")


def test_table_lists_every_network(capsys):
    assert main(["compare", "resnet50", "vgg16"]) == 0
    out = capsys.readouterr().out
    assert "25.6M" in out and "138M" in out and "Top-1 %" in out and "76.13" in out


def test_accuracy_from_a_file_and_from_the_net_file(tmp_path, capsys):
    net = tmp_path / "tiny.net"
    net.write_text("# accuracy: 42.5\nnetwork tiny() {\n input x: [3, 8, 8]\n output y = x -> conv(4, 3)\n}\n")
    assert _json(capsys, str(net))[0]["accuracy"] == 42.5
    given = tmp_path / "acc.json"
    given.write_text(json.dumps({"tiny": 50.0, "resnet50": 1.5}))
    rows = _json(capsys, str(net), "resnet50", "--accuracy", str(given))
    assert [(r["accuracy"], r["accuracy_source"]) for r in rows] == [(50.0, "--accuracy"), (1.5, "--accuracy")]
    assert file_accuracies("# accuracy resnet50: 76.1 %\n# accuracy = 3\n") == {"resnet50": 76.1, "": 3.0}


def test_bad_accuracy_file_is_a_user_error(tmp_path, capsys):
    bad = tmp_path / "acc.json"
    bad.write_text('{"resnet50": "high"}')
    assert main(["compare", "resnet50", "--accuracy", str(bad)]) == 1
    assert "accuracies must be an object of numbers" in capsys.readouterr().err


def test_published_top1_are_torchvisions():
    top1 = published()
    assert (top1["resnet50"], top1["vgg16"], top1["googlenet"], top1["mobilenet_v2"]) == (76.13, 71.592, 69.778,
                                                                                          71.878)


def test_plot_without_any_accuracy_says_how_to_give_one(tmp_path, capsys):
    net = tmp_path / "tiny.net"
    net.write_text("network tiny() {\n input x: [3, 8, 8]\n output y = x -> conv(4, 3)\n}\n")
    assert main(["compare", str(net), "--plot", str(tmp_path / "c.svg")]) == 1
    assert "--accuracy acc.json" in capsys.readouterr().err


def _bubbles(svg: str) -> list[tuple[float, float, float]]:
    """(centre x, centre y, radius) of each bubble, from the extremes of its path."""
    group = next(g for g in ET.fromstring(svg).iter(f"{SVG}g") if g.get("id") == "bubbles")
    out = []
    for path in group.iter(f"{SVG}path"):
        numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", path.get("d"))]
        xs, ys = numbers[0::2], numbers[1::2]
        out.append(((max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2, (max(xs) - min(xs)) / 2))
    return out


def test_chart_places_bubbles_by_macs_accuracy_and_params(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    chart = tmp_path / "chart.svg"
    assert main(["compare", *NETS, "--plot", str(chart)]) == 0
    capsys.readouterr()
    rows = _json(capsys, *NETS)
    svg = chart.read_text()
    assert all(f">{name}<" in svg for name in NETS)  # labels stay text
    bubbles = _bubbles(svg)
    assert len(bubbles) == 4
    (x0, y0, r0), (x1, y1, _) = bubbles[0], bubbles[1]
    for (x, y, r), row in zip(bubbles, rows):
        # x is log(MACs), y is accuracy (down the page), area is params: each against the first two bubbles
        expected_x = math.log(row["macs"] / rows[0]["macs"]) / math.log(rows[1]["macs"] / rows[0]["macs"])
        assert (x - x0) / (x1 - x0) == pytest.approx(expected_x, abs=1e-3)
        expected_y = (row["accuracy"] - rows[0]["accuracy"]) / (rows[1]["accuracy"] - rows[0]["accuracy"])
        assert (y - y0) / (y1 - y0) == pytest.approx(expected_y, abs=1e-3)
        assert (r / r0) ** 2 == pytest.approx(row["params"] / rows[0]["params"], rel=2e-3)
    assert bubbles[3][0] > bubbles[0][0] > bubbles[2][0] > bubbles[1][0]  # vgg16, resnet50, googlenet, mnv2
    assert bubbles[0][1] < bubbles[3][1]  # resnet50 above vgg16


def test_chart_png_and_unknown_format(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert main(["compare", "resnet50", "--plot", str(tmp_path / "c.png")]) == 0
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["compare", "resnet50", "--plot", str(tmp_path / "c.gif")]) == 1
    assert "unknown chart format" in capsys.readouterr().err
