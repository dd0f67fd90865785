"""Files in and out, the one place netdsl touches the file system for a user's file.

Output: `write_atomic` writes a temporary file beside the target and renames it over
the target, so a failed, full or killed write never leaves a partial file nor clobbers a
good one. Temporaries are named `.NAME.netdsl-PID.tmp`: the next write to NAME removes
those of dead processes (a SIGKILL cannot be cleaned up by the killed process itself).
Input: `read_text` opens only regular files, without blocking on a FIFO, reads at most
a size limit, and locates invalid UTF-8 at its byte.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from pathlib import Path
from typing import BinaryIO, Callable

MAX_SOURCE_BYTES = 4 << 20
_TMP_TAG = ".netdsl-"

Payload = bytes | str | Callable[[BinaryIO], None]


class WriteError(Exception):
    """An output could not be written; `str()` is `cannot write PATH: reason`."""

    def __init__(self, path: str | Path, reason: str):
        super().__init__(f"cannot write {path}: {reason}")
        self.path, self.reason = str(path), reason


class ReadError(Exception):
    """An input could not be read as text; `at` is the bad byte's (line, column), if any."""

    def __init__(self, message: str, at: tuple[int, int] | None = None):
        super().__init__(message)
        self.at = at


def write_atomic(path: str | Path, data: Payload) -> Path:
    """Replace `path` with `data` (bytes, str as UTF-8, or a function that writes to a
    binary file) in one rename. Refuses a target that is not a regular file (a folder, a
    device) or that is read-only; raises WriteError, having left nothing behind."""
    path = Path(path)
    _check_target(path)
    _remove_stale(path)
    tmp = path.parent / f".{path.name}{_TMP_TAG}{os.getpid()}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            _fill(out, data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, _mode(path))
        os.replace(tmp, path)
    except OSError as err:
        _unlink(tmp)
        raise WriteError(path, _reason(err)) from None
    except BaseException:
        _unlink(tmp)
        raise
    return path


def _fill(out: BinaryIO, data: Payload) -> None:
    if isinstance(data, str):
        out.write(data.encode("utf-8"))
    elif isinstance(data, (bytes, bytearray, memoryview)):
        out.write(data)
    else:
        data(out)


def _check_target(path: Path) -> None:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if not path.parent.is_dir():
            raise WriteError(path, f"no such folder {path.parent}") from None
        return
    except OSError as err:
        raise WriteError(path, _reason(err)) from None
    if stat.S_ISDIR(info.st_mode):
        raise WriteError(path, "it is a folder")
    if not stat.S_ISREG(info.st_mode):
        raise WriteError(path, "not a regular file (a device, FIFO or socket)")
    if not info.st_mode & 0o222 or not os.access(path, os.W_OK):  # no write bit: read-only, for root too
        raise WriteError(path, os.strerror(errno.EACCES))


def _remove_stale(path: Path) -> None:
    """Temporaries of this target left by processes that no longer exist."""
    try:
        candidates = list(path.parent.glob(f".{_glob_escape(path.name)}{_TMP_TAG}*.tmp"))
    except OSError:
        return
    for tmp in candidates:
        pid = tmp.name[len(path.name) + 1 + len(_TMP_TAG):-len(".tmp")]
        if pid.isdigit() and not _alive(int(pid)):
            _unlink(tmp)


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[]" else c for c in name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _mode(path: Path) -> int:
    """The replaced file's permissions, else what a plain open() would give."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _reason(err: OSError) -> str:
    return err.strerror or str(err)


def flush_stdout() -> str | None:
    """Flush stdout now, while an error can still be reported; a full disk or closed pipe
    behind stdout gives the reason (and stdout is replaced so exit does not fail again)."""
    try:
        sys.stdout.flush()
        return None
    except OSError as err:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return None if isinstance(err, BrokenPipeError) else _reason(err)


def read_text(path: str | Path, limit: int = MAX_SOURCE_BYTES) -> str:
    """The UTF-8 text of a regular file (a leading BOM dropped). Raises ReadError for a
    FIFO, device or folder (never blocks on one), a file over `limit` bytes, or bytes that
    are not UTF-8 (with the offset of the first bad byte)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as err:
        raise ReadError(f"cannot read {path}: {_reason(err)}") from None
    kind = os.fstat(fd).st_mode
    if not stat.S_ISREG(kind):
        os.close(fd)
        what = "it is a folder" if stat.S_ISDIR(kind) else "not a regular file (a device, FIFO or socket)"
        raise ReadError(f"cannot read {path}: {what}")
    with os.fdopen(fd, "rb") as stream:
        try:
            data = stream.read(limit + 1)
        except OSError as err:
            raise ReadError(f"cannot read {path}: {_reason(err)}") from None
    if len(data) > limit:
        raise ReadError(f"{path} is larger than {_size(limit)}, the limit for a source file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
        offset = err.start + bom
        start = data.rfind(b"\n", 0, offset) + 1
        line, col = data.count(b"\n", 0, offset) + 1, len(data[start:offset].decode("utf-8-sig")) + 1
        raise ReadError(f"not UTF-8 text: byte 0x{data[offset]:02x} at offset {offset}", (line, col)) from None


def _size(limit: int) -> str:
    return f"{limit >> 20} MiB" if limit % (1 << 20) == 0 else f"{limit:,} bytes"


atomic_write = write_atomic  # the name importer.py and backends/export.py call
