"""The README's example is real: it compiles to the figures the README prints."""

from __future__ import annotations

import re

from tests.conftest import REPO


def test_first_look_example_compiles_to_the_stated_figures(compile_text):
    text = (REPO / "README.md").read_text(encoding="utf-8")
    source = re.search(r"## A first look\n\n```\n(.*?)```", text, re.S).group(1)
    tiny = compile_text(source, name="tiny.net")
    assert (tiny.params, tiny.macs) == (308_650, 49_120_512)
    assert "308,650 params, 49.1M MACs" in text
    assert compile_text(source, "tiny_wide", name="tiny.net").params == 1_227_594
