"""IR → readable PyTorch source that needs only torch (code generation, as torch.fx does).

One class per distinct block structure, one for the network. Submodules are named
after the IR, so `state_dict()` keys are `analysis.state.state_shapes`. Each forward
is straight-line code: the graph is walked once, here, never per call.

Constructor values that differ between instances of one structure become the
class's parameters (equal columns merged); values shared by all are written inline.

Outputs: one inference output is returned as a tensor, several as a dict by name.
Training-only outputs (`train output`) are computed only when `self.training`, and
then every output is returned in a dict by name.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from netdsl import __version__
from netdsl.backends.pynames import Identifiers, docstring, literal, parameters
from netdsl.diagnostics import CompileError, Diagnostic
from netdsl.ir import Network, Node

INDENT = "    "


@dataclass
class Instance:
    """One block instance (or the network itself) as its class will see it."""

    path: str
    kind: str
    inputs: list[str]  # producers outside, in first-use order
    outputs: list[str]  # its nodes used outside, in topological order
    slots: list[tuple[str, Any]] = field(default_factory=list)  # rel path → Ctor | Instance
    forward: list[str] = field(default_factory=list)
    lists: set[str] = field(default_factory=set)  # containers rendered as nn.ModuleList
    key: tuple = ()
    height: int = 0
    cls: "BlockClass | None" = None
    values: dict[str, Any] = field(default_factory=dict)  # this instance's class parameters


@dataclass
class BlockClass:
    name: str
    instances: list[Instance]
    params: list[str] = field(default_factory=list)
    literals: dict[tuple[int, str], Any] = field(default_factory=dict)  # (slot, arg) → inline value
    arg_param: dict[tuple[int, str], str] = field(default_factory=dict)  # (slot, arg) → parameter


def generate(network: Network, source: str = "") -> str:
    """The whole module's source."""
    return _Generator(network).source(source)


def camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part) or "Block"


def _value(value: Any) -> str:
    """A constructor argument; a plain pair of equal sizes is written once (`3`, not `(3, 3)`), but not
    a tuple that renders itself (a parameter's `torch.empty(65, 65)`)."""
    if type(value) is tuple and len(value) == 2 and value[0] == value[1]:
        return literal(value[0])
    return literal(value)


class _Generator:
    def __init__(self, network: Network):
        self.net = network
        self.graph = network.graph
        self.nodes = list(network.nodes())
        self.order = {n.name: i for i, n in enumerate(self.nodes)}
        self.blocks = {n.name: [s.path for s in network.scope_chain(n.scope) if s.kind == "block"]
                       for n in self.nodes}
        self.outputs = {p.node for p in network.outputs}
        self.members = self._scope_members()
        self.module_names = Identifiers()
        self._classes: list[BlockClass] | None = None

    # ---- structure ---------------------------------------------------------------

    def classes(self) -> list[BlockClass]:
        if self._classes is None:
            root = self._instance("", "network")
            groups: dict[tuple, list[Instance]] = {}
            for inst in self._walk(root):
                groups.setdefault(inst.key, []).append(inst)
            ordered = sorted(groups.values(), key=lambda insts: insts[0].height)
            self._classes = self._name([BlockClass("", insts) for insts in ordered])
            for cls in self._classes:
                self._finalise(cls)
        return self._classes

    def _walk(self, inst: Instance):
        for _, slot in inst.slots:
            if isinstance(slot, Instance):
                yield from self._walk(slot)
        yield inst

    def _name(self, classes: list[BlockClass]) -> list[BlockClass]:
        """CamelCase of the network's and the blocks' names, the network's first; variants of
        one block are told apart by the submodules only they have (BottleneckDownsample)."""
        classes[-1].name = self.module_names.fresh(camel(self.net.name))
        by_kind: dict[str, list[BlockClass]] = {}
        for cls in classes[:-1]:
            by_kind.setdefault(camel(self.net.scopes[cls.instances[0].path].name), []).append(cls)
        for base, variants in by_kind.items():
            tops = [{rel.split(".")[0] for rel, _ in c.instances[0].slots} for c in variants]
            common = set.intersection(*tops)
            for cls, top in zip(variants, tops):
                name = base + "".join(camel(t) for t in sorted(top - common))
                cls.name = self.module_names.fresh(base if name in self.module_names.taken else name)
        for cls in classes:
            for inst in cls.instances:
                inst.cls = cls
        return classes

    def _scope_members(self) -> dict[str, list[Node]]:
        """The nodes inside each block instance ("" for the network), in topological order: one pass."""
        members: dict[str, list[Node]] = {"": []}
        for node in self.nodes:
            if node.op == "input":
                continue
            members[""].append(node)
            for block in self.blocks[node.name]:
                members.setdefault(block, []).append(node)
        return members

    def _members(self, path: str) -> list[Node]:
        return self.members.get(path, [])

    def _instance(self, path: str, kind: str) -> Instance:
        members = self._members(path)
        inside = {n.name for n in members}
        inputs = list(dict.fromkeys(i for node in members for i in node.inputs if i not in inside))
        outputs = [n.name for n in members
                   if n.name in self.outputs or any(s not in inside for s in self.graph.successors(n.name))]
        inst = Instance(path, kind, inputs, outputs)
        units = self._units(inst, members)
        for unit in units:
            if isinstance(unit, str):
                node = self.net.node(unit)
                if node.spec.torch_module:
                    _holdable(node, self._rel(path, unit))
                    inst.slots.append((self._rel(path, unit), node.spec.torch_module(node.site)))
            else:
                inst.slots.append((self._rel(path, unit.path), unit))
        inst.height = 1 + max((s.height for _, s in inst.slots if isinstance(s, Instance)), default=0)
        inst.lists = _lists(_tree(inst.slots))
        inst.forward = _Forward(self, inst, units).lines()
        inst.key = (kind, inst.path if kind == "network" else self.net.scopes[path].name,
                    tuple(self._slot_key(rel, s) for rel, s in inst.slots), tuple(inst.forward))
        return inst

    @staticmethod
    def _slot_key(rel: str, slot: Any) -> tuple:
        if isinstance(slot, Instance):
            return (rel, slot.key)
        return (rel, slot.callee, tuple(a for a, _ in slot.args), tuple(k for k, _, _ in slot.kwargs))

    def _units(self, inst: Instance, members: list[Node]) -> list[Any]:
        """The statements of `inst`'s forward: its own nodes and its child blocks, ordered."""
        units: dict[str, Any] = {}
        owner: dict[str, str] = {}
        for node in members:
            chain = self.blocks[node.name]
            level = chain.index(inst.path) + 1 if inst.path else 0
            if level == len(chain):
                units[node.name] = node.name
                owner[node.name] = node.name
            else:
                child = chain[level]
                if child not in units:
                    units[child] = self._instance(child, "block")
                owner[node.name] = child
        dag = nx.DiGraph()
        dag.add_nodes_from(units)
        for node in members:
            for src in node.inputs:
                if src in owner and owner[src] != owner[node.name]:
                    dag.add_edge(owner[src], owner[node.name])
        first = {}
        for node in members:
            first.setdefault(owner[node.name], self.order[node.name])
        return [units[u] for u in nx.lexicographical_topological_sort(dag, key=lambda u: first[u])]

    @staticmethod
    def _rel(path: str, name: str) -> str:
        return name[len(path) + 1:] if path else name

    # ---- class parameters ------------------------------------------------------------

    def _finalise(self, cls: BlockClass) -> None:
        """Columns of constructor values across instances: equal ones inline, varying ones parameters."""
        columns: dict[tuple[int, str], list[Any]] = {}
        labels: dict[tuple[int, str], str] = {}
        for i, (rel, slot) in enumerate(cls.instances[0].slots):
            for arg in self._slot_args(slot):
                labels[(i, arg)] = f"{rel.replace('.', '_')}_{arg}"
                columns[(i, arg)] = [self._slot_value(inst.slots[i][1], arg) for inst in cls.instances]
        names = Identifiers(self.module_names.avoid | self.module_names.taken)
        by_values: dict[str, str] = {}
        for key, values in columns.items():
            if all(v == values[0] for v in values):
                cls.literals[key] = values[0]
                continue
            signature = repr(values)
            if signature not in by_values:
                by_values[signature] = names.fresh(labels[key])
                cls.params.append(by_values[signature])
            cls.arg_param[key] = by_values[signature]
        for n, inst in enumerate(cls.instances):
            inst.values = {cls.arg_param[key]: values[n] for key, values in columns.items() if key in cls.arg_param}

    @staticmethod
    def _slot_args(slot: Any) -> list[str]:
        if isinstance(slot, Instance):
            return slot.cls.params
        return [a for a, _ in slot.args] + [k for k, _, _ in slot.kwargs]

    @staticmethod
    def _slot_value(slot: Any, arg: str) -> Any:
        if isinstance(slot, Instance):
            return slot.values[arg]
        return dict(slot.args).get(arg, next((v for k, v, _ in slot.kwargs if k == arg), None))

    # ---- rendering -----------------------------------------------------------------

    def source(self, origin: str = "") -> str:
        classes = self.classes()
        net_cls = classes[-1]
        about = f"{self.net.name}: PyTorch module generated by netdsl {__version__}" + (
            f" from {origin}" if origin else "")
        head = [docstring(f"{about}.\n\nNeeds only torch. {_output_doc(self.net)}"),
                "", "import torch", "import torch.nn as nn", "import torch.nn.functional as F"]
        build = ["def build() -> nn.Module:", f'{INDENT}"""The network with PyTorch-default initialisation."""',
                 f"{INDENT}return {net_cls.name}()"]
        parts = ["\n".join(head)] + [self._render_class(cls) for cls in classes] + ["\n".join(build)]
        return "\n\n\n".join(parts) + "\n"

    def _render_class(self, cls: BlockClass) -> str:
        first = cls.instances[0]
        doc = (f"The network `{self.net.name}`." if first.kind == "network"
               else f"Block `{self.net.scopes[first.path].name}`" + (f" ({len(cls.instances)} instances)."
                                                                    if len(cls.instances) > 1 else "."))
        params = "".join(f", {p}" for p in cls.params)
        lines = [f"class {cls.name}(nn.Module):", INDENT + docstring(doc), "",
                 f"{INDENT}def __init__(self{params}) -> None:", f"{INDENT * 2}super().__init__()"]
        lines += self._render_init(cls, first)
        lines += ["", f"{INDENT}def forward(self, {', '.join(_Forward.params(self, first))}):"]
        lines += [INDENT * 2 + line for line in first.forward]
        return "\n".join(lines)

    def _render_init(self, cls: BlockClass, first: Instance) -> list[str]:
        lines = []
        for name, item in _tree(first.slots).items():
            rendered = self._render_item(cls, first, item, 2)
            if _attribute(name):
                lines.append(f"{INDENT * 2}self.{name} = {rendered}")
            else:
                lines.append(f"{INDENT * 2}self.add_module({literal(name)}, {rendered})")
        return lines

    def _render_item(self, cls: BlockClass, first: Instance, item: Any, depth: int) -> str:
        if isinstance(item, int):
            return self._render_ctor(cls, item, first.slots[item][1])
        pad = INDENT * (depth + 1)
        keys = list(item)
        if _is_list(item):
            inner = ",\n".join(pad + self._render_item(cls, first, item[k], depth + 1) for k in keys)
            return f"nn.ModuleList([\n{inner},\n{INDENT * depth}])"
        inner = ",\n".join(f"{pad}{literal(k)}: {self._render_item(cls, first, item[k], depth + 1)}" for k in keys)
        return f"nn.ModuleDict({{\n{inner},\n{INDENT * depth}}})"

    def _render_ctor(self, cls: BlockClass, i: int, slot: Any) -> str:
        def arg(name: str) -> str:
            return cls.arg_param.get((i, name)) or _value(cls.literals[(i, name)])

        if isinstance(slot, Instance):
            return f"{slot.cls.name}({', '.join(arg(p) for p in slot.cls.params)})"
        parts = [arg(a) for a, _ in slot.args]
        for name, _, default in slot.kwargs:
            if (i, name) in cls.literals and _same(cls.literals[(i, name)], default):
                continue
            parts.append(f"{name}={arg(name)}")
        return f"{slot.callee}({', '.join(parts)})"


def _holdable(node: Node, rel: str) -> None:
    """A group becomes an nn.ModuleDict or nn.ModuleList, which cannot hold a bare Parameter."""
    if node.op == "param" and "." in rel:
        group = rel.rpartition(".")[0]
        raise CompileError([Diagnostic(
            f"PyTorch cannot hold the parameter `{rel.rpartition('.')[2]}` inside the group `{group}`", node.span,
            hint="place the `param` directly in a block or the network, e.g. `mul(layer_scale: param([c, 1, 1]), x)`")])


def _tree(slots: list[tuple[str, Any]]) -> dict[str, Any]:
    """Slot paths as nested dicts: {"layer1": {"0": 3, "1": 4}} for slots 3 and 4."""
    tree: dict[str, Any] = {}
    for i, (rel, _) in enumerate(slots):
        parts = rel.split(".")
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = i
    return tree


def _is_list(item: dict[str, Any]) -> bool:
    return list(item) == [str(i) for i in range(len(item))]


def _lists(tree: dict[str, Any], prefix: str = "") -> set[str]:
    """The container paths rendered as nn.ModuleList (keys 0..n-1), the rest as nn.ModuleDict."""
    out: set[str] = set()
    for key, item in tree.items():
        if isinstance(item, dict):
            path = prefix + key
            out |= ({path} if _is_list(item) else set()) | _lists(item, path + ".")
    return out


def _attribute(name: str) -> bool:
    """Whether `self.<name>` spells the submodule `name` (else it goes through add_module/getattr)."""
    return name.isidentifier() and not keyword.iskeyword(name) and name.isascii()


def _same(value: Any, default: Any) -> bool:
    if isinstance(value, tuple):
        return all(v == default for v in value)
    return type(value) is type(default) and value == default


def _output_doc(network: Network) -> str:
    inference = network.inference_outputs
    train = [p.name for p in network.outputs if p.training]
    text = ("forward returns " + (f"`{inference[0].name}` as a tensor" if len(inference) == 1
                                  else "a dict of " + ", ".join(f"`{p.name}`" for p in inference)
                                  if inference else "an empty dict in eval mode"))
    if train:
        text += ("; in training mode a dict of every output, with the training-only "
                 + ", ".join(f"`{t}`" for t in train))
    return text + "."


class _Forward:
    """The straight-line forward of one instance; values live in variables named
    after their nodes, and a chain of single-use values reuses one variable.

    The network's forward takes its inputs in their declared order, under their own
    names (so positional and keyword calls agree with the .net file)."""

    def __init__(self, gen: _Generator, inst: Instance, units: list[Any]):
        self.gen, self.inst, self.units = gen, inst, units
        self.var: dict[str, str] = {}
        self.names = Identifiers()
        params = self.params(gen, inst)
        for param in params:
            self.names.keep(param)
        sources = [p.node for p in gen.net.inputs] if inst.kind == "network" else inst.inputs
        self.var.update(zip(sources, params))
        self.uses = self._uses()

    @staticmethod
    def params(gen: _Generator, inst: Instance) -> list[str]:
        if inst.kind == "network":
            return parameters([p.name for p in gen.net.inputs])
        return ["x"] if len(inst.inputs) == 1 else [f"x{i}" for i in range(len(inst.inputs))]

    def _uses(self) -> dict[str, int]:
        """How many statements (or the return) read each value; a network's output ports
        read theirs, even where the value is an input or another output's."""
        uses: dict[str, int] = {}
        for unit in self.units:
            for src in set(self._unit_inputs(unit)):
                uses[src] = uses.get(src, 0) + 1
        read = [p.node for p in self.gen.net.outputs] if self.inst.kind == "network" else self.inst.outputs
        for name in read:
            uses[name] = uses.get(name, 0) + 1
        return uses

    def _unit_inputs(self, unit: Any) -> tuple[str, ...]:
        return tuple(self.gen.net.node(unit).inputs) if isinstance(unit, str) else tuple(unit.inputs)

    def lines(self) -> list[str]:
        if self.inst.kind != "network":
            out = [self._statement(u) for u in self.units]
            values = [self.var[o] for o in self.inst.outputs]
            return out + [f"return {', '.join(values)}"]
        return self._network_lines()

    def _network_lines(self) -> list[str]:
        net = self.gen.net
        needed = self._needed(net.inference_outputs)
        inference = [u for u in self.units if self._unit_nodes(u) & needed]
        chosen = {id(u) for u in inference}
        training = [u for u in self.units if id(u) not in chosen]
        lines = [self._statement(u) for u in inference]
        if not any(p.training for p in net.outputs):
            return lines + [self._return(net.inference_outputs)]
        lines += ["if not self.training:", INDENT + self._return(net.inference_outputs)]
        lines += [self._statement(u) for u in training]
        return lines + [self._return(net.outputs, as_dict=True)]

    def _return(self, ports, as_dict: bool = False) -> str:
        if len(ports) == 1 and not as_dict:
            return f"return {self.var[ports[0].node]}"
        return f"return {{{', '.join(f'{literal(p.name)}: {self.var[p.node]}' for p in ports)}}}"

    def _needed(self, ports) -> set[str]:
        out: set[str] = set()
        for port in ports:
            out |= nx.ancestors(self.gen.graph, port.node) | {port.node}
        return out

    def _unit_nodes(self, unit: Any) -> set[str]:
        if isinstance(unit, str):
            return {unit}
        return {n.name for n in self.gen._members(unit.path)}

    def _statement(self, unit: Any) -> str:
        inputs = self._unit_inputs(unit)
        args = [self.var[i] for i in inputs]
        if isinstance(unit, str):
            node = self.gen.net.node(unit)
            rel = _Generator._rel(self.inst.path, unit)
            call = (node.spec.module_call(node.site.named(args), self._access(rel)) if node.spec.torch_module
                    else node.spec.torch_call(node.site.named(args)))
            target = self._target(inputs, rel)
            self.var[unit] = target
            return f"{target} = {call}"
        rel = _Generator._rel(self.inst.path, unit.path)
        call = f"{self._access(rel)}({', '.join(args)})"
        if len(unit.outputs) == 1:
            target = self._target(inputs, rel)
            self.var[unit.outputs[0]] = target
            return f"{target} = {call}"
        targets = [self.names.fresh(f"{rel.replace('.', '_')}_{i}") for i in range(len(unit.outputs))]
        self.var.update(zip(unit.outputs, targets))
        return f"{', '.join(targets)} = {call}"

    def _target(self, inputs: tuple[str, ...], rel: str) -> str:
        """The variable of the first single-use input, else a new one named after the node."""
        for src in inputs:
            if self.uses.get(src) == 1:
                return self.var[src]
        return self.names.fresh(rel.replace(".", "_"))

    def _access(self, rel: str) -> str:
        parts = rel.split(".")
        head = parts[0]
        text = f"self.{head}" if _attribute(head) else f"getattr(self, {literal(head)})"
        for k in range(1, len(parts)):
            text += f"[{parts[k]}]" if ".".join(parts[:k]) in self.inst.lists else f"[{literal(parts[k])}]"
        return text
