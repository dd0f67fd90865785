"""Shared by the backend tests: every library net, at a small input where the net
allows one, compiled once per test session."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

import netdsl
from netdsl.backends.weights import init_state
from netdsl.library import index

ALLOPS = Path(__file__).resolve().parent / "backend_nets" / "allops.net"
SMALL = (3, 64, 64)
# Above these (at the input used) a net runs only with -m slow.
SLOW_PARAMS, SLOW_MACS = 15_000_000, 600_000_000


@lru_cache(maxsize=None)
def load(name: str) -> netdsl.Model:
    """The net at 3×64×64 where it allows that, else at its declared input."""
    if name == "allops":
        return netdsl.load(ALLOPS)
    try:
        model = netdsl.load(name, input_shape=SMALL)
        model.analysis
        return model
    except netdsl.CompileError:
        return netdsl.load(name)


def net_params(one_per_file: bool = False) -> list:
    """pytest params over the library (and the all-ops test net). Big nets, and with
    `one_per_file` all but the first net of each file, run only with -m slow."""
    out = [pytest.param("allops", id="allops")]
    files = set()
    for name, path in index().items():
        model = load(name)
        big = model.params > SLOW_PARAMS or model.macs > SLOW_MACS
        slow = big or (one_per_file and path in files)
        if not big:
            files.add(path)
        out.append(pytest.param(name, id=name, marks=[pytest.mark.slow] if slow else []))
    return out


@lru_cache(maxsize=None)
def state(name: str) -> dict:
    """Seeded weights with batch-norm statistics that are not the identity, so eval-mode
    batch norm is really exercised."""
    values = dict(init_state(load(name).network, 0))
    rng = np.random.default_rng(1)
    for key, value in values.items():
        if key.endswith("running_mean"):
            values[key] = rng.normal(0, 0.1, value.shape).astype(np.float32)
        elif key.endswith("running_var"):
            values[key] = rng.uniform(0.5, 1.5, value.shape).astype(np.float32)
    return values


def inputs(model: netdsl.Model, batch: int = 2, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {p.name: rng.standard_normal((batch, *p.shape)).astype(np.float32) for p in model.network.inputs}
