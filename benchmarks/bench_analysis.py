"""Static analysis speed: `netdsl summary` on ResNet-152 as a whole process, and
analysis time per layer for generated chains of 1k … 16k layers (it must stay
flat: the pipeline is linear). With torchinfo installed and the PyTorch backend
available, the same ResNet-152 summary through torchinfo is timed for a ratio.

    python benchmarks/bench_analysis.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import netdsl  # noqa: E402


def whole_process(args: list[str], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "netdsl", *args], check=True, capture_output=True, cwd=REPO)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def chain_source(layers: int) -> str:
    steps = "\n".join("        -> conv(16, 3, pad=1) -> relu" for _ in range(layers // 2))
    return f"network chain() {{\n    input x: [16, 32, 32]\n    output y = x\n{steps}\n}}\n"


def analysis_time(layers: int, runs: int = 3) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "chain.net"
        path.write_text(chain_source(layers))
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            model = netdsl.load(path)
            model.summary()
            times.append(time.perf_counter() - start)
        assert len(model.graph) == layers + 1
    return min(times)


def torchinfo_times(runs: int = 3) -> tuple[float, float] | None:
    """torchinfo on the same ResNet-152: in process (module already built), and as a
    whole process that imports torch, builds the module from netdsl's standalone
    source (what torchvision's constructor would do) and summarises it."""
    try:
        import torchinfo
        module = netdsl.load("resnet152").to_torch()
    except ImportError:
        return None
    in_process = []
    for _ in range(runs):
        start = time.perf_counter()
        torchinfo.summary(module, input_size=(1, 3, 224, 224), verbose=0, device="cpu")
        in_process.append(time.perf_counter() - start)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "resnet152_model.py").write_text(netdsl.load("resnet152").torch_source())
        script = ("import torch, torchinfo, resnet152_model as m;"
                  "torchinfo.summary(m.Resnet152(), input_size=(1, 3, 224, 224), verbose=0, device='cpu')")
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, cwd=tmp)
            times.append(time.perf_counter() - start)
    return min(in_process), statistics.median(times)


def main() -> None:
    process = whole_process(["summary", "resnet152"])
    json_process = whole_process(["summary", "resnet152", "--json"])
    print(f"netdsl summary resnet152 (whole process, median of 5): {process * 1000:.0f} ms table,"
          f" {json_process * 1000:.0f} ms --json")
    start = time.perf_counter()
    netdsl.load("resnet152").summary()
    in_process = time.perf_counter() - start
    print(f"netdsl.load('resnet152').summary() in process: {in_process * 1000:.0f} ms")
    peer = torchinfo_times()
    if peer is None:
        print("torchinfo is not installed (pip install torchinfo): no peer comparison")
    else:
        print(f"torchinfo.summary(resnet152, 1×3×224×224) in process: {peer[0] * 1000:.0f} ms"
              f" → netdsl is {peer[0] / in_process:.1f}× faster")
        print(f"torchinfo as a whole process (import torch, build, summarise): {peer[1] * 1000:.0f} ms"
              f" → `netdsl summary --json` is {peer[1] / json_process:.1f}× faster")
    print("\nlayers   total ms   µs per layer")
    for layers in (1000, 2000, 4000, 8000, 16000):
        seconds = analysis_time(layers)
        print(f"{layers:>6}   {seconds * 1000:>8.0f}   {seconds / layers * 1e6:>12.1f}")


if __name__ == "__main__":
    main()
