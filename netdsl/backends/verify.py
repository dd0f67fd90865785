"""--verify: the exported artefact against the PyTorch module, on one random input."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from netdsl.ir import Network

TOLERANCE = 1e-4


@dataclass(frozen=True)
class Difference:
    max_abs: float
    max_rel: float  # largest absolute difference over the reference's largest magnitude
    outputs: int = 1  # how many outputs were compared

    @property
    def ok(self) -> bool:
        return self.max_rel <= TOLERANCE

    def __str__(self) -> str:
        if not self.outputs:
            return "verify: the network has no inference outputs, so there is nothing to compare"
        verdict = "ok" if self.ok else "FAILED"
        return (f"verify: max abs diff {self.max_abs:.3g}, max rel diff {self.max_rel:.3g}"
                f" (tolerance {TOLERANCE:g}): {verdict}")


def random_inputs(network: Network, batch: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {p.name: rng.standard_normal((batch, *p.shape)).astype(np.float32) for p in network.inputs}


def compare(reference: list[np.ndarray], candidate: list[np.ndarray]) -> Difference:
    """Outputs of different shapes, or a different number of them, differ infinitely."""
    if len(reference) != len(candidate) or any(r.shape != c.shape for r, c in zip(reference, candidate)):
        return Difference(float("inf"), float("inf"), len(reference))
    max_abs = max((float(np.abs(r - c).max(initial=0.0)) for r, c in zip(reference, candidate)), default=0.0)
    scale = max((float(np.abs(r).max(initial=0.0)) for r in reference), default=0.0) or 1.0
    return Difference(max_abs, max_abs / scale, len(reference))


def torch_outputs(module: Any, network: Network, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
    """The eval-mode module's inference outputs, in the network's output order."""
    import torch

    with torch.no_grad():
        result = module.eval()(*(torch.from_numpy(inputs[p.name]) for p in network.inputs))
    if isinstance(result, dict):
        return [result[p.name].numpy() for p in network.inference_outputs]
    return [result.numpy()]


def onnx_outputs(model_bytes: bytes, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
    import onnxruntime as ort

    session = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    return session.run(None, inputs)


def verify(network: Network, reference: Any, run: Callable[[dict[str, np.ndarray]], list[np.ndarray]],
           batch: int = 1, seed: int = 0) -> Difference:
    inputs = random_inputs(network, batch, seed)
    return compare(torch_outputs(reference, network, inputs), run(inputs))
