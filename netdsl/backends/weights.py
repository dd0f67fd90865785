"""Weights for a compiled network: seeded PyTorch-default initialisation, or a
user's `.pt` / `.safetensors` file checked against the IR's state_dict shapes.

Both backends take the same numpy state, so `to_torch(seed)` and the ONNX export
with that seed carry identical weights, and --verify compares like with like.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from netdsl.analysis.state import state_shapes
from netdsl.diagnostics import CompileError, Diagnostic
from netdsl.ir import Network
from netdsl.ops import Shape
from netdsl.ops.base import state_key


def _error(message: str) -> CompileError:
    return CompileError([Diagnostic(message, None)])


def init_state(network: Network, seed: int = 0) -> dict[str, Any]:
    """Every weight and buffer, drawn in forward order from one seeded generator."""
    import numpy as np

    rng = np.random.default_rng(seed)
    state: dict[str, Any] = {}
    for node in network.nodes():
        shapes = {**node.spec.weights(node.site), **node.spec.buffers(node.site)}
        for key in shapes:
            state[state_key(node.name, key)] = node.spec.init(node.site, key, shapes, rng)
    return state


def load_weights(path: str | Path) -> dict[str, Any]:
    """A state_dict file as numpy arrays: `.safetensors`, else a torch `.pt` (weights_only)."""
    path = Path(path)
    if not path.is_file():
        raise _error(f"--weights {path}: no such file")
    try:
        if path.suffix == ".safetensors":
            from safetensors.numpy import load_file

            return dict(load_file(str(path)))
        import torch

        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # any unreadable file is the user's to fix, not a traceback
        raise _error(f"--weights {path}: cannot read it ({type(err).__name__}: {err})") from None
    if not isinstance(loaded, dict) or not all(hasattr(v, "numpy") for v in loaded.values()):
        raise _error(f"--weights {path}: expected a state_dict (a dict of tensors)")
    return {key: value.detach().cpu().numpy() for key, value in loaded.items()}


def check_state(state: dict[str, Any], network: Network, origin: str) -> dict[str, Any]:
    """The state in the IR's order, after checking its keys and shapes; one line per problem."""
    expected: dict[str, Shape] = state_shapes(network)
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong = [f"{k} is {_fmt(state[k].shape)}, expected {_fmt(shape)}"
             for k, shape in expected.items() if k in state and tuple(state[k].shape) != shape]
    problems = ([f"{origin}: missing key{'s' * (len(missing) > 1)} {_few(missing)}"] if missing else []) + \
               ([f"{origin}: unexpected key{'s' * (len(unexpected) > 1)} {_few(unexpected)}"] if unexpected else []) + \
               [f"{origin}: {line}" for line in wrong[:5]]
    if problems:
        raise CompileError([Diagnostic(p, None) for p in problems])
    return {key: state[key] for key in expected}


def _few(keys: list[str]) -> str:
    shown = ", ".join(keys[:5])
    return shown + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")


def _fmt(shape: Any) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"
