"""'did you mean' is plausible or absent (issue 10.9): the same name in another case, or
one within a typo per four letters; never a different op or word that merely shares letters."""

from __future__ import annotations

from pathlib import Path

import pytest

import netdsl
from netdsl.diagnostics import distance, suggest

CASES = {
    "x -> conv(4, 3, bias=False)": ("unknown name `False`", "did you mean `false`?"),
    "x -> conv(4, 3, bias=TRUE)": ("unknown name `TRUE`", "did you mean `true`?"),
    "x -> deconv(4, 3)": ("unknown op or block `deconv`", None),
    "x -> reul": ("unknown op or block `reul`", "did you mean `relu`?"),
    "x -> Conv(4, 3)": ("unknown op or block `Conv`", "did you mean `conv`?"),
    "x -> conv(4, 3, strid=2)": ("conv has no argument `strid`", "did you mean `stride`?"),
    "x -> maxpol(2)": ("unknown op or block `maxpol`", "did you mean `maxpool`?"),
}


@pytest.mark.parametrize("chain", CASES)
def test_hint(tmp_path: Path, chain: str) -> None:
    path = tmp_path / "a.net"
    path.write_text(f"network a() {{\n    input x: [3, 8, 8]\n    output y = {chain}\n}}\n")
    with pytest.raises(netdsl.CompileError) as caught:
        netdsl.load(path)
    (diag,) = caught.value.diagnostics
    message, hint = CASES[chain]
    assert diag.message == message
    assert (diag.hint if diag.hint and diag.hint.startswith("did you mean") else None) == hint


def test_implausible_names_get_no_suggestion() -> None:
    assert suggest("upsample", ["scale", "size", "mode"]) is None
    assert suggest("deconv", ["conv", "relu"]) is None
    assert suggest("x", ["y", "z"]) is None
    assert suggest("dpeth", ["depth", "width"]) == "did you mean `depth`?"


def test_distance_counts_a_swap_as_one() -> None:
    assert [distance("reul", "relu"), distance("kitten", "sitting"), distance("", "abc")] == [1, 3, 3]
