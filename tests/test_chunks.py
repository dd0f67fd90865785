"""Parsing one top-level definition at a time (netdsl/syntax/chunks.py): the module equals the whole
file's parse, spans included; an edit re-parses only the edited definition; a file whose pieces do not
parse alone is left to the whole parse and its diagnostics."""

from __future__ import annotations

import pytest

from netdsl.syntax import chunks, parser
from tests.conftest import EXAMPLES, NETS

FILES = sorted(NETS.glob("*.net")) + sorted(EXAMPLES.glob("*.net"))


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_pieces_make_the_whole_files_module(path):
    text = path.read_text(encoding="utf-8")
    assert chunks.parse(text, str(path)) == parser.parse(text, str(path))


def test_an_edit_reparses_only_its_definition(monkeypatch):
    text = (NETS / "resnet.net").read_text(encoding="utf-8")
    chunks.parse(text, "resnet.net")
    parsed = []
    real = parser.parse
    monkeypatch.setattr(parser, "parse", lambda text, path: parsed.append(text) or real(text, path))
    edited = text.replace("network resnet152 = resnet(depth=152)", "network resnet152 = resnet(depth=152)  # x")
    assert edited != text
    module = chunks.parse(edited, "resnet.net")
    assert len(parsed) == 1 and parsed[0].lstrip("\n").startswith("network resnet152")
    assert module == real(edited, "resnet.net")


def test_a_split_inside_a_definition_leaves_the_file_to_the_whole_parse():
    text = "block b() {\nlet c = 4\n    conv(c, 1)\n}\n\nnetwork n() {\n    input x: [3, 8, 8]\n    output y = x -> b\n}\n"
    assert [line for line, _ in chunks.split(text)] == [0, 1, 5]  # `let` in the first column starts a piece
    assert chunks.parse(text, "t.net") is None
    assert parser.parse(text, "t.net").items[0].name == "b"
