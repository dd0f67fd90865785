"""A normal (non-editable) install finds the grammar and the bundled library."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from tests.conftest import REPO


@pytest.mark.slow
def test_wheel_carries_grammar_and_nets_and_works_installed(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
                   check=True, capture_output=True)
    wheel = next(tmp_path.glob("netdsl-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "netdsl/grammars/netdsl.lark" in names
    assert "netdsl/nets/resnet.net" in names and "netdsl/nets/common.net" in names
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    code = ("import netdsl, pathlib; m = netdsl.load('resnet50');"
            "assert 'site' in pathlib.Path(netdsl.__file__).parts, netdsl.__file__;"
            "print(m.params)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "25557032"
