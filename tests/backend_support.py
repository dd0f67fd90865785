"""Shared by the backend tests: every library net, at a small input where the net
allows one, compiled once per test session."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

import netdsl
from netdsl.analysis.state import state_shapes
from netdsl.backends.weights import init_state
from netdsl.library import index
from tests.reference import figures

ALLOPS = Path(__file__).resolve().parent / "backend_nets" / "allops.net"
# The smallest input each kind of net allows: images, Inception's stems (at least 75×75), video clips.
SMALL_INPUTS = ((3, 64, 64), (3, 75, 75), (3, 4, 32, 32))
# Above these (at the input used) a net runs only with -m slow.
SLOW_PARAMS, SLOW_MACS = 15_000_000, 600_000_000
# Above this (at the input used) a net that test_reference_outputs already builds, loads strictly and runs
# against torchvision/timm is not run again here, unless it is the cheapest net of its file.
REFERENCE_CHECKED_MACS = 5_000_000_000


@lru_cache(maxsize=None)
def load(name: str) -> netdsl.Model:
    """The net at the smallest of SMALL_INPUTS that it allows, else at its declared input."""
    if name == "allops":
        return netdsl.load(ALLOPS)
    for shape in SMALL_INPUTS:
        try:
            model = netdsl.load(name, input_shape=shape)
            model.analysis
            return model
        except netdsl.CompileError:
            continue
    return netdsl.load(name)


def _fingerprint(model: netdsl.Model) -> tuple:
    """Equal for a generic network and the preset that only restates its defaults (`vgg` and `vgg16`)."""
    return (model.params, model.macs, tuple(tuple(p.shape) for p in model.network.inputs),
            tuple(state_shapes(model.network).items()))


@lru_cache(maxsize=None)
def _library() -> tuple[tuple[str, Path], ...]:
    """(name, file) of every library net worth a test. Of nets that elaborate to the same network, one: the
    one the reference knows, else the last declared (the preset, not the generic it instantiates). Not the
    big nets whose output test_reference_outputs compares, save the cheapest of each file."""
    checked = {name for table in ("torchvision", "timm") for name in figures(table)}
    kept = {_fingerprint(load(name)): name for name in sorted(index(), key=lambda name: name in checked)}.values()
    nets = [(name, path) for name, path in index().items() if name in kept]
    cheapest = {}
    for name, path in sorted(nets, key=lambda net: load(net[0]).macs, reverse=True):
        cheapest[path] = name
    return tuple((name, path) for name, path in nets
                 if not (name in checked and load(name).macs > REFERENCE_CHECKED_MACS and cheapest[path] != name))


def _big(name: str) -> bool:
    model = load(name)
    return model.params > SLOW_PARAMS or model.macs > SLOW_MACS


def net_params(one_per_file: bool = False) -> list:
    """pytest params over the library (and the all-ops test net). Big nets, and with
    `one_per_file` all but the first net of each file, run only with -m slow. With `one_per_file` a big net
    is left out (its module is checked by the per-net tests) unless no small net represents its file, where
    the file's first big net stands for it."""
    out = [pytest.param("allops", id="allops")]
    small_files = {path for name, path in _library() if not _big(name)}
    files = set()
    for name, path in _library():
        big = _big(name)
        if one_per_file and big and (path in small_files or path in files):
            continue
        slow = big or (one_per_file and path in files)
        out.append(pytest.param(name, id=name, marks=[pytest.mark.slow] if slow else []))
        if one_per_file or not big:
            files.add(path)
    return out


@lru_cache(maxsize=1)
def state(name: str) -> dict:
    """Seeded weights with batch-norm statistics that are not the identity, so eval-mode
    batch norm is really exercised. Only the last net's are kept: all of them together are ~25 GB."""
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
