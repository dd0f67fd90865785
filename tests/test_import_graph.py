"""The package's import graph (issue 10.24): no module imports a later stage of the pipeline,
and no import circle. Read with ast from the source (every `import`, at the top or inside a
function; imports under `if TYPE_CHECKING:` are for annotations only and do not count).
Importing the `netdsl` package itself is implicit in importing any submodule, so it is no edge."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parents[1] / "netdsl"

# Stages in pipeline order. ops and ir define what elaboration builds, so they precede it; a
# frontend (ONNX → .net text) writes what the parser reads; the model is the API's load().
STAGES = [
    ("netdsl.io", 0), ("netdsl.terminal", 0), ("netdsl.diagnostics", 0), ("netdsl.diskcache", 0),
    ("netdsl.gcpause", 0),
    ("netdsl.syntax", 10),
    ("netdsl.ops", 20), ("netdsl.ir", 20),
    ("netdsl.frontends", 25),
    ("netdsl.elaborate", 30), ("netdsl.library", 30),
    ("netdsl.analysis", 40),
    ("netdsl.model", 50), ("netdsl.options", 50), ("netdsl.summary_cache", 50),
    ("netdsl.backends", 60), ("netdsl.views", 60), ("netdsl.highlight", 60), ("netdsl.fmt", 60),
    ("netdsl.lsp", 70),
    ("netdsl.cli", 80), ("netdsl.__main__", 90),
]
# The Model's methods (to_torch, to_onnx, the notebook display) hang the backends and views off it,
# importing them inside the method only: the one sanctioned upward import.
FACADE = "netdsl.model"


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = modules()


def _owner(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(child) for stmt in node.body for child in ast.walk(stmt)}
    return skipped


def imports(module: str) -> list[tuple[str, bool]]:
    """(imported module, at top level?) for each netdsl import of `module`."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_nodes(tree)
    top = {id(stmt) for stmt in tree.body}
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped or not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([base] if base else [])])
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        for name in names:
            owner = _owner(name) if name.startswith("netdsl.") else None
            if owner and owner not in (module, "netdsl"):
                found.append((owner, id(node) in top))
    return found


def stage(module: str) -> int:
    matches = [rank for prefix, rank in STAGES if module == prefix or module.startswith(prefix + ".")]
    assert matches, f"{module} has no stage: add it to STAGES"
    return matches[-1]


def graph() -> nx.DiGraph:
    edges = nx.DiGraph()
    edges.add_nodes_from(m for m in MODULES if m != "netdsl")
    for module in MODULES:
        if module != "netdsl":
            edges.add_edges_from((module, target) for target, _ in imports(module))
    return edges


def test_every_module_has_a_stage() -> None:
    for module in MODULES:
        if module != "netdsl":
            stage(module)


def test_no_module_imports_a_later_stage() -> None:
    later = sorted(f"{module} -> {target}" for module in MODULES if module != "netdsl"
                   for target, at_top in imports(module)
                   if stage(target) > stage(module) and (module != FACADE or at_top))
    assert later == []


KNOWN_CIRCLES: set[frozenset[str]] = set()


def circles() -> set[frozenset[str]]:
    return {frozenset(cycle) for cycle in nx.simple_cycles(graph())}


def test_no_import_circle() -> None:
    assert sorted(sorted(c) for c in circles() - KNOWN_CIRCLES) == []


def test_the_graph_sees_imports_inside_functions() -> None:
    """The circle of issue 10.24 went through an import inside diagnostics.render: such imports count."""
    assert ("netdsl.views.graphviz_view", False) in imports("netdsl.cli")
    assert ("netdsl.elaborate.modules", True) in imports("netdsl.model")
