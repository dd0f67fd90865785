"""`netdsl compile`: the command's options around `netdsl.export` (netdsl/backends/export.py)."""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Any

from netdsl.options import natural

EXIT_OK, EXIT_FAILED = 0, 1


def run(args: argparse.Namespace, model: Any) -> int:
    """The compile command: netdsl.export with the command's options; the verdict on stderr."""
    from netdsl.backends.export import export

    signal.signal(signal.SIGTERM, _terminate)
    exported = export(model, "torch" if args.torch else "onnx", args.output, args.weights, args.verify,
                      seed=args.seed, opset=args.opset, dynamic_batch=args.dynamic_batch, note=_note)
    print(exported)
    if exported.difference is None:
        return EXIT_OK
    print(exported.difference, file=sys.stderr)
    return EXIT_OK if exported.ok else EXIT_FAILED


def _note(message: str) -> None:
    print(f"netdsl: note: {message}", file=sys.stderr)


def _terminate(signum: int, frame: Any) -> None:
    """SIGTERM unwinds like Ctrl-C, so a half-written temporary file is removed."""
    raise KeyboardInterrupt


def _opset(text: str) -> int:
    """An opset the exporter writes: a bad one is a usage error (exit 2), caught before any work."""
    from netdsl.backends.onnx_export import MIN_OPSET, latest_opset

    value = natural(text)
    if not MIN_OPSET <= value <= latest_opset():
        raise argparse.ArgumentTypeError(f"netdsl exports opsets {MIN_OPSET} to {latest_opset()}, not {text}")
    return value


def add_options(p: argparse.ArgumentParser) -> None:
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--onnx", action="store_true", help="write ONNX (default OUT: NET.onnx)")
    target.add_argument("--torch", action="store_true", help="write standalone PyTorch source (default OUT: NET.py)")
    p.add_argument("-o", "--output", metavar="OUT", help="output file (written atomically)")
    p.add_argument("--opset", type=_opset, default=17, help="ONNX opset (default 17)")
    p.add_argument("--weights", metavar="W", help="a state_dict: .pt (loaded with weights_only) or .safetensors")
    p.add_argument("--dynamic-batch", action="store_true", help="ONNX: a symbolic batch dimension")
    p.add_argument("--verify", action="store_true",
                   help="run the output and the PyTorch module on one random input; exit 1 if they differ")
    p.add_argument("--seed", type=natural, default=0, help="seed of the random weights and inputs (default 0)")
