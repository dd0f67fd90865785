"""Results kept by content (netdsl.syntax.cache for parsed files, netdsl.diskcache for the
library's rows): a second command on unchanged files needs neither lark nor a parse."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from netdsl.diagnostics import CompileError
from netdsl import diskcache
from netdsl.syntax import cache, parser

TEXT = "network tiny() {\n    input x: [3, 8, 8]\n    output y = x -> conv(4, 3)\n}\n"


@pytest.fixture
def disk(tmp_path: Path):
    diskcache.enable(tmp_path)
    cache._memory.clear()
    yield tmp_path / "ast"
    diskcache.disable()


def test_second_command_loads_trees_from_disk_without_lark(tmp_path: Path):
    env = {**os.environ, "NETDSL_CACHE_DIR": str(tmp_path)}
    command = [sys.executable, "-X", "importtime", "-m", "netdsl", "summary", "resnet152", "--json"]
    runs = [subprocess.run(command, env=env, capture_output=True, text=True, check=True) for _ in range(2)]
    assert runs[0].stdout == runs[1].stdout and '"params": 60192808' in runs[1].stdout
    assert len(list((tmp_path / "ast").iterdir())) == 2  # resnet.net and the common.net it imports
    first, second = ({line.rsplit("|", 1)[1].strip() for line in run.stderr.splitlines()} for run in runs)
    assert "lark" in first and "lark" not in second and "netdsl.syntax.parser" not in second


def test_cached_tree_equals_a_fresh_parse_and_edits_are_misses(disk: Path):
    first = cache.parse(TEXT, "a.net")
    assert first == parser.parse(TEXT, "a.net") and len(list(disk.iterdir())) == 1
    assert cache.parse(TEXT, "a.net") is first
    edited = cache.parse(TEXT.replace("conv(4, 3)", "conv(5, 3)"), "a.net")
    assert edited == parser.parse(TEXT.replace("conv(4, 3)", "conv(5, 3)"), "a.net") and edited != first
    moved = cache.parse(TEXT, "b.net")
    assert moved.span.path == "b.net" and moved.items[0].span.path == "b.net"


def test_disk_entry_is_used_and_a_damaged_one_is_a_miss(disk: Path):
    cache.parse(TEXT, "d.net")
    cache._memory.clear()
    (entry,) = disk.iterdir()
    assert cache.parse(TEXT, "d.net") == parser.parse(TEXT, "d.net")
    entry.write_bytes(b"not a pickle")
    cache._memory.clear()
    assert cache.parse(TEXT, "d.net") == parser.parse(TEXT, "d.net")


def test_a_file_with_errors_is_not_stored(disk: Path):
    for _ in range(2):
        with pytest.raises(CompileError) as err:
            cache.parse("network bad( {\n}\n", "bad.net")
        assert err.value.diagnostics[0].span.path == "bad.net"
    assert not disk.exists() or not list(disk.iterdir())


def test_library_rows_are_kept_until_a_file_changes(disk: Path, tmp_path: Path):
    from netdsl.views.catalog import entries

    library = tmp_path / "library"
    library.mkdir()
    (library / "tiny.net").write_text("# Tiny — A. Author, \"Tiny\", Nowhere 2024.\n" + TEXT)
    (row,) = entries(library)
    assert (row.name, row.params, row.macs) == ("tiny", 112, 4 * 6 * 6 * 27)
    (entry,) = (tmp_path / "nets").iterdir()
    entry.write_text(entry.read_text().replace('"params": 112', '"params": 113'))
    assert entries(library)[0].params == 113  # read back, not recompiled
    (library / "tiny.net").write_text(TEXT.replace("conv(4, 3)", "conv(5, 3)"))
    assert entries(library)[0].params == 140
