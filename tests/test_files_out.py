"""Every output goes through netdsl.io.write_atomic (issue 10.18): a target that is not a
regular file is refused, an OS error is `netdsl: error: cannot write PATH: reason` with
exit 1, and no partial or temporary file is left — on a full disk, past the file-size
limit, into a missing or read-only folder, onto a device; a full stdout is no traceback."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SOURCE = "network tiny() {\n    input x: [3, 8, 8]\n    output y = x -> conv(4, 3) -> relu\n}\n"
UNFORMATTED = "network tiny() { input x: [3,8,8]\n output y = x->conv(4,3)->relu }\n"


def run(*args: str, cwd: Path, fsize: int | None = None, stdout=subprocess.PIPE) -> subprocess.CompletedProcess:
    def limit() -> None:
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.run([sys.executable, "-m", "netdsl", *args], cwd=cwd, stdout=stdout, stderr=subprocess.PIPE,
                          text=True, preexec_fn=limit, timeout=120)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "tiny.net").write_text(SOURCE)
    tmp_path.chmod(0o777)
    (tmp_path / "tiny.net").chmod(0o666)
    return tmp_path


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != "tiny.net")


WRITERS = {
    "torch": ["compile", "tiny.net", "--torch", "-o"],
    "onnx": ["compile", "tiny.net", "--onnx", "-o"],
    "render": ["render", "tiny.net", "--format", "dot", "-o"],
}


@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize("target, reason", [
    ("missing/out.x", "no such folder missing"),
    (".", "it is a folder"),
    ("/dev/null", "not a regular file (a device, FIFO or socket)"),
])
def test_bad_target_is_one_error_line(folder: Path, writer: str, target: str, reason: str) -> None:
    done = run(*WRITERS[writer], target, cwd=folder)
    assert (done.returncode, done.stderr) == (1, f"netdsl: error: cannot write {target}: {reason}\n")
    assert leftovers(folder) == []
    assert Path("/dev/null").is_char_device()


@pytest.mark.parametrize("writer", WRITERS)
def test_file_size_limit_leaves_nothing(folder: Path, writer: str) -> None:
    done = run(*WRITERS[writer], "out.x", cwd=folder, fsize=200)
    assert (done.returncode, done.stderr) == (1, "netdsl: error: cannot write out.x: File too large\n")
    assert leftovers(folder) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_read_only_folder(folder: Path) -> None:
    (folder / "ro").mkdir()
    (folder / "ro").chmod(0o555)
    done = run(*WRITERS["torch"], "ro/out.py", cwd=folder)
    assert (done.returncode, done.stderr) == (1, "netdsl: error: cannot write ro/out.py: Permission denied\n")
    assert list((folder / "ro").iterdir()) == []


def test_stale_temporary_of_a_killed_run_is_removed(folder: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = folder / f".out.py.netdsl-{dead.pid}.tmp"
    stale.write_bytes(b"half a file")
    done = run(*WRITERS["torch"], "out.py", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert leftovers(folder) == ["out.py"]


@pytest.mark.parametrize("args", [["summary", "tiny.net"], ["nets", "--markdown"], ["check", "tiny.net"]])
def test_full_stdout_is_no_traceback(folder: Path, args: list[str]) -> None:
    with open("/dev/full", "w") as full:
        done = run(*args, cwd=folder, stdout=full)
    assert (done.returncode, done.stderr) == (1, "netdsl: error: cannot write <stdout>: No space left on device\n")


def test_fmt_on_a_full_disk_keeps_the_file(folder: Path) -> None:
    (folder / "tiny.net").write_text(UNFORMATTED)
    done = run("fmt", "tiny.net", cwd=folder, fsize=len(UNFORMATTED))
    assert (done.returncode, done.stderr) == (1, "netdsl: error: cannot write tiny.net: File too large\n")
    assert (folder / "tiny.net").read_text() == UNFORMATTED
    assert leftovers(folder) == []


def test_fmt_on_a_read_only_file(folder: Path) -> None:
    (folder / "tiny.net").write_text(UNFORMATTED)
    (folder / "tiny.net").chmod(0o444)
    done = run("fmt", "tiny.net", cwd=folder)
    assert (done.returncode, done.stderr) == (1, "netdsl: error: cannot write tiny.net: Permission denied\n")
    assert (folder / "tiny.net").read_text() == UNFORMATTED


def test_fmt_keeps_permissions_and_bom(folder: Path) -> None:
    (folder / "tiny.net").write_bytes(b"\xef\xbb\xbf" + UNFORMATTED.encode())
    (folder / "tiny.net").chmod(0o640)
    done = run("fmt", "tiny.net", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert (folder / "tiny.net").read_bytes() == b"\xef\xbb\xbf" + SOURCE.encode()
    assert (folder / "tiny.net").stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize("target, reason", [("missing/c.svg", "no such folder missing"), ("d.svg", "it is a folder")])
def test_compare_chart_goes_through_the_writer(folder: Path, target: str, reason: str) -> None:
    (folder / "d.svg").mkdir()
    done = run("compare", "resnet18", "--plot", target, cwd=folder)
    assert done.returncode == 1
    assert done.stderr.endswith(f"cannot write {target}: {reason}\n"), done.stderr
    assert leftovers(folder) == ["d.svg"] and not any((folder / "d.svg").iterdir())


def test_sigkill_mid_write_leaves_the_target_and_the_next_run_cleans_up(folder: Path) -> None:
    """A killed process cannot clean up: its temporary is named for the target and its pid, so
    the next write to that target removes it (issue 10.18: a 47 MB .n.onnx.*.tmp was left)."""
    (folder / "out.py").write_text("old\n")
    slow = ("import sys, time; from netdsl.io import write_atomic;"
            " write_atomic('out.py', lambda f: (f.write(b'half'), f.flush(), time.sleep(60)))")
    proc = subprocess.Popen([sys.executable, "-c", slow], cwd=folder)
    temporary = folder / f".out.py.netdsl-{proc.pid}.tmp"
    deadline = time.monotonic() + 30
    while not (temporary.exists() and temporary.stat().st_size) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert leftovers(folder) == [temporary.name, "out.py"]
    assert (folder / "out.py").read_text() == "old\n"
    done = run(*WRITERS["torch"], "out.py", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert leftovers(folder) == ["out.py"]
