"""`netdsl import`: an ONNX model as a `.net` file and its weights beside it.

The views open an `.onnx` through the same route: the model is imported once
into the user's cache (keyed by the file's content and netdsl's version) and the
`.net` found there is loaded like any other, so shapes, costs and diagnostics
come from the one pipeline.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from netdsl import __version__
from netdsl.diagnostics import CompileError, Diagnostic
from netdsl.frontends.net_writer import Written, write_net
from netdsl.frontends.onnx_reader import check_file, read_onnx
from netdsl.io import atomic_write


def import_onnx(path: str | Path) -> Written:
    """The `.net` source and weights of an ONNX model."""
    return write_net(read_onnx(path))


def write_import(path: str | Path, output: str | Path | None = None) -> tuple[Path, Path | None]:
    """Writes NAME.net and, if the model has weights, NAME.safetensors beside it."""
    written = import_onnx(path)
    net = Path(output) if output is not None else Path(path).with_suffix(".net")
    weights = net.with_suffix(".safetensors") if written.weights else None
    if weights is not None:
        atomic_write(weights, _safetensors(written))
    atomic_write(net, written.source)
    return net, weights


def cached_net(path: str | Path) -> Path:
    """The imported `.net` of an ONNX file, from the cache when the file is unchanged."""
    from platformdirs import user_cache_dir

    check_file(Path(path))
    digest = hashlib.sha256(Path(path).read_bytes() + __version__.encode()).hexdigest()[:24]
    net = Path(user_cache_dir("netdsl")) / "onnx" / digest / f"{Path(path).stem}.net"
    if not net.is_file():
        net.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(net, import_onnx(path).source)
    return net


def _safetensors(written: Written) -> bytes:
    try:
        import numpy as np
        from safetensors.numpy import save
    except ImportError:
        raise CompileError([Diagnostic("writing the weights needs safetensors:"
                                       ' pip install "netdsl[torch]" or pip install safetensors', None)]) from None
    return save({key: np.array(value, copy=True) for key, value in written.weights.items()})
