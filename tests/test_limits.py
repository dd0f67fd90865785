"""Every limit is a clear diagnostic at the offending place, reached quickly.

Each test asserts the message, the line:col, and a time bound measured around
the compile. The bounds are generous (these machines are noisy); the point is
"seconds, not a hang", and the figures are in docs/robustness.md.
"""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

import netdsl
from netdsl.cli import main
from netdsl.diagnostics import Diagnostic, render
from netdsl.elaborate.elaborator import Limits

BOUND_S = 2.0


def diagnose(path: Path, bound: float = BOUND_S, **kwargs) -> tuple[Diagnostic, float]:
    """The first diagnostic of compiling `path`, and the seconds it took (asserted under `bound`)."""
    start = time.perf_counter()
    with pytest.raises(netdsl.CompileError) as err:
        netdsl.load(path, **kwargs)
    elapsed = time.perf_counter() - start
    assert elapsed < bound, f"took {elapsed:.2f} s"
    return err.value.diagnostics[0], elapsed


def where(diag: Diagnostic) -> str:
    return f"{diag.span.line}:{diag.span.col}"


def write(tmp_path: Path, text: str, name: str = "p.net") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def network(body: str, shape: str = "[3, 32, 32]") -> str:
    return f"network p() {{\n    input x: {shape}\n    output y = x -> {body}\n}}\n"


def test_huge_range(tmp_path):
    diag, _ = diagnose(write(tmp_path, network("for i in range(10 ** 15) { relu }")))
    assert diag.message == "range of 1,000,000,000,000,000 items is over the limit of 100,000"
    assert where(diag) == "3:30"


def test_node_budget_from_the_api(tmp_path):
    path = write(tmp_path, network("for i in range(500) { relu }"))
    diag, _ = diagnose(path, limits=Limits(node_budget=100))
    assert diag.message == "the network has more than 100 layers"
    assert where(diag) == "3:43"
    assert "--max-nodes" in diag.hint
    assert len(netdsl.load(path, limits=Limits(node_budget=600)).graph) == 501


def test_node_budget_from_the_command_line(tmp_path, capsys):
    path = write(tmp_path, network("for i in range(500) { relu }"))
    start = time.perf_counter()
    assert main(["summary", str(path), "--json", "--max-nodes", "100"]) == 1
    assert main(["check", str(path), "--max-nodes", "100"]) == 1
    assert time.perf_counter() - start < 2 * BOUND_S
    assert "p.net:3:43: error: the network has more than 100 layers" in capsys.readouterr().err
    assert main(["check", str(path), "--max-nodes", "600"]) == 0


@pytest.mark.slow
def test_default_node_budget(tmp_path):
    """100,000 layers: nested loops of cheap steps reach the default node budget before the work budget."""
    text = network("for i in range(101) { for j in range(1000) { relu } }")
    diag, _ = diagnose(write(tmp_path, text), bound=120)
    assert diag.message == "the network has more than 100,000 layers"


def test_infinite_block_recursion(tmp_path):
    diag, _ = diagnose(write(tmp_path, "block loop(c) { conv(c, 1) -> loop(c) }\n" + network("loop(3)")))
    assert diag.message == "blocks call each other more than 64 deep (is `loop` recursive?)"
    assert where(diag) == "1:31"


def test_mutual_block_recursion(tmp_path):
    text = "block ping() { relu -> pong() }\nblock pong() { ping() }\n" + network("ping()")
    diag, _ = diagnose(write(tmp_path, text))
    assert "blocks call each other more than 64 deep" in diag.message
    assert where(diag) in ("1:24", "2:16")


def test_exponential_recursion_within_a_budget(tmp_path):
    text = "block b(n) { if n > 0 { relu -> b(n - 1) -> b(n - 1) } else { relu } }\n" + network("b(40)")
    diag, _ = diagnose(write(tmp_path, text), limits=Limits(node_budget=2000))
    assert diag.message == "the network has more than 2,000 layers"


def test_runaway_loops(tmp_path):
    text = network("relu", "[3, 8, 8]").replace(
        "    output", "    for i in range(100000) { for j in range(100000) { let z = i * j } }\n    output")
    diag, elapsed = diagnose(write(tmp_path, text), bound=15)
    assert diag.message == "this takes more than 300,000 steps to work out at compile time"
    assert where(diag) == "3:67"
    assert diag.notes[0][0] == "inside this loop" and (diag.notes[0][1].line, diag.notes[0][1].col) == (3, 39)
    diag, _ = diagnose(write(tmp_path, text), limits=Limits(work_budget=10_000))
    assert diag.message == "this takes more than 10,000 steps to work out at compile time"


def test_import_cycle(tmp_path):
    write(tmp_path, 'import "b.net"\n' + network("relu"), "a.net")
    write(tmp_path, 'import "a.net"\nblock unit() { relu }\n', "b.net")
    diag, _ = diagnose(tmp_path / "a.net")
    assert diag.message == "import cycle: a.net → b.net → a.net"
    assert diag.span.path.endswith("b.net") and where(diag) == "1:1"


def test_self_import(tmp_path):
    diag, _ = diagnose(write(tmp_path, 'import "p.net"\n' + network("relu")))
    assert diag.message == "import cycle: p.net → p.net"


@pytest.mark.parametrize("shape, body, message, at", [
    ("[1000000, 1000000, 1]", "relu", "tensor of 1000000×1000000×1 = 1,000,000,000,000 elements", "2:5"),
    ("[3, 1000, 1000]", "conv(1000000, 1)", "tensor of 1000000×1000×1000 = 1,000,000,000,000 elements", "3:21"),
    ("[1000000]", "linear(1000000)", "linear would have 1,000,001,000,000 parameters", "3:21"),
    ("[3, 32, 32]", "conv(1000000, 1) -> conv(1000000, 1)", "conv would have 1,000,001,000,000 parameters", "3:41"),
])
def test_integer_blowups_are_reported_not_allocated(tmp_path, shape, body, message, at):
    tracemalloc.start()
    try:
        diag, _ = diagnose(write(tmp_path, network(body, shape)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert message in diag.message and "beyond netdsl's limit of 68,719,476,736" in diag.message
    assert where(diag) == at
    assert peak < 50 << 20, f"peak {peak:,} bytes"


@pytest.mark.parametrize("body, message", [
    ("conv(8, 3, stride=1000000000)", "conv: `stride` = 1,000,000,000 is beyond netdsl's limit"),
    ("conv(8, 10 ** 20)", "number too large"),
    ("conv(8, 99999999)", "conv: `kernel` = 99,999,999 is beyond netdsl's limit"),
    ("conv(8, 1048576)", "conv: output height would be -1048543"),
    ("maxpool(3, stride=-1)", "maxpool: `stride` must be at least 1, not -1"),
    ("conv(8, 3, dilation=1048576)", "conv: output height would be -2097120"),
    ("conv(8, 3, pad=1048576)", "beyond netdsl's limit of 68,719,476,736"),
])
def test_absurd_kernels_and_strides(tmp_path, body, message):
    diag, _ = diagnose(write(tmp_path, network(body)))
    assert message in diag.message
    assert diag.span.line == 3 and diag.span.col >= 21


def test_one_megabyte_line(tmp_path):
    """An error on a 1 MB line: found fast, and neither message nor quote is a megabyte long."""
    long = "a" * (1 << 20)
    path = write(tmp_path, f'network p() {{\n    input x: [3, 8, 8]\n    let s = "{long}" + 1\n'
                           "    output y = x -> relu\n}\n")
    diag, _ = diagnose(path)
    assert diag.message.startswith("`+` cannot combine a string of 1,048,576 characters")
    assert where(diag) == "3:13"
    assert max(len(line) for line in render(diag).splitlines()) < 300


def test_caret_far_along_a_long_line(tmp_path):
    """The quote of a long line is cut around the error, and the caret still points at it."""
    path = write(tmp_path, network("relu -> " * 2_000 + "nope"))
    diag, _ = diagnose(path, bound=10)
    assert diag.message == "unknown op or block `nope`" and where(diag) == "3:16021"
    title, quoted, caret = render(diag).splitlines()[:3]
    assert len(quoted) < 300 and len(caret) < 300
    assert quoted[caret.index("^"):].startswith("nope")


def test_deep_brackets(tmp_path):
    diag, _ = diagnose(write(tmp_path, network("(" * 10_000 + "relu" + ")" * 10_000)))
    assert diag.message == "brackets nested more than 100 deep" and where(diag) == "3:120"


def test_deep_block_nesting(tmp_path):
    diag, _ = diagnose(write(tmp_path, network("if true { " * 10_000 + "relu" + " }" * 10_000)))
    assert diag.message == "brackets nested more than 100 deep"
    assert diag.span.line == 3


def test_deep_operator_nesting(tmp_path):
    diag, _ = diagnose(write(tmp_path, network("relu", "[3, 8, 8]").replace(
        "    output", "    let v = " + "-" * 10_000 + "1\n    output")))
    assert diag.message == "this is nested more than 320 levels deep (operators, calls and blocks)"
    assert diag.span.line == 3


def test_deep_definition_chain(tmp_path):
    """100 blocks each calling the next: the call-depth limit, at the 65th call."""
    blocks = "".join(f"block b{i}() {{ b{i + 1}() }}\n" for i in range(100)) + "block b100() { relu }\n"
    diag, _ = diagnose(write(tmp_path, blocks + network("b0()")))
    assert "blocks call each other more than 64 deep" in diag.message and where(diag) == "64:15"


def test_long_chain(tmp_path):
    """5,000 steps in one chain compile (no RecursionError); 50,000 is the slow test below."""
    start = time.perf_counter()
    model = netdsl.load(write(tmp_path, network("relu" + " -> relu" * 4_999)))
    assert time.perf_counter() - start < 15
    assert len(model.graph) == 5_001


@pytest.mark.slow
def test_fifty_thousand_step_chain(tmp_path):
    start = time.perf_counter()
    model = netdsl.load(write(tmp_path, network("relu" + " -> relu" * 49_999)))
    assert time.perf_counter() - start < 120
    assert len(model.graph) == 50_001


def test_check_parses_a_many_network_file_once(tmp_path, monkeypatch, capsys):
    """Issue 10.23: `check` re-parsed the file per network (400 networks: 146 s). Every
    network is still elaborated, from one parse; benchmarks/bench_speed.py 3d times it."""
    from netdsl.elaborate import program
    from netdsl.syntax import cache

    parsed: list[str] = []
    real_parse = program.parse
    monkeypatch.setattr(program, "parse", lambda text, path: parsed.append(path) or real_parse(text, path))
    cache._memory.clear()
    path = tmp_path / "many.net"
    path.write_text("".join(f"network n{i}() {{\n    input x: [3, 8, 8]\n    output y = x -> conv(4, 3)\n}}\n"
                            for i in range(60)))
    assert main(["check", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: ok (60 networks)\n"
    assert parsed == [str(path)]


def test_weight_budget_is_bytes_the_user_can_raise(tmp_path, capsys):
    """Issue 10.23b: linear(32768) on [32768] passed the per-layer count limit, then to_torch()
    allocated 4 GiB. The network's float32 weights have a byte budget (4 GiB) one can raise."""
    path = tmp_path / "big.net"
    path.write_text("network big() {\n    input x: [32768]\n    output y = x -> linear(32768)\n}\n")
    with pytest.raises(netdsl.CompileError) as caught:
        netdsl.load(path)
    (diag,) = caught.value.diagnostics
    assert (diag.message, diag.span.line, diag.span.col) == (
        "the network's weights reach 4,295,098,368 bytes here (1,073,774,592 float32 parameters),"
        " beyond the budget of 4,294,967,296 bytes", 3, 21)
    assert netdsl.load(path, limits=Limits(weight_bytes=5 << 30)).params == 1_073_774_592
    assert main(["check", str(path), "--max-weight-bytes", "5GiB"]) == 0
    assert main(["check", str(path), "--max-weight-bytes", "4GiB"]) == 1
    assert "hint: raise it with --max-weight-bytes" in capsys.readouterr().err
