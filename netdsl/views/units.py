"""Human units shared by every view: 25.6M params, 4.09G MACs, 58.1 MiB."""

from __future__ import annotations


def human(value: int | float) -> str:
    """Decimal units (K = 10^3, M = 10^6, G = 10^9), three significant digits."""
    for unit, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{unit}"
    return f"{value:,}" if isinstance(value, int) else f"{value:.3g}"


def human_bytes(value: int) -> str:
    """Binary units for memory (KiB, MiB, GiB)."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value} B"


def shape_text(shape) -> str:
    return "×".join(str(d) for d in shape)
