"""Shared helpers: the repository's paths and a way to compile inline .net text."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import netdsl

REPO = Path(__file__).resolve().parents[1]
NETS = REPO / "nets"
EXAMPLES = REPO / "examples"


@pytest.fixture(autouse=True, scope="session")
def _parse_cache_dir(tmp_path_factory):
    """The CLI keeps parsed files in the user's cache directory; a test run keeps them in its own."""
    os.environ["NETDSL_CACHE_DIR"] = str(tmp_path_factory.mktemp("netdsl-cache"))


@pytest.fixture
def compile_text(tmp_path):
    """Write .net text to a file and load one network of it."""
    def compile_(text: str, net: str | None = None, name: str = "model.net", **params) -> netdsl.Model:
        path = tmp_path / name
        path.write_text(text)
        return netdsl.load(path, net, **params)
    return compile_
