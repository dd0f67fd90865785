"""What an op is: its signature, shape rule, weights and cost rule, side by side.

Every consumer (elaborator, analysis, backends, views) reads ops through this
one description, so shapes and costs cannot drift between them. Every callback
takes one `Site`: the op's inputs, arguments and output where it is applied.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping

from netdsl.diagnostics import suggest
from netdsl.ops.layout import Axes, axis_word, default_axes, spatial_rank

Shape = tuple[int, ...]
Weights = dict[str, Shape]

REQUIRED = object()

# Bounds that keep a typo from asking for an absurd tensor; see docs/language.md.
MAX_DIM = 1 << 20
MAX_ELEMENTS = 1 << 36


class ShapeError(Exception):
    """A shape rule's complaint, in the user's terms; the elaborator adds the location."""


class ArgumentError(Exception):
    """An argument that does not fit its parameter; the elaborator adds the location."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True, slots=True)
class Site:
    """One application of an op, the single argument of every callback.

    `ins` are the input shapes and `axes` their axis names; `out` is the output
    shape (empty while the shape rule computes it). `names` name the inputs in the
    callback's own terms: the user's words in shape errors ("branch 2"), Python
    expressions in the torch lowering, ONNX value names in the ONNX lowering.
    `site["kernel"]` reads a bound argument.
    """

    ins: tuple[Shape, ...]
    args: Mapping[str, Any]
    out: Shape = ()
    names: tuple[str, ...] = ()
    axes: tuple[Axes, ...] = ()

    def __getitem__(self, key: str) -> Any:
        return self.args[key]

    @property
    def x(self) -> Shape:
        """The first input's shape."""
        return self.ins[0]

    @property
    def x_axes(self) -> Axes:
        """The first input's axis names (its layout)."""
        return self.axes[0] if self.axes else default_axes(len(self.ins[0]))

    @property
    def spatial(self) -> int:
        """How many spatial axes the first input has (0 unless it is channels-first)."""
        return spatial_rank(self.x_axes)

    def named(self, names: list[str] | tuple[str, ...]) -> "Site":
        return replace(self, names=tuple(names))


@dataclass(frozen=True, slots=True)
class Param:
    """A parameter of an op: its kind, default and the range of values that make sense.

    Kinds: int, float, bool, str, and `spatial`: an integer for every spatial axis
    or a list of one per axis (`[height, width]`), bound to a tuple per axis.
    Ranges: `minimum`/`maximum` are inclusive, `above`/`below` exclusive; `choices`
    lists the only values a string may take.
    """

    name: str
    kind: str
    default: Any = REQUIRED
    minimum: float | None = None
    maximum: float | None = None
    above: float | None = None
    below: float | None = None
    choices: tuple[str, ...] = ()

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def bind(self, op: str, value: Any, spatial: int) -> Any:
        """The value checked against the kind and range, normalised (a spatial int → a tuple)."""
        is_int = isinstance(value, int) and not isinstance(value, bool)
        per_axis = _is_int if self.kind == "spatial" else _is_number
        if self.kind in ("spatial", "scale") and isinstance(value, list) and value \
                and all(per_axis(v) for v in value) and len(value) == (spatial or len(value)):
            numbers = list(value)
            value = tuple(value) if self.kind == "spatial" else tuple(float(v) for v in value)
        elif self.kind in ("int", "spatial") and is_int:
            numbers = [value]
            value = (value,) * max(spatial, 1) if self.kind == "spatial" else value
        elif self.kind == "scale" and _is_number(value):
            numbers, value = [value], (float(value),) * max(spatial, 1)
        elif self.kind == "float" and (is_int or isinstance(value, float)):
            numbers, value = [float(value)], float(value)
        elif self.kind == "axes" and _axis_list(value):
            return tuple(value) if isinstance(value, list) else (value,)
        elif self.kind == "shape" and isinstance(value, list) and value and all(_is_int(v) for v in value):
            return tuple(value)
        elif self.kind == "bool" and isinstance(value, bool):
            return value
        elif self.kind == "str" and isinstance(value, str):
            if self.choices and value not in self.choices:
                raise ArgumentError(f"{op}: `{self.name}` must be one of {', '.join(map(repr, self.choices))},"
                                    f" not {value!r}")
            return value
        else:
            raise ArgumentError(f"{op}: `{self.name}` must be {self._wanted(spatial)}, not {_describe(value)}")
        self._check_range(op, numbers)
        return value

    def normalised_default(self, spatial: int) -> Any:
        if self.kind == "spatial" and isinstance(self.default, int):
            return (self.default,) * max(spatial, 1)
        return self.default

    def _wanted(self, spatial: int) -> str:
        if self.kind in ("spatial", "scale"):
            one = "an integer" if self.kind == "spatial" else "a number"
            return one if spatial == 1 else f"{one} or [" + ", ".join(
                axis_word(a) for a in _SPATIAL_WORDS.get(spatial, ("…",))) + "]"
        return {"int": "an integer", "float": "a number", "bool": "true or false", "str": "a string",
                "axes": "an axis (a name such as \"c\", or an index) or a list of them",
                "shape": "a list of sizes"}[self.kind]

    def _check_range(self, op: str, numbers: list[float]) -> None:
        low, high = min(numbers), max(numbers)
        bad = next((n for n in numbers if not self.admits(n)), None)
        if bad is not None:
            raise ArgumentError(f"{op}: `{self.name}` must be {self.range_text()}, not {_number(bad)}")
        if self.kind != "float" and max(abs(low), high) > MAX_DIM:
            raise ArgumentError(f"{op}: `{self.name}` = {high if high > MAX_DIM else low:,} is beyond netdsl's limit")

    def admits(self, n: float) -> bool:
        return not ((self.minimum is not None and n < self.minimum) or (self.maximum is not None and n > self.maximum)
                    or (self.above is not None and n <= self.above) or (self.below is not None and n >= self.below))

    def range_text(self) -> str:
        """The range in words: `at least 1`, `greater than 0`, `in [0, 1)`."""
        low = self.minimum if self.minimum is not None else self.above
        high = self.maximum if self.maximum is not None else self.below
        if low is not None and high is not None:
            return (f"in {'[' if self.minimum is not None else '('}{_number(low)}, {_number(high)}"
                    f"{']' if self.maximum is not None else ')'}")
        if low is not None:
            return f"{'at least' if self.minimum is not None else 'greater than'} {_number(low)}"
        return f"{'at most' if self.maximum is not None else 'less than'} {_number(high)}"


_SPATIAL_WORDS = {2: ("h", "w"), 3: ("d", "h", "w")}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _axis_list(value: Any) -> bool:
    items = value if isinstance(value, list) else [value]
    return bool(items) and all(_is_int(v) or isinstance(v, str) for v in items)


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _describe(value: Any) -> str:
    """A value's kind in the user's words (ops cannot import the elaborator's `describe`)."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {_number(value)}"
    if isinstance(value, str):
        return f'the string "{value[:40]}"' + ("…" if len(value) > 40 else "")
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return getattr(value, "kind_text", None) or type(value).__name__


@dataclass(frozen=True, slots=True)
class Window:
    """Sliding-window geometry per spatial axis, for receptive fields."""

    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...] | None = None


# What an op's output sees of its input, besides a `Window`:
GLOBAL = "global"  # every position (global pools, a linear over a whole map)
ADAPTIVE = "adaptive"  # the input positions of its bin (adaptive pools)
FOLD = "fold"  # folds the spatial positions into the feature axis (flatten)
FEATURES = "features"  # mixes the feature axis: every position flattened into it (linear after flatten)


def _none(_: Site) -> Any:
    return None


def _zero(_: Site) -> int:
    return 0


def _no_weights(_: Site) -> Weights:
    return {}


def _empty(_: Site) -> str:
    return ""


def same_shape(site: Site) -> Shape:
    return site.x


def same_axes(site: Site) -> Axes:
    """The first input's axis names where the rank is kept, else the default names for the rank."""
    if site.axes and len(site.axes[0]) == len(site.out):
        return site.axes[0]
    return default_axes(len(site.out))


@dataclass(frozen=True, slots=True)
class Ctor:
    """A PyTorch constructor call, as data: the code generator renders it, and compares
    the values across instances of one block to find the class's parameters."""

    callee: str
    args: tuple[tuple[str, Any], ...]  # positional, named for the generated parameters
    kwargs: tuple[tuple[str, Any, Any], ...] = ()  # (name, value, PyTorch's default)


def state_key(layer: str, key: str) -> str:
    """A weight's state_dict key: `layer.key`, or the layer itself for a bare parameter (key "")."""
    return f"{layer}.{key}" if key else layer


def uniform_init(site: Site, key: str, shapes: Weights, rng: Any) -> Any:
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
    variadic: bool = False  # the first parameter takes every positional argument
    shape: Callable[[Site], Shape] = same_shape
    axes: Callable[[Site], Axes] = same_axes
    weights: Callable[[Site], Weights] = _no_weights
    buffers: Callable[[Site], Weights] = _no_weights
    macs: Callable[[Site], int] = _zero
    flops: Callable[[Site], int] = _zero
    window: Callable[[Site], Window | str | None] = _none
    scratch: Callable[[Site], int] = _zero  # elements alive only while the op runs (attention's scores)
    describe: Callable[[Site], str] = _empty
    resolve: Callable[[dict], dict] = field(default=lambda a: a)
    # Lowerings. Stateful ops: `torch_module` builds the nn.Module; stateless ops:
    # `torch_call(site)` is a functional expression over the input expressions `site.names`.
    # `onnx(g, site)` emits nodes through the exporter's builder `g`; `site.names` are the inputs.
    # `init(site, key, shapes, rng)` draws one weight or buffer as PyTorch's default would.
    torch_module: Callable[[Site], Ctor] | None = None
    torch_apply: Callable[[Site, str], str] | None = None  # the module's call, if not `module(x)`
    torch_call: Callable[[Site], str] | None = None
    onnx: Callable[[Any, Site], None] | None = None
    init: Callable[[Site, str, Weights, Any], Any] = uniform_init

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def module_call(self, site: Site, module: str) -> str:
        """The forward expression of a stateful op: its module applied to the input expressions."""
        return self.torch_apply(site, module) if self.torch_apply else f"{module}({site.names[0]})"

    def bind(self, args: list[Any], kwargs: dict[str, Any], site: Site) -> dict[str, Any]:
        """Positional and named arguments → every parameter's checked value (defaults filled in).
        `site` holds the inputs, whose spatial rank decides how many values a `spatial` parameter has.
        A `variadic` op gathers its positional arguments into its first parameter: permute("h", "w", "c")."""
        if self.variadic and len(args) > 1:
            args = [list(args)]
        if len(args) > len(self.params):
            raise ArgumentError(f"{self.name} takes {len(self.params)} argument{'s' * (len(self.params) != 1)},"
                                f" but gets {len(args)}", self.doc)
        given = dict(zip((p.name for p in self.params), args))
        for name, value in kwargs.items():
            if self.param(name) is None:
                raise ArgumentError(f"{self.name} has no argument `{name}`", _suggest(name, self) or self.doc)
            if name in given:
                raise ArgumentError(f"{self.name}: argument `{name}` is given twice")
            given[name] = value
        spatial = site.spatial if site.ins else 0
        bound = {}
        for param in self.params:
            if param.name in given:
                bound[param.name] = param.bind(self.name, given[param.name], spatial)
            elif param.required:
                raise ArgumentError(f"{self.name} needs `{param.name}`", self.doc)
            else:
                bound[param.name] = param.normalised_default(spatial)
        return self.resolve(bound)


def _suggest(name: str, op: Op) -> str | None:
    return suggest(name, [p.name for p in op.params])


# ---- shape helpers ------------------------------------------------------------

def numel(shape: Shape) -> int:
    return math.prod(shape)


def fmt_shape(shape: Shape) -> str:
    return "×".join(str(d) for d in shape)


def fmt_spatial(shape: Shape) -> str:
    return fmt_shape(shape[1:]) if len(shape) >= 2 else fmt_shape(shape)


def fmt_pair(value: tuple[int, ...]) -> str:
    """A per-axis value: `3` when every axis has it, else `1×7`."""
    return str(value[0]) if len(set(value)) == 1 else fmt_shape(value)


def need_spatial(op: str, site: Site, ranks: tuple[int, ...] = (1, 2, 3)) -> int:
    """The number of spatial axes of a channels-first input, or a ShapeError in the user's terms."""
    n = site.spatial
    if n not in ranks:
        axes = site.x_axes
        names = ["C×" + "×".join(_SPATIAL_NAMES[r]) for r in ranks]
        wanted = " or ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " or " + names[-1]
        raise ShapeError(f"{op} needs a {wanted} input, but its input is "
                         + ("a vector of " + str(site.x[0]) + " (after flatten or linear)" if len(site.x) == 1
                            else f"{fmt_shape(site.x)} ({', '.join(axes)})"))
    return n


_SPATIAL_NAMES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


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


def windowed(op: str, site: Site, ceil: bool = False) -> tuple[int, ...]:
    """Each spatial axis's output size under the site's kernel, stride, pad and dilation."""
    axes = site.x_axes[1:]
    dilation = site.args.get("dilation") or (1,) * len(axes)
    return tuple(window_size(op, size, k, s, p, d, ceil, axis_word(a))
                 for size, k, s, p, d, a in zip(site.x[1:], site["kernel"], site["stride"], site["pad"], dilation,
                                                axes))


def axis_index(op: str, site: Site, axis: int | str) -> int:
    """An axis given by name (`"c"`) or index (0 is the first after batch; -1 the last) → its index."""
    axes = site.x_axes
    if isinstance(axis, str):
        if axis not in axes:
            raise ShapeError(f"{op}: the input ({', '.join(axes)}) has no axis `{axis}`")
        return axes.index(axis)
    if not -len(axes) <= axis < len(axes):
        raise ShapeError(f"{op}: axis {axis} is out of range for an input of {len(axes)} axes ({', '.join(axes)})")
    return axis % len(axes)


def axis_indices(op: str, site: Site, axes: tuple) -> tuple[int, ...]:
    """Several axes, each once."""
    out = tuple(axis_index(op, site, a) for a in axes)
    if len(set(out)) != len(out):
        raise ShapeError(f"{op}: an axis is named twice in {', '.join(map(str, axes))}")
    return out


def check_size(shape: Shape) -> Shape:
    if any(d > MAX_DIM for d in shape) or numel(shape) > MAX_ELEMENTS:
        raise ShapeError(f"tensor of {fmt_shape(shape)} = {numel(shape):,} elements is beyond"
                         f" netdsl's limit of {MAX_ELEMENTS:,}")
    return shape
