"""Compile-time expressions: numbers, booleans, strings, lists, dicts, and the
few built-in functions. Nothing here can reach the host: names resolve only to
.net definitions, and the only attributes are a tensor's shape (`in.c`)."""

from __future__ import annotations

import math
import operator
from typing import Any

from netdsl.diagnostics import DiagnosticError, Span, suggest
from netdsl.elaborate.values import Builtin, Env, Poison, Tensor, describe
from netdsl.syntax import ast

MAX_RANGE = 100_000
MAX_INT = 1 << 62
MAX_LIST = 1_000_000


class Poisoned(Exception):
    """An operand came from a definition that already failed; nothing more to report."""


def _range(span: Span, *args: Any) -> list[int]:
    if not 1 <= len(args) <= 3 or not all(_is_int(a) for a in args):
        raise DiagnosticError("range takes one to three integers", span)
    values = range(*args)
    if len(values) > MAX_RANGE:
        raise DiagnosticError(f"range of {len(values):,} items is over the limit of {MAX_RANGE:,}", span)
    return list(values)


def _make_divisible(span: Span, value: Any, divisor: Any = 8, min_value: Any = None) -> int:
    """MobileNet's channel rounding: nearest multiple of divisor, never 10% below value."""
    floor = divisor if min_value is None else min_value
    rounded = max(floor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def _checked(name: str, fn):
    """A Python built-in whose failures become diagnostics at the call."""
    def call(span: Span, *args: Any) -> Any:
        try:
            return fn(*args)
        except (TypeError, ValueError, OverflowError) as err:
            raise DiagnosticError(f"{name}: {err}", span) from None
    return call


BUILTINS: dict[str, Builtin] = {
    "range": Builtin("range", _range),
    "make_divisible": Builtin("make_divisible", _make_divisible),
    **{name: Builtin(name, _checked(name, fn)) for name, fn in (
        ("len", len), ("min", min), ("max", max), ("abs", abs), ("sum", sum),
        ("int", int), ("float", float), ("round", round))},
}

_ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
          "//": operator.floordiv, "%": operator.mod, "**": operator.pow}
_COMPARE = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
            ">": operator.gt, ">=": operator.ge}
_SHAPE_ATTRS = {"c": 0, "h": 1, "w": 2}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Expressions:
    """Evaluates the value-level expressions; the elaborator adds chains and tensors."""

    def eval(self, node: ast.Node, env: Env) -> Any:
        method = getattr(self, "eval_" + type(node).__name__)
        value = method(node, env)
        if isinstance(value, Poison):
            raise Poisoned()
        return value

    def eval_Number(self, node: ast.Number, env: Env) -> Any:
        if _is_int(node.value) and abs(node.value) > MAX_INT:
            raise DiagnosticError("number too large", node.span)
        return node.value

    def eval_String(self, node: ast.String, env: Env) -> str:
        return node.value

    def eval_Bool(self, node: ast.Bool, env: Env) -> bool:
        return node.value

    def eval_Name(self, node: ast.Name, env: Env) -> Any:
        found, value = env.lookup(node.id)
        if not found:
            raise DiagnosticError(f"unknown name `{node.id}`", node.span, hint=suggest(node.id, env.names()))
        return value

    def eval_InputRef(self, node: ast.InputRef, env: Env) -> Tensor:
        if env.input is None:
            raise DiagnosticError("`in` is only defined inside a block or a chain step", node.span)
        return env.input

    def eval_ListExpr(self, node: ast.ListExpr, env: Env) -> list:
        return [self.eval(item, env) for item in node.items]

    def eval_DictExpr(self, node: ast.DictExpr, env: Env) -> dict:
        out = {}
        for key, value in node.entries:
            k = self.eval(key, env)
            if isinstance(k, (list, dict)) or not isinstance(k, (int, float, str, bool)):
                raise DiagnosticError(f"a dict key must be a number or a string, not {describe(k)}", key.span)
            out[k] = self.eval(value, env)
        return out

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
        result = _ARITH[node.op](left, right)
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
                                  hint="only tensors have attributes: .c, .h, .w and .shape")
        if node.name == "shape":
            return list(value.shape)
        if node.name not in _SHAPE_ATTRS:
            raise DiagnosticError(f"a tensor has no attribute `{node.name}`", node.span,
                                  hint="a tensor has .c, .h, .w and .shape")
        index = _SHAPE_ATTRS[node.name]
        if index >= len(value.shape):
            raise DiagnosticError(f"a flat tensor of {value.shape[0]} has no `.{node.name}`", node.span)
        return value.shape[index]

