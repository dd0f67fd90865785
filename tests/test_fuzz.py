"""Fuzzing: whatever bytes a .net file holds, compiling it succeeds or raises a
CompileError whose every diagnostic points inside a file (or at no file, for
file-level messages). Any other exception, a hang or a bad location is a bug;
each one found is pinned in tests/test_regressions.py.

Two sources of input: mutations of the repository's own .net files (tokens and
lines deleted, duplicated and swapped, random bytes inserted, truncation), and
random well-formed programs (chains of ops, combinators, `for`, `if`, blocks,
labels), which reach deeper into elaboration than broken text does.

CI runs a fixed, reproducible sample (2,050 cases). A long run, with
fresh random cases each time:

    NETDSL_FUZZ_EXAMPLES=100000 pytest tests/test_fuzz.py
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import netdsl
from netdsl.cli import main
from netdsl.diagnostics import Diagnostic, Span, render, source_lines

REPO = Path(__file__).resolve().parents[1]
CORPUS = sorted([*(REPO / "nets").glob("*.net"), *(REPO / "examples").glob("*.net")])
TEXTS = {path: path.read_text(encoding="utf-8") for path in CORPUS}
NETWORKS = {path: re.findall(r"^network\s+(\w+)", text, re.M) for path, text in TEXTS.items()}

_LONG = os.environ.get("NETDSL_FUZZ_EXAMPLES")


def fuzz_settings(default: int):
    """CI: `default` cases, the same ones every run. On demand: the env var's count, fresh each run."""
    if _LONG:
        return settings(max_examples=int(_LONG), deadline=None, database=None,
                        suppress_health_check=list(HealthCheck))
    return settings(max_examples=default, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


# ---- the property ------------------------------------------------------------

def check_span(span: Span) -> None:
    """A span names a file that exists and a line:col inside it (col may sit just past the end)."""
    with open(span.path, encoding="utf-8-sig", errors="replace", newline="") as file:  # lines end at \n only
        lines = source_lines(file.read())
    assert 1 <= span.line <= len(lines), f"{span}: line outside the file's {len(lines)} lines"
    assert 1 <= span.col <= len(lines[span.line - 1]) + 1, f"{span}: column outside its line"
    assert (span.end_line, span.end_col) >= (span.line, span.col), f"{span}: ends before it starts"


def check_diagnostics(diagnostics: list[Diagnostic]) -> None:
    assert diagnostics, "a CompileError with no diagnostic"
    for diag in diagnostics:
        assert diag.message.strip()
        assert "Traceback" not in diag.message and "object at 0x" not in diag.message, diag.message
        for span in (diag.span, *(s for _, s in diag.notes)):
            if span is not None:
                check_span(span)
        render(diag)


def compile_or_diagnose(path: Path, net: str | None) -> None:
    """The property itself: success, or located diagnostics; anything else propagates and fails the test."""
    try:
        netdsl.load(path, net)
    except netdsl.CompileError as err:
        check_diagnostics(err.diagnostics)


def run_cli(argv: list[str]) -> None:
    """The same through the command line: exit 0 or 1 and no traceback on stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    assert code in (0, 1), (code, err.getvalue())
    assert "Traceback" not in err.getvalue()


# ---- mutations of real files -------------------------------------------------

TOKEN = re.compile(r"\w+|\s+|.", re.S)


@st.composite
def mutated(draw) -> tuple[Path, str, str | None]:
    """A corpus file with one to three random edits; returns (original, text, network to load)."""
    path = draw(st.sampled_from(CORPUS))
    text = TEXTS[path]
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["delete", "duplicate", "swap", "delete_line", "duplicate_line",
                                     "swap_lines", "insert", "insert_bytes", "truncate"]))
        text = _mutate(draw, kind, text)
    net = draw(st.sampled_from(NETWORKS[path] + [None]))
    return path, text, net


def _mutate(draw, kind: str, text: str) -> str:
    if kind.endswith("line") or kind.endswith("lines"):
        units = text.splitlines(keepends=True) or [""]
    else:
        units = TOKEN.findall(text) or [""]
    i = draw(st.integers(0, len(units) - 1))
    j = draw(st.integers(0, len(units) - 1))
    if kind in ("delete", "delete_line"):
        del units[i]
    elif kind in ("duplicate", "duplicate_line"):
        units.insert(i, units[i])
    elif kind in ("swap", "swap_lines"):
        units[i], units[j] = units[j], units[i]
    elif kind == "insert":
        units.insert(i, draw(st.sampled_from(["(", ")", "{", "}", "[", "]", "->", ":", ",", "=", "\n", "in",
                                              "for", "if", "else", "let", "block", "network", "import", '"',
                                              "\\", "#", "0", "-1", "1e999", "99999999999999999999", "__class__",
                                              "concat", "add", "{i}", "\t", "\r"])))
    elif kind == "insert_bytes":
        units.insert(i, draw(st.text(min_size=1, max_size=8)))
    else:
        return "".join(units)[:draw(st.integers(0, len(text)))]
    return "".join(units)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A copy of nets/ and examples/, so mutated files find the files they import."""
    root = tmp_path_factory.mktemp("fuzz")
    for path in CORPUS:
        (root / path.parent.name).mkdir(exist_ok=True)
        shutil.copy(path, root / path.parent.name / path.name)
    return root


@fuzz_settings(600)
@given(case=mutated(), cli=st.integers(0, 19))
def test_mutated_files(workdir: Path, case: tuple[Path, str, str | None], cli: int) -> None:
    original, text, net = case
    path = workdir / original.parent.name / f"fuzzed_{original.name}"
    path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
    compile_or_diagnose(path, net)
    if cli == 0:
        run_cli(["check", str(path)])


@fuzz_settings(150)
@given(data=st.binary(max_size=200))
def test_arbitrary_bytes(workdir: Path, data: bytes) -> None:
    path = workdir / "bytes.net"
    path.write_bytes(data)
    compile_or_diagnose(path, None)


# ---- random well-formed programs ---------------------------------------------

SMALL = st.integers(1, 4)
CHANNELS = st.sampled_from(["4", "8", "16", "c", "in.c", "c * 2", "in.c // 2", "0", "-1"])
KERNEL = st.sampled_from(["1", "3", "5", "[1, 3]", "k", "0", "99"])
SIMPLE = ["relu", "bn", "sigmoid", "gelu", "identity", "dropout(0.1)", "flatten", "global_avgpool",
          "softmax", "tanh", "shuffle(2)", "scale(0.5)"]


@st.composite
def op_step(draw) -> str:
    choice = draw(st.integers(0, 6))
    if choice == 0:
        return f"conv({draw(CHANNELS)}, {draw(KERNEL)}, stride={draw(st.sampled_from(['1', '2', 's']))}," \
               f" pad={draw(st.sampled_from(['0', '1', 'k // 2']))})"
    if choice == 1:
        return f"maxpool({draw(KERNEL)}, stride={draw(SMALL)}, ceil={draw(st.sampled_from(['true', 'false']))})"
    if choice == 2:
        return f"avgpool({draw(KERNEL)})"
    if choice == 3:
        return f"linear({draw(CHANNELS)})"
    if choice == 4:
        return f"slice({draw(st.integers(0, 4))}, {draw(st.integers(0, 8))})"
    if choice == 5:
        return f"unit({draw(CHANNELS)})"
    return draw(st.sampled_from(SIMPLE))


def _chain(inner: st.SearchStrategy[str] | None) -> st.SearchStrategy[str]:
    """A chain of steps whose nested bodies are `inner` chains (none: only ops, so programs stay small)."""
    step = OP_STEP
    if inner is not None:
        step = st.one_of(
            OP_STEP,
            st.builds(lambda op, branches: f"{op} {{\n" + "\n".join(branches) + "\n}",
                      st.sampled_from(["concat", "add", "mul"]), st.lists(inner, min_size=1, max_size=3)),
            st.builds(lambda n, body: f"for i in range({n}) {{ {body} }}", st.integers(0, 3), inner),
            st.builds(lambda test, then, orelse: f"if {test} {{ {then} }} else {{ {orelse} }}",
                      st.sampled_from(["true", "c > 4", "in.c == c", "i == 0"]), inner, inner),
            st.builds(lambda label, body: f"{label}: {body}",
                      st.sampled_from(["a", "b", "layer{i}", "x", "block"]), OP_STEP),
            st.builds(lambda body: f"({body})", inner),
        )
    return st.lists(step, min_size=1, max_size=4).map(" -> ".join)


# Built once: drawing from a strategy is cheap, building one is not.
OP_STEP = op_step()
CHAIN_0 = _chain(None)
CHAIN_1 = _chain(CHAIN_0)
CHAIN_2 = _chain(CHAIN_1)


@st.composite
def program(draw) -> str:
    unit_body = draw(CHAIN_1)
    body = draw(CHAIN_2)
    shape = draw(st.sampled_from(["[3, 16, 16]", "[8, 8, 8]", "[10]", "[3, 1, 1]", "[0, 4, 4]"]))
    lets = draw(st.lists(st.sampled_from(["let k = 3", "let s = 2", "let c = 8", "let i = 1",
                                          "let c = c * 2", "let k = [1, 3][i]", "let s = k // 0"]), max_size=3))
    return ("block unit(c, k=3, s=1) {\n    " + unit_body + "\n}\n\n"
            "network fuzz(c=8, k=3, s=1) {\n    input x: " + shape + "\n    "
            + "\n    ".join(lets) + ("\n    " if lets else "") + "output y = x -> " + body + "\n}\n")


@fuzz_settings(1300)
@given(text=program(), cli=st.integers(0, 19))
def test_generated_programs(workdir: Path, text: str, cli: int) -> None:
    path = workdir / "fuzz.net"
    path.write_text(text)
    compile_or_diagnose(path, "fuzz")
    if cli == 0:
        run_cli(["summary", str(path), "--json"])
