"""What an op is: its signature, shape rule, weights and cost rule, side by side.

Every consumer (elaborator, analysis, backends, views) reads ops through this
one description, so shapes and costs cannot drift between them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

Shape = tuple[int, ...]
Weights = dict[str, Shape]

REQUIRED = object()

# Bounds that keep a typo from asking for an absurd tensor; see docs/language.md.
MAX_DIM = 1 << 20
MAX_ELEMENTS = 1 << 36


class ShapeError(Exception):
    """A shape rule's complaint, in the user's terms; the elaborator adds the location."""


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    kind: str  # int, float, bool, pair (int or [h, w]), str
    default: Any = REQUIRED
    minimum: int | None = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass(frozen=True, slots=True)
class Window:
    """Sliding-window geometry, for receptive fields."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int] = (1, 1)


def _none(*_: Any) -> Any:
    return None


def _zero(*_: Any) -> int:
    return 0


def _no_weights(*_: Any) -> Weights:
    return {}


def same_shape(ins: list[Shape], a: dict, names: list[str]) -> Shape:
    return ins[0]


@dataclass(frozen=True, slots=True)
class Ctor:
    """A PyTorch constructor call, as data: the code generator renders it, and compares
    the values across instances of one block to find the class's parameters."""

    callee: str
    args: tuple[tuple[str, Any], ...]  # positional, named for the generated parameters
    kwargs: tuple[tuple[str, Any, Any], ...] = ()  # (name, value, PyTorch's default)


def uniform_init(key: str, shapes: Weights, rng: Any) -> Any:
    """PyTorch's default for conv and linear: U(±1/√fan_in) for weight and bias alike
    (kaiming_uniform with a=√5), fan_in taken from the weight."""
    import numpy as np

    fan_in = math.prod(shapes["weight"][1:])
    bound = np.float32(1 / math.sqrt(fan_in) if fan_in else 0.0)
    values = rng.random(shapes[key], dtype=np.float32)
    values *= 2 * bound
    values -= bound
    return values


@dataclass(frozen=True)
class Op:
    """A built-in op. `flops` is the element-wise work beyond 2 × MACs."""

    name: str
    doc: str
    params: tuple[Param, ...] = ()
    inputs: int | None = 1  # None: one or more
    shape: Callable[[list[Shape], dict, list[str]], Shape] = same_shape
    weights: Callable[[list[Shape], Shape, dict], Weights] = _no_weights
    buffers: Callable[[list[Shape], Shape, dict], Weights] = _no_weights
    macs: Callable[[list[Shape], Shape, dict], int] = _zero
    flops: Callable[[list[Shape], Shape, dict], int] = _zero
    window: Callable[[dict], Window | str | None] = _none
    describe: Callable[[dict], str] = field(default=lambda a: "")
    resolve: Callable[[dict], dict] = field(default=lambda a: a)
    # Lowerings. Stateful ops: `torch_module` builds the nn.Module; stateless ops:
    # `torch_call(xs, a)` is a functional expression over the input expressions `xs`.
    # `onnx(g, xs, a, ins, out)` emits nodes through the exporter's builder `g`.
    # `init(key, shapes, rng)` draws one weight or buffer as PyTorch's default would.
    torch_module: Callable[[list[Shape], Shape, dict], Ctor] | None = None
    torch_call: Callable[[list[str], dict], str] | None = None
    onnx: Callable[..., None] | None = None
    init: Callable[[str, Weights, Any], Any] = uniform_init

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


# ---- shape helpers ------------------------------------------------------------

def numel(shape: Shape) -> int:
    return math.prod(shape)


def fmt_shape(shape: Shape) -> str:
    return "×".join(str(d) for d in shape)


def fmt_spatial(shape: Shape) -> str:
    return fmt_shape(shape[1:]) if len(shape) == 3 else fmt_shape(shape)


def pair(value: Any) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (value[0], value[1])


def fmt_pair(value: tuple[int, int]) -> str:
    return str(value[0]) if value[0] == value[1] else f"{value[0]}×{value[1]}"


def need_image(op: str, shape: Shape) -> None:
    if len(shape) != 3:
        raise ShapeError(f"{op} needs a C×H×W input, but its input is a vector of {shape[0]}"
                         " (after flatten or linear)")


def window_size(op: str, size: int, kernel: int, stride: int, pad: int, dilation: int,
                ceil: bool, axis: str) -> int:
    """PyTorch's output size, with its ceil-mode rule that a window must start inside."""
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    out = (-(-span // stride) if ceil else span // stride) + 1
    if ceil and (out - 1) * stride >= size + pad:
        out -= 1
    if span < 0 or out <= 0:
        raise ShapeError(f"{op}: output {axis} would be {min(out, 0) if span >= 0 else span // stride + 1}"
                         f" (input {axis} {size}, kernel {kernel}, stride {stride}, pad {pad}"
                         + (f", dilation {dilation}" if dilation != 1 else "") + ")")
    return out


def check_size(shape: Shape) -> Shape:
    if any(d > MAX_DIM for d in shape) or numel(shape) > MAX_ELEMENTS:
        raise ShapeError(f"tensor of {fmt_shape(shape)} = {numel(shape):,} elements is beyond"
                         f" netdsl's limit of {MAX_ELEMENTS:,}")
    return shape
