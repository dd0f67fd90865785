"""No escape sequence reaches a terminal that did not ask for colour, and none from a
user's file reaches any terminal (issue 10.22): TERM=dumb, NO_COLOR and pipes get plain
text; file names, labels and quoted source have their control characters escaped."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from netdsl.terminal import printable

HOSTILE = "evil\x1b]0;pwned\x07\x1b[2J"
SOURCE = "network tiny() {\n    input x: [3, 8, 8]\n    output y = x -> re\x1b[31mlu\n}\n"


def run_in_pty(args: list[str], cwd: Path, env: dict[str, str]) -> bytes:
    """stdout and stderr of `netdsl ARGS` run on a pseudo-terminal, as a person sees them."""
    main, child = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "netdsl", *args], cwd=cwd, stdin=child, stdout=child,
                            stderr=child, env={**os.environ, **env})
    os.close(child)
    out = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=60)
    os.close(main)
    return out


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    path = tmp_path / f"{HOSTILE}.net"
    path.write_text(SOURCE)
    return path


@pytest.mark.parametrize("env", [{"TERM": "dumb"}, {"NO_COLOR": "1", "TERM": "xterm-256color"}])
@pytest.mark.parametrize("args", [["check"], ["summary"], ["fmt", "--check"]])
def test_no_escape_at_all_without_colour(hostile: Path, env: dict[str, str], args: list[str]) -> None:
    out = run_in_pty([*args, hostile.name], hostile.parent, env)
    assert b"\x1b" not in out and b"\x07" not in out
    assert b"evil\\x1b]0;pwned\\x07\\x1b[2J.net" in out


def test_no_escape_at_all_when_piped(hostile: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "netdsl", "check", hostile.name], cwd=hostile.parent,
                          capture_output=True, env={**os.environ, "TERM": "xterm-256color"})
    assert b"\x1b" not in done.stdout + done.stderr
    assert done.stderr.decode().splitlines()[:3] == [
        "evil\\x1b]0;pwned\\x07\\x1b[2J.net:3:23: error: unexpected character `\\x1b`",
        "    3 |     output y = x -> re\\x1b[31mlu",
        "      |                       ^^^^",
    ]


def test_colour_terminal_gets_colour_but_not_the_users_escapes(hostile: Path) -> None:
    out = run_in_pty(["check", hostile.name], hostile.parent, {"TERM": "xterm-256color"}).decode()
    assert "\x1b[1;31m" in out  # the caret is red
    assert HOSTILE not in out and "\x1b]0;" not in out and "\x1b[2J" not in out
    assert "evil\\x1b]0;pwned\\x07\\x1b[2J.net:3:23:" in out


def test_printable_keeps_newlines_tabs_and_unicode() -> None:
    assert printable("a\tb\nc\u00e9\u2192\x00\x7f\x9b\r") == "a\tb\nc\u00e9\u2192\\x00\\x7f\\x9b\\x0d"


@pytest.mark.parametrize("stdin, stdout", [(subprocess.DEVNULL, subprocess.PIPE), ("pty", subprocess.PIPE),
                                           (subprocess.DEVNULL, "pty")])
def test_tui_without_a_terminal_says_so(tmp_path: Path, stdin, stdout) -> None:
    """In CI or a pipe the TUI would wait for keys forever: exit 2 at once instead (issue 10.21)."""
    main, child = pty.openpty()
    done = subprocess.run([sys.executable, "-m", "netdsl", "tui", "resnet18"], cwd=tmp_path,
                          stdin=child if stdin == "pty" else stdin, stdout=child if stdout == "pty" else stdout,
                          stderr=subprocess.PIPE, text=True, timeout=60)
    os.close(main)
    os.close(child)
    assert (done.returncode, done.stderr) == (2, "netdsl tui: error: the terminal UI needs a terminal (stdin and"
                                                 " stdout are not both one); for text use `netdsl summary`\n")
