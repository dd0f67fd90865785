"""Crashes found by probing and fuzzing (tests/test_fuzz.py), each pinned as the
plain diagnostic it now gives: the message and the exact line:col.

Before each fix these raised a Python exception (a traceback for the user),
hung, or let a non-number (inf, nan, complex) into the compile.
"""

from __future__ import annotations

import pytest

import netdsl
from netdsl.diagnostics import render

# `let v = EXPR` on line 3, column 10 of this network.
LET = "network p() {{\n    input x: [3, 8, 8]\n    let v = {}\n    output y = x -> relu\n}}\n"

CASES = [
    # ZeroDivisionError / ValueError / TypeError out of the built-ins
    ("range_step_zero", LET.format("range(0, 10, 0)"), "3:13", "range: the step must not be zero"),
    ("make_divisible_zero", LET.format("make_divisible(5, 0)"), "3:13",
     "make_divisible takes a number, a positive integer divisor"),
    ("make_divisible_string", LET.format('make_divisible("a")'), "3:13", "make_divisible takes a number"),
    ("make_divisible_huge", LET.format("make_divisible(1e300)"), "3:13", "make_divisible: number too large"),
    ("builtin_named_argument", LET.format("max([1], key=1)"), "3:13", "max takes no named arguments"),
    ("range_named_argument", LET.format("range(stop=3)"), "3:13", "range takes one to three integers"),
    # nested lists reached Python's sum (unbounded concatenation) and min (deep comparison)
    ("sum_of_lists", LET.format("sum([[1], [2]], [])"), "3:13", "sum works on numbers and strings"),
    ("min_of_lists", LET.format("min([[1], [2]])"), "3:13", "min works on numbers and strings"),
    # arithmetic that Python answers with an exception or a complex number
    ("zero_to_negative_power", LET.format("0 ** -1"), "3:18", "division by zero"),
    ("float_zero_to_negative_power", LET.format("0.0 ** -1"), "3:20", "division by zero"),
    ("complex_power", LET.format("(-8) ** 0.5"), "3:13", "a negative number to a fractional power has no real value"),
    # non-finite and huge numbers from literals and built-ins
    ("float_literal_overflow", LET.format("1e400"), "3:13", "number too large"),
    ("float_nan", LET.format('float("nan")'), "3:13", "float: not a number"),
    ("float_inf", LET.format('float("1e400")'), "3:13", "float: number too large"),
    ("int_of_huge_float", LET.format("int(1e300)"), "3:13", "int: number too large"),
    ("sum_overflow", LET.format("sum([1e308, 1e308])"), "3:13", "sum: number too large"),
    # UnicodeDecodeError from a string escape
    ("bad_escape", LET.format('"\\x"'), "3:13", "bad escape in a string"),
    ("bad_escape_in_import", 'import "\\N{nope}.net"\n', "1:8", "bad escape in a string"),
    # AttributeError: a layer-making step where a value is wanted
    ("for_as_value", "let x = for i in range(3) { relu }\n", "1:9", "`for` makes layers, not a value"),
    ("combinator_as_value", "let x = concat { relu }\n", "1:9", "a combinator makes layers, not a value"),
    ("for_as_default", "network p(a = for i in range(3) { relu }) {\n    input x: [3, 8, 8]\n"
                       "    output y = x -> relu\n}\n", "1:15", "`for` makes layers, not a value"),
    # TypeError: unhashable dict key
    ("list_as_dict_key", LET.format("{1: 2}[[1]]"), "3:20", "a dict key is a number or a string, not a list"),
    # RecursionError comparing lists nested by a loop
    ("deep_list", "network p() {\n    input x: [3, 8, 8]\n    let a = []\n"
                  "    for i in range(5000) { a = [a] }\n    let v = a == a\n    output y = x -> relu\n}\n",
     "4:32", "lists nested more than 100 deep"),
    # lark VisitError traceback from a bad computed label
    ("empty_label_part", "network p() {\n    input x: [3, 8, 8]\n    output y = x -> a{}: relu\n}\n",
     "3:22", "`{}` in a label: unexpected end of file"),
    ("bad_label_part", "network p() {\n    input x: [3, 8, 8]\n    output y = x -> a{1 +}: relu\n}\n",
     "3:22", "`{1 +}` in a label"),
    # memory blow-up: a string doubled in a loop
    ("string_doubling", "network p() {\n    input x: [3, 8, 8]\n    let s = \"ab\"\n"
                        "    for i in range(40) { s = s + s }\n    output y = x -> relu\n}\n",
     "4:30", "steps to work out at compile time"),
    ("list_concatenation", "network p() {\n    input x: [3, 8, 8]\n    let a = [0] * 600000\n"
                           "    let v = a + a\n    output y = x -> relu\n}\n",
     "3:13", "steps to work out at compile time"),  # the work budget now stops it before the list limit
    # RecursionError in the tree → AST pass: long operator chains nest without brackets
    ("long_sum", LET.format("1" + " + 1" * 600), "3:1153", "nested more than 320 levels deep"),
    ("many_minus_signs", LET.format("-" * 600 + "1"), "3:329", "nested more than 320 levels deep"),
    ("long_ternary", LET.format("1 if true else " * 400 + "1"), "3:4753", "nested more than 320 levels deep"),
    # RecursionError in the elaborator: blocks that each nest deeply, calling each other
    ("deep_blocks_of_deep_ifs", "".join(f"block b{i}() {{ " + "if true { " * 60 + f"b{i + 1}()" + " }" * 60 + " }\n"
                                        for i in range(60))
     + "block b60() { relu }\nnetwork p() {\n    input x: [3, 8, 8]\n    output y = x -> b0()\n}\n",
     "62:1", "network `p` nests blocks, `if`, `for` and combinators too deeply"),
    # AttributeError in the graph builder: a chain starting from a plain value (found by the long fuzz run,
    # from squeezenet.net with its `output` line deleted, so the input shape ran on into the chain)
    ("value_into_chain", LET.format("3 -> relu"), "3:13", "`->` needs a tensor on its left, not the number 3"),
    ("shape_into_chain", "network p() {\n    input x: [3, 8, 8]\n        -> f: (relu)\n}\n",
     "2:14", "`->` needs a tensor on its left, not a list"),
    # a hang: 9 million loop passes
    ("nested_loops", "network p() {\n    input x: [3, 8, 8]\n"
                     "    for i in range(3000) { for j in range(3000) { let z = 1 } }\n"
                     "    output y = x -> relu\n}\n", None, "steps to work out at compile time"),
]


@pytest.mark.parametrize("text, where, message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_crash_is_a_diagnostic(tmp_path, text: str, where: str | None, message: str) -> None:
    path = tmp_path / "p.net"
    path.write_text(text)
    with pytest.raises(netdsl.CompileError) as err:
        netdsl.load(path)
    first = err.value.diagnostics[0]
    assert message in first.message
    if where is not None:
        assert f"{first.span.line}:{first.span.col}" == where, first


def test_byte_order_mark_is_not_code(tmp_path) -> None:
    """A BOM from a Windows editor was `unexpected character` at 1:1."""
    path = tmp_path / "p.net"
    path.write_bytes("\ufeffnetwork p() {\n    input x: [3, 8, 8]\n    output y = x -> relu\n}\n".encode())
    assert len(netdsl.load(path).graph) == 2


@pytest.mark.parametrize("separator", ["\f", "\x1e", "\v", "\u2028"])
def test_quoted_line_after_odd_line_separators(tmp_path, separator: str) -> None:
    """str.splitlines splits at \\f, \\x1e, \\v, U+2028 but the lexer counts only \\n, so the
    diagnostic quoted (and the fuzzer's bounds check saw) the wrong line; found by the long fuzz run."""
    path = tmp_path / "p.net"
    path.write_text(f"#{separator} a comment\nnetwork p() {{\n    input x: [3, 8, 8]\n    output y = x -> nope\n}}\n")
    with pytest.raises(netdsl.CompileError) as err:
        netdsl.load(path)
    diag = err.value.diagnostics[0]
    assert (diag.span.line, diag.span.col) == (4, 21)
    assert render(diag).splitlines()[1].endswith("    output y = x -> nope")
