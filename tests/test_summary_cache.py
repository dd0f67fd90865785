"""`netdsl summary --json` keeps what it printed (netdsl/summary_cache.py) until the file, a file it
imports, or the place a plain import looks first changes: a hit needs no parse, elaboration or analysis."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from netdsl.cli import main

NET = 'import "{name}"\n\nnetwork net() {{\n    input x: [3, 8, 8]\n    output y = x -> {call}\n}}\n'


@pytest.fixture
def folder(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("NETDSL_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "work").mkdir()
    return tmp_path / "work"


def _params(path: Path, capsys) -> int:
    assert main(["summary", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)["totals"]["params"]


def test_a_hit_until_the_file_or_an_import_changes(folder: Path, capsys):
    (folder / "blocks.net").write_text("block unit(c) {\n    conv(c, 3, pad=1) -> relu\n}\n")
    net = folder / "net.net"
    net.write_text(NET.format(name="blocks.net", call="unit(4)"))
    assert _params(net, capsys) == 4 * 3 * 9 + 4
    entries = list((folder.parent / "cache" / "summary").iterdir())
    assert len(entries) == 1 and str(folder / "blocks.net") in entries[0].read_text()
    assert _params(net, capsys) == 112
    (folder / "blocks.net").write_text("block unit(c) {\n    conv(c, 1) -> relu\n}\n")
    assert _params(net, capsys) == 4 * 3 + 4
    net.write_text(NET.format(name="blocks.net", call="unit(8)"))
    assert _params(net, capsys) == 8 * 3 + 8


def test_a_file_created_where_an_import_looks_first_is_a_miss(folder: Path, capsys):
    net = folder / "net.net"
    net.write_text(NET.format(name="common.net", call="conv_relu(4, 3)"))  # the library's common.net
    assert _params(net, capsys) == 112
    (folder / "common.net").write_text("block conv_relu(c, k) {\n    conv(c, 1, bias=false)\n}\n")
    assert _params(net, capsys) == 12


def test_options_are_part_of_the_key(folder: Path, capsys):
    assert main(["summary", "resnet18", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(["summary", "resnet18", "--json", "--set", "classes=10"]) == 0
    assert json.loads(capsys.readouterr().out)["totals"]["params"] == first["totals"]["params"] - 990 * 513


def test_a_hit_imports_neither_the_parser_nor_the_elaborator(tmp_path: Path):
    env = {**os.environ, "NETDSL_CACHE_DIR": str(tmp_path)}
    command = [sys.executable, "-X", "importtime", "-m", "netdsl", "summary", "resnet50", "--json"]
    runs = [subprocess.run(command, env=env, capture_output=True, text=True, check=True) for _ in range(2)]
    assert runs[0].stdout == runs[1].stdout and '"params": 25557032' in runs[1].stdout
    second = {line.rsplit("|", 1)[1].strip() for line in runs[1].stderr.splitlines()}
    assert not second & {"lark", "netdsl.elaborate.elaborator", "netdsl.analysis.costs"}
