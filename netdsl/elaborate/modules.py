"""From parsed files to elaborated networks: what names each file defines, which
network a command means, and the parameters a preset or `--set` gives it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netdsl.diagnostics import CompileError, Diagnostic, DiagnosticError, Span, suggest
from netdsl.elaborate.elaborator import Elaborator, Limits
from netdsl.elaborate.expressions import BUILTINS, Poisoned
from netdsl.elaborate.instances import InstanceElaborator, in_network, merge
from netdsl.elaborate.program import SourceFile, load_file
from netdsl.elaborate.values import BlockValue, Env, OpValue
from netdsl.gcpause import paused
from netdsl.ir import Network
from netdsl.ops import OPS
from netdsl.syntax import ast


@dataclass
class Definitions:
    """The names one file can use: its own definitions and those it imports."""

    path: str
    env: Env
    networks: dict[str, tuple[ast.NetworkDef | ast.PresetDef, Env]] = field(default_factory=dict)
    own_networks: list[str] = field(default_factory=list)
    spans: dict[str, Span] = field(default_factory=dict)


def root_env() -> Env:
    """The names every file starts with: the built-in ops and functions."""
    return Env({**BUILTINS, **{name: OpValue(op) for name, op in OPS.items()}})


def define(source: SourceFile, done: dict[str, Definitions] | None = None) -> Definitions:
    """Binds every top-level name of `source`; errors in separate definitions are all reported."""
    done = {} if done is None else done
    if source.path in done:
        return done[source.path]
    defs = Definitions(source.path, Env({}, root_env(), None, boundary=True))
    errors: list[Diagnostic] = []
    for imported in source.imports:
        _merge(defs, define(imported, done), errors)
    for item in source.module.items:
        try:
            _define_item(defs, item)
        except DiagnosticError as err:
            errors.append(err.diagnostic)
        except Poisoned:
            continue
    if errors:
        raise CompileError(errors)
    done[source.path] = defs
    return defs


def _define_item(defs: Definitions, item: ast.Node) -> None:
    if isinstance(item, ast.Import):
        return
    name = item.name
    _claim(defs, name, item.span)
    if isinstance(item, ast.BlockDef):
        defs.env.vars[name] = BlockValue(item, defs.env)
    elif isinstance(item, ast.Let):
        defs.env.vars[name] = Elaborator().eval(item.value, defs.env)
    else:
        defs.networks[name] = (item, defs.env)
        defs.own_networks.append(name)


def _claim(defs: Definitions, name: str, span: Span) -> None:
    if name in OPS or name in BUILTINS:
        raise DiagnosticError(f"`{name}` is a built-in {'op' if name in OPS else 'function'};"
                              " choose another name", span)
    if name in defs.spans:
        raise DiagnosticError(f"`{name}` is defined twice", span,
                              notes=((f"`{name}` was first defined here", defs.spans[name]),))
    defs.spans[name] = span


def _merge(defs: Definitions, imported: Definitions, errors: list[Diagnostic]) -> None:
    for name, value in imported.env.vars.items():
        if name in defs.spans and defs.spans[name] != imported.spans.get(name):
            errors.append(Diagnostic(f"`{name}` is defined in two imported files", imported.spans.get(name),
                                     notes=((f"`{name}` was first defined here", defs.spans[name]),)))
            continue
        defs.env.vars[name] = value
        defs.spans[name] = imported.spans[name]
    defs.networks.update(imported.networks)


# ---- choosing and building a network -----------------------------------------

def choose(defs: Definitions, net: str | None, net_option: str = "--net") -> str:
    """`--net`, else the network named like the file, else the only one, else an error
    that names `net_option`, the way the caller chooses (a CLI flag, an API argument)."""
    if net is not None:
        if net not in defs.networks:
            raise CompileError([Diagnostic(f"{defs.path} has no network `{net}`", None,
                                           hint=suggest(net, defs.networks) or _choices(defs))])
        return net
    stem = Path(defs.path).stem
    if stem in defs.networks:
        return stem
    if len(defs.own_networks) == 1:
        return defs.own_networks[0]
    if not defs.own_networks:
        raise CompileError([Diagnostic(f"{defs.path} defines no network", None,
                                       hint="add `network name(...) { input ...; output ... }`")])
    raise CompileError([Diagnostic(f"{defs.path} defines {len(defs.own_networks)} networks; choose one with"
                                   f" {net_option}", None, hint=_choices(defs))])


def _choices(defs: Definitions) -> str:
    return "networks: " + ", ".join(defs.own_networks or sorted(defs.networks))


def parameters(defs: Definitions, name: str, overrides: dict[str, Any]) -> tuple[ast.NetworkDef, Env, dict]:
    """The network definition a name means and its parameters after presets and overrides."""
    item, env = defs.networks[name]
    given: dict[str, Any] = {}
    seen = [name]
    while isinstance(item, ast.PresetDef):
        preset_args = _preset_args(item, env)
        given = {**preset_args, **given}
        if item.target not in defs.networks:
            raise CompileError([Diagnostic(f"preset `{item.name}`: unknown network `{item.target}`", item.target_span,
                                           hint=suggest(item.target, defs.networks))])
        if item.target in seen:
            raise CompileError([Diagnostic(f"preset `{item.name}` refers back to itself", item.target_span)])
        seen.append(item.target)
        item, env = defs.networks[item.target]
    given.update(overrides)
    return item, env, _bind_network(item, env, given)


def _preset_args(item: ast.PresetDef, env: Env) -> dict[str, Any]:
    out = {}
    for arg in item.args:
        if arg.name is None:
            raise CompileError([Diagnostic("preset arguments are named: `network x = y(depth=50)`", arg.span)])
        try:
            out[arg.name] = Elaborator().eval(arg.value, env)
        except DiagnosticError as err:
            raise CompileError([err.diagnostic]) from None
    return out


def _bind_network(defn: ast.NetworkDef, env: Env, given: dict[str, Any]) -> dict[str, Any]:
    names = [p.name for p in defn.params]
    for key in given:
        if key not in names:
            raise CompileError([Diagnostic(f"network `{defn.name}` has no parameter `{key}`", defn.span,
                                           hint=suggest(key, names) or f"its parameters: {', '.join(names)}")])
    scope = Env({}, env)
    for param in defn.params:
        if param.name in given:
            scope.vars[param.name] = given[param.name]
        elif param.default is not None:
            try:
                scope.vars[param.name] = Elaborator().eval(param.default, scope)
            except DiagnosticError as err:
                raise CompileError([err.diagnostic]) from None
        else:
            raise CompileError([Diagnostic(f"network `{defn.name}` needs a value for `{param.name}`", param.span,
                                           hint=f"--set {param.name}=...")])
    return dict(scope.vars)


@paused()
def build(path: str | Path, net: str | None = None, overrides: dict[str, Any] | None = None,
          input_shape: tuple[int, ...] | None = None, limits: Limits | None = None,
          net_option: str = "--net") -> Network:
    """Parse, define and elaborate one network of a .net file; an error carries the files' texts."""
    source = load_file(path)
    try:
        defs = define(source)
        return elaborate(defs, choose(defs, net, net_option), overrides, input_shape, limits)
    except CompileError as err:
        raise CompileError(err.diagnostics, {**source.texts(), **err.sources}) from None


@paused()
def elaborate(defs: Definitions, name: str, overrides: dict[str, Any] | None = None,
              input_shape: tuple[int, ...] | None = None, limits: Limits | None = None) -> Network:
    """One network (or preset) of defined files, its errors located in their instances."""
    defn, env, params = parameters(defs, name, overrides or {})
    preset_of = defn.name if isinstance(defs.networks[name][0], ast.PresetDef) else None
    try:
        network = InstanceElaborator(limits).network(defn, env, params, input_shape)
    except CompileError as err:
        raise CompileError([in_network(d, name, preset_of, defn.span) for d in err.diagnostics]) from None
    network.name = name
    return network


def check(path: str | Path, limits: Limits | None = None) -> tuple[list[str], list[Diagnostic]]:
    """Every network of a file elaborated once (the file parsed once): their names, and
    the errors, each reported once however many networks or instances it is found in."""
    defs = define(load_file(path))
    errors: list[Diagnostic] = []
    for name in defs.own_networks:
        try:
            elaborate(defs, name, limits=limits)
        except CompileError as err:
            errors += err.diagnostics
    return defs.own_networks, merge(errors)
