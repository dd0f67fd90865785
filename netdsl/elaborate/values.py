"""Compile-time values: what names are bound to while a network is elaborated."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from netdsl.diagnostics import Span
from netdsl.ops import Axes, Op, Shape, default_axes
from netdsl.syntax import ast


@dataclass(frozen=True, slots=True)
class Tensor:
    """A value flowing through the graph: the node that makes it and its shape."""

    node: str
    shape: Shape
    axes: Axes = ()

    @property
    def layout(self) -> Axes:
        """The axis names: declared, or the default for the rank."""
        return self.axes or default_axes(len(self.shape))


@dataclass(frozen=True, slots=True)
class OpValue:
    op: Op


@dataclass(frozen=True, slots=True)
class BlockValue:
    defn: ast.BlockDef
    env: "Env"


@dataclass(frozen=True, slots=True)
class Layer:
    """An op or block with its parameters given, waiting for the tensors it applies to."""

    callee: OpValue | BlockValue
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Builtin:
    name: str
    fn: Callable[..., Any]


class Poison:
    """Bound to a name whose definition failed, so one mistake is reported once."""


POISON = Poison()


@dataclass
class Env:
    """Lexical scope of names. `input` is the tensor `in` refers to: the input of the
    innermost block or combinator branch (`if`, `for` and groups keep it). `flow` is the
    tensor a body's bare chains continue from. A `boundary` env is a block's or
    network's own, where rebinding stops."""

    vars: dict[str, Any] = field(default_factory=dict)
    parent: "Env | None" = None
    input: Tensor | None = None
    boundary: bool = False
    flow: Tensor | None = None

    def lookup(self, name: str) -> tuple[bool, Any]:
        env: Env | None = self
        while env is not None:
            if name in env.vars:
                return True, env.vars[name]
            env = env.parent
        return False, None

    def assign(self, name: str, value: Any) -> None:
        """Rebinds a name of the enclosing block if it has one (loops carry values), else binds here."""
        env: Env | None = self
        while env is not None:
            if name in env.vars:
                env.vars[name] = value
                return
            if env.boundary:
                break
            env = env.parent
        self.vars[name] = value

    def names(self) -> set[str]:
        env: Env | None = self
        out: set[str] = set()
        while env is not None:
            out.update(env.vars)
            env = env.parent
        return out

    def child(self, flow: "Tensor | None") -> "Env":
        """The env of an `if` or `for` body or a group: chains continue from `flow`, `in` is unchanged."""
        return Env({}, self, self.input, flow=flow)

    def entering(self, tensor: Tensor) -> "Env":
        """The env of a combinator branch: `in` is the tensor entering the combinator."""
        return Env({}, self, tensor, flow=tensor)


def describe(value: Any) -> str:
    """A value's kind in the user's words, for error messages."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return f"the number {value}"
    if isinstance(value, float):
        return f"the number {value:g}"
    if isinstance(value, str):  # cut, so a 1 MB string does not make a 1 MB message
        return f'the string "{value}"' if len(value) <= 40 else f'a string of {len(value):,} characters "{value[:20]}…"'
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a dict"
    if isinstance(value, Tensor):
        return "a tensor of " + "×".join(map(str, value.shape))
    if isinstance(value, OpValue):
        return f"the op `{value.op.name}`"
    if isinstance(value, BlockValue):
        return f"the block `{value.defn.name}`"
    if isinstance(value, Layer):
        return f"`{callee_name(value.callee)}(...)`"
    if isinstance(value, Builtin):
        return f"the function `{value.name}`"
    return "nothing" if value is None else type(value).__name__


def callee_name(callee: OpValue | BlockValue) -> str:
    return callee.op.name if isinstance(callee, OpValue) else callee.defn.name
