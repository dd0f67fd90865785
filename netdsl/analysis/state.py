"""The state_dict a compiled model will have, derived statically from the IR.

Keys are the IR's layer names plus each op's weight and buffer names, in
forward order; the PyTorch and ONNX backends must produce exactly these.
"""

from __future__ import annotations

from netdsl.ir import Network
from netdsl.ops import Shape
from netdsl.ops.base import state_key


def state_shapes(network: Network, buffers: bool = True) -> dict[str, Shape]:
    out: dict[str, Shape] = {}
    for node in network.nodes():
        entries = dict(node.spec.weights(node.site))
        if buffers:
            entries.update(node.spec.buffers(node.site))
        for key, shape in entries.items():
            out[state_key(node.name, key)] = tuple(shape)
    return out
