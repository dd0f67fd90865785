"""`netdsl compile`: one network → an ONNX file or standalone PyTorch source, with
optional weights and a --verify run against the PyTorch module."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any

from netdsl.io import atomic_write

EXIT_OK, EXIT_FAILED = 0, 1


def run(args: argparse.Namespace, model: Any) -> int:
    """Build the artefact in memory, write it atomically, then verify if asked."""
    from netdsl.backends.weights import check_state, init_state, load_weights

    signal.signal(signal.SIGTERM, _terminate)
    network = model.network
    state = (check_state(load_weights(args.weights), network, f"--weights {args.weights}") if args.weights
             else init_state(network, args.seed))
    if args.torch:
        output, difference = _torch(args, model, state)
    else:
        output, difference = _onnx(args, model, state)
    print(f"wrote {output} ({_size(output)}; {network.name}, {len(state)} tensors,"
          f" {model.params:,} params{', ' + args.weights if args.weights else ', seeded random weights'})")
    if difference is None:
        return EXIT_OK
    print(difference, file=sys.stderr)
    return EXIT_OK if difference.ok else EXIT_FAILED


def _onnx(args: argparse.Namespace, model: Any, state: dict) -> tuple[str, Any]:
    from netdsl.backends.onnx_export import check_opset, export, to_bytes

    check_opset(args.opset)
    network = model.network
    data = to_bytes(export(network, state, args.opset, args.dynamic_batch, doc=f"{network.name} from {model.source}"))
    output = args.output or f"{network.name}.onnx"
    atomic_write(output, data)
    if not args.verify:
        return output, None
    from netdsl.backends.torch_module import build_module
    from netdsl.backends.verify import onnx_outputs, verify

    reference = build_module(network, state)
    return output, verify(network, reference, lambda inputs: onnx_outputs(data, inputs),
                          batch=2 if args.dynamic_batch else 1, seed=args.seed)


def _torch(args: argparse.Namespace, model: Any, state: dict) -> tuple[str, Any]:
    from netdsl.backends.torch_codegen import generate

    network = model.network
    source = generate(network, Path(model.source).name)
    output = args.output or f"{network.name}.py"
    atomic_write(output, source)
    if not args.verify:
        return output, None
    import torch

    from netdsl.backends.torch_module import build_module, load_source
    from netdsl.backends.verify import torch_outputs, verify

    standalone = load_source(source, network.name)["build"]()
    standalone.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in state.items()})
    reference = build_module(network, state)
    return output, verify(network, reference, lambda inputs: torch_outputs(standalone, network, inputs),
                          seed=args.seed)


def _size(path: str) -> str:
    size = Path(path).stat().st_size
    return f"{size / (1 << 20):.1f} MiB" if size >= 1 << 20 else f"{size / 1024:.1f} KiB"


def _terminate(signum: int, frame: Any) -> None:
    """SIGTERM unwinds like Ctrl-C, so a half-written temporary file is removed."""
    raise KeyboardInterrupt


def add_options(p: argparse.ArgumentParser) -> None:
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--onnx", action="store_true", help="write ONNX (default OUT: NET.onnx)")
    target.add_argument("--torch", action="store_true", help="write standalone PyTorch source (default OUT: NET.py)")
    p.add_argument("-o", "--output", metavar="OUT", help="output file (written atomically)")
    p.add_argument("--opset", type=int, default=17, help="ONNX opset (default 17)")
    p.add_argument("--weights", metavar="W", help="a state_dict: .pt (loaded with weights_only) or .safetensors")
    p.add_argument("--dynamic-batch", action="store_true", help="ONNX: a symbolic batch dimension")
    p.add_argument("--verify", action="store_true",
                   help="run the output and the PyTorch module on one random input; exit 1 if they differ")
    p.add_argument("--seed", type=int, default=0, help="seed of the random weights and inputs (default 0)")
