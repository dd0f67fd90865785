"""An error inside a block called from several networks, presets and places names the
instance that failed, points at the branch that disagrees, and is reported once."""

from __future__ import annotations

from netdsl.cli import main
from netdsl.elaborate.modules import check

SHARED = """\
block unit(c) {
    add {
        identity
        conv(c, 1)
    }
}
network wrn(width=4) {
    input x: [4, 8, 8]
    output y = x -> layer1: (unit(4) -> unit(width))
}
network wrn28_10 = wrn(width=10)
network wrn_wide = wrn(width=16)
"""


def run(tmp_path, text: str):
    path = tmp_path / "m.net"
    path.write_text(text, encoding="utf-8")
    return check(path)


def where(span) -> str:
    return f"{span.line}:{span.col}"


def test_the_instance_path_and_the_network_are_named(tmp_path):
    names, errors = run(tmp_path, SHARED.replace("unit(width))", "unit(width * 2))"))
    assert names == ["wrn", "wrn28_10", "wrn_wide"]
    first = errors[0]
    assert first.message == "add: branch 2 is 8×8×8 but branch 1 is 4×8×8"
    assert where(first.span) == "4:9", "the caret is on the branch that disagrees"
    assert [(note, where(span) if span else None) for note, span in first.notes] == [
        ("branch 1 is this one", "3:9"),
        ("in `layer1.1`, an instance of block `unit` called here", "9:41"),
        ("in network `wrn`", None),
    ]
    assert errors[1].notes[-1] == ("in network `wrn28_10` (a preset of `wrn`)", None)
    assert errors[1].message == "add: branch 2 is 20×8×8 but branch 1 is 4×8×8"


def test_the_same_error_in_several_networks_is_reported_once(tmp_path):
    _, errors = run(tmp_path, SHARED.replace("conv(c, 1)", "conv(c + 1, 1)"))
    (error,) = errors
    assert error.message == "add: branch 2 is 5×8×8 but branch 1 is 4×8×8"
    assert error.notes == (
        error.notes[0],
        ("in `layer1.0`, an instance of block `unit` called here", error.notes[1][1]),
        ("in networks `wrn`, `wrn28_10` (a preset of `wrn`), `wrn_wide` (a preset of `wrn`)", None),
    )


def test_an_error_in_the_network_itself_needs_no_network_note(tmp_path):
    _, errors = run(tmp_path, "network n() {\n    input x: [4, 8, 8]\n    output y = x -> add { relu\n"
                              "        conv(5, 1) }\n}\n")
    (error,) = errors
    assert where(error.span) == "4:9" and error.notes == (("branch 1 is this one", error.notes[0][1]),)


def test_check_prints_each_error_once(tmp_path, capsys):
    path = tmp_path / "m.net"
    path.write_text(SHARED.replace("conv(c, 1)", "conv(c + 1, 1)"), encoding="utf-8")
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count(": error: ") == 1 and err.rstrip().endswith("in networks `wrn`, `wrn28_10` (a preset of"
                                                                 " `wrn`), `wrn_wide` (a preset of `wrn`)")
