"""`netdsl fmt`: idempotent, meaning-preserving, comment-keeping, and a `--check` for CI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import netdsl
from netdsl.cli import main
from netdsl.syntax import ast
from netdsl.syntax.format import MAX_WIDTH, _lexer, format_source
from netdsl.syntax.parser import parse
from tests.conftest import EXAMPLES, NETS

FILES = sorted(NETS.glob("*.net")) + sorted(EXAMPLES.glob("*.net"))
IDS = [f"{p.parent.name}/{p.name}" for p in FILES]

MESSY = """# header



block  foo( c,k = 3 ,)(a,b) {
    let   x=-1+c*2**3  # trailing
    let d={"A":[1,2 ,3],b :4}
    y=a->conv(c,k,pad=k//2)->
       relu
    # about z
    z = b -> if c>2 and not false{bn}
    else { identity }
    return concat(y, z)
}
block bar(c) {

    concat { conv(c, 1) ; conv(c,3,pad=1) }


    -> layer{ c+1 } : relu -> mul{ identity
        global_avgpool -> sigmoid }
}
network n(c=8) {
    input image :[3,32,32]
    output y=image->conv(c,3)->bar(c)->foo(c)(in, in) -> flatten -> linear(10)-> relu -> linear(10) -> relu
    train output aux = image \\
       -> flatten
}
network n2 = n(c=16)
"""

CANONICAL = """# header

block foo(c, k=3)(a, b) {
    let x = -1 + c * 2 ** 3  # trailing
    let d = {"A": [1, 2, 3], b: 4}
    y = a -> conv(c, k, pad=k // 2)
        -> relu
    # about z
    z = b -> if c > 2 and not false { bn } else { identity }
    return concat(y, z)
}

block bar(c) {
    concat { conv(c, 1); conv(c, 3, pad=1) }
        -> layer{c + 1}: relu -> mul {
            identity
            global_avgpool -> sigmoid
        }
}

network n(c=8) {
    input image: [3, 32, 32]
    output y = image -> conv(c, 3) -> bar(c) -> foo(c)(in, in) -> flatten -> linear(10) -> relu
        -> linear(10) -> relu
    train output aux = image -> flatten
}

network n2 = n(c=16)
"""


def comments(text: str) -> list[str]:
    return sorted(t.value.strip() for t in _lexer().lex(text, dont_ignore=True) if t.type == "COMMENT")


def mangled(text: str) -> str:
    """The same program with no indentation and one space between every token."""
    lines = []
    for line in text.splitlines():
        tokens = [t.value for t in _lexer().lex(line + "\n", dont_ignore=True)
                  if t.type not in ("__IGNORE_0", "_NL")]
        lines.append(" ".join(tokens))
    return "\n".join(lines) + "\n"


def summaries(path: Path, names: list[str]) -> dict[str, dict]:
    """Every listed network's summary, minus where its layers sit in the file."""
    out = {}
    for name in names:
        data = netdsl.load(path, name).summary()
        for layer in data["layers"]:
            layer.pop("line"), layer.pop("col")
        out[name] = data
    return out


def definitions(path: Path) -> list[str]:
    """The file's network definitions (presets reuse them with other arguments)."""
    items = parse(path.read_text(encoding="utf-8"), str(path)).items
    return [item.name for item in items if isinstance(item, ast.NetworkDef)]


def test_canonical_layout_of_a_messy_file():
    assert format_source(MESSY) == CANONICAL


WRAPPED_PARAMETERS = """\
network tiny(widths=[64, 128], depths=[2, 2],
   heads=[3, 6], sd=0.2) {
        input image: [3, 32, 32]
  output y = image -> conv(widths[0], 3, pad=1) -> add {
  identity
  (conv(64, 3, pad=1,
  groups=2) -> add {
  identity; relu })
  }
}
"""


def test_a_body_after_a_wrapped_list_is_indented_from_its_statement():
    """The body used to line up under the wrapped parameters (13 columns in)."""
    assert format_source(WRAPPED_PARAMETERS) == """\
network tiny(widths=[64, 128], depths=[2, 2],
             heads=[3, 6], sd=0.2) {
    input image: [3, 32, 32]
    output y = image -> conv(widths[0], 3, pad=1) -> add {
        identity
        (conv(64, 3, pad=1,
              groups=2) -> add {
            identity; relu
        })
    }
}
"""


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_idempotent_and_keeps_comments(path):
    text = path.read_text(encoding="utf-8")
    once = format_source(text, str(path))
    assert format_source(once, str(path)) == once
    assert comments(once) == comments(text)
    code = [line.split("#")[0].rstrip() for line in once.splitlines()]
    assert all(len(line) <= MAX_WIDTH or "->" not in line.strip()[2:] for line in code)


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_layout_does_not_depend_on_the_authors_spacing(path):
    text = path.read_text(encoding="utf-8")
    assert format_source(mangled(text), str(path)) == format_source(text, str(path))


@pytest.fixture(scope="module")
def formatted_tree(tmp_path_factory) -> Path:
    """nets/ and examples/ formatted into a scratch folder, so imports resolve alike."""
    root = tmp_path_factory.mktemp("formatted")
    for path in FILES:
        target = root / path.parent.name / path.name
        target.parent.mkdir(exist_ok=True)
        target.write_text(format_source(path.read_text(encoding="utf-8"), str(path)), encoding="utf-8")
    return root


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_formatted_file_compiles_to_the_identical_ir(path, formatted_tree):
    names = definitions(path)
    assert summaries(formatted_tree / path.parent.name / path.name, names) == summaries(path, names)


def test_check_reports_and_fmt_rewrites(tmp_path, capsys):
    path = tmp_path / "messy.net"
    path.write_text(MESSY)
    assert main(["fmt", "--check", str(tmp_path)]) == 1
    assert f"would reformat {path}" in capsys.readouterr().err
    assert path.read_text() == MESSY
    assert main(["fmt", str(path)]) == 0
    assert path.read_text() == CANONICAL
    assert main(["fmt", "--check", str(path)]) == 0


def test_a_file_that_does_not_parse_is_left_alone(tmp_path, capsys):
    path = tmp_path / "broken.net"
    path.write_text("network n( {\n")
    assert main(["fmt", str(path)]) == 1
    assert re.search(r"broken\.net:\d+:\d+: error", capsys.readouterr().err)
    assert path.read_text() == "network n( {\n"


def test_repository_files_are_formatted():
    """What CI runs: `netdsl fmt --check nets examples`."""
    assert main(["fmt", "--check", str(NETS), str(EXAMPLES)]) == 0
