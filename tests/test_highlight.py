"""The Pygments lexer gives every token kind of the grammar its class, and
diagnostics are coloured only when asked."""

from __future__ import annotations

import re

import pytest
from lark import Lark
from pygments.token import Comment, Error, Keyword, Name, Number, Operator, Punctuation, String, Text

from netdsl.diagnostics import Diagnostic, Span, render
from netdsl.elaborate.expressions import BUILTINS
from netdsl.highlight import NetdslLexer, grammar_keywords, rich_text, use_color
from netdsl.ops import OPS
from netdsl.syntax.parser import grammar_path
from tests.conftest import EXAMPLES, NETS

# Terminals whose pattern is not a list of literal spellings: samples of each.
SAMPLES = {
    "NAME": (["width", "_x1"], Name),
    "NUMBER": (["3", "0.5", "1e-5", ".5", "2.", "1.5E+3"], Number),
    "STRING": (['"A"', r'"say \"hi\""'], String),
    "LABEL": (["conv1:", "layer{i + 1}:", "block{i}_{j}:", "a :", '"block1-0":', '"block{s}-{i}" :'], Name.Label),
    "COMBINATOR": (["concat", "add", "mul"], Keyword),
    "COMMENT": (["# a comment"], Comment),
    "_NL": (["\n"], Text),
    "__IGNORE_0": ([" \t"], Text),
    "__IGNORE_1": (["\\\n"], Text),
}
WORD_CLASSES = {"and": Operator.Word, "or": Operator.Word, "not": Operator.Word,
                "true": Keyword.Constant, "false": Keyword.Constant}
# Where a word means something else alone, the context that makes it a keyword.
CONTEXTS = {"in": "for i in x", "concat": "concat { a }", "add": "add { a }", "mul": "mul { a }"}


def terminals():
    return Lark(grammar_path().read_text(encoding="utf-8"), parser="lalr", lexer="basic").terminals


def literals(pattern) -> list[str] | None:
    """The spellings of a terminal that is a literal or an alternation of literals."""
    if pattern.type == "str":
        return [pattern.value]
    body = re.fullmatch(r"\(\?:(.*)\)", pattern.value)
    alternatives = (body.group(1) if body else pattern.value).split("|")
    if all(re.fullmatch(r"(\\.|[^.^$*+?()\[\]{}|\\])+", alt) for alt in alternatives):
        return [re.sub(r"\\(.)", r"\1", alt) for alt in alternatives]
    return None


def expected_class(spelling: str):
    if spelling.isidentifier():
        return WORD_CLASSES.get(spelling, Keyword)
    return Punctuation if spelling in "()[]{},;:." else Operator


def token_of(sample: str, context: str | None = None):
    """The class the lexer gives `sample`, lexed alone or inside its context."""
    tokens = list(NetdslLexer().get_tokens_unprocessed(context or sample))
    start = re.search(rf"(?<!\w){re.escape(sample)}(?!\w)", context).start() if context else 0
    return next(t for pos, t, v in tokens if pos == start)


CASES = []
for terminal in terminals():
    spellings = literals(terminal.pattern)
    if spellings is None:
        assert terminal.name in SAMPLES, f"grammar terminal {terminal.name} has no highlighting sample"
        samples, cls = SAMPLES[terminal.name]
        CASES += [(terminal.name, s, cls) for s in samples]
    else:
        CASES += [(terminal.name, s, expected_class(s)) for s in spellings]


@pytest.mark.parametrize("terminal,sample,cls", CASES, ids=[f"{t}:{s!r}" for t, s, _ in CASES])
def test_every_terminal_of_the_grammar_has_its_class(terminal, sample, cls):
    assert token_of(sample, CONTEXTS.get(sample)) in cls


def test_every_keyword_of_the_grammar_is_walked():
    walked = {sample for _, sample, _ in CASES}
    assert set(grammar_keywords()) <= walked
    assert {"let", "network", "block", "train", "output", "input", "for", "if", "else"} <= set(grammar_keywords())


@pytest.mark.parametrize("op", sorted(set(OPS) - {"input"}))  # `input` is only ever the declaration
def test_every_op_is_a_builtin(op):
    assert token_of(op, f"x -> {op}(1)") in Name.Builtin


@pytest.mark.parametrize("function", sorted(BUILTINS))
def test_every_builtin_function_is_a_builtin(function):
    assert token_of(function, f"let n = {function}(3)") in Name.Function.Builtin


def test_context_words():
    assert token_of("in", "in.c // 2") in Name.Builtin.Pseudo
    assert token_of("c", "in.c // 2") in Name.Attribute
    assert token_of("i", "for i in range(3)") in Name.Variable
    assert token_of("resnet", "network resnet(depth=50)") in Name.Function
    assert token_of("output", "output: linear(10)") in Name.Label
    assert token_of("-", "x -> y") in Operator and token_of("->", "x -> y") in Operator


@pytest.mark.parametrize("path", sorted(NETS.glob("*.net")) + sorted(EXAMPLES.glob("*.net")), ids=lambda p: p.name)
def test_library_files_lex_without_errors(path):
    text = path.read_text(encoding="utf-8")
    tokens = list(NetdslLexer().get_tokens(text))
    assert not [v for t, v in tokens if t in Error]
    assert "".join(v for _, v in tokens) == text


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_diagnostics_are_plain_unless_coloured(tmp_path):
    path = tmp_path / "m.net"
    path.write_text("network n() {\n    output y = x -> conv(4, 3)\n}\n")
    diag = Diagnostic("unknown name `x`", Span(str(path), 2, 16, 2, 17))
    plain, coloured = render(diag), render(diag, color=True)
    assert not ANSI.search(plain)
    assert ANSI.search(coloured) and ANSI.sub("", coloured) == plain


def test_colour_only_on_a_terminal_without_no_color(monkeypatch):
    class Tty:
        def isatty(self):
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_color(Tty())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color(Tty())
    monkeypatch.delenv("NO_COLOR")
    assert not use_color(open(__file__))


def test_rich_text_marks_a_span():
    code = "network n() {\n    output y = x -> conv(4, 3)\n}\n"
    col = code.splitlines()[1].index("->") + 1
    text = rich_text(code, Span("m.net", 2, col, 2, col + 2))
    assert text.plain == code.rstrip("\n")
    marked = [s for s in text.spans if s.style == "reverse"]
    assert [text.plain[s.start:s.end] for s in marked] == ["->"]
    assert any(s.start == code.index("conv") for s in text.spans if s.style != "reverse")


def test_registered_as_a_pygments_entry_point():
    import importlib
    import tomllib

    from tests.conftest import REPO

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    module, _, name = project["entry-points"]["pygments.lexers"]["netdsl"].partition(":")
    assert getattr(importlib.import_module(module), name) is NetdslLexer
