"""Backend differential fuzz (issue 10.5b): small generated programs (one or two inputs of
different shapes, combinators with one or more branches, ceil-mode pools, outputs that are an
input or share a value) through `to_torch` and ONNX in onnxruntime; the outputs must agree."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import onnxruntime as ort
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import netdsl
from netdsl.backends.onnx_export import export, to_bytes
from netdsl.backends.torch_module import build_module
from netdsl.backends.verify import compare, random_inputs, torch_outputs
from netdsl.backends.weights import init_state

DIRECTORY = Path(tempfile.mkdtemp(prefix="netdsl-fuzz-"))
SAME_SHAPE = ["relu", "sigmoid", "gelu", "bn", "identity", "conv(in.c, 3, pad=1)", "conv(in.c, 1, groups=in.c)",
              "avgpool(3, stride=1, pad=1)", "maxpool(3, stride=1, pad=1)"]
RESHAPING = ["conv(5, 1)", "conv(3, 3, pad=1)", "maxpool(2)", "maxpool(1, stride=2, ceil=true)",
             "maxpool(3, stride=2, ceil=true)", "avgpool(2, stride=2, ceil=true)",
             "avgpool(3, stride=2, pad=1, ceil=true)"]


@st.composite
def chains(draw, depth: int = 0) -> str:
    """A chain of steps, each keeping or changing the shape, with combinators of 1-3 branches."""
    steps = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["same", "reshape", "combine"] if depth < 2 else ["same", "reshape"]))
        if kind == "same":
            steps.append(draw(st.sampled_from(SAME_SHAPE)))
        elif kind == "reshape":
            steps.append(draw(st.sampled_from(RESHAPING)))
        else:
            join = draw(st.sampled_from(["add", "concat", "mul"]))
            branches = draw(st.lists(st.sampled_from(SAME_SHAPE), min_size=1, max_size=3))
            steps.append(f"{join} {{ {'; '.join(branches)} }}")
    return " -> ".join(steps)


@st.composite
def programs(draw) -> str:
    c1, c2 = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    h, w = draw(st.integers(5, 9)), draw(st.integers(5, 9))
    two = draw(st.booleans())
    lines = [f"    input a: [{c1}, {h}, {w}]"] + ([f"    input b: [{c2}, {h}, {w}]"] if two else [])
    main = draw(chains())
    if two and draw(st.booleans()):
        lines.append(f"    output y = concat(b -> {draw(st.sampled_from(SAME_SHAPE))}, a)")
        lines.append(f"    output z = a -> {main}")
    else:
        lines.append(f"    output y = {'b' if two else 'a'} -> {main}")
    if draw(st.booleans()):
        lines.append(f"    output same = {draw(st.sampled_from(['a', 'b'] if two else ['a']))}")
    return "network f() {\n" + "\n".join(lines) + "\n}\n"


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(programs(), st.integers(0, 2 ** 16))
def test_torch_and_onnx_agree(text, seed):
    path = DIRECTORY / "fuzz.net"
    path.write_text(text)
    try:
        model = netdsl.load(path)
    except netdsl.CompileError:  # a program the language refuses (a pool larger than the map)
        return
    network = model.network
    state = init_state(network, seed)
    for key in state:
        if key.endswith("running_var"):
            state[key] = np.random.default_rng(seed).uniform(0.5, 1.5, state[key].shape).astype(np.float32)
    inputs = random_inputs(network, batch=2, seed=seed)
    session = ort.InferenceSession(to_bytes(export(network, state, dynamic_batch=True)), providers=["CPUExecutionProvider"])
    difference = compare(torch_outputs(build_module(network, state), network, inputs), session.run(None, inputs))
    assert difference.ok, (text, str(difference))
