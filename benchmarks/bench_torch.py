"""Backends against hand-written PyTorch (a script, not a test).

(a) whole-process `netdsl compile nets/googlenet.net --onnx` vs a process that builds
    the same module with `to_torch()` and runs `torch.onnx.export` (TorchScript exporter);
(b) ResNet-50 forward time of `to_torch()`, of the generated `--torch` source and of a
    compact torchvision-style hand-written ResNet-50 (torchvision is not importable here).

Usage: python benchmarks/bench_torch.py [--runs N] [--size S]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import netdsl  # noqa: E402
from netdsl.backends.torch_module import load_source  # noqa: E402


class Bottleneck(nn.Module):
    def __init__(self, cin: int, width: int, stride: int):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(cin, width, 1, bias=False), nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3, self.bn3 = nn.Conv2d(width, width * 4, 1, bias=False), nn.BatchNorm2d(width * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = (nn.Sequential(nn.Conv2d(cin, width * 4, 1, stride, bias=False), nn.BatchNorm2d(width * 4))
                           if stride != 1 or cin != width * 4 else None)

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.bn3(self.conv3(out)) + identity)


class ResNet50(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64)
        self.relu, self.maxpool = nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)
        cin, layers = 64, []
        for i, (width, count) in enumerate(zip((64, 128, 256, 512), (3, 4, 6, 3))):
            blocks = []
            for j in range(count):
                blocks.append(Bottleneck(cin, width, 2 if i and not j else 1))
                cin = width * 4
            layers.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.avgpool, self.fc = nn.AdaptiveAvgPool2d(1), nn.Linear(2048, 1000)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def _process(args: list[str], cwd: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


TORCH_EXPORT = ("import torch, netdsl; m = netdsl.load('googlenet').to_torch().eval();"
                " torch.onnx.export(m, (torch.randn(1, 3, 224, 224),), 'ref.onnx', opset_version=17, dynamo=False)")


def bench_export(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ours = min(_process([sys.executable, "-m", "netdsl", "compile", str(REPO / "nets/googlenet.net"), "--onnx"], tmp)
                   for _ in range(runs))
        theirs = min(_process([sys.executable, "-c", TORCH_EXPORT], tmp) for _ in range(runs))
    print(f"(a) googlenet ONNX, whole process: netdsl compile {ours:.2f} s, torch.onnx.export {theirs:.2f} s,"
          f" ratio {ours / theirs:.3f}")


def _time(module: nn.Module, x: torch.Tensor, runs: int) -> float:
    with torch.no_grad():
        for _ in range(2):
            module(x)
        best = float("inf")
        for _ in range(runs):
            start = time.perf_counter()
            module(x)
            best = min(best, time.perf_counter() - start)
    return best


def bench_forward(runs: int, size: int, compiled: bool) -> None:
    model = netdsl.load("resnet50")
    ours = model.to_torch().eval()
    standalone = load_source(model.torch_source(), "resnet50")["build"]().eval()
    hand = ResNet50().eval()
    x = torch.randn(1, 3, size, size)
    modes = [("eager", lambda m: m)] + ([("compiled", lambda m: torch.compile(m, fullgraph=True))] if compiled else [])
    for label, wrap in modes:
        t = {name: _time(wrap(m), x, runs) for name, m in
             (("to_torch", ours), ("--torch source", standalone), ("hand-written", hand))}
        print(f"(b) resnet50 forward {label}, 1×3×{size}×{size}, best of {runs}: "
              + ", ".join(f"{k} {v * 1e3:.1f} ms" for k, v in t.items())
              + f"; to_torch/hand-written {t['to_torch'] / t['hand-written']:.3f},"
                f" source/hand-written {t['--torch source'] / t['hand-written']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--compiled", action="store_true", help="also time torch.compile (inductor; slow to build)")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, python {sys.version.split()[0]}, threads {torch.get_num_threads()}")
    bench_export(max(1, args.runs // 2))
    bench_forward(args.runs, args.size, args.compiled)


if __name__ == "__main__":
    main()
