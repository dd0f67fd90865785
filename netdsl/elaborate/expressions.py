"""Compile-time expressions: numbers, booleans, strings, lists, dicts, and the
few built-in functions. Nothing here can reach the host: names resolve only to
.net definitions, and the only attributes are a tensor's shape (`in.c`)."""

from __future__ import annotations

import math
import operator
from typing import Any, Callable

from netdsl.diagnostics import CompileError, Diagnostic, DiagnosticError, Span, suggest
from netdsl.elaborate.values import Builtin, Env, Poison, Tensor, describe
from netdsl.syntax import ast

MAX_RANGE = 100_000
MAX_INT = 1 << 62
MAX_LIST = 1_000_000
MAX_VALUE_DEPTH = 100
# Compile-time work (expressions evaluated, loop passes, list items made) one
# network may take: the biggest bundled one (NASNet) takes about 7,000; a
# runaway loop stops here within seconds.
MAX_WORK = 300_000  # the largest library net (NASNet-A Large) takes about 7,000


class Poisoned(Exception):
    """An operand came from a definition that already failed; nothing more to report."""


def _range(span: Span, *args: Any, **kwargs: Any) -> list[int]:
    if kwargs or not 1 <= len(args) <= 3 or not all(_is_int(a) for a in args):
        raise DiagnosticError("range takes one to three integers", span)
    if len(args) == 3 and args[2] == 0:
        raise DiagnosticError("range: the step must not be zero", span)
    values = range(*args)
    if len(values) > MAX_RANGE:
        raise DiagnosticError(f"range of {len(values):,} items is over the limit of {MAX_RANGE:,}", span)
    return list(values)


def make_divisible(span: Span, value: Any, divisor: Any = 8, min_value: Any = None) -> int:
    """MobileNet's channel rounding: nearest multiple of divisor, never 10% below value."""
    if not (_is_number(value) and _is_int(divisor) and divisor > 0 and (min_value is None or _is_number(min_value))):
        raise DiagnosticError("make_divisible takes a number, a positive integer divisor and a number minimum", span)
    floor = divisor if min_value is None else min_value
    rounded = max(floor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def _flat(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """A Python built-in given numbers and strings, or one flat list of them.

    Nested lists are refused before Python sees them: `sum` would concatenate
    them without bound and `min` would compare them without a depth limit.
    """
    def call(span: Span, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            raise DiagnosticError(f"{name} takes no named arguments", span)
        items = [*args[0], *args[1:]] if args and isinstance(args[0], list) else args
        if name != "len" and not all(isinstance(v, (int, float, str)) for v in items):
            raise DiagnosticError(f"{name} works on numbers and strings, or one list of them", span)
        return fn(*args)
    return call


def _checked(name: str, fn: Callable[..., Any]) -> Builtin:
    """A built-in whose failures become diagnostics at the call, and whose result
    is held to the bounds of arithmetic (`int(1e300)`, `float("nan")`)."""
    def call(span: Span, *args: Any, **kwargs: Any) -> Any:
        try:
            value = fn(span, *args, **kwargs)
        except (TypeError, ValueError, OverflowError) as err:
            raise DiagnosticError(f"{name}: {err}", span) from None
        if isinstance(value, float) and not math.isfinite(value):
            raise DiagnosticError(f"{name}: " + ("not a number" if math.isnan(value) else "number too large"), span)
        if _is_int(value) and abs(value) > MAX_INT:
            raise DiagnosticError(f"{name}: number too large", span)
        return value
    return Builtin(name, call)


def _numeric(name: str, fn: Callable[..., Any], arity: tuple[int, int] = (1, 1)) -> Callable[..., Any]:
    """A math function of numbers only (`log(x)`, `log(x, base)`, `ceil(x)`), for deriving
    widths in the language, as RegNet's quantized widths need."""
    def call(span: Span, *args: Any, **kwargs: Any) -> Any:
        if kwargs or not arity[0] <= len(args) <= arity[1] or not all(_is_number(a) for a in args):
            count = "a number" if arity == (1, 1) else f"{arity[0]} to {arity[1]} numbers"
            raise DiagnosticError(f"{name} takes {count}", span)
        return fn(*args)
    return call


def _tap_outside(span: Span, *args: Any, **kwargs: Any) -> Any:
    raise DiagnosticError("tap reads a layer of the network being built: use it inside a network or block", span)


BUILTINS: dict[str, Builtin] = {
    "tap": Builtin("tap", _tap_outside),
    "range": _checked("range", _range),
    "make_divisible": _checked("make_divisible", make_divisible),
    **{name: _checked(name, _numeric(name, fn, arity)) for name, fn, arity in (
        ("log", math.log, (1, 2)), ("log2", math.log2, (1, 1)), ("exp", math.exp, (1, 1)),
        ("sqrt", math.sqrt, (1, 1)), ("ceil", math.ceil, (1, 1)), ("floor", math.floor, (1, 1)))},
    **{name: _checked(name, _flat(name, fn)) for name, fn in (
        ("len", len), ("min", min), ("max", max), ("abs", abs), ("sum", sum),
        ("int", int), ("float", float), ("round", round))},
}

_ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
          "//": operator.floordiv, "%": operator.mod, "**": operator.pow}
_COMPARE = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
            ">": operator.gt, ">=": operator.ge}
_IMAGE_AXES = ("c", "h", "w")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_LAYER_STEPS = {"For": "`for`", "If": "`if`", "Combine": "a combinator"}


def _nesting(value: Any, seen: dict[int, int]) -> int:
    """How deeply lists and dicts nest in `value`. Every list and dict was checked
    when it was made, so this recursion is at most MAX_VALUE_DEPTH deep; `seen`
    keeps shared parts (`a = [a, a]`) from being walked twice."""
    if not isinstance(value, (list, dict)):
        return 0
    if id(value) not in seen:
        items = value.values() if isinstance(value, dict) else value
        seen[id(value)] = 1 + max((_nesting(v, seen) for v in items), default=0)
    return seen[id(value)]


class Expressions:
    """Evaluates the value-level expressions; the elaborator adds chains and tensors."""

    work: int = 0
    work_budget: int = MAX_WORK
    loops: tuple[Span, ...] = ()  # the iterables of the `for`s being run, innermost last

    def tick(self, amount: int, span: Span) -> None:
        """Counts compile-time work, so a runaway loop is a diagnostic, not a hang.
        Over budget, the compile stops: every later statement would only repeat it.
        A note points at the innermost loop running, the likeliest culprit."""
        self.work += amount
        if self.work > self.work_budget:
            raise CompileError([Diagnostic(
                f"this takes more than {self.work_budget:,} steps to work out at compile time", span,
                notes=(("inside this loop", self.loops[-1]),) if self.loops else (),
                hint="is a loop or a list far bigger than intended?")])

    def eval(self, node: ast.Node, env: Env) -> Any:
        method = getattr(self, "eval_" + type(node).__name__, None)
        if method is None:
            raise DiagnosticError(f"{_LAYER_STEPS.get(type(node).__name__, 'this')} makes layers, not a value;"
                                  " it can only be a step of a chain", node.span, hint="e.g. `x -> for ... { ... }`")
        self.tick(1, node.span)
        value = method(node, env)
        if isinstance(value, Poison):
            raise Poisoned()
        return value

    def eval_Number(self, node: ast.Number, env: Env) -> Any:
        if (_is_int(node.value) and abs(node.value) > MAX_INT) or not math.isfinite(node.value):
            raise DiagnosticError("number too large", node.span)
        return node.value

    def eval_String(self, node: ast.String, env: Env) -> str:
        return node.value

    def eval_Bool(self, node: ast.Bool, env: Env) -> bool:
        return node.value

    def eval_Name(self, node: ast.Name, env: Env) -> Any:
        found, value = env.lookup(node.id)
        if not found:
            raise DiagnosticError(f"unknown name `{node.id}`", node.span, hint=suggest(node.id, [*env.names(), "true", "false"]))
        return value

    def eval_InputRef(self, node: ast.InputRef, env: Env) -> Tensor:
        if env.input is None:
            raise DiagnosticError("`in` is only defined inside a block or a combinator branch", node.span,
                                  hint="`in` is the input of the enclosing block, or of `add { … }` or `concat { … }`")
        return env.input

    def eval_ListExpr(self, node: ast.ListExpr, env: Env) -> list:
        return self._nested([self.eval(item, env) for item in node.items], node.span)

    def _nested(self, value: list | dict, span: Span) -> list | dict:
        """A new list or dict, refused if nested so deep that comparing or printing it would recurse too far."""
        seen: dict[int, int] = {}
        if _nesting(value, seen) > MAX_VALUE_DEPTH:
            raise DiagnosticError(f"lists nested more than {MAX_VALUE_DEPTH} deep", span)
        self.tick(len(seen), span)
        return value

    def eval_DictExpr(self, node: ast.DictExpr, env: Env) -> dict:
        out = {}
        for key, value in node.entries:
            k = self.eval(key, env)
            if isinstance(k, (list, dict)) or not isinstance(k, (int, float, str, bool)):
                raise DiagnosticError(f"a dict key must be a number or a string, not {describe(k)}", key.span)
            out[k] = self.eval(value, env)
        return self._nested(out, node.span)

    def eval_Group(self, node: ast.Group, env: Env) -> Any:
        return self.eval(node.inner, env)

    def eval_Cond(self, node: ast.Cond, env: Env) -> Any:
        return self.eval(node.then if self._truth(node.test, env) else node.orelse, env)

    def eval_UnaryOp(self, node: ast.UnaryOp, env: Env) -> Any:
        if node.op == "not":
            return not self._truth(node.operand, env)
        value = self.eval(node.operand, env)
        if not _is_number(value):
            raise DiagnosticError(f"`{node.op}` needs a number, not {describe(value)}", node.operand.span)
        return -value if node.op == "-" else value

    def eval_BinOp(self, node: ast.BinOp, env: Env) -> Any:
        if node.op == "and":
            return self._truth(node.left, env) and self._truth(node.right, env)
        if node.op == "or":
            return self._truth(node.left, env) or self._truth(node.right, env)
        left, right = self.eval(node.left, env), self.eval(node.right, env)
        if node.op in _COMPARE:
            return self._compare(node, left, right)
        return self._arith(node, left, right)

    def _compare(self, node: ast.BinOp, left: Any, right: Any) -> bool:
        if node.op in ("==", "!="):
            return _COMPARE[node.op](left, right)
        if not ((_is_number(left) and _is_number(right)) or (isinstance(left, str) and isinstance(right, str))):
            raise DiagnosticError(f"cannot compare {describe(left)} with {describe(right)}", node.span)
        return _COMPARE[node.op](left, right)

    def _arith(self, node: ast.BinOp, left: Any, right: Any) -> Any:
        ok = (_is_number(left) and _is_number(right)) or (
            node.op == "+" and type(left) is type(right) and isinstance(left, (list, str))) or (
            node.op == "*" and isinstance(left, list) and _is_int(right))
        if not ok:
            raise DiagnosticError(f"`{node.op}` cannot combine {describe(left)} and {describe(right)}", node.span)
        if node.op in ("/", "//", "%") and right == 0:
            raise DiagnosticError("division by zero", node.right.span)
        if node.op == "**" and _is_number(left) and abs(left) > 1 and right > 64:
            raise DiagnosticError("number too large", node.span)
        if node.op == "*" and isinstance(left, list) and len(left) * right > MAX_LIST:
            raise DiagnosticError(f"list of {len(left) * right:,} items is over the limit", node.span)
        if node.op == "+" and isinstance(left, (list, str)) and len(left) + len(right) > MAX_LIST:
            kind = "list" if isinstance(left, list) else "string"
            raise DiagnosticError(f"{kind} of {len(left) + len(right):,} items is over the limit of {MAX_LIST:,}",
                                  node.span)
        try:
            result = _ARITH[node.op](left, right)
        except ZeroDivisionError:
            raise DiagnosticError("division by zero", node.right.span) from None
        except OverflowError:
            raise DiagnosticError("number too large", node.span) from None
        if isinstance(result, complex):
            raise DiagnosticError("a negative number to a fractional power has no real value", node.span)
        if isinstance(result, (list, str)):
            self.tick(len(result), node.span)
        if _is_int(result) and abs(result) > MAX_INT:
            raise DiagnosticError("number too large", node.span)
        if isinstance(result, float) and not math.isfinite(result):
            raise DiagnosticError("number too large", node.span)
        return result

    def _truth(self, node: ast.Node, env: Env) -> bool:
        value = self.eval(node, env)
        if not isinstance(value, (bool, int, float, str, list, dict)) and value is not None:
            raise DiagnosticError(f"a condition must be a boolean or a number, not {describe(value)}", node.span)
        return bool(value)

    def eval_Index(self, node: ast.Index, env: Env) -> Any:
        container, key = self.eval(node.value, env), self.eval(node.index, env)
        if isinstance(container, dict):
            if not isinstance(key, (int, float, str)):
                raise DiagnosticError(f"a dict key is a number or a string, not {describe(key)}", node.index.span)
            if key not in container:
                keys = ", ".join(map(str, list(container)[:10]))
                raise DiagnosticError(f"no entry {key!r} in the dict (its keys: {keys})", node.index.span)
            return container[key]
        if isinstance(container, (list, str)):
            if not _is_int(key):
                raise DiagnosticError(f"a list index must be an integer, not {describe(key)}", node.index.span)
            if not -len(container) <= key < len(container):
                raise DiagnosticError(f"index {key} is out of range for {len(container)} items", node.index.span)
            return container[key]
        raise DiagnosticError(f"cannot index {describe(container)}", node.value.span)

    def eval_Attr(self, node: ast.Attr, env: Env) -> Any:
        value = self.eval(node.value, env)
        if not isinstance(value, Tensor):
            raise DiagnosticError(f"{describe(value)} has no attribute `{node.name}`", node.span,
                                  hint="only tensors have attributes: their axes (.c, .h, .w, …), .shape and .rank")
        if node.name == "shape":
            return list(value.shape)
        if node.name == "rank":
            return len(value.shape)
        layout = value.layout
        if node.name not in layout:
            axes = ", ".join(f".{a}" for a in layout)
            if node.name in _IMAGE_AXES and len(value.shape) == 1:
                raise DiagnosticError(f"a flat tensor of {value.shape[0]} has no `.{node.name}`", node.span,
                                      hint=f"its axis is {axes}")
            raise DiagnosticError(f"a tensor has no attribute `{node.name}`", node.span,
                                  hint=f"this {describe(value)} has axes {axes}, and .shape, .rank")
        return value.shape[layout.index(node.name)]

