"""Elaboration: blocks, loops, conditions and chains become the graph IR.

Shapes are inferred here, as each node is made, because the language can ask
for them (`in.c`, `if stride != 1 or in.c != c * 4`). Costs are left to
`netdsl.analysis`, which reads the finished IR.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from netdsl.diagnostics import CompileError, Diagnostic, DiagnosticError, Span, suggest
from netdsl.elaborate.builder import DEFAULT_NODE_BUDGET, DEFAULT_WEIGHT_BYTES, GraphBuilder, bind, input_site
from netdsl.elaborate.expressions import BUILTINS, MAX_WORK, Expressions, Poisoned
from netdsl.elaborate.naming import Namer
from netdsl.elaborate.values import (POISON, BlockValue, Builtin, Env, Layer, OpValue, Tensor, callee_name,
                                     describe)
from netdsl.ir import Network, Port
from netdsl.ops import OPS, ArgumentError, Axes, Op, default_axes
from netdsl.ops.layout import DEFAULT_AXES, MAX_RANK, check_axes
from netdsl.syntax import ast

MAX_CALL_DEPTH = 64
_LABEL_TEXT = re.compile(r"^[A-Za-z0-9_]+$")
_QUOTED_LABEL_TEXT = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass
class Limits:
    """Bounds on one compile, so a typo or a hostile file fails fast with a diagnostic."""

    node_budget: int = DEFAULT_NODE_BUDGET
    weight_bytes: int = DEFAULT_WEIGHT_BYTES  # all float32 weights of a network, so to_torch() cannot surprise
    call_depth: int = MAX_CALL_DEPTH
    work_budget: int = MAX_WORK


class Elaborator(Expressions):
    """Elaborates one network. Errors in separate network statements are all reported."""

    def __init__(self, limits: Limits | None = None):
        self.limits = limits or Limits()
        self.work_budget = self.limits.work_budget
        self.errors: list[Diagnostic] = []
        self.depth = 0
        self.namer = Namer.inside("")
        self.builder: GraphBuilder | None = None  # while a network is elaborated

    # ---- networks -----------------------------------------------------------

    def network(self, defn: ast.NetworkDef, module_env: Env, params: dict[str, Any],
                input_shape: tuple[int, ...] | None = None) -> Network:
        self.builder = GraphBuilder(defn.span, self.limits.node_budget, self.limits.weight_bytes)
        self.inputs: list[Port] = []
        self.outputs: list[Port] = []
        self.input_shape = input_shape
        env = Env(dict(params), module_env, None, boundary=True)
        try:
            self.body(defn.body, env, Namer.inside(""), recover=True)
        except RecursionError:
            # Each nesting is bounded (blocks by call_depth, the rest by the parser), but
            # blocks that each nest deeply can still outrun Python's stack together.
            raise CompileError([Diagnostic(
                f"network `{defn.name}` nests blocks, `if`, `for` and combinators too deeply to elaborate",
                defn.span, hint="flatten some of the nesting, or lower the depth of block calls")]) from None
        if not self.outputs and not self.errors:
            self.errors.append(Diagnostic(f"network `{defn.name}` declares no output", defn.span,
                                          hint="add `output logits = image -> ...`"))
        if self.errors:
            raise CompileError(self.errors)
        return Network(defn.name, params, self.builder.layers, self.inputs, self.outputs,
                       self.builder.scopes, defn.span)

    # ---- statements ---------------------------------------------------------

    def body(self, body: ast.Body, env: Env, namer: Namer, recover: bool = False) -> Tensor | None:
        """Runs statements in order; the result is the last bare chain or `return`."""
        result = None
        for stmt in body.stmts:
            try:
                value = self.statement(stmt, env, namer)
            except DiagnosticError as err:
                if not recover:
                    raise
                self._report(err.diagnostic)
                self._poison(stmt, env)
                continue
            except Poisoned:
                if not recover:
                    raise
                self._poison(stmt, env)
                continue
            if isinstance(stmt, ast.Return):
                return value
            if isinstance(stmt, ast.ExprStmt) and value is not None:
                result = value
        return result

    def statement(self, stmt: ast.Node, env: Env, namer: Namer) -> Any:
        if isinstance(stmt, ast.Let):
            env.vars[stmt.name] = self.value(stmt.value, env, namer.for_statement(stmt.name))
        elif isinstance(stmt, ast.Assign):
            self.assign(stmt, env, namer)
        elif isinstance(stmt, ast.Input):
            self.input(stmt, env)
        elif isinstance(stmt, ast.Output):
            self.output(stmt, env, namer)
        elif isinstance(stmt, (ast.Return, ast.ExprStmt)):
            return self.chain(stmt.value, env, namer, env.flow)
        return None

    def assign(self, stmt: ast.Assign, env: Env, namer: Namer) -> None:
        if len(stmt.targets) != len(stmt.values):
            raise DiagnosticError(f"{len(stmt.targets)} names but {len(stmt.values)} values", stmt.span)
        values = [self.value(v, env, namer.for_statement(t)) for t, v in zip(stmt.targets, stmt.values)]
        for target, value in zip(stmt.targets, values):
            env.assign(target, value)

    def value(self, node: ast.Node, env: Env, namer: Namer) -> Any:
        """A right-hand side: a chain if it has steps, else a plain value."""
        if isinstance(node, (ast.Chain, ast.Labelled, ast.Combine, ast.If, ast.For)):
            return self.chain(node, env, namer, None)
        with self.naming(namer):
            return self.eval(node, env)

    def input(self, stmt: ast.Input, env: Env) -> None:
        if self.depth:
            raise DiagnosticError("`input` belongs in a network, not a block", stmt.span,
                                  hint="a block's input is `in`; several inputs: `block name(params)(a, b)`")
        shape = self.eval(stmt.shape, env)
        if self.input_shape is not None and not self.inputs:
            shape = list(self.input_shape)
        if not (isinstance(shape, list) and shape and all(isinstance(d, int) and not isinstance(d, bool)
                                                          and d > 0 for d in shape) and len(shape) <= MAX_RANK):
            raise DiagnosticError(f"an input shape is a list of 1 to {MAX_RANK} positive integers ([features],"
                                  " [channels, length], [channels, height, width], …),"
                                  f" not {shape if isinstance(shape, list) else describe(shape)}", stmt.shape.span)
        axes = self._input_axes(stmt, len(shape))
        tensor = self.builder.add_input(stmt.name, tuple(shape), axes, stmt.span)
        env.vars[stmt.name] = tensor
        self.inputs.append(Port(stmt.name, tensor.node, tensor.shape, stmt.span, axes=axes))

    def _input_axes(self, stmt: ast.Input, rank: int) -> Axes:
        """The declared axis names (`as n, d`), else the default for the rank (C×H×W for three)."""
        if not stmt.axes:
            if rank not in DEFAULT_AXES:
                raise DiagnosticError(f"a shape of {rank} axes has no default layout: name its axes,"
                                      f" e.g. `as {', '.join(default_axes(rank))}`", stmt.shape.span)
            return DEFAULT_AXES[rank]
        problem = check_axes(stmt.axes, rank)
        if problem:
            raise DiagnosticError(f"input `{stmt.name}`: {problem}", stmt.span,
                                  hint="name each axis once, e.g. `input clip: [3, 16, 112, 112] as c, t, h, w`")
        return stmt.axes

    def output(self, stmt: ast.Output, env: Env, namer: Namer) -> None:
        if self.depth:
            raise DiagnosticError("`output` belongs in a network; a block ends with its result chain",
                                  stmt.span)
        value = self.value(stmt.value, env, namer.for_statement(stmt.name))
        if not isinstance(value, Tensor):
            raise DiagnosticError(f"output `{stmt.name}` must be a tensor, not {describe(value)}", stmt.value.span)
        if any(p.name == stmt.name for p in self.outputs):
            raise DiagnosticError(f"output `{stmt.name}` is declared twice", stmt.span)
        env.vars[stmt.name] = value
        self.outputs.append(Port(stmt.name, value.node, value.shape, stmt.span, stmt.training, value.layout))

    def naming(self, namer: Namer) -> "_Naming":
        """Chains inside an expression (`concat(a -> conv(8, 1), b)`) take their names from `namer`."""
        return _Naming(self, namer)

    # ---- chains -------------------------------------------------------------

    def chain(self, node: ast.Node, env: Env, namer: Namer, current: Tensor | None) -> Any:
        steps = node.steps if isinstance(node, ast.Chain) else (node,)
        for index, step in enumerate(steps):
            if index and not isinstance(current, Tensor):
                raise DiagnosticError(f"`->` needs a tensor on its left, not {describe(current)}",
                                      steps[index - 1].span)
            current = self.step(step, env, namer, current, first=index == 0)
        return current

    def step(self, step: ast.Node, env: Env, namer: Namer, current: Tensor | None, first: bool) -> Any:
        label = None
        if isinstance(step, ast.Labelled):
            label, step = self.label(step.label, env), step.step
        while isinstance(step, ast.Group) and not isinstance(step.inner, (ast.Chain, ast.Labelled)):
            step = step.inner  # `(if ...)`, `(concat {...})`: parentheses only group
        if isinstance(step, ast.Combine):
            return self.combine(step, env, namer, self._need(current, step), label)
        if isinstance(step, ast.If):
            return self.branch(step, env, namer, current, label)
        if isinstance(step, ast.For):
            return self.loop(step, env, namer, current, label)
        if isinstance(step, ast.Group) and (current is not None or label is not None):
            return self.group(step, env, namer, self._need(current, step), label)
        if isinstance(step, ast.Call):
            return self.call_step(step, env, namer, current, first, label)
        self._known_step(step, env)
        with self.naming(namer):
            value = self.eval(step, env)
        if isinstance(value, Tensor) and label is None and first:
            return value
        if not first and isinstance(value, Tensor):
            raise DiagnosticError(f"`->` leads to {describe(value)}; a step must be an op or a block", step.span,
                                  hint="join tensors with add(a, b) or concat(a, b)")
        if current is None and not isinstance(value, (Layer, OpValue, BlockValue)):
            return value
        return self.apply(value, [], {}, [self._need(current, step)], env, namer, label, step.span)

    def call_step(self, step: ast.Call, env: Env, namer: Namer, current: Tensor | None, first: bool,
                  label: str | None) -> Tensor:
        with self.naming(namer):
            callee, args, kwargs = self.call_parts(step, env)
        if isinstance(callee, Builtin):
            if current is not None and not first:
                raise DiagnosticError(f"`{callee.name}` computes a value; it cannot be a step of a chain", step.span)
            return self.call_builtin(callee, step.span, args, kwargs)
        tensors = [a for a in args if isinstance(a, Tensor)]
        params = [a for a in args if not isinstance(a, Tensor)]
        if _arity(callee) == 0 and first:  # a source such as `param(...)`: a tensor of its own
            return self.apply(callee, params, kwargs, tensors, env, namer, label, step.span)
        if self._complete(callee, tensors, current):
            if not first:
                raise DiagnosticError(f"`{_callee_text(callee)}(...)` already has all its inputs;"
                                      " it cannot follow `->`", step.span)
            return self.apply(callee, params, kwargs, tensors, env, namer, label, step.span)
        return self.apply(callee, params, kwargs, [self._need(current, step)] + tensors, env, namer, label, step.span)

    def _complete(self, callee: Any, tensors: list[Tensor], current: Tensor | None) -> bool:
        """Whether a call's explicit tensors are all its inputs (a source), or the chain's value goes first."""
        if not tensors:
            return False
        arity = _arity(callee)
        if arity is None:
            return len(tensors) >= 2 or current is None
        return len(tensors) >= arity

    @staticmethod
    def _known_step(step: ast.Node, env: Env) -> None:
        """A misspelt op is the commonest mistake: name it as one, with a suggestion."""
        if isinstance(step, ast.Name) and not env.lookup(step.id)[0]:
            raise DiagnosticError(f"unknown op or block `{step.id}`", step.span, hint=suggest(step.id, env.names()))

    def call_parts(self, node: ast.Call, env: Env) -> tuple[Any, list[Any], dict[str, Any]]:
        self._known_step(node.func, env)
        callee = self.eval(node.func, env)
        args, kwargs = [], {}
        for arg in node.args:
            if arg.name is None:
                if kwargs:
                    raise DiagnosticError("a positional argument cannot follow a named one", arg.span)
                args.append(self.value(arg.value, env, self.namer))
            elif arg.name in kwargs:
                raise DiagnosticError(f"argument `{arg.name}` is given twice", arg.span)
            else:
                kwargs[arg.name] = self.value(arg.value, env, self.namer)
        if not isinstance(callee, (Builtin, OpValue, BlockValue, Layer)):
            hidden = node.func.id if isinstance(node.func, ast.Name) and node.func.id in OPS else None
            raise DiagnosticError(f"{describe(callee)} cannot be called", node.func.span,
                                  hint=f"the name `{hidden}` here hides the built-in op; rename it" if hidden else None)
        return callee, args, kwargs

    def eval_Call(self, node: ast.Call, env: Env) -> Any:
        callee, args, kwargs = self.call_parts(node, env)
        if isinstance(callee, Builtin):
            if any(isinstance(a, Tensor) for a in [*args, *kwargs.values()]):
                raise DiagnosticError(f"`{callee.name}` works on numbers and lists, not tensors", node.span)
            return self.call_builtin(callee, node.span, args, kwargs)
        tensors = [a for a in args if isinstance(a, Tensor)]
        params = [a for a in args if not isinstance(a, Tensor)]
        if not tensors and _arity(callee) != 0:
            return _layer(callee, params, kwargs, node.span)
        return self.apply(callee, params, kwargs, tensors, env, self.namer, None, node.span)

    def eval_Chain(self, node: ast.Chain, env: Env) -> Any:
        return self.chain(node, env, self.namer, None)

    def eval_Labelled(self, node: ast.Labelled, env: Env) -> Any:
        return self.chain(node, env, self.namer, None)

    def _need(self, current: Tensor | None, step: ast.Node) -> Tensor:
        if current is None:
            raise DiagnosticError("this chain has no input: start it from a tensor, e.g. `image -> ...`",
                                  step.span)
        return current

    # ---- structure ----------------------------------------------------------

    def combine(self, step: ast.Combine, env: Env, namer: Namer, current: Tensor, label: str | None) -> Tensor:
        join = namer.take(label)
        outs = []
        for index, branch in enumerate(step.branches):
            branch_namer = namer.for_branch(join, label is not None, index)
            out = self.chain(branch, env.entering(current), branch_namer, current)
            if not isinstance(out, Tensor):
                raise DiagnosticError(f"{step.op}: branch {index + 1} gives {describe(out)}, not a tensor", branch.span)
            outs.append(out)
        names = [f"branch {i + 1}" for i in range(len(outs))]
        if len(outs) == 1:
            return outs[0] if step.op == "concat" else self._join(step, join, outs, names)
        return self._join(step, join, outs, names)

    def _join(self, step: ast.Node, name: str, outs: list[Tensor], names: list[str]) -> Tensor:
        op = OPS[step.op]
        return self.builder.add(name, op, op.bind([], {}, input_site(outs, {})), outs, step.span, names)

    def branch(self, step: ast.If, env: Env, namer: Namer, current: Tensor | None, label: str | None) -> Any:
        chosen = step.then if self._truth(step.test, env) else step.orelse
        inner = self._grouped(namer, label, step)
        try:
            result = self.body(chosen, env.child(current), inner) if chosen is not None else None
        finally:
            self._ungroup(label)
        return self._result(label, inner, current if result is None else result)

    def loop(self, step: ast.For, env: Env, namer: Namer, current: Tensor | None, label: str | None) -> Any:
        items = self.eval(step.iter, env)
        if not isinstance(items, (list, str, dict)):
            raise DiagnosticError(f"`for` needs a list or range, not {describe(items)}", step.iter.span)
        self.tick(len(items), step.iter.span)
        inner = self._grouped(namer, label, step)
        outer_loops, self.loops = self.loops, (*self.loops, step.iter.span)
        try:
            for item in items:
                body_env = env.child(current)
                body_env.vars[step.var] = item
                result = self.body(step.body, body_env, inner)
                current = current if result is None else result
        finally:
            self.loops = outer_loops
            self._ungroup(label)
        return self._result(label, inner, current)

    def group(self, step: ast.Group, env: Env, namer: Namer, current: Tensor, label: str | None) -> Tensor:
        path = namer.take(label)
        self.builder.enter(path, "group", label or path.rsplit(".", 1)[-1], step.span)
        try:
            result = self.chain(step.inner, env.child(current), Namer.inside(path), current)
        finally:
            self.builder.leave()
        self.builder.record(path, result)
        return result

    def _grouped(self, namer: Namer, label: str | None, step: ast.Node) -> Namer:
        """A labelled `for`/`if` is a group of its own; unlabelled, it splices into the chain."""
        if label is None:
            return namer
        path = namer.take(label)
        self.builder.enter(path, "group", label, step.span)
        return Namer.inside(path)

    def _ungroup(self, label: str | None) -> None:
        if label is not None:
            self.builder.leave()

    def _result(self, label: str | None, inner: Namer, value: Any) -> Any:
        """A labelled `for`/`if` group's output, for `tap`."""
        if label is not None:
            self.builder.record(inner.labels[:-1], value)
        return value

    def tap(self, span: Span, *args: Any, **kwargs: Any) -> Tensor:
        """`tap("backbone.4")`: the output of a layer, block instance or group elaborated before,
        named from the current block instance, else from the network (LR-ASPP's `backbone.4`)."""
        if kwargs or len(args) != 1 or not isinstance(args[0], str):
            raise DiagnosticError("tap takes the name of a layer as a string, e.g. tap(\"backbone.4\")", span)
        scope = self.builder.scope
        for path in ([f"{scope}.{args[0]}"] if scope else []) + [args[0]]:
            found = self.builder.result(path)
            if found is not None:
                return found
        raise DiagnosticError(f"tap: no layer `{args[0]}` has been built before this point", span,
                              hint=suggest(args[0], self.builder.names()))

    def call_builtin(self, callee: Builtin, span: Span, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if callee is BUILTINS["tap"] and self.builder is not None:
            return self.tap(span, *args, **kwargs)
        return callee.fn(span, *args, **kwargs)

    def label(self, label: ast.Label, env: Env) -> str:
        parts = []
        for part in label.parts:
            if isinstance(part, str):
                parts.append(part)
                continue
            value = self.eval(part, env)
            if not isinstance(value, (int, str)) or isinstance(value, bool):
                raise DiagnosticError(f"a label part must be a number or a string, not {describe(value)}", part.span)
            parts.append(str(value))
        text = "".join(parts)
        if label.quoted and not _QUOTED_LABEL_TEXT.match(text):
            raise DiagnosticError(f"label \"{text}\" may hold only letters, digits, `_` and `-`", label.span)
        if not label.quoted and not _LABEL_TEXT.match(text):
            raise DiagnosticError(f"label `{text}` may hold only letters, digits and `_`", label.span)
        return text

    # ---- application --------------------------------------------------------

    def apply(self, callee: Any, args: list[Any], kwargs: dict[str, Any], tensors: list[Tensor], env: Env,
              namer: Namer, label: str | None, span: Span) -> Tensor:
        if isinstance(callee, Layer):
            merged = {**dict(callee.kwargs), **kwargs}
            return self.apply(callee.callee, [*callee.args, *args], merged, tensors, env, namer, label, span)
        if isinstance(callee, OpValue):
            return self.apply_op(callee.op, args, kwargs, tensors, namer, label, span)
        if isinstance(callee, BlockValue):
            return self.apply_block(callee, args, kwargs, tensors, namer, label, span)
        raise DiagnosticError(f"{describe(callee)} is not an op or a block", span)

    def apply_op(self, op: Op, args: list[Any], kwargs: dict[str, Any], tensors: list[Tensor], namer: Namer,
                 label: str | None, span: Span) -> Tensor:
        if op.inputs is not None and len(tensors) != op.inputs:
            wanted = {0: "no input", 1: "one input"}.get(op.inputs, f"{op.inputs} inputs")
            raise DiagnosticError(f"{op.name} takes {wanted}, but gets {len(tensors)}", span,
                                  hint="use it as a value: `mul(param([c, 1, 1], 1e-6))`" if op.inputs == 0 else None)
        try:
            bound = bind(op, args, kwargs, tensors)
        except ArgumentError as err:
            raise DiagnosticError(str(err), span, hint=err.hint) from None
        if op.name == "identity":
            return tensors[0]
        names = [f"input {i + 1}" for i in range(len(tensors))]
        return self.builder.add(namer.take(label), op, bound, tensors, span, names)

    def apply_block(self, block: BlockValue, args: list[Any], kwargs: dict[str, Any], tensors: list[Tensor],
                    namer: Namer, label: str | None, span: Span) -> Tensor:
        defn = block.defn
        wanted = defn.inputs or ("in",)
        if len(tensors) != len(wanted):
            raise DiagnosticError(f"block `{defn.name}` takes {len(wanted)} input{'s' * (len(wanted) > 1)}"
                                  f" ({', '.join(wanted)}), but gets {len(tensors)}", span)
        if self.depth >= self.limits.call_depth:
            raise DiagnosticError(f"blocks call each other more than {self.limits.call_depth} deep"
                                  f" (is `{defn.name}` recursive?)", span)
        single = tensors[0] if defn.inputs is None else None
        env = Env({}, block.env, single, boundary=True, flow=single)
        self._bind_block(defn, args, kwargs, env, span)
        if defn.inputs is not None:
            env.vars.update(zip(defn.inputs, tensors))
        path = namer.take(label)
        self.builder.enter(path, "block", defn.name, span,
                           {k: v for k, v in env.vars.items() if _plain(v)})
        self.depth += 1
        try:
            result = self.body(defn.body, env, Namer.inside(path))
        finally:
            self.depth -= 1
            self.builder.leave()
        if not isinstance(result, Tensor):
            raise DiagnosticError(f"block `{defn.name}` gives {describe(result)}: it must end with a chain"
                                  " or `return`", span)
        self.builder.record(path, result)
        return result

    def _bind_block(self, defn: ast.BlockDef, args: list[Any], kwargs: dict[str, Any], env: Env,
                    span: Span) -> None:
        names = [p.name for p in defn.params]
        if len(args) > len(names):
            raise DiagnosticError(f"block `{defn.name}` takes {len(names)} parameters, but gets {len(args)}", span)
        for name in kwargs:
            if name not in names:
                raise DiagnosticError(f"block `{defn.name}` has no parameter `{name}`", span,
                                      hint=suggest(name, names))
        given = {**dict(zip(names, args)), **kwargs}
        for param in defn.params:
            if param.name in given:
                env.vars[param.name] = given[param.name]
            elif param.default is not None:
                env.vars[param.name] = self.eval(param.default, env)
            else:
                raise DiagnosticError(f"block `{defn.name}` needs a value for `{param.name}`", span)

    # ---- errors -------------------------------------------------------------

    def _report(self, diagnostic: Diagnostic) -> None:
        if diagnostic not in self.errors:
            self.errors.append(diagnostic)

    @staticmethod
    def _poison(stmt: ast.Node, env: Env) -> None:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else (
            (stmt.name,) if isinstance(stmt, (ast.Let, ast.Output, ast.Input)) else ())
        for target in targets:
            env.vars[target] = POISON


def _arity(callee: Any) -> int | None:
    if isinstance(callee, Layer):
        callee = callee.callee
    if isinstance(callee, OpValue):
        return callee.op.inputs
    return len(callee.defn.inputs) if callee.defn.inputs else 1


def _layer(callee: Any, args: list[Any], kwargs: dict[str, Any], span: Span) -> Layer:
    if isinstance(callee, Layer):
        return Layer(callee.callee, (*callee.args, *args), tuple({**dict(callee.kwargs), **kwargs}.items()), span)
    return Layer(callee, tuple(args), tuple(kwargs.items()), span)


def _callee_text(callee: Any) -> str:
    return callee_name(callee.callee if isinstance(callee, Layer) else callee)


def _plain(value: Any) -> bool:
    return isinstance(value, (int, float, str, bool)) or (
        isinstance(value, list) and all(isinstance(v, (int, float, str, bool)) for v in value))


class _Naming:
    """`with elaborator.naming(namer):` as a class, not a @contextmanager generator: it is entered
    for every value the elaborator evaluates (1,600 times for ResNet-152), where a generator's
    set-up was a tenth of the elaboration."""

    __slots__ = ("elaborator", "namer", "saved")

    def __init__(self, elaborator: Elaborator, namer: Namer):
        self.elaborator, self.namer = elaborator, namer

    def __enter__(self) -> None:
        self.saved, self.elaborator.namer = self.elaborator.namer, self.namer

    def __exit__(self, *exc: object) -> None:
        self.elaborator.namer = self.saved
