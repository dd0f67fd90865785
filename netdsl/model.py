"""The Python API: `netdsl.load(path)` gives a Model holding the IR and its analysis.

Backends hang off the Model lazily, so importing netdsl never imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netdsl.analysis.costs import Analysis, Cost, analyze
from netdsl.analysis.summary import summary
from netdsl.elaborate.elaborator import Limits
from netdsl.elaborate.modules import build
from netdsl.gcpause import paused
from netdsl.ir import Network
from netdsl.library import resolve

if TYPE_CHECKING:
    import networkx as nx


@dataclass
class Model:
    network: Network
    source: Path

    @property
    def name(self) -> str:
        return self.network.name

    @property
    def graph(self) -> nx.DiGraph:
        return self.network.graph

    @cached_property
    def analysis(self) -> Analysis:
        return analyze(self.network)

    @property
    def totals(self) -> Cost:
        return self.analysis.totals

    @property
    def params(self) -> int:
        return self.totals.params

    @property
    def macs(self) -> int:
        return self.totals.macs

    @property
    def flops(self) -> int:
        return self.totals.flops

    def summary(self) -> dict[str, Any]:
        return summary(self.analysis)

    def _repr_html_(self) -> str:
        """Jupyter shows a loaded network as its totals, summary table and picture (netdsl.views.notebook)."""
        from netdsl.views.notebook import html

        return html(self.analysis)

    def _repr_svg_(self) -> str | None:
        """The picture alone, for frontends that take SVG; without Graphviz, None (the repr is shown)."""
        from netdsl.views.notebook import svg

        return svg(self.analysis)

    def to_torch(self, seed: int = 0, weights: str | Path | None = None) -> Any:
        """A plain nn.Module (training mode) generated from the IR, with PyTorch-default
        weights drawn from `seed`, or a `.pt`/`.safetensors` state_dict checked against the IR."""
        from netdsl.backends.torch_module import build_module
        from netdsl.backends.weights import load_weights

        state = load_weights(weights) if weights is not None else None
        return build_module(self.network, state, seed, self.source.name)

    def torch_source(self) -> str:
        """Standalone PyTorch source for this network (what `netdsl compile --torch` writes)."""
        from netdsl.backends.torch_codegen import generate

        return generate(self.network, self.source.name)

    def to_onnx(self, seed: int = 0, opset: int = 17, dynamic_batch: bool = False) -> Any:
        """An onnx.ModelProto, lowered from the IR (eval-mode semantics), seeded weights."""
        from netdsl.backends.onnx_export import export
        from netdsl.backends.weights import init_state

        return export(self.network, init_state(self.network, seed), opset, dynamic_batch)

    def __repr__(self) -> str:
        t = self.totals
        return f"<netdsl.Model {self.name}: {len(self.graph)} layers, {t.params:,} params, {t.macs:,} MACs>"


@paused()
def load(path: str | Path, net: str | None = None, *, input_shape: tuple[int, ...] | None = None,
         limits: Limits | None = None, net_option: str = "load(..., net=NAME)", **params: Any) -> Model:
    """Compile one network of a .net file (or a bundled preset's name) to its IR.

    Raises `netdsl.CompileError` for a user's mistake: `str(error)` is the rendered report
    (path:line:col, source line, caret), `error.diagnostics` the `Diagnostic`s. `net_option`
    is how a caller's user picks a network (the CLI says `--net`).
    """
    source, net = resolve(path, net)
    network = build(source, net, params, input_shape, limits, net_option)
    return Model(network, source)
