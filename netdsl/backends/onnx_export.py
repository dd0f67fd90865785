"""IR → ONNX with the `onnx` package, op by op through the registry's lowerings; no
tracing through torch.

Eval-mode semantics: batch norm uses its running statistics, dropout is the
identity; training-only outputs are left out unless asked for. Initializers carry
the state_dict names; every intermediate value has its shape (the IR's shapes are
checked against ONNX's own inference). Same IR and weights → same bytes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from netdsl import __version__
from netdsl.diagnostics import CompileError, Diagnostic
from netdsl.ir import Network, Node, Port
from netdsl.ops.base import state_key

DEFAULT_OPSET = 17
MIN_OPSET = 14  # HardSwish
_DTYPES = {"float32": TensorProto.FLOAT, "int64": TensorProto.INT64}


class Builder:
    """What an op's `onnx` lowering sees: `op` emits a node, `weight` names an
    initializer, `const` a constant; `out` is the name the op's result must take."""

    def __init__(self, opset: int, state: dict[str, Any]):
        self.opset = opset
        self.state = state
        self.nodes: list[onnx.NodeProto] = []
        self.used: list[str] = []
        self.current = ""
        self.out = ""
        self._count = 0

    def begin(self, node: Node, out: str) -> None:
        self.current, self.out, self._count = node.name, out, 0

    def _name(self, kind: str) -> str:
        self._count += 1
        return f"{self.current}/{kind}{self._count}"

    def op(self, op_type: str, inputs: list[str], output: str | None = None, **attrs: Any) -> str:
        output = output or self._name(op_type.lower())
        name = self.current if output == self.out else output
        self.nodes.append(helper.make_node(op_type, inputs, [output], name=name, **attrs))
        return output

    def weight(self, key: str) -> str:
        name = state_key(self.current, key)
        if name not in self.used:
            self.used.append(name)
        return name

    def const(self, values: Any, dtype: str) -> str:
        array = np.asarray(values, dtype=dtype)
        output = self._name("const")
        self.nodes.append(helper.make_node("Constant", [], [output], name=output,
                                           value=numpy_helper.from_array(array, output)))
        return output

    def reduce_mean(self, x: str, axes: list[int]) -> str:
        if self.opset >= 18:
            return self.op("ReduceMean", [x, self.const(axes, "int64")], keepdims=1)
        return self.op("ReduceMean", [x], axes=axes, keepdims=1)


def export(network: Network, state: dict[str, Any], opset: int = DEFAULT_OPSET, dynamic_batch: bool = False,
           training_outputs: bool = False, doc: str = "") -> onnx.ModelProto:
    """The network as a checked ONNX model; `state` holds numpy arrays by state_dict key."""
    check_opset(opset)
    ports = _ports(network, training_outputs)
    needed = network.upstream(port.node for port in ports)
    values = _value_names(network, ports)
    g = Builder(opset, state)
    for node in network.nodes():
        if node.op != "input" and node.name in needed:
            g.begin(node, values[node.name])
            node.spec.onnx(g, node.site.named([values[i] for i in node.inputs]))
    outputs = []
    for port in ports:
        g.current = port.name if port.name not in network.layers else f"{port.name}/output"  # a node's name
        g.out = port.name
        g.op("Identity", [values[port.node]], port.name)
        outputs.append(_value_info(port.name, port.shape, dynamic_batch))
    model = _skeleton(network, g, outputs, dynamic_batch, doc)
    _check_shapes(model, network, {values[n]: n for n in needed}, dynamic_batch)
    del model.graph.input[len(network.inputs):]
    for key in g.used:
        _add_initializer(model.graph, key, state[key])
    return model


def _add_initializer(graph: onnx.GraphProto, name: str, value: Any) -> None:
    """numpy_helper.from_array, built in place: extending the graph with a finished tensor
    copies its bytes once more (60 ms of GoogLeNet's 400 ms export)."""
    array = np.ascontiguousarray(value)
    tensor = graph.initializer.add()
    tensor.name = name
    tensor.data_type = helper.np_dtype_to_tensor_dtype(array.dtype)
    tensor.dims.extend(array.shape)
    tensor.raw_data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()


def _ports(network: Network, training_outputs: bool) -> list[Port]:
    """The outputs the ONNX graph computes; each needs a name of its own, apart from the inputs'."""
    ports = [p for p in network.outputs if training_outputs or not p.training]
    if not ports:
        raise CompileError([Diagnostic(
            f"network `{network.name}` has only training outputs: its ONNX graph (eval mode) would compute"
            " nothing", network.span)])
    inputs = {p.name for p in network.inputs}
    clash = next((p for p in ports if p.name in inputs), None)
    if clash is not None:
        raise CompileError([Diagnostic(
            f"ONNX names each tensor once: the output `{clash.name}` cannot share its name with the input",
            clash.span)])
    return ports


def _value_names(network: Network, ports: list[Port]) -> dict[str, str]:
    """Each node's ONNX value name: the node's own, unless an output port takes that name."""
    taken = {p.name for p in ports}
    return {n: f"{n}/value" if n in taken else n for n in network.layers}


def _skeleton(network: Network, g: Builder, outputs: list, dynamic_batch: bool, doc: str) -> onnx.ModelProto:
    """The model with its weights declared as inputs: inferred and fully checked
    without copying hundreds of megabytes of weights through protobuf twice."""
    weights = [helper.make_tensor_value_info(k, helper.np_dtype_to_tensor_dtype(g.state[k].dtype), g.state[k].shape)
               for k in g.used]
    inputs = [_value_info(p.name, p.shape, dynamic_batch) for p in network.inputs]
    graph = helper.make_graph(g.nodes, network.name, inputs + weights, outputs)
    opset_ids = [helper.make_opsetid("", g.opset)]
    model = helper.make_model(graph, opset_imports=opset_ids, producer_name="netdsl",
                              producer_version=__version__, doc_string=doc,
                              ir_version=helper.find_min_ir_version_for(opset_ids))
    model = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    onnx.checker.check_model(model, full_check=True)
    return model


def latest_opset() -> int:
    return onnx.defs.onnx_opset_version()


def check_opset(opset: int) -> None:
    latest = latest_opset()
    if not MIN_OPSET <= opset <= latest:
        raise CompileError([Diagnostic(f"--opset {opset}: netdsl exports opsets {MIN_OPSET} to {latest}", None)])


def _value_info(name: str, shape: tuple[int, ...], dynamic_batch: bool) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch" if dynamic_batch else 1, *shape])


def _check_shapes(model: onnx.ModelProto, network: Network, needed: dict[str, str], dynamic_batch: bool) -> None:
    """ONNX's inferred shape of every node's value (by value name) must be the IR's: a lowering bug otherwise."""
    inferred = {vi.name: vi for vi in model.graph.value_info}
    batched = _batched(network)
    for value, name in needed.items():
        node = network.node(name)
        if name not in batched:  # inputs are declared; params, buffers and what is computed from them alone
            continue             # (Swin V2's coordinate MLP) have no batch axis
        info = inferred.get(value)
        dims = [d.dim_value if d.HasField("dim_value") else d.dim_param
                for d in info.type.tensor_type.shape.dim] if info else None
        expected = ["batch" if dynamic_batch else 1, *node.shape]
        if dims and isinstance(dims[0], str):
            dims[0] = expected[0]  # ONNX's inference loses the batch through Resize's computed sizes
        if dims != expected:
            raise AssertionError(f"ONNX lowering of {name} ({node.op}) gives shape {dims}, the IR says {expected}")


def _batched(network: Network) -> set[str]:
    """The layers whose values carry the batch axis: those computed from a network input."""
    out: set[str] = set()
    inputs = {p.node for p in network.inputs}
    for node in network.nodes():
        if any(i in out or i in inputs for i in node.inputs):
            out.add(node.name)
    return out


PROTOBUF_LIMIT = (1 << 31) - 1  # bytes in one serialised message


def to_bytes(model: onnx.ModelProto) -> bytes:
    """The model file; a protobuf message cannot exceed 2 GiB, so bigger weights are a diagnostic."""
    weights = sum(len(t.raw_data) for t in model.graph.initializer)
    if weights >= PROTOBUF_LIMIT:
        raise CompileError([Diagnostic(
            f"{model.graph.name}: {weights / (1 << 30):.2f} GiB of weights is beyond the 2 GiB that one ONNX"
            " file (a protobuf message) can hold", None,
            hint="netdsl does not write ONNX external data yet; use --torch, or a smaller preset")])
    return model.SerializeToString(deterministic=True)
