"""Vendored reference figures (torchvision 0.28, timm 1.0.31) and the weight rule that made them.

Each model's figures: `input_shape` (batch of 2 included), `output_shape`, `params`, `sum`, `abs_sum`,
`max_abs`, `sample_stride`, `sample` (the output's every `sample_stride`-th value, 7 significant digits),
`state_dict` (`[key, shape]` in order) and, for the models whose MACs the reference lists, `macs`.
The outputs were made with weights from `spec_state` on the input of `reference_input`."""

from __future__ import annotations

import gzip
import json
import math
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TOLERANCE = 1e-4


@lru_cache(maxsize=None)
def figures(table: str) -> dict[str, dict]:
    """`torchvision` or `timm`: every model's figures, by its name there."""
    return json.loads(gzip.decompress((HERE / f"{table}.json.gz").read_bytes()))


def _rule(key: str, shape: tuple[int, ...], generator: Any) -> Any:
    """The first matching rule of the reference's weight table, one draw on a generator of its own.
    Rules 4 (a rank-1 `weight`) and 6 (anything else of rank 0 or 1) draw alike: the last line."""
    import torch

    last = key.rsplit(".", 1)[-1]
    rank = len(shape)
    if last == "running_var":
        return torch.rand(shape, generator=generator) + 0.5
    if last == "running_mean":
        return torch.randn(shape, generator=generator) * 0.1
    if rank == 1 and (last == "bias" or last.endswith("_bias")):
        return torch.randn(shape, generator=generator) * 0.1
    if rank >= 2:
        return torch.randn(shape, generator=generator) * (1 / math.prod(shape[1:])) ** 0.5
    return torch.rand(shape, generator=generator) + 0.5


def spec_state(state: dict[str, Any]) -> dict[str, Any]:
    """The state_dict with every floating entry redrawn by the reference's rule: a generator seeded with
    the key's CRC-32 per entry, so that a value depends on its key alone, not on the model's order."""
    import torch

    redrawn = {}
    for key, tensor in state.items():
        if not tensor.is_floating_point():
            redrawn[key] = tensor
            continue
        generator = torch.Generator().manual_seed(zlib.crc32(key.encode("utf-8")))
        redrawn[key] = _rule(key, tuple(tensor.shape), generator).to(tensor.dtype)
    return redrawn


def reference_input(figures_: dict) -> Any:
    import torch

    return torch.randn(*figures_["input_shape"], generator=torch.Generator().manual_seed(0))


def reference_output(module: Any, figures_: dict) -> Any:
    """The module's output on the reference input, with the reference's weights, in eval mode, on one thread
    (the reference was made on one: summation order then matches). The thread count is restored after, so
    that the tests run later in the same process keep every core."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    module.load_state_dict(spec_state(module.state_dict()), strict=True)
    module.eval()
    try:
        with torch.no_grad():
            out = module(reference_input(figures_))
    finally:
        torch.set_num_threads(threads)
    if isinstance(out, dict):
        out = out["out"]
    if isinstance(out, (tuple, list)):
        out = out[0]
    return out


def assert_matches(out: Any, figures_: dict) -> None:
    """Equal to the stored output within a relative 1e-4 of its scale: the sample value by value,
    the sum of absolute values as a whole, and the sum (which cancels) within 1e-4 of the absolute sum."""
    import torch

    assert list(out.shape) == figures_["output_shape"]
    sample = out.reshape(-1)[:: figures_["sample_stride"]].double()
    expected = torch.tensor(figures_["sample"], dtype=torch.float64)
    torch.testing.assert_close(sample, expected, rtol=TOLERANCE, atol=TOLERANCE * figures_["max_abs"])
    assert math.isclose(out.double().abs().sum().item(), figures_["abs_sum"], rel_tol=TOLERANCE)
    assert abs(out.double().sum().item() - figures_["sum"]) <= TOLERANCE * figures_["abs_sum"]
