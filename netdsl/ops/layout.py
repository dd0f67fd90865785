"""Tensor layouts: the names of a tensor's axes (batch is implicit and never named).

A layout whose first axis is `c` is channels-first: the axes after it are spatial,
and convolutions, pools and receptive fields act on them, however many there are.
A vector is `c` alone. Any other layout (`n, d` tokens, `h, w, c` after a permute) has no
spatial axes; ops that act on features use its last axis.
"""

from __future__ import annotations

Axes = tuple[str, ...]

MAX_RANK = 6  # axes of one sample; the batch axis is implicit

# The layout a tensor gets from its rank when nobody names its axes.
DEFAULT_AXES: dict[int, Axes] = {1: ("c",), 2: ("c", "l"), 3: ("c", "h", "w"), 4: ("c", "d", "h", "w")}

_WORDS = {"h": "height", "w": "width", "l": "length", "t": "time", "d": "depth", "c": "channels",
          "n": "tokens", "f": "features"}


def default_axes(rank: int) -> Axes:
    """Names for a tensor of `rank` axes: C (a vector), C×L, C×H×W, C×D×H×W; beyond, `a0, a1, …`."""
    return DEFAULT_AXES.get(rank, tuple(f"a{i}" for i in range(rank)))


def channels_first(axes: Axes) -> bool:
    return len(axes) >= 1 and axes[0] == "c"


def spatial_rank(axes: Axes) -> int:
    """The number of spatial axes: those after `c` in a channels-first layout, else none."""
    return len(axes) - 1 if channels_first(axes) else 0


def axis_word(axis: str) -> str:
    """An axis in words, for messages: `h` → height."""
    return _WORDS.get(axis, f"axis {axis}")


def check_axes(axes: Axes, rank: int) -> str | None:
    """Why `axes` cannot name a tensor of `rank` axes, or None if they can."""
    if len(axes) != rank:
        return f"{len(axes)} axis names for a shape of {rank} axes"
    for name in axes:
        if axes.count(name) > 1:
            return f"axis `{name}` is named twice"
        if name in ("shape", "axes", "rank"):
            return f"`{name}` is a tensor attribute; an axis cannot take that name"
    return None
