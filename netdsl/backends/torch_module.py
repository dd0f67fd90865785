"""The generated source, executed once: `Model.to_torch()` returns a plain nn.Module.

The source is registered with linecache, so tracebacks and debuggers show the
generated lines. Modules are built on the meta device and then given the weights,
so nothing is initialised twice.
"""

from __future__ import annotations

import itertools
import linecache
from typing import Any

from netdsl.backends.requirements import require

require("torch", "to_torch()")

import torch  # noqa: E402
from torch import nn  # noqa: E402

from netdsl.backends.torch_codegen import generate  # noqa: E402
from netdsl.backends.weights import check_state, init_state  # noqa: E402
from netdsl.ir import Network  # noqa: E402

_COUNTER = itertools.count()


def build_module(network: Network, state: dict[str, Any] | None = None, seed: int = 0,
                 origin: str = "") -> nn.Module:
    """The network as an nn.Module with `state` (numpy arrays by state_dict key), or seeded
    PyTorch-default weights. In training mode, as every fresh nn.Module is."""
    namespace = load_source(generate(network, origin), network.name)
    with torch.device("meta"):
        module = namespace["build"]()
    state = check_state(state, network, "weights") if state is not None else init_state(network, seed)
    module.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in state.items()}, strict=True, assign=True)
    return module


def load_source(source: str, name: str) -> dict[str, Any]:
    """Execute generated source as a module of its own, visible to linecache."""
    filename = f"<netdsl-generated {name} #{next(_COUNTER)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    namespace: dict[str, Any] = {"__name__": f"netdsl_generated_{name}"}
    exec(compile(source, filename, "exec"), namespace)
    return namespace
