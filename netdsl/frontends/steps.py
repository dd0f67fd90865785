"""What a frontend reads a model into: steps, each one call of the language."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Step:
    """One op of the language, read from one or more ONNX nodes."""

    node: str  # the ONNX node's name (or its output's), for messages and name hints
    op: str
    args: dict[str, Any]
    inputs: list[str]  # activation tensors, in the op's order
    output: str
    weights: dict[str, Any] = field(default_factory=dict)  # state_dict suffix → numpy array
    module: str | None = None  # the state_dict module path, from the weights' names

    @property
    def container(self) -> str | None:
        """The module path the node's name says it sits in: netdsl names a node by its
        own path (`layer1.0.1` sits in `layer1.0`), PyTorch by the scopes around it
        (`/layer1/layer1.0/Add`)."""
        if not self.node.startswith("/"):
            return self.node.rpartition(".")[0] if is_path(self.node) else None
        path = ""
        for part in self.node.strip("/").split("/")[:-1]:
            path = part if path and part.startswith(path + ".") else f"{path}.{part}" if path else part
        return path if path and is_path(path) else None


@dataclass
class Graph:
    name: str
    inputs: list[tuple[str, tuple[int, ...]]]  # name, shape without the batch
    outputs: list[tuple[str, str]]  # the output's name, the tensor it is
    steps: list[Step]


def is_path(text: str) -> bool:
    return all(part and all(c.isalnum() or c in "_-" for c in part) for part in text.split("."))
