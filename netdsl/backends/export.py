"""The one compile API: a loaded model → an ONNX file or standalone PyTorch source, with
optional weights and a check of the artefact against the PyTorch module.

`netdsl compile` and the TUI's export both call `export`; it checks the optional
dependencies it will need before it reads or writes anything, builds the artefact in
memory, and writes it in one atomic step through `netdsl.io`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from netdsl.backends.requirements import require, requirements
from netdsl.diagnostics import CompileError
from netdsl.io import atomic_write

TARGETS = ("onnx", "torch")


@dataclass(frozen=True)
class Exported:
    """What `export` wrote, and the --verify result if asked."""

    path: Path
    target: str
    network: str
    tensors: int  # weights and buffers in the artefact (0 for PyTorch source: build() initialises them)
    params: int
    weights: str  # where the artefact's weights came from, in words
    difference: Any = None  # verify.Difference, or None

    @property
    def ok(self) -> bool:
        return self.difference is None or self.difference.ok

    def __str__(self) -> str:
        size = self.path.stat().st_size
        shown = f"{size / (1 << 20):.1f} MiB" if size >= 1 << 20 else f"{size / 1024:.1f} KiB"
        what = "PyTorch source" if self.target == "torch" else f"{self.tensors} tensors"
        sep = ";" if self.target == "torch" else ","
        return f"wrote {self.path} ({shown}; {self.network}, {what}, {self.params:,} params{sep} {self.weights})"


def export(model: Any, target: str, path: str | Path | None = None, weights: str | Path | None = None,
           verify: bool = False, *, seed: int = 0, opset: int = 17, dynamic_batch: bool = False,
           note: Callable[[str], None] | None = None) -> Exported:
    """Write `model` (a netdsl.Model) as `target` ("onnx" or "torch") to `path` (default NET.onnx or
    NET.py in the working directory). `weights`: a .pt or .safetensors state_dict, else seeded
    PyTorch-default weights. `verify`: run the artefact and the PyTorch module on one random input.
    Raises CompileError, having written nothing, for a missing dependency or bad weights."""
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, not {target!r}")
    for module, purpose in requirements(target, verify, weights):
        require(module, purpose)
    from netdsl.backends.weights import check_state, init_state, load_weights

    network = model.network
    origin = f"--weights {weights}"
    state = (check_state(load_weights(weights), network, origin, *([note] if note else []))
             if weights is not None else init_state(network, seed))
    output = Path(path) if path is not None else Path(f"{network.name}.{'onnx' if target == 'onnx' else 'py'}")
    build = _onnx if target == "onnx" else _torch
    data, check, tensors = build(model, state, opset, dynamic_batch, verify, seed)
    atomic_write(output, data)
    # ONNX holds the inference graph: training-only heads (GoogLeNet's aux classifiers) are not in it
    params = model.params - (model.analysis.training_only.params if target == "onnx" else 0)
    return Exported(output, target, network.name, tensors, params,
                    _weights_words(target, state, weights, seed), check() if check else None)


def _weights_words(target: str, state: dict, weights: str | Path | None, seed: int) -> str:
    if target == "torch":
        return ("no weights (build() initialises them; load " + (f"{weights}" if weights else "a state_dict")
                + " with load_state_dict)") if state else "no weights"
    if not state:
        return "no weights"
    return f"weights from {weights}" if weights is not None else f"seeded random weights (seed {seed})"


def _onnx(model: Any, state: dict, opset: int, dynamic_batch: bool, verify: bool, seed: int):
    from netdsl.backends.onnx_export import export as to_onnx
    from netdsl.backends.onnx_export import to_bytes

    network = model.network
    proto = to_onnx(network, state, opset, dynamic_batch, doc=f"{network.name} from {model.source.name}")
    data = to_bytes(proto)

    def check():
        from netdsl.backends.torch_module import build_module
        from netdsl.backends.verify import onnx_outputs, verify as compare

        return compare(network, build_module(network, state), lambda inputs: onnx_outputs(data, inputs),
                       batch=2 if dynamic_batch else 1, seed=seed)
    return data, check if verify else None, len(proto.graph.initializer)


def _torch(model: Any, state: dict, opset: int, dynamic_batch: bool, verify: bool, seed: int):
    """The source; its check runs the written module against the ONNX lowering in onnxruntime, an
    independent lowering of the same IR (built before anything is written). Where ONNX cannot hold
    the network (an output named like an input), against the module that to_torch() builds."""
    from netdsl.backends.torch_codegen import generate

    network = model.network
    source = generate(network, model.source.name)
    if not verify:
        return source, None, 0
    reference = _onnx_reference(network, state, opset)

    def check():
        import torch

        from netdsl.backends.torch_module import build_module, load_source
        from netdsl.backends.verify import compare, onnx_outputs, random_inputs, torch_outputs

        standalone = load_source(source, network.name)["build"]()
        standalone.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in state.items()})
        inputs = random_inputs(network, 1, seed)
        expected = (onnx_outputs(reference, inputs) if reference is not None
                    else torch_outputs(build_module(network, state), network, inputs))
        return compare(expected, torch_outputs(standalone, network, inputs))
    return source, check, 0


def _onnx_reference(network: Any, state: dict, opset: int) -> bytes | None:
    from netdsl.backends.onnx_export import export as to_onnx
    from netdsl.backends.onnx_export import to_bytes

    try:
        return to_bytes(to_onnx(network, state, opset))
    except CompileError:
        return None
