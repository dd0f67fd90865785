"""The passes that build a graph pause Python's cyclic garbage collector while they run.

Parsing, elaboration and analysis allocate many small objects that live as long as the graph
does. The collector's passes over them, ever longer as the graph grows, made the pipeline
superlinear: 262 µs a layer at 64,000 layers against 164 at 1,000 (benchmarks/bench_speed.py,
3c); paused, it stays at about 140 µs a layer. The previous state is restored when the pass
ends, so cycles made meanwhile are collected at the next collection.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """Use as `with paused():` or as a decorator `@paused()`; nests."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
