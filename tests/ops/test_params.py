"""Op parameters are bound and checked beside `Param` (netdsl/ops/base.py): kinds, ranges
and choices give a located diagnostic at the call, never a failure inside PyTorch later."""

from __future__ import annotations

import pytest

from netdsl import CompileError
from netdsl.cli import main
from netdsl.ops import OPS, ArgumentError, Param, Site

NET = """network n(drop=0.5) {{
    input x: [8, 6, 6]
    output y = x -> {step}
}}
"""


@pytest.mark.parametrize("step, message", [
    ("dropout(1.5)", "dropout: `p` must be in [0, 1), not 1.5"),
    ("dropout(-0.2)", "dropout: `p` must be in [0, 1), not -0.2"),
    ("dropout(1)", "dropout: `p` must be in [0, 1), not 1"),
    ("bn(eps=-1)", "bn: `eps` must be greater than 0, not -1"),
    ("bn(eps=0)", "bn: `eps` must be greater than 0, not 0"),
    ("bn(momentum=1.5)", "bn: `momentum` must be in [0, 1], not 1.5"),
    ("lrn(2, k=0, beta=-1)", "lrn: `beta` must be greater than 0, not -1"),
    ("lrn(2, k=0)", "lrn: `k` must be greater than 0, not 0"),
    ("lrn(2, alpha=-1e-4)", "lrn: `alpha` must be at least 0, not -0.0001"),
    ("lrn(0)", "lrn: `size` must be at least 1, not 0"),
    ("conv(8, [3, 0])", "conv: `kernel` must be at least 1, not 0"),
    ("conv(8, [3, 3, 3])", "conv: `kernel` must be an integer or [height, width], not a list of 3"),
    ("maxpool(2, stride=0)", "maxpool: `stride` must be at least 1, not 0"),
    ("slice(2, 0)", "slice: `end` must be at least 1, not 0"),
    ("dropout(true)", "dropout: `p` must be a number, not a boolean"),
])
def test_out_of_range_is_located_at_the_call(compile_text, step, message):
    with pytest.raises(CompileError) as err:
        compile_text(NET.format(step=step))
    diag = err.value.diagnostics[0]
    assert diag.message == message
    assert (diag.span.line, diag.span.col) == (3, 21)


def test_in_range_values_pass(compile_text):
    model = compile_text(NET.format(step="dropout(0) -> dropout(0.99) -> bn(eps=1e-3, momentum=0)"
                                         " -> lrn(2, alpha=0, k=0.5, beta=0.1)"))
    assert [n.args.get("p") for n in model.network.nodes()][1:3] == [0.0, 0.99]


def test_set_out_of_range_is_a_diagnostic_at_the_use(tmp_path, capsys):
    path = tmp_path / "n.net"
    path.write_text(NET.format(step="dropout(drop)"))
    assert main(["summary", str(path), "--set", "drop=1.5"]) == 1
    err = capsys.readouterr().err
    assert f"{path}:3:21: error: dropout: `p` must be in [0, 1), not 1.5" in err
    assert main(["summary", str(path), "--set", "drop=0.25"]) == 0


def test_choices_are_checked():
    param = Param("mode", "str", "row", choices=("row", "batch"))
    assert param.bind("stochastic_depth", "batch", 0) == "batch"
    with pytest.raises(ArgumentError, match="`mode` must be one of 'row', 'batch', not 'rows'"):
        param.bind("stochastic_depth", "rows", 0)


def test_range_text_reads_as_an_interval():
    assert Param("p", "float", minimum=0, below=1).range_text() == "in [0, 1)"
    assert Param("p", "float", above=0, maximum=1).range_text() == "in (0, 1]"
    assert Param("p", "float", maximum=2).range_text() == "at most 2"
    assert Param("p", "float", below=2).range_text() == "less than 2"


def test_spatial_parameters_take_one_value_per_axis():
    conv = OPS["conv"]
    image = Site(((4, 9, 9),), {}, axes=(("c", "h", "w"),))
    wave = Site(((4, 100),), {}, axes=(("c", "l"),))
    video = Site(((4, 8, 9, 9),), {}, axes=(("c", "t", "h", "w"),))
    assert conv.bind([8, 3], {"stride": [1, 2]}, image)["stride"] == (1, 2)
    assert conv.bind([8, 3], {}, wave)["kernel"] == (3,)
    assert conv.bind([8, [1, 3, 3]], {}, video)["kernel"] == (1, 3, 3)
    assert conv.bind([8, 3], {}, video)["pad"] == (0, 0, 0)
    with pytest.raises(ArgumentError, match=r"`kernel` must be an integer, not a list of 2"):
        conv.bind([8, [3, 3]], {}, wave)


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_default_is_in_its_range(name):
    for param in OPS[name].params:
        if isinstance(param.default, (int, float)) and not isinstance(param.default, bool):
            assert param.admits(param.default), (name, param.name)
