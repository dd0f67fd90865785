"""Shared helpers: the repository's paths and a way to compile inline .net text."""

from __future__ import annotations

from pathlib import Path

import pytest

import netdsl

REPO = Path(__file__).resolve().parents[1]
NETS = REPO / "nets"
EXAMPLES = REPO / "examples"


@pytest.fixture
def compile_text(tmp_path):
    """Write .net text to a file and load one network of it."""
    def compile_(text: str, net: str | None = None, name: str = "model.net", **params) -> netdsl.Model:
        path = tmp_path / name
        path.write_text(text)
        return netdsl.load(path, net, **params)
    return compile_
