"""User strings in generated code (issue 10, S1 and S2): every file, network, block, label and
output name reaches the PyTorch source and the ONNX file quoted, never interpolated; generated
identifiers avoid Python's keywords and builtins, the generated module's own names, and each
other; a label that cannot be a PyTorch submodule is a located diagnostic."""

from __future__ import annotations

import ast
import keyword
import tempfile
from pathlib import Path

import onnx
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import netdsl
from netdsl.backends.onnx_export import export
from netdsl.backends.weights import init_state
from netdsl.elaborate.naming import MODULE_ATTRIBUTES

SENTINEL = Path(tempfile.gettempdir()) / "netdsl-name-injection-sentinel"
# Creates SENTINEL if it ever runs; no `/`, so it fits in a file name.
TOUCH = '__import__("pathlib").Path(__import__("tempfile").gettempdir(), "netdsl-name-injection-sentinel").touch()'
PAYLOADS = ['"""', "'''", '\\', '\\"""', '\n', '\r', '\x0b', '\u2028', '{}', 'é', '𝔘', '\x7f',
            f'""";{TOUCH};"""', f"''';{TOUCH};'''", f'\n{TOUCH}\n', f"'+{TOUCH}+'", f'"+{TOUCH}+"']
FILE_NAMES = st.lists(st.one_of(st.sampled_from(PAYLOADS), st.text(min_size=1, max_size=6)), min_size=1,
                      max_size=5).map("".join).filter(lambda s: "/" not in s and "\x00" not in s
                                                      and 0 < len(s.encode("utf-8", "surrogatepass")) < 200)
PYTHON_NAMES = ["None", "True", "False", "F", "nn", "torch", "self", "build", "getattr", "print", "x", "x_2",
                "class", "lambda", "forward_", "Module", "type_", "a", "a_", "a_net", "ANet", "object"]
NAMES = st.one_of(st.sampled_from(PYTHON_NAMES), st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True))
LABELS = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,6}", fullmatch=True)
DIRECTORY = Path(tempfile.mkdtemp(prefix="netdsl-names-"))
SENTINEL.unlink(missing_ok=True)  # left by a run that failed


def _program(net: str, block: str, labels: list[str], output: str) -> str:
    steps = " -> ".join(f'"{label}": conv(4, 1)' for label in labels)
    return (f"block {block}() {{ conv(4, 1) -> relu }}\n"
            f"network {net}() {{\n"
            f"    input x: [4, 6, 6]\n"
            f"    output {output} = x -> {block} -> {steps} -> bn -> {block}\n"
            "}\n")


def _load(file_name: str, text: str, net: str) -> netdsl.Model | None:
    path = DIRECTORY / (file_name + ".net")
    try:
        path.write_text(text)
    except OSError:  # a name the file system refuses never reaches netdsl
        return None
    try:
        return netdsl.load(path, net)
    except netdsl.CompileError:  # a name the language refuses (a keyword, a reserved label)
        return None
    finally:
        path.unlink(missing_ok=True)


EXAMPLES = 300  # each feeds 7 generated names; about 70% compile (the language refuses some): ~1,500 per run


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(FILE_NAMES, NAMES, NAMES, st.lists(LABELS, min_size=3, max_size=3, unique=True), NAMES)
def test_no_name_escapes_its_quotes(file_name, net, block, labels, output):
    """Generated file, network, block, label and output names: the --torch source parses and
    executes (to_torch) into a working module, the ONNX file checks and carries the file name
    verbatim, and no payload ever runs."""
    model = _load(file_name, _program(net, block, labels, output), net)
    if model is None or output == "x":  # refused by the language; an output may not share the input's name
        return
    source = model.torch_source()
    ast.parse(source)
    module = model.to_torch().eval()
    with torch.no_grad():
        assert module(torch.ones(1, 4, 6, 6)).shape == (1, 4, 6, 6)
    exported = export(model.network, init_state(model.network), doc=f"{net} from {file_name}.net")
    onnx.checker.check_model(exported)
    assert exported.doc_string.endswith(f"{file_name}.net")
    assert not SENTINEL.exists()


def test_a_file_name_cannot_run_code(tmp_path):
    """The issue's own example: a docstring-closing file name, via the CLI's --torch --verify."""
    from netdsl.cli import main

    SENTINEL.unlink(missing_ok=True)
    name = f'a""";{TOUCH};"""b\\.net'
    path = tmp_path / name
    path.write_text("network a() {\n    input x: [3, 4, 4]\n    output y = x -> relu\n}\n")
    assert main(["compile", str(path), "--torch", "-o", str(tmp_path / "out.py"), "--verify"]) == 0
    netdsl.load(path).to_torch()
    ast.parse((tmp_path / "out.py").read_text())
    assert not SENTINEL.exists()


def _classes(source: str) -> list[str]:
    return [n.name for n in ast.parse(source).body if isinstance(n, ast.ClassDef)]


def test_class_names_avoid_python_the_imports_and_each_other():
    text = ("block f() { conv(4, 1) }\nblock a() { conv(4, 1) -> relu }\nblock a_net() { conv(4, 1) -> bn }\n"
            "block None() { relu -> conv(4, 1) }\nblock True() { bn }\n"
            "network a_() {\n    input x: [4, 6, 6]\n    output y = x -> f -> a -> a_net -> None -> True\n}\n")
    path = DIRECTORY / "classes.net"
    path.write_text(text)
    model = netdsl.load(path)
    names = _classes(model.torch_source())
    assert sorted(names) == ["A", "ANet", "A_2", "F_", "None_", "True_"]
    module = model.to_torch().eval()
    with torch.no_grad():
        assert module(torch.ones(1, 4, 6, 6)).shape == (1, 4, 6, 6)


def test_inputs_named_like_python_keep_keyword_calls():
    path = DIRECTORY / "inputs.net"
    path.write_text("network p() {\n    input map: [2, 4, 4]\n    input F: [3, 4, 4]\n"
                    "    output y = concat(F -> relu, map)\n}\n")
    module = netdsl.load(path).to_torch()
    a, b = torch.randn(1, 2, 4, 4), torch.randn(1, 3, 4, 4)
    assert torch.equal(module(map=a, F_=b), torch.cat([b.relu(), a], 1))


def test_renamed_inputs_stay_distinct():
    """`F` must become a parameter apart from an input already called `F_`."""
    path = DIRECTORY / "clash.net"
    path.write_text("network p() {\n    input F: [2, 4, 4]\n    input F_: [3, 4, 4]\n    input self: [1, 4, 4]\n"
                    "    output y = concat(F_, F, self)\n}\n")
    model = netdsl.load(path)
    assert "def forward(self, F__2, F_, self_):" in model.torch_source()
    a, b, c = torch.randn(1, 2, 4, 4), torch.randn(1, 3, 4, 4), torch.randn(1, 1, 4, 4)
    assert torch.equal(model.to_torch()(a, F_=b, self_=c), torch.cat([b, a, c], 1))


@pytest.mark.parametrize("label", ["forward", "training", "type", "half", "eval", "_modules", "keys", "__dict__"])
def test_labels_that_are_module_attributes_are_located_errors(label):
    path = DIRECTORY / "attr.net"
    path.write_text(f"network n() {{\n    input x: [3, 4, 4]\n    output y = x -> {label}: conv(4, 1)\n}}\n")
    with pytest.raises(netdsl.CompileError) as info:
        netdsl.load(path)
    (diag,) = info.value.diagnostics
    assert diag.message == f"a layer cannot be named `{label}`: PyTorch's nn.Module has an attribute of that name"
    assert (diag.span.line, diag.span.col) == (3, 23 + len(label))  # the labelled step


def test_a_module_that_would_hold_layers_is_a_located_error():
    """`output y = … -> y: conv(…)`: the chain's layers are y.0, y.1, so `y` cannot be one conv."""
    path = DIRECTORY / "holder.net"
    path.write_text("network s() {\n    input x: [3, 8, 8]\n    output y = x -> conv(4, 1) -> y: conv(4, 1)\n}\n")
    with pytest.raises(netdsl.CompileError) as info:
        netdsl.load(path)
    (diag,) = info.value.diagnostics
    assert diag.message == "`y` already holds layers (as `y.…`), so it cannot also name one PyTorch module"
    assert (diag.span.line, diag.span.col) == (3, 38)


def test_an_output_named_like_a_stateless_layer_exports():
    """ONNX names every value once: the layer `y` and the output `y` get values of their own."""
    path = DIRECTORY / "ssa.net"
    path.write_text("network d() {\n    input x: [3, 8, 8]\n    a = x -> y: relu\n    b = x -> y2: sigmoid\n"
                    "    output y = b\n    output z = a\n}\n")
    model = netdsl.load(path)
    exported = export(model.network, {})
    onnx.checker.check_model(exported, full_check=True)
    assert [o.name for o in exported.graph.output] == ["y", "z"]


def test_the_reserved_attributes_cover_the_installed_torch():
    live = set(dir(torch.nn.ModuleDict())) | set(dir(torch.nn.ModuleList()))
    assert {n for n in live if not (n.startswith("__") and n.endswith("__"))} <= MODULE_ATTRIBUTES
    assert not any(keyword.iskeyword(n) for n in MODULE_ATTRIBUTES)
