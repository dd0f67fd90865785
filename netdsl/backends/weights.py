"""Weights for a compiled network: seeded PyTorch-default initialisation, or a
user's `.pt` / `.safetensors` file checked against the IR's state_dict shapes.

Both backends take the same numpy state, so `to_torch(seed)` and the ONNX export
with that seed carry identical weights, and --verify compares like with like.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

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
    """A state_dict file, its tensors as read (numpy arrays, or torch tensors from a `.pt`):
    `.safetensors`, else a torch `.pt` loaded with weights_only. `check_state` converts them."""
    path = Path(path)
    if not path.is_file():
        raise _error(f"--weights {path}: no such file")
    try:
        loaded = _read_safetensors(path) if path.suffix == ".safetensors" else _read_pt(path)
    except CompileError:
        raise
    except Exception as err:  # any unreadable file is the user's to fix, not a traceback
        raise _error(f"--weights {path}: cannot read it ({type(err).__name__}: {err})") from None
    if not isinstance(loaded, dict) or not all(hasattr(v, "shape") and hasattr(v, "dtype") for v in loaded.values()):
        raise _error(f"--weights {path}: expected a state_dict (a dict of tensors)")
    problems = [f"--weights {path}: key {key!r} is {type(key).__name__}, not a string: a state_dict's keys are"
                " layer names" for key in loaded if not isinstance(key, str)]
    problems += [f"--weights {path}: tensor `{key}` is sparse ({value.layout}); netdsl reads dense tensors"
                 " (save tensor.to_dense())" for key, value in loaded.items() if _sparse(value)]
    if problems:
        raise CompileError([Diagnostic(p, None) for p in problems[:5]])
    return loaded


def _read_safetensors(path: Path) -> dict[str, Any]:
    from safetensors.numpy import load_file

    try:
        return dict(load_file(str(path)))
    except TypeError:  # bfloat16, which numpy lacks: read through torch
        from safetensors.torch import load_file as load_torch

        return dict(load_torch(str(path)))


def _read_pt(path: Path) -> Any:
    """weights_only: tensors and plain containers only, never code; safe from torch 2.6 (CVE-2025-32434)."""
    import torch

    version = tuple(int(part) for part in torch.__version__.split("+")[0].split(".")[:2])
    if version < (2, 6):
        raise _error(f"--weights {path}: reading a torch file safely needs torch 2.6 or later, not"
                     f' {torch.__version__}: pip install -U "netdsl[torch]"')
    return torch.load(path, map_location="cpu", weights_only=True)


def _sparse(value: Any) -> bool:
    layout = getattr(value, "layout", None)
    return layout is not None and str(layout) != "torch.strided"


def _warn(message: str) -> None:
    import warnings

    warnings.warn(message, stacklevel=3)


def check_state(state: dict[str, Any], network: Network, origin: str,
                note: Callable[[str], None] = _warn) -> dict[str, Any]:
    """The state in the IR's order as numpy arrays of the model's dtypes (float32 weights, int64
    counters), after checking keys, shapes and dtypes; one line per problem. Other float widths
    (fp16, bf16, fp64) are converted, and `note` says so; any other dtype is refused."""
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
    return _convert({key: state[key] for key in expected}, model_dtypes(network), origin, note)


def model_dtypes(network: Network) -> dict[str, str]:
    """The dtype of each state_dict entry: what the op's initialiser draws (one draw per op and key)."""
    import numpy as np

    rng = np.random.default_rng(0)
    kinds: dict[tuple[str, str], str] = {}
    out: dict[str, str] = {}
    for node in network.nodes():
        shapes = {**node.spec.weights(node.site), **node.spec.buffers(node.site)}
        for key in shapes:
            if (node.op, key) not in kinds:
                kinds[(node.op, key)] = str(np.asarray(node.spec.init(node.site, key, shapes, rng)).dtype)
            out[state_key(node.name, key)] = kinds[(node.op, key)]
    return out


def _convert(state: dict[str, Any], dtypes: dict[str, str], origin: str, note: Callable[[str], None]) -> dict:
    """Each value as a numpy array of the model's dtype: a float of another width or an integer of
    another width is converted (and reported once per dtype); anything else is a diagnostic."""
    import numpy as np

    out: dict[str, Any] = {}
    converted: dict[tuple[str, str], list[str]] = {}
    problems = []
    for key, value in state.items():
        have, want = _dtype_name(value), dtypes[key]
        if have == want:
            out[key] = _numpy(value)
        elif _family(have) == _family(want) and _family(want) in ("float", "int"):
            out[key] = _numpy(value, want)
            converted.setdefault((have, want), []).append(key)
        else:
            problems.append(f"{origin}: tensor `{key}` is {have}; the model's is {want}")
    if problems:
        raise CompileError([Diagnostic(p, None) for p in problems[:5]])
    for (have, want), keys in converted.items():
        note(f"{origin}: converted {len(keys)} tensor{'s' * (len(keys) > 1)} from {have} to the model's {want}"
             f" ({_few(keys)})")
    return {k: np.require(v, requirements="C") for k, v in out.items()}


def _dtype_name(value: Any) -> str:
    """`float16`, `bfloat16`, `int64`, `complex64`, `bool`… for a numpy array or a torch tensor."""
    return str(value.dtype).removeprefix("torch.")


def _family(dtype: str) -> str:
    for family in ("complex", "float", "int", "uint", "bool"):
        if dtype.startswith(family) or (family == "float" and dtype == "bfloat16"):
            return "int" if family == "uint" else family
    return dtype


def _numpy(value: Any, dtype: str | None = None) -> Any:
    """A numpy array of `dtype` (a torch tensor converted in torch, as numpy has no bfloat16)."""
    if hasattr(value, "detach"):
        import torch

        tensor = value.detach().cpu()
        return (tensor.to(getattr(torch, dtype)) if dtype else tensor).numpy()
    return value.astype(dtype) if dtype else value


def _few(keys: list[str]) -> str:
    shown = ", ".join(keys[:5])
    return shown + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")


def _fmt(shape: Any) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"
