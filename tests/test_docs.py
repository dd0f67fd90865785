"""The docs stay true: every command is in docs/cli.md, the cookbook's file is
examples/cifar_resnet.net and its figures are what netdsl prints."""

from __future__ import annotations

import re

import pytest

import netdsl
from netdsl.cli import COMMANDS
from tests.cli_sessions import CLI_MD, matches, run, scratch, sessions
from tests.conftest import EXAMPLES, REPO

DOCS = REPO / "docs"


def test_every_command_is_documented():
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert not [c for c in COMMANDS if f"## `netdsl {c}" not in text]


def test_cookbook_ends_with_the_example_file():
    cookbook = (DOCS / "cookbook.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```netdsl\n(.*?)```", cookbook, re.S)
    assert (EXAMPLES / "cifar_resnet.net").read_text(encoding="utf-8") in blocks  # part 1 ends with it
    assert blocks[-1] == (EXAMPLES / "tiny_vit.net").read_text(encoding="utf-8")  # part 2, the ViT


def test_cookbook_figures():
    cookbook = (DOCS / "cookbook.md").read_text(encoding="utf-8")
    for net in ("resnet20", "resnet56", "resnet110"):
        params = netdsl.load(EXAMPLES / "cifar_resnet.net", net).params
        assert f"Params: {params:,}" in cookbook


SESSIONS = sessions(CLI_MD.read_text(encoding="utf-8"))


@pytest.mark.parametrize("steps", [steps for _, steps in SESSIONS],
                         ids=[steps[-1].command[:40] for _, steps in SESSIONS])
def test_cli_md_sessions_print_what_they_show(tmp_path, steps):
    """Issue 10.17: docs/cli.md showed a `compile` line the command no longer prints. Each
    session runs; `python tests/cli_sessions.py` rewrites them after a deliberate change."""
    folder = scratch(tmp_path)
    for step in steps:
        actual = run(step, folder)
        if not step.command.startswith("cat "):
            assert matches(step.shown, actual), "\n".join([f"$ {step.command}", *actual])


def test_sessions_compare_numbers():
    assert not matches(["wrote a.onnx (1.1 KiB; 61,706 params)"], ["wrote a.onnx (1.1 KiB; 61,707 params)"])
    assert matches(["max abs diff 2.42e-08: ok"], ["max abs diff 2.24e-08: ok"])
    assert matches(["a", "...", "z"], ["a", "b", "c", "z"]) and not matches(["a", "...", "z"], ["a", "z", "q"])
