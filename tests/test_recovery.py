"""Several syntax errors per run: each file of tests/malformed_multi/ holds 2 to 5
independent mistakes; every one is reported at its exact line:col, and nothing else
(no cascade from an earlier error)."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from netdsl.cli import main
from netdsl.diagnostics import CompileError
from netdsl.syntax import recovery
from netdsl.syntax.parser import _lark, _module, parse, parse_partial
from tests.conftest import EXAMPLES, NETS

CORPUS = Path(__file__).parent / "malformed_multi"

EXPECTED = {
    'bad_characters.net': [
        '3:15: error: unexpected character `@`',
        '4:39: error: unexpected character `!`',
        '5:29: error: unexpected character `?`',
    ],
    'block_header_errors.net': [
        '1:11: error: unexpected `,`; expected `)` or a name',
        '4:10: error: unexpected `)`: nothing is open here for it to close',
    ],
    'combinator_errors.net': [
        '3:30: error: unexpected `}`',
        '4:32: error: unexpected `relu`',
        '6:23: error: unexpected `}`',
    ],
    'dict_and_list_errors.net': [
        '1:27: error: unexpected `2`',
        '2:20: error: unexpected `,`',
    ],
    'five_errors.net': [
        '2:17: error: unexpected end of line after `*`',
        '3:13: error: `[` not closed',
        '5:33: error: unexpected end of line after `->`',
        '9:29: error: unexpected character `$`',
        '10:33: error: unexpected `=`',
    ],
    'if_for_errors.net': [
        '3:42: error: unexpected end of line; expected `if` or `{`',
        '4:37: error: unexpected `}`; expected `:`',
        '5:27: error: unexpected `range`; expected `in`',
    ],
    'input_errors.net': [
        '2:11: error: unexpected `x`; expected a label',
        '3:26: error: unexpected end of line; expected a name',
    ],
    'keyword_as_name.net': [
        '1:5: error: unexpected `for`; expected a name',
        '3:7: error: unexpected `if`; expected a name',
        '9:12: error: unexpected `network`; expected a name',
    ],
    'let_without_value.net': [
        '1:8: error: unexpected end of line after `=`',
        '3:9: error: unexpected `=`',
    ],
    'missing_brace_and_typos.net': [
        '1:15: error: `{` not closed',
        '6:41: error: unexpected `1`',
    ],
    'operators.net': [
        '3:18: error: unexpected `*`',
        '4:16: error: unexpected `*`',
        '5:16: error: unexpected end of line',
    ],
    'outputs.net': [
        '3:12: error: unexpected `=`; expected a name',
        '4:22: error: unexpected `x`; expected `=`',
        '5:21: error: unexpected `->`',
    ],
    'preset_errors.net': [
        '5:24: error: unexpected `)`',
        '6:20: error: `(` not closed',
        '7:16: error: unexpected `(`; expected a name',
    ],
    'resnet_draft.net': [
        '5:13: error: `(` not closed',
        '14:20: error: unexpected end of line after `*`',
        '16:64: error: unexpected `2`',
        '17:50: error: `]` does not close the `(` before it',
        '18:33: error: unexpected `->`',
    ],
    'stray_closers.net': [
        '3:31: error: unexpected `)`: nothing is open here for it to close',
        '4:30: error: `]` does not close the `(` before it',
        '6:1: error: unexpected `}`: nothing is open here for it to close',
    ],
    'unclosed_block_body.net': [
        '2:16: error: `{` not closed',
        '5:9: error: `(` not closed',
    ],
    'unclosed_paren_twice.net': [
        '3:25: error: `(` not closed',
        '7:27: error: `(` not closed',
    ],
    'unclosed_string.net': [
        '1:8: error: unexpected character `"`',
        '4:35: error: unexpected character `"`',
        '5:25: error: `(` not closed',
    ],
}


def test_corpus_is_complete():
    assert sorted(p.name for p in CORPUS.glob("*.net")) == sorted(EXPECTED)
    assert len(EXPECTED) >= 15
    assert all(2 <= len(errors) <= 5 for errors in EXPECTED.values())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_error_once_at_its_place(name, capsys):
    path = CORPUS / name
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    reported = [line.removeprefix(f"{path}:") for line in err.splitlines() if ": error: " in line]
    assert reported == EXPECTED[name]
    assert err.rstrip().endswith(f"{len(EXPECTED[name])} errors")
    assert "Traceback" not in err


def test_unclosed_brace_is_reported_at_its_opening_with_where_it_should_close():
    text = "block unit(c) {\n    conv(c, 3) -> relu\n\nnetwork n() {\n    input x: [3, 8, 8]\n" \
           "    output y = x -> unit(4)\n}\n"
    with pytest.raises(CompileError) as err:
        parse(text, "u.net")
    (d,) = err.value.diagnostics
    assert (d.message, d.span.line, d.span.col, d.hint) == ("`{` not closed", 1, 15, "add the missing `}`")
    assert d.notes[0][0] == "expected `}` before this" and (d.notes[0][1].line, d.notes[0][1].col) == (4, 1)


def test_unclosed_at_end_of_file():
    with pytest.raises(CompileError) as err:
        parse("network n() {\n    input x: [3, 8, 8]\n    output y = x -> conv(8, 3\n")
    assert [(d.message, d.span.line, d.span.col) for d in err.value.diagnostics] == [
        ("`{` not closed", 1, 13), ("`(` not closed", 3, 25)]
    assert err.value.diagnostics[1].notes == (("the file ends before its `)`", None),)


def test_wrapped_arguments_are_not_taken_for_an_unclosed_bracket():
    text = "let widths = [\n    64, 128,\n]\nlet x = max(1,\n2)\nnetwork n() {\n    input x: [3, 8, 8]\n" \
           "    output y = x -> conv(8,\n                         3) -> relu $\n}\n"
    with pytest.raises(CompileError) as err:
        parse(text)
    assert [(d.message, d.span.line) for d in err.value.diagnostics] == [("unexpected character `$`", 9)]


def test_partial_module_keeps_the_statements_without_errors():
    module, errors = parse_partial((CORPUS / "outputs.net").read_text(), "outputs.net")
    assert len(errors) == 3
    (network,) = module.items
    assert [type(s).__name__ for s in network.body.stmts] == ["Input", "Output"]
    assert network.body.stmts[1].name == "z"


def test_a_wrapped_parameter_list_does_not_misplace_its_body():
    """The body's braces pair by the line its statement starts on, not by the wrapped line holding
    the `{`: this file has one error, not also a `{` not closed and a stray `}`."""
    text = ("network n(a=1,\n          b=2) {\n    input x: [3, 8, 8]\n    y = x -> conv(4,\n"
            "                  3)\n    output z = y -> relu\n}\n\nnetwork m() {\n    input x: [3, 8, 8]\n"
            "    output y = x -> -> relu\n}\n")
    module, errors = parse_partial(text, "rec.net")
    assert [(e.span.line, e.span.col, e.message) for e in errors] == [(11, 21, "unexpected `->`")]
    assert [item.name for item in module.items] == ["n", "m"]


LIBRARY = sorted(NETS.glob("*.net")) + sorted(EXAMPLES.glob("*.net"))


@pytest.mark.parametrize("path", LIBRARY, ids=[p.name for p in LIBRARY])
def test_the_recovering_parser_builds_the_same_tree_on_valid_files(path):
    text = path.read_text(encoding="utf-8")
    parser = _lark()
    tokens, errors, refused = recovery.lex(parser, text, str(path))
    tokens, unbalanced = recovery.balance(tokens, str(path), refused)
    run = recovery.Recovery(parser, "start", lambda err, previous: pytest.fail(str(err)), refused)
    tree = run.parse(recovery.layout(parser, tokens))
    assert errors == unbalanced == run.errors == []
    assert _module(tree, str(path)) == parse(text, str(path))


def test_any_one_character_deleted_gives_diagnostics_not_tracebacks():
    text = (NETS / "googlenet.net").read_text(encoding="utf-8")
    rng = random.Random(7)
    for _ in range(150):
        pos = rng.randrange(len(text))
        broken = text[:pos] + text[pos + 1:]
        module, errors = parse_partial(broken, "g.net")
        assert all(d.span is not None and d.span.line >= 1 for d in errors)
        assert len(errors) <= 3, (pos, [d.message for d in errors])


def test_a_run_of_refused_characters_is_one_error_found_in_linear_time():
    text = "let a = 1 @@ 2\n" + "$" * 1_000_000 + "\nlet b = ?\n"
    start = time.perf_counter()
    _, errors = parse_partial(text, "r.net")
    assert time.perf_counter() - start < 2
    assert [(d.message, d.span.line, d.span.col, d.span.end_col) for d in errors] == [
        ("unexpected characters `@@`", 1, 11, 13),
        ("unexpected characters `" + "$" * 20 + "…`", 2, 1, 1_000_001),
        ("unexpected character `?`", 3, 9, 10),
    ]
