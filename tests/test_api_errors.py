"""The Python API reports like the CLI (issue 10.8): `str(CompileError)` is the rendered
report with path:line:col, the source line and a caret; the exception carries the
`Diagnostic`s; and it names the API's argument, not a CLI flag."""

from __future__ import annotations

from pathlib import Path

import pytest

import netdsl
from netdsl.diagnostics import Diagnostic


def test_str_is_the_rendered_diagnostic(tmp_path: Path) -> None:
    path = tmp_path / "typo.net"
    path.write_text("network typo() {\n    input x: [3, 8, 8]\n    output y = x -> reul\n}\n")
    with pytest.raises(netdsl.CompileError) as caught:
        netdsl.load(path)
    path.unlink()  # the text travels with the error: nothing is read back from disk
    assert str(caught.value).splitlines()[:3] == [
        f"{path}:3:21: error: unknown op or block `reul`",
        "    3 |     output y = x -> reul",
        "      |                     ^^^^",
    ]
    assert [type(d) for d in caught.value.diagnostics] == [Diagnostic]
    assert caught.value.diagnostics[0].span.line == 3


def test_syntax_error_in_an_import_is_quoted(tmp_path: Path) -> None:
    (tmp_path / "lib.net").write_text("block b() {\n    relu ->\n}\n")
    (tmp_path / "main.net").write_text('import "lib.net"\nnetwork main() {\n    input x: [3, 8, 8]\n'
                                       "    output y = x -> b()\n}\n")
    with pytest.raises(netdsl.CompileError) as caught:
        netdsl.load(tmp_path / "main.net")
    text = str(caught.value)
    assert text.startswith(f"{tmp_path / 'lib.net'}:2:12: error: unexpected end of line after `->`")
    assert "\n    2 |     relu ->\n" in text


def test_several_networks_names_the_argument(tmp_path: Path) -> None:
    path = tmp_path / "two.net"
    path.write_text("network a() {\n    input x: [3, 8, 8]\n    output y = x -> relu\n}\n"
                    "network b() {\n    input x: [3, 8, 8]\n    output y = x -> relu\n}\n")
    with pytest.raises(netdsl.CompileError) as caught:
        netdsl.load(path)
    assert str(caught.value) == (f"netdsl: error: {path} defines 2 networks; choose one with load(..., net=NAME)\n"
                                 "  hint: networks: a, b")
    assert "--net" not in str(caught.value)
