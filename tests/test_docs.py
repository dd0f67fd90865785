"""The docs stay true: every command is in docs/cli.md, the cookbook's file is
examples/cifar_resnet.net and its figures are what netdsl prints."""

from __future__ import annotations

import re

import netdsl
from netdsl.cli import COMMANDS
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
