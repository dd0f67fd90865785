"""`netdsl import`: an ONNX model as a `.net` file and its weights beside it.

The views open an `.onnx` through the same route: the model is imported once
into the user's cache (keyed by the file's content and netdsl's version) and the
`.net` found there is loaded like any other, so shapes, costs and diagnostics
come from the one pipeline.
"""

from __future__ import annotations

from pathlib import Path

from netdsl import __version__
from netdsl.diskcache import default_directory, fingerprint
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
    """The imported `.net` of an ONNX file, from the cache when the file is unchanged
    (the cache directory's `onnx/` folder: the API uses it too, as the views need a file)."""
    check_file(Path(path))
    digest = fingerprint([Path(path).read_bytes(), __version__.encode()])[:24]
    net = default_directory() / "onnx" / digest / f"{Path(path).stem}.net"
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


def torch_to_onnx(spec: str, input_shape: tuple[int, ...], folder: str | Path) -> Path:
    """`module:callable` (a module class or a function returning one) traced to an ONNX file.

    The TorchScript exporter keeps batch norms apart from convs (no constant folding)
    and names initializers by their state_dict keys, which the ONNX reader turns into labels.
    """
    import importlib
    import sys

    import torch

    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise CompileError([Diagnostic(f"--torch {spec}: expected MODULE:CALLABLE, e.g. mymodels:ResNet", None)])
    sys.path.insert(0, str(Path.cwd()))
    try:
        model = getattr(importlib.import_module(module_name), attribute)()
    except (ImportError, AttributeError) as err:
        raise CompileError([Diagnostic(f"--torch {spec}: {err}", None)]) from None
    if not isinstance(model, torch.nn.Module):
        raise CompileError([Diagnostic(f"--torch {spec}: gave a {type(model).__name__}, not an nn.Module", None)])
    path = Path(folder) / f"{attribute}.onnx"
    with torch.no_grad():
        torch.onnx.export(model.eval(), (torch.zeros(1, *input_shape),), str(path), dynamo=False,
                          do_constant_folding=False, input_names=["x"], output_names=["y"])
    _rename(path, attribute)
    return path


def _rename(path: Path, name: str) -> None:
    """The network takes the callable's name (the exporter calls every graph `main_graph`)."""
    import onnx

    model = onnx.load(str(path))
    model.graph.name = name
    onnx.save(model, str(path))
