"""PyTorch-style names for the layers of a network.

A labelled step is a submodule of that name; an unlabelled step is numbered by
its position in its chain, as `nn.Sequential` numbers; `for` and `if` splice
their steps into the chain around them (so `for` repetitions continue the
numbering, as a Sequential built from a list does). Labels go to the nearest
block, group or labelled combinator; unlabelled branch steps of a combinator
at position k are numbered `k.<branch>.<step>`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Namer:
    labels: str  # prefix for labelled steps, e.g. "layer1.0."
    positions: str  # prefix for numbered steps
    counter: list[int] = field(default_factory=lambda: [0])

    def take(self, label: str | None) -> str:
        index = self.counter[0]
        self.counter[0] += 1
        return self.labels + label if label is not None else self.positions + str(index)

    @staticmethod
    def inside(path: str) -> "Namer":
        prefix = path + "." if path else ""
        return Namer(prefix, prefix)

    def for_statement(self, target: str) -> "Namer":
        """Unlabelled steps of `target = ...` are numbered under `target.`."""
        return Namer(self.labels, f"{self.labels}{target}.")

    def for_branch(self, join: str, labelled: bool, branch: int) -> "Namer":
        labels = join + "." if labelled else self.labels
        return Namer(labels, f"{join}.{branch}.")
