"""The surface syntax: quoted labels (every PyTorch key can be spelled), keywords that
match whole words only, and the math built-ins that derive widths in the language."""

from __future__ import annotations

from pathlib import Path

import pytest

import netdsl
from netdsl.diagnostics import CompileError, Span
from netdsl.highlight import grammar_keywords
from netdsl.syntax import ast, parser
from netdsl.syntax.format import format_source
from netdsl.syntax.parser import parse

QUOTED = """\
network n() {
    input x: [3, 8, 8]
    output y = x -> for s in range(2) { "block{s + 1}-0": conv(4, 3, pad=1) } -> "stem-x": relu
        -> plain: conv(2, 1)
}
"""


def load(tmp_path, text: str, **params):
    path = tmp_path / "t.net"
    path.write_text(text, encoding="utf-8")
    return netdsl.load(path, **params)


def test_quoted_labels_name_layers_with_a_dash(tmp_path):
    names = list(load(tmp_path, QUOTED).graph.nodes)
    assert names == ["x", "block1-0", "block2-0", "stem-x", "plain"]


def test_quoted_label_is_parsed_with_its_span_and_computed_parts():
    chain = parse(QUOTED).items[0].body.stmts[1].value
    labelled = chain.steps[2]
    assert isinstance(labelled, ast.Labelled) and labelled.label.quoted
    assert labelled.label.parts == ("stem-x",)
    assert (labelled.label.span.line, labelled.label.span.col, labelled.label.span.end_col) == (3, 82, 90)
    loop_label = chain.steps[1].body.stmts[0].value.label
    assert loop_label.parts[0] == "block" and isinstance(loop_label.parts[1], ast.BinOp)
    assert loop_label.parts[1].span.col == 48  # `s + 1` inside the quotes
    assert loop_label.parts[2] == "-0"


def test_fmt_keeps_quoted_labels():
    assert format_source(QUOTED) == QUOTED
    assert '"block{s + 1}-0":' in format_source(QUOTED.replace("{s + 1}", "{s+1}"))


def test_quoted_label_may_not_hold_a_dot(tmp_path):
    with pytest.raises(CompileError) as err:
        load(tmp_path, QUOTED.replace('"stem-x"', '"stem.x"'))
    assert str(err.value.diagnostics[0].message) == 'label "stem.x" may hold only letters, digits, `_` and `-`'
    assert err.value.diagnostics[0].span.line == 3


def test_unquoted_label_still_refuses_a_dash_made_by_a_computed_part(tmp_path):
    with pytest.raises(CompileError) as err:
        load(tmp_path, QUOTED.replace('"stem-x"', 'stem{"-"}x'))
    assert err.value.diagnostics[0].message == "label `stem-x` may hold only letters, digits and `_`"


def test_dict_keys_in_quotes_stay_strings(tmp_path):
    text = 'let widths = {"A": 4, "b-c": 6}\nnetwork n() {\n    input x: [3, 8, 8]\n' \
           '    output y = x -> conv(widths["A"] + widths["b-c"], 1)\n}\n'
    assert load(tmp_path, text).network.graph.nodes["y.0"]["node"].shape == (10, 8, 8)


def test_an_input_needs_a_plain_name():
    with pytest.raises(CompileError) as err:
        parse('network n() {\n    input "a-b": [3, 8, 8]\n}\n')
    d = err.value.diagnostics[0]
    assert (d.span.line, d.span.col) == (2, 11) and d.message.startswith("an input is named by a plain name")


# ---- keywords match whole words only (issue 10.10) ------------------------------

KEYWORDS = grammar_keywords() + ["concat", "add", "mul"]


@pytest.mark.parametrize("keyword", sorted(set(KEYWORDS)))
@pytest.mark.parametrize("form", ["{}x", "x{}", "{}_1", "{}in", "_{}"])
def test_a_keyword_inside_a_name_is_a_name(tmp_path, keyword, form):
    name = form.format(keyword)
    text = f"let {name} = 2\nnetwork n() {{\n    input x: [3, 8, 8]\n" \
           f"    output y = x -> {name}: conv({name}, 1)\n}}\n"
    model = load(tmp_path, text)
    assert model.graph.nodes[name]["node"].shape == (2, 8, 8)


def test_multiplier_and_multihead_attention_are_names():
    module = parse("let multiplier = 2\nlet multihead_attention = multiplier * 2\n")
    assert [item.name for item in module.items] == ["multiplier", "multihead_attention"]


def test_combinators_still_work_as_keywords(tmp_path):
    text = "network n() {\n    input x: [3, 8, 8]\n    output y = x -> concat { relu\n conv(5, 1) } " \
           "-> add { identity\n relu } -> mul { identity\n sigmoid }\n}\n"
    assert load(tmp_path, text).network.graph.nodes["y.2"]["node"].shape == (8, 8, 8)


# ---- math built-ins -----------------------------------------------------------

@pytest.mark.parametrize("expr,value", [
    ("log(8, 2)", 3), ("log2(1024)", 10), ("ceil(2.1)", 3), ("floor(2.9)", 2), ("round(2.6)", 3),
    ("int(round(log(256 / 16) / log(2)))", 4), ("sqrt(16)", 4), ("round(exp(0))", 1), ("floor(-0.5)", -1),
])
def test_math_builtins(tmp_path, expr, value):
    text = f"network n() {{\n    input x: [3, 8, 8]\n    output y = x -> conv(int({expr}) + 4, 1)\n}}\n"
    assert load(tmp_path, text).network.graph.nodes["y.0"]["node"].shape == (value + 4, 8, 8)


@pytest.mark.parametrize("expr,message", [
    ("log(0)", "log: math domain error"), ('ceil("x")', "ceil takes a number"),
    ("log2(2, 3)", "log2 takes a number"), ("log(1, 2, 3)", "log takes 1 to 2 numbers"),
    ("floor([1])", "floor takes a number"), ("exp(1000)", "exp: math range error"),
])
def test_math_builtins_refuse_bad_arguments_at_the_call(tmp_path, expr, message):
    with pytest.raises(CompileError) as err:
        load(tmp_path, f"let v = {expr}\n")
    d = err.value.diagnostics[0]
    assert d.message == message and (d.span.line, d.span.col) == (1, 9)


def test_quoted_labels_are_the_state_dict_keys(tmp_path):
    module = load(tmp_path, QUOTED.replace("relu", "conv(3, 1)")).to_torch()
    assert list(module.state_dict()) == ["block1-0.weight", "block1-0.bias", "block2-0.weight", "block2-0.bias",
                                         "stem-x.weight", "stem-x.bias", "plain.weight", "plain.bias"]


# ---- the AST built during the parse is the tree pass's, spans included ----------------

_LIBRARY = sorted(Path(__file__).resolve().parent.parent.glob("nets/*.net")) + \
    sorted(Path(__file__).resolve().parent.parent.glob("examples/*.net"))

_CORNERS = """\
import "x.net"
let k = 3
block b(c, s=1) (a, z) {
    input image: [3, 224, 224] as C, H, W
    p, q = a, z
    train output aux = in -> conv(c, k) -> relu
    return concat { a -> relu; z } -> "blk{s}-0": bn() -> f[1].g(x=-2 ** 2, y={"a": 1, b: [1, 2,],},)
}
network n(w=1.5e3) {
    input x: [3, 8, 8]
    output y = x -> if w > 1 and not false { relu } else if w { gelu } else { id }
        -> for i in range(2) { l{i}: conv(8, 3) } -> (1 if true else 2) % 3 // 2
}
network m = n(w=2)
"""


@pytest.mark.parametrize("path", _LIBRARY, ids=lambda p: p.name)
def test_streaming_ast_is_the_tree_pass_ast(path):
    """Every node of the library, span and all, as the parse tree → AST pass builds it."""
    text = path.read_text(encoding="utf-8")
    assert parser._parse_streaming(text, str(path)) == parser._module(parser._run(text, str(path), "start"), str(path))


def test_streaming_ast_corners():
    """Optional parts, trailing commas, axis names that end a statement, labels, chains across lines."""
    module = parser._parse_streaming(_CORNERS, "c.net")
    assert module == parser._module(parser._run(_CORNERS, "c.net", "start"), "c.net")
    block = module.items[2]
    assert block.span == Span("c.net", 3, 1, 8, 2)
    assert block.body.stmts[0].span == Span("c.net", 4, 5, 4, 42)


@pytest.mark.parametrize("path", _LIBRARY[:8], ids=lambda p: p.name)
def test_streaming_tokens_are_larks(path):
    """The one-loop lexer gives lark's tokens: types (keywords retyped), text and every position."""
    from lark.lexer import LexerState
    from lark.utils import TextSlice

    from netdsl.syntax.streaming import _lex

    text = path.read_text(encoding="utf-8") + _CORNERS + "x # comment\n\\\n  y\r\n"
    lark, _ = parser._streaming()
    fields = ("type", "value", "start_pos", "line", "column", "end_line", "end_column", "end_pos")
    ours = [tuple(getattr(t, f) for f in fields) for t in _lex(lark._build_lexer(), text)]
    theirs = lark._build_lexer().lex(LexerState(TextSlice.cast_from(text)), None)
    assert ours == [tuple(getattr(t, f) for f in fields) for t in theirs]
