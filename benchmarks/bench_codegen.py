"""`--torch` code generation time per layer for 1k … 16k residual blocks (issue 10.23): it must
stay flat, the generator being linear. Elaboration is done once per size and not timed.

    python benchmarks/bench_codegen.py                 # this checkout's generator
    python benchmarks/bench_codegen.py OLD_CODEGEN.py [BLOCKS...]  # another torch_codegen.py, to compare
      (before issue 10: git show 5c22234~1:netdsl/backends/torch_codegen.py > /tmp/old_codegen.py)
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import netdsl  # noqa: E402
from netdsl.backends.torch_codegen import generate  # noqa: E402

SIZES = (1000, 2000, 4000, 8000, 16000)
SOURCE = ("block res() {{ add {{ identity; conv(in.c, 3, pad=1) -> relu }} }}\n"
          "network chain() {{\n    input x: [8, 8, 8]\n    output y = x -> for i in range({n}) {{ res }}\n}}\n")


def generator(path: str | None):
    if path is None:
        return generate
    spec = importlib.util.spec_from_file_location("codegen_under_test", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.generate


def per_layer_us(blocks: int, generate_source) -> tuple[int, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "chain.net"
        path.write_text(SOURCE.format(n=blocks))
        network = netdsl.load(path, limits=None).network
    layers = len(network.graph) - 1
    start = time.perf_counter()
    generate_source(network, "chain.net")
    return layers, (time.perf_counter() - start) / layers * 1e6


def main() -> None:
    generate_source = generator(sys.argv[1] if len(sys.argv) > 1 else None)
    sizes = [int(n) for n in sys.argv[2:]] or SIZES
    print(f"{'blocks':>7} {'layers':>7} {'µs/layer':>9}")
    for blocks in sizes:
        layers, us = per_layer_us(blocks, generate_source)
        print(f"{blocks:>7} {layers:>7} {us:>9.1f}", flush=True)


if __name__ == "__main__":
    main()
