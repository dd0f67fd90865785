"""Reading an ONNX model file into steps of the language (see `onnx_ops` for the ops).

Weights keep their initializer names, which for PyTorch's and netdsl's exports
are the `state_dict` keys: a step's module path comes from them.

The file is untrusted: it is read only if it is a regular file under a size
limit, external data must stay inside the model's folder, and a cycle, an
absurd shape or an op the language lacks is a diagnostic naming the node.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from netdsl.diagnostics import CompileError, Diagnostic
from netdsl.frontends.onnx_ops import PARTS, Reader
from netdsl.frontends.steps import Graph, Step

MAX_MODEL_BYTES = 4 << 30


def read_onnx(path: str | Path) -> Graph:
    """The steps of an ONNX model file, or a CompileError saying what stands in the way."""
    import onnx

    model = _load(Path(path))
    graph = model.graph
    reader = Reader(path, {t.name: onnx.numpy_helper.to_array(t) for t in graph.initializer})
    inputs = [(v.name, _shape(path, v)) for v in graph.input if v.name not in reader.consts]
    nodes = _topological(path, graph)
    reader.uses = Counter(i for node in nodes for i in node.input) + Counter(v.name for v in graph.output)
    reader.readers = {i: node for node in nodes for i in node.input}
    for node in nodes:
        reader.read(node)
    outputs = [(v.name, reader.resolve(v.name)) for v in graph.output]
    steps = [s for s in reader.steps if s.output in reader.live([t for _, t in outputs])]
    reader.missing += [_unfolded(path, s) for s in steps if s.op in PARTS]
    if reader.missing:
        raise CompileError(reader.missing)
    return Graph(_network_name(graph.name or Path(path).stem), inputs, outputs, steps)


def _unfolded(path: str | Path, step: Step) -> Diagnostic:
    return Diagnostic(f"{path}: node `{step.node}` is part of a pattern netdsl does not recognise"
                      f" (it reads {', '.join(step.inputs) or 'constants only'})", None)


def _fail(path: str | Path, message: str, hint: str | None = None) -> CompileError:
    return CompileError([Diagnostic(f"{path}: {message}", None, hint=hint)])


def check_file(path: Path) -> None:
    """Only a regular file of sane size is read (a FIFO would hang, /dev/zero never end)."""
    if not path.is_file():
        raise _fail(path, "not a regular file" if path.exists() else "no such file")
    if path.stat().st_size > MAX_MODEL_BYTES:
        raise _fail(path, f"larger than {MAX_MODEL_BYTES >> 30} GiB")


def _load(path: Path) -> Any:
    import onnx
    from google.protobuf.message import DecodeError

    check_file(path)
    try:
        model = onnx.load(str(path), load_external_data=False)
    except (DecodeError, ValueError, RuntimeError) as err:
        raise _fail(path, f"not a readable ONNX model ({str(err)[:120] or type(err).__name__})") from None
    _load_external(path, model)
    return model


def _load_external(path: Path, model: Any) -> None:
    """External tensors are read only from files inside the model's own folder."""
    from onnx.external_data_helper import load_external_data_for_model, uses_external_data

    folder = path.resolve().parent
    external = [t for t in model.graph.initializer if uses_external_data(t)]
    for tensor in external:
        location = next((e.value for e in tensor.external_data if e.key == "location"), "")
        target = (folder / location).resolve()
        if not location or folder not in target.parents or not target.is_file():
            raise _fail(path, f"initializer `{tensor.name}` keeps its data in {location!r},"
                              " which is not a file inside the model's folder")
    if external:
        load_external_data_for_model(model, str(folder))


def _shape(path: str | Path, value: Any) -> tuple[int, ...]:
    dims = value.type.tensor_type.shape.dim
    sizes = [d.dim_value if d.HasField("dim_value") else None for d in dims]
    shape = tuple(sizes[1:])
    if not dims or any(d is None or d <= 0 for d in shape):
        raise _fail(path, f"input `{value.name}` has shape {sizes}: netdsl needs a batch axis then fixed sizes")
    return shape


def _topological(path: str | Path, graph: Any) -> list[Any]:
    """The nodes in an order where each reads only what was made before; a cycle is a diagnostic."""
    made = {v.name for v in graph.input} | {t.name for t in graph.initializer} | {""}
    pending, order = list(graph.node), []
    while pending:
        ready = [n for n in pending if all(i in made for i in n.input)]
        if not ready:
            stuck = pending[0]
            raise _fail(path, f"node `{stuck.name or stuck.op_type}` ({stuck.op_type}) reads"
                              f" {', '.join(i for i in stuck.input if i not in made)}, which nothing makes"
                              " before it: the graph has a cycle or a missing tensor")
        order += ready
        done = {id(n) for n in ready}
        pending = [n for n in pending if id(n) not in done]
        made |= {o for n in ready for o in n.output}
    return order


def _network_name(text: str) -> str:
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in text).strip("_") or "imported"
    return name if not name[0].isdigit() else f"net_{name}"


