"""ViT-B/16 forward: the compiled netdsl module against a hand-written ViT (a script, not a test).

torchvision does not import here, so the reference is torchvision's vision_transformer.py written
out below (same module tree, nn.MultiheadAttention called as torchvision calls it). Both hold
the same weights (the reference loads the compiled module's state_dict, strictly) and must give
the same output; then they run alternately, CPU eager, no grad, and the script reports the
median of the per-pair time ratios (netdsl / hand-written).

Usage: python benchmarks/bench_vit.py [--pairs N] [--batch B] [--threads T]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import OrderedDict
from pathlib import Path

import torch
from torch import nn

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import netdsl  # noqa: E402


class MLPBlock(nn.Sequential):
    def __init__(self, dim: int, mlp_dim: int):
        super().__init__(nn.Linear(dim, mlp_dim), nn.GELU(), nn.Dropout(0.0), nn.Linear(mlp_dim, dim), nn.Dropout(0.0))


class EncoderBlock(nn.Module):
    def __init__(self, heads: int, dim: int, mlp_dim: int):
        super().__init__()
        self.ln_1 = nn.LayerNorm(dim, eps=1e-6)
        self.self_attention = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.dropout = nn.Dropout(0.0)
        self.ln_2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = MLPBlock(dim, mlp_dim)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        x = self.ln_1(input)
        x, _ = self.self_attention(x, x, x, need_weights=False)
        x = self.dropout(x) + input
        return x + self.mlp(self.ln_2(x))


class Encoder(nn.Module):
    def __init__(self, seq: int, layers: int, heads: int, dim: int, mlp_dim: int):
        super().__init__()
        self.pos_embedding = nn.Parameter(torch.empty(1, seq, dim).normal_(std=0.02))
        self.dropout = nn.Dropout(0.0)
        self.layers = nn.Sequential(OrderedDict(
            (f"encoder_layer_{i}", EncoderBlock(heads, dim, mlp_dim)) for i in range(layers)))
        self.ln = nn.LayerNorm(dim, eps=1e-6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ln(self.layers(self.dropout(x + self.pos_embedding)))


class VisionTransformer(nn.Module):
    """torchvision's VisionTransformer (no conv stem, no representation layer)."""

    def __init__(self, image: int = 224, patch: int = 16, layers: int = 12, heads: int = 12, dim: int = 768,
                 mlp_dim: int = 3072, classes: int = 1000):
        super().__init__()
        self.patch, self.dim = patch, dim
        self.conv_proj = nn.Conv2d(3, dim, patch, patch)
        self.class_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.encoder = Encoder((image // patch) ** 2 + 1, layers, heads, dim, mlp_dim)
        self.heads = nn.Sequential(OrderedDict(head=nn.Linear(dim, classes)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        x = self.conv_proj(x).reshape(n, self.dim, (h // self.patch) * (w // self.patch)).permute(0, 2, 1)
        x = torch.cat([self.class_token.expand(n, -1, -1), x], dim=1)
        return self.heads(self.encoder(x)[:, 0])


def _once(module: nn.Module, x: torch.Tensor) -> float:
    start = time.perf_counter()
    module(x)
    return time.perf_counter() - start


def bench(pairs: int, batch: int) -> None:
    ours = netdsl.load("vit_b_16").to_torch().eval()
    hand = VisionTransformer().eval()
    hand.load_state_dict(ours.state_dict(), strict=True)
    x = torch.randn(batch, 3, 224, 224)
    with torch.no_grad():
        difference = (ours(x) - hand(x)).abs().max().item()
        for _ in range(3):
            _once(ours, x), _once(hand, x)
        ratios, times = [], {"netdsl": [], "hand-written": []}
        for i in range(pairs):
            first, second = (ours, hand) if i % 2 == 0 else (hand, ours)  # alternate who goes first
            a, b = _once(first, x), _once(second, x)
            t_ours, t_hand = (a, b) if first is ours else (b, a)
            times["netdsl"].append(t_ours)
            times["hand-written"].append(t_hand)
            ratios.append(t_ours / t_hand)
    print(f"vit_b_16 forward, CPU eager, batch {batch}, {pairs} alternating pairs, threads {torch.get_num_threads()};"
          f" outputs differ by at most {difference:.2g}")
    for name, values in times.items():
        print(f"  {name:12} median {statistics.median(values) * 1e3:7.1f} ms, best {min(values) * 1e3:7.1f} ms")
    print(f"  ratio netdsl / hand-written: median {statistics.median(ratios):.3f}"
          f" (quartiles {statistics.quantiles(ratios, n=4)[0]:.3f} … {statistics.quantiles(ratios, n=4)[2]:.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's own choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, python {sys.version.split()[0]}")
    bench(args.pairs, args.batch)


if __name__ == "__main__":
    main()
