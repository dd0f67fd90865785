"""Building and analysing a network runs with the cyclic collector paused (netdsl/gcpause.py), which
keeps the time per layer flat as networks grow, and leaves the collector as it found it."""

from __future__ import annotations

import gc

import netdsl


def test_no_collection_while_a_network_is_built_and_analysed():
    load = netdsl.load  # the package imports its names on first use: not while collections are counted
    collections = []
    threshold = gc.get_threshold()
    gc.callbacks.append(lambda phase, info: collections.append(info["generation"]) if phase == "start" else None)
    gc.set_threshold(1)  # unpaused, nearly every allocation would trigger a collection
    try:
        model = load("resnet18")
        during_load = list(collections)
        analysis = model.analysis
        during_analysis = collections[len(during_load):]
    finally:
        gc.set_threshold(*threshold)
        gc.callbacks.pop()
    # entering and leaving the pause allocate a little, so a collection or two at its edges; unpaused,
    # loading ResNet-18 with this threshold collects thousands of times
    assert len(during_load) < 10 and len(during_analysis) < 10
    assert analysis.totals.params == 11_689_512 and gc.isenabled()


def test_the_collector_stays_off_if_it_was_off():
    gc.disable()
    try:
        netdsl.load("lenet5").analysis
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_no_collection_while_the_summary_is_built():
    """summary() makes a dict per layer: unpaused, 3 -> 27 µs a layer from 2,000 to 32,000 layers."""
    model = netdsl.load("resnet18")
    analysis = model.analysis
    collections = []
    threshold = gc.get_threshold()
    gc.callbacks.append(lambda phase, info: collections.append(info["generation"]) if phase == "start" else None)
    gc.set_threshold(1)
    try:
        layers = model.summary()["layers"]
    finally:
        gc.set_threshold(*threshold)
        gc.callbacks.pop()
    assert len(collections) < 10 and len(layers) == len(analysis.layers) and gc.isenabled()
