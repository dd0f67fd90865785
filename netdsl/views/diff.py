"""Two networks layer by layer: which layers match by name, which changed op, shape or cost, which
were added or removed. The TUI's diff view draws these rows; they are plain data for tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from netdsl.analysis.costs import Analysis, Cost, LayerCost


@dataclass(frozen=True)
class DiffRow:
    name: str
    status: str  # "same", "changed", "added" (only in b) or "removed" (only in a)
    a: LayerCost | None
    b: LayerCost | None

    @property
    def delta(self) -> Cost:
        """b's cost minus a's (params, MACs), a missing side counting as zero."""
        ca, cb = (self.a.cost if self.a else Cost()), (self.b.cost if self.b else Cost())
        return Cost(cb.params - ca.params, cb.buffers - ca.buffers, cb.macs - ca.macs, cb.flops - ca.flops,
                    cb.activations - ca.activations)


def diff(a: Analysis, b: Analysis) -> list[DiffRow]:
    """Rows in forward order of both networks, layers matched by name (PyTorch's state_dict names)."""
    names_a, names_b = list(a.layers), list(b.layers)
    rows: list[DiffRow] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, names_a, names_b, autojunk=False).get_opcodes():
        if tag == "equal":
            rows.extend(_matched(a.layers[n], b.layers[n]) for n in names_a[i1:i2])
            continue
        for name in names_a[i1:i2]:  # moved layers match wherever they are, shown at a's place
            rows.append(_matched(a.layers[name], b.layers[name]) if name in b.layers
                        else DiffRow(name, "removed", a.layers[name], None))
        rows.extend(DiffRow(n, "added", None, b.layers[n]) for n in names_b[j1:j2] if n not in a.layers)
    return rows


def _matched(x: LayerCost, y: LayerCost) -> DiffRow:
    same = (x.node.op, x.node.shape, x.node.args, x.cost) == (y.node.op, y.node.shape, y.node.args, y.cost)
    return DiffRow(x.node.name, "same" if same else "changed", x, y)


def counts(rows: list[DiffRow]) -> dict[str, int]:
    """How many rows of each status."""
    out = {"same": 0, "changed": 0, "added": 0, "removed": 0}
    for row in rows:
        out[row.status] += 1
    return out
