"""The language features as functions of an analysed document (no server): the
pieces behind the end-to-end tests, on cases they do not reach."""

from __future__ import annotations

import pytest
from lsprotocol import types as lsp
from pygments.token import Comment, Keyword, Name

from netdsl.highlight import NetdslLexer
from netdsl.lsp import features
from netdsl.lsp.document import analyse, check_others, cost
from netdsl.lsp.semantic import TOKEN_TYPES, _classify, semantic_tokens
from tests.conftest import EXAMPLES, NETS


def decode(data: list[int]) -> list[tuple[int, int, int, str]]:
    out, line, col = [], 0, 0
    for k in range(0, len(data), 5):
        delta_line, delta_col, length, kind, _ = data[k:k + 5]
        line += delta_line
        col = col + delta_col if delta_line == 0 else delta_col
        out.append((line, col, length, TOKEN_TYPES[kind]))
    return out


@pytest.mark.parametrize("path", [NETS / "googlenet.net", NETS / "resnet.net", EXAMPLES / "tutorial.net"],
                         ids=lambda p: p.name)
def test_semantic_tokens_are_the_pygments_tokens(path):
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    tokens = decode(semantic_tokens(text))
    assert tokens, "something is coloured"
    lexed = {}
    offset = 0
    for kind, value in NetdslLexer(stripnl=False, ensurenl=False).get_tokens(text):
        lexed[offset] = (kind, value)
        offset += len(value)
    starts = [0]
    for row in lines:
        starts.append(starts[-1] + len(row) + 1)
    for line, col, length, kind in tokens:
        pyg_kind, value = lexed[starts[line] + col]
        assert lines[line][col:col + length] == value, "a token starts and ends where Pygments' does"
        assert _classify(pyg_kind)[0] == kind
    coloured = {(line, col) for line, col, _, _ in tokens}
    for offset, (pyg_kind, value) in lexed.items():
        if pyg_kind in Keyword or pyg_kind in Comment or pyg_kind in Name.Label:
            line = max(k for k, start in enumerate(starts) if start <= offset)
            assert (line, offset - starts[line]) in coloured, value


def test_a_label_is_a_property_declaration():
    text = 'network n() {\n    input x: [3, 8, 8]\n    output y = x -> "block1-0": relu\n}\n'
    tokens = decode(semantic_tokens(text))
    assert (2, 20, 11, "property") in tokens


def test_quick_fix_inside_a_call_replaces_only_the_word():
    text = "network n() {\n    input x: [3, 8, 8]\n    output y = x -> conv(8, 3, strid=2)\n}\n"
    doc = analyse(text, "/tmp/q.net")
    (d,) = features.diagnostics(doc)
    assert d.data == {"suggestion": "stride"}
    (action,) = features.quick_fixes(text, "file:///tmp/q.net", [d])
    (edit,) = action.edit.changes["file:///tmp/q.net"]
    assert (edit.range.start.line, edit.range.start.character, edit.range.end.character) == (2, 31, 36)
    assert edit.new_text == "stride"


def test_no_quick_fix_without_a_suggestion():
    text = "network n() {\n    input x: [3, 8, 8]\n    output y = x -> qqqqqqqq\n}\n"
    doc = analyse(text, "/tmp/q.net")
    assert features.quick_fixes(text, "file:///tmp/q.net", features.diagnostics(doc)) == []


def test_signature_help_counts_arguments_across_brackets():
    text = "network n() {\n    output y = x -> conv(8, [3, 3], "
    assert features.open_call(text, 2, len("    output y = x -> conv(8, [3, 3], ") + 1) == ("conv", 2)
    assert features.open_call("let a = [1, ", 1, 13) is None


def test_syntax_errors_keep_the_outline():
    text = "block a(c) {\n    conv(c, 1)\n}\nnetwork n() {\n    input x: [3, 8, 8]\n    output y = x -> -> a(4)\n}\n"
    doc = analyse(text, "/tmp/o.net")
    assert [d.message for d in doc.diagnostics] == ["unexpected `->`"]
    assert [s.name for s in features.symbols(doc)] == ["a", "n"]


def test_errors_of_other_networks_are_found_in_the_background():
    text = "network n(w=4) {\n    input x: [3, 8, 8]\n    output y = x -> conv(w, 1)\n}\n" \
           "network m = n(w=0)\n"
    doc = cost(analyse(text, "/tmp/n.net"))
    assert doc.network == "n" and doc.diagnostics == []
    assert doc.instances, "the main network's shapes are known"
    assert check_others(doc)
    (error,) = doc.diagnostics
    assert error.notes[-1] == ("in network `m` (a preset of `n`)", None)


def test_check_others_can_be_abandoned():
    text = "network n(w=4) {\n    input x: [3, 8, 8]\n    output y = x -> conv(w, 1)\n}\nnetwork m = n(w=0)\n"
    doc = analyse(text, "/tmp/n.net")
    assert not check_others(doc, cancelled=lambda: True)
    assert doc.diagnostics == [] and not doc.checked


def test_hover_on_an_op_gives_costs_and_receptive_field():
    text = "network n() {\n    input x: [3, 32, 32]\n    output y = x -> conv1: conv(8, 3, pad=1) -> relu\n}\n"
    doc = cost(analyse(text, "/tmp/h.net"))
    result = features.hover(doc, 3, 22)
    assert result.contents.value.split("\n") == [
        "**conv** — network `n`", "", "`conv1` → **8×32×32**", "",
        "params 224 · MACs 221,184 · FLOPs 442,368", "receptive field 3×3"]
    assert result.range == lsp.Range(start=lsp.Position(line=2, character=27),
                                     end=lsp.Position(line=2, character=44))
    assert features.hover(doc, 3, 50).contents.value.startswith("**relu**")


def test_an_error_in_an_imported_file_is_shown_at_the_import(tmp_path):
    (tmp_path / "lib.net").write_text("block b(c) {\n    conv(c, 3) -> rellu\n}\n")
    text = 'import "lib.net"\nnetwork n() {\n    input x: [3, 8, 8]\n    output y = x -> b(4)\n}\n'
    doc = analyse(text, str(tmp_path / "n.net"))
    (d,) = features.diagnostics(doc)
    assert (d.range.start.line, d.range.start.character, d.range.end.character) == (0, 0, 16)
    assert d.related_information[0].message == "unknown op or block `rellu`"
    assert d.related_information[0].location.range.start == lsp.Position(line=1, character=18)
