"""Inputs are read only from regular files, with a size limit (issue 10.19): a FIFO or a
device is a diagnostic at once (never a hang nor a MemoryError), invalid UTF-8 is located
at its byte, symlink loops and long import chains are diagnostics, not tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SOURCE = "network tiny() {\n    input x: [3, 8, 8]\n    output y = x -> relu\n}\n"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "netdsl", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize("command", ["check", "fmt", "summary"])
def test_fifo_is_refused_without_waiting(tmp_path: Path, command: str) -> None:
    os.mkfifo(tmp_path / "pipe.net")
    done = run(command, "pipe.net", cwd=tmp_path)
    assert (done.returncode, done.stderr.splitlines()[0]) == (
        1, "netdsl: error: cannot read pipe.net: not a regular file (a device, FIFO or socket)")


@pytest.mark.parametrize("command", ["check", "fmt"])
def test_device_is_refused(tmp_path: Path, command: str) -> None:
    done = run(command, "/dev/zero", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (
        1, "netdsl: error: cannot read /dev/zero: not a regular file (a device, FIFO or socket)\n")


@pytest.mark.parametrize("command", ["check", "fmt"])
def test_invalid_utf8_is_located_at_the_byte(tmp_path: Path, command: str) -> None:
    (tmp_path / "bad.net").write_bytes(SOURCE.encode().replace(b"relu", b"re\xfflu"))
    done = run(command, "bad.net", cwd=tmp_path)
    assert (done.returncode, done.stderr.splitlines()[0]) == (
        1, "bad.net:3:23: error: not UTF-8 text: byte 0xff at offset 62")


@pytest.mark.parametrize("command", ["check", "fmt"])
def test_size_limit_holds_for_check_and_fmt(tmp_path: Path, command: str) -> None:
    (tmp_path / "big.net").write_text(SOURCE + "#" * (4 << 20))
    done = run(command, "big.net", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (
        1, "netdsl: error: big.net is larger than 4 MiB, the limit for a source file\n")


def test_fmt_accepts_a_bom_like_check(tmp_path: Path) -> None:
    (tmp_path / "bom.net").write_bytes(b"\xef\xbb\xbf" + SOURCE.encode())
    assert run("check", "bom.net", cwd=tmp_path).returncode == 0
    done = run("fmt", "--check", "bom.net", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")


@pytest.mark.parametrize("command", ["check", "fmt"])
def test_symlink_loop_as_the_file(tmp_path: Path, command: str) -> None:
    (tmp_path / "loop.net").symlink_to("loop.net")
    done = run(command, "loop.net", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (
        1, "netdsl: error: cannot read loop.net: Too many levels of symbolic links\n")


def test_symlink_loop_as_an_import(tmp_path: Path) -> None:
    (tmp_path / "loop.net").symlink_to("loop.net")
    (tmp_path / "main.net").write_text('import "loop.net"\n' + SOURCE.replace("tiny", "main"))
    done = run("check", "main.net", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith('main.net:1:1: error: import "loop.net": no such file'), done.stderr


def test_long_import_chain_is_a_diagnostic(tmp_path: Path) -> None:
    count = 1200
    for i in range(count):
        (tmp_path / f"m{i}.net").write_text(f'import "m{i + 1}.net"\n' if i + 1 < count else "block b() { relu }\n")
    (tmp_path / "main.net").write_text('import "m0.net"\n' + SOURCE.replace("tiny", "main"))
    done = run("check", "main.net", cwd=tmp_path)
    assert (done.returncode, done.stderr.splitlines()[0]) == (
        1, "m62.net:1:1: error: imports nested more than 64 files deep"), done.stderr


def test_a_symlink_to_a_non_netdsl_file_is_not_quoted(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n")
    (tmp_path / "x.net").symlink_to(secret)
    done = run("check", "x.net", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (
        1, "netdsl: error: x.net is not a netdsl file: it has no `network`, `block` or `import`\n")
