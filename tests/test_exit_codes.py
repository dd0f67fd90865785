"""The command as a user runs it, in a fresh process: exit 0 on success, 1 for a
mistake in a .net file (diagnostics), 2 for a usage error; never a traceback.
And the same input gives the same summary bytes whatever the hash seed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def netdsl(*args: str, seed: str = "0") -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "netdsl", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def broken(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("exit") / "broken.net"
    path.write_text("network broken() {\n    input x: [3, 8, 8]\n    output y = x -> conv(8, 3, strid=2)\n}\n")
    return path


@pytest.mark.parametrize("args", [
    (),
    ("no-such-command",),
    ("summary",),
    ("summary", "resnet50", "--depth", "deep"),
    ("check", "nets/resnet.net", "--max-nodes", "0"),
    ("summary", "resnet50", "--no-such-option"),
    ("render", "resnet18", "--depth", "-1"),
    ("summary", "resnet18", "--depth", "-1"),
    ("compile", "resnet18", "--torch", "--seed", "-1"),
    ("summary", "resnet18", "--input", "3,0,32"),
    ("summary", "resnet18", "--input", "3,32"),
    ("summary", "resnet18", "--set", "k"),
    ("summary", "resnet18", "--set", "=1"),
    ("summary", "resnet18", "--set", "depth=(1"),
    ("tui", "resnet18", "--set", "k"),
], ids=["no command", "unknown command", "missing file", "bad number", "bad budget", "unknown option",
        "render depth", "summary depth", "seed", "zero input", "two-dim input", "set without =", "set without key",
        "set unclosed", "tui set"])
def test_usage_errors_exit_2(args) -> None:
    result = netdsl(*args)
    assert result.returncode == 2, result.stderr
    assert "usage: netdsl" in result.stderr and "Traceback" not in result.stderr


def test_diagnostics_exit_1(broken: Path) -> None:
    for args in (("check", str(broken)), ("summary", str(broken)), ("summary", "no_such_network")):
        result = netdsl(*args)
        assert result.returncode == 1, result.stderr
        assert "error:" in result.stderr and "Traceback" not in result.stderr
    result = netdsl("check", str(broken))
    assert f"{broken}:3:21: error: conv has no argument `strid`" in result.stderr
    assert "did you mean `stride`?" in result.stderr


def test_success_exits_0() -> None:
    result = netdsl("check", "nets/resnet.net")
    assert result.returncode == 0 and "ok" in result.stdout


def test_summary_json_is_the_same_bytes_across_processes() -> None:
    """Dict and set order must not leak into outputs: two hash seeds, one byte string."""
    first = netdsl("summary", "nets/googlenet.net", "--net", "googlenet", "--json", seed="1")
    second = netdsl("summary", "nets/googlenet.net", "--net", "googlenet", "--json", seed="4242")
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert len(first.stdout) > 1000
    assert first.stdout == second.stdout


def test_unquoted_string_in_set_hints_quotes() -> None:
    result = netdsl("summary", "vgg16", "--set", "config=E")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-4:] == [
        "netdsl summary: error: argument --set: --set config:1:1: error: unknown name `E`",
        "    1 | E",
        "      | ^",
        "  hint: a string needs quotes: --set config='\"E\"'",
    ]
