"""The abstract syntax tree: plain data, every node with the span it came from.

Nothing past the parser sees a lark tree; the elaborator walks these classes.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from netdsl.diagnostics import Span


@dataclass(frozen=True, slots=True)
class Node:
    span: Span

    def __reduce__(self):
        """Pickled as its constructor's arguments: the slots dataclasses' own `__getstate__`
        calls `fields()` per node, most of the time of caching a big file's tree."""
        return self.__class__, tuple(map(self.__getattribute__, _FIELDS[self.__class__]))


# ---- expressions -------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Number(Node):
    value: int | float


@dataclass(frozen=True, slots=True)
class String(Node):
    value: str


@dataclass(frozen=True, slots=True)
class Bool(Node):
    value: bool


@dataclass(frozen=True, slots=True)
class Name(Node):
    id: str


@dataclass(frozen=True, slots=True)
class InputRef(Node):
    """`in`: the tensor flowing into the current block or step."""


@dataclass(frozen=True, slots=True)
class ListExpr(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class DictExpr(Node):
    entries: tuple[tuple[Node, Node], ...]


@dataclass(frozen=True, slots=True)
class BinOp(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class UnaryOp(Node):
    op: str
    operand: Node


@dataclass(frozen=True, slots=True)
class Cond(Node):
    """`a if test else b`."""

    test: Node
    then: Node
    orelse: Node


@dataclass(frozen=True, slots=True)
class Arg(Node):
    name: str | None
    value: Node


@dataclass(frozen=True, slots=True)
class Call(Node):
    func: Node
    args: tuple[Arg, ...]


@dataclass(frozen=True, slots=True)
class Index(Node):
    value: Node
    index: Node


@dataclass(frozen=True, slots=True)
class Attr(Node):
    value: Node
    name: str


@dataclass(frozen=True, slots=True)
class Group(Node):
    """`( ... )`: plain grouping in arithmetic, a Sequential-like group as a step."""

    inner: Node


# ---- structure ---------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Label(Node):
    """`name:` or a computed `denselayer{i+1}:`; parts alternate text and expressions.
    A quoted label (`"block1-0":`) may also hold `-`, so it can spell any PyTorch key."""

    parts: tuple[str | Node, ...]
    quoted: bool = False


@dataclass(frozen=True, slots=True)
class Chain(Node):
    steps: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Labelled(Node):
    label: Label
    step: Node


@dataclass(frozen=True, slots=True)
class Body(Node):
    stmts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class If(Node):
    test: Node
    then: Body
    orelse: Body | None


@dataclass(frozen=True, slots=True)
class For(Node):
    var: str
    iter: Node
    body: Body


@dataclass(frozen=True, slots=True)
class Combine(Node):
    """`concat { ... }`, `add { ... }`, `mul { ... }`: branches read the same input."""

    op: str
    branches: tuple[Node, ...]


# ---- statements --------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Let(Node):
    name: str
    value: Node


@dataclass(frozen=True, slots=True)
class Assign(Node):
    targets: tuple[str, ...]
    values: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Output(Node):
    name: str
    value: Node
    training: bool


@dataclass(frozen=True, slots=True)
class Input(Node):
    name: str
    shape: Node
    axes: tuple[str, ...] = ()  # `as n, d`: the axis names; empty: the default for the rank


@dataclass(frozen=True, slots=True)
class Return(Node):
    value: Node


@dataclass(frozen=True, slots=True)
class ExprStmt(Node):
    value: Node


# ---- definitions -------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Param(Node):
    name: str
    default: Node | None


@dataclass(frozen=True, slots=True)
class Import(Node):
    path: str


@dataclass(frozen=True, slots=True)
class BlockDef(Node):
    name: str
    params: tuple[Param, ...]
    inputs: tuple[str, ...] | None
    body: Body


@dataclass(frozen=True, slots=True)
class NetworkDef(Node):
    name: str
    params: tuple[Param, ...]
    body: Body


@dataclass(frozen=True, slots=True)
class PresetDef(Node):
    name: str
    target: str
    target_span: Span
    args: tuple[Arg, ...]


@dataclass(frozen=True, slots=True)
class Module(Node):
    path: str
    items: tuple[Node, ...]


def _subclasses(cls: type) -> list[type]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *_subclasses(direct))]


_FIELDS = {cls: tuple(f.name for f in fields(cls)) for cls in (Node, *_subclasses(Node))}
