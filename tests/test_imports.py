"""Import resolution: next to the importing file first, then the bundled library;
`netdsl:NAME.net` names the library; a file copied out of nets/ works alone."""

from __future__ import annotations

import shutil

import pytest

import netdsl
from netdsl.cli import main
from netdsl.diagnostics import CompileError
from netdsl.elaborate.program import load_file
from netdsl.library import nets_dir
from tests.conftest import NETS

NETWORK = "network n() {\n    input x: [3, 8, 8]\n    output y = x -> conv_bn(4, 3)\n}\n"


def test_a_library_file_copied_alone_passes_check(tmp_path, capsys):
    shutil.copy(NETS / "googlenet.net", tmp_path / "googlenet.net")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["googlenet.net"]
    assert main(["check", str(tmp_path / "googlenet.net")]) == 0
    assert capsys.readouterr().out.strip().endswith("googlenet.net: ok (2 networks)")
    model = netdsl.load(tmp_path / "googlenet.net", "googlenet")
    assert model.params == netdsl.load(NETS / "googlenet.net", "googlenet").params == 13_004_888


def test_the_library_is_used_when_nothing_is_next_to_the_importer(tmp_path):
    (tmp_path / "a.net").write_text('import "common.net"\n' + NETWORK)
    source = load_file(tmp_path / "a.net")
    (common,) = source.imports
    assert common.origin == "library"
    assert common.path == str(nets_dir() / "common.net")


def test_a_file_next_to_the_importer_comes_first(tmp_path):
    (tmp_path / "common.net").write_text("block conv_bn(c, k) {\n    conv(c, k, bias=false)\n}\n")
    (tmp_path / "a.net").write_text('import "common.net"\n' + NETWORK)
    (common,) = load_file(tmp_path / "a.net").imports
    assert common.origin == "file" and common.path == str(tmp_path / "common.net")
    assert netdsl.load(tmp_path / "a.net").params == 4 * 3 * 3 * 3  # the local block: no bn


def test_netdsl_prefix_names_the_library_even_beside_a_local_file(tmp_path):
    (tmp_path / "common.net").write_text("block conv_bn(c, k) {\n    conv(c, k, bias=false)\n}\n")
    (tmp_path / "a.net").write_text('import "netdsl:common.net"\n' + NETWORK)
    (common,) = load_file(tmp_path / "a.net").imports
    assert common.origin == "library"
    assert netdsl.load(tmp_path / "a.net").params == 4 * 3 * 3 * 3 + 2 * 4  # conv and bn's scale and shift


@pytest.mark.parametrize("line,message,hint", [
    ('import "netdsl:resnett.net"', 'import "netdsl:resnett.net": the bundled library has no resnett.net',
     "did you mean `resnet.net`?"),
    ('import "netdsl:../x.net"', 'import "netdsl:../x.net": the bundled library has no ../x.net', None),
    ('import "/abs/x.net"', 'import "/abs/x.net": imports are relative to the importing file',
     'or "netdsl:NAME.net" for a file of the bundled library'),
    ('import "nope.net"', 'import "nope.net": no such file next to a.net nor in the bundled library', None),
    ('import "sub/common.net"', 'import "sub/common.net": no such file next to a.net nor in the bundled library',
     None),
])
def test_import_errors(tmp_path, line, message, hint):
    (tmp_path / "a.net").write_text(line + "\n")
    with pytest.raises(CompileError) as err:
        load_file(tmp_path / "a.net")
    (d,) = err.value.diagnostics
    assert d.message == message and (d.span.line, d.span.col) == (1, 1)
    if hint is not None:
        assert d.hint == hint


def test_every_failing_import_is_reported(tmp_path):
    (tmp_path / "a.net").write_text('import "one.net"\nimport "common.net"\nimport "two.net"\n')
    with pytest.raises(CompileError) as err:
        load_file(tmp_path / "a.net")
    assert [d.span.line for d in err.value.diagnostics] == [1, 3]
