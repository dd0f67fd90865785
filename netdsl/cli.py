"""The `netdsl` command. Each subcommand loads a network through the same
pipeline (parse → elaborate → analyze) and hands it to one view or backend.

Exit status: 0 success, 1 diagnostics (a mistake in a .net file), 2 usage.
"""

from __future__ import annotations

import argparse
import errno
import json
import sys
from pathlib import Path
from typing import Callable, Sequence

from netdsl import __version__
from netdsl.diagnostics import CompileError, Diagnostic, SourceCache, render
from netdsl.io import ReadError, WriteError, flush_stdout
from netdsl.options import assignment, natural, positive, shape, size
from netdsl.terminal import EscapingStream, use_color

EXIT_OK, EXIT_DIAGNOSTICS, EXIT_USAGE = 0, 1, 2

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(name: str):
    def register(fn: Callable[[argparse.Namespace], int]):
        COMMANDS[name] = fn
        return fn
    return register


# ---- shared options ----------------------------------------------------------

def _limits(args: argparse.Namespace):
    """`--max-nodes N`: the layer budget of one network, so a runaway file stops early."""
    from netdsl.elaborate.elaborator import Limits

    given = {"node_budget": getattr(args, "max_nodes", None), "weight_bytes": getattr(args, "max_weight_bytes", None)}
    given = {key: value for key, value in given.items() if value is not None}
    return Limits(**given) if given else None


def _add_max_nodes(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-nodes", type=positive, metavar="N",
                   help="stop with a diagnostic past N layers per network (default 100,000)")
    p.add_argument("--max-weight-bytes", type=size, metavar="SIZE",
                   help="stop with a diagnostic past SIZE bytes of float32 weights per network (default 4GiB)")


def load_model(args: argparse.Namespace):
    from netdsl.model import load

    return load(args.file, args.net, input_shape=getattr(args, "input", None),
                limits=_limits(args), net_option="--net", **dict(args.set or []))


def _add_network_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="a .net file, or the name of a bundled network (e.g. resnet50)")
    p.add_argument("--net", help="which network of the file (default: the one named like the file,"
                                 " else the only one)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", type=assignment,
                   help="override a network parameter, e.g. --set depth=101 (repeatable)")
    _add_max_nodes(p)


# ---- commands ----------------------------------------------------------------

@command("check")
def cmd_check(args: argparse.Namespace) -> int:
    """Parse and elaborate every network of each file; report all diagnostics."""
    from netdsl.elaborate.modules import check

    failed = False
    for file in args.files:
        try:
            names, errors = check(file, _limits(args))
            if errors:
                raise CompileError(errors)
            print(f"{file}: ok ({len(names)} network{'s' * (len(names) != 1)})")
        except CompileError as err:
            _print_diagnostics(err.diagnostics)
            failed = True
    return EXIT_DIAGNOSTICS if failed else EXIT_OK


@command("summary")
def cmd_summary(args: argparse.Namespace) -> int:
    """Shapes and costs per layer, with totals."""
    if args.json:
        print(_summary_json(args))
        return EXIT_OK
    model = load_model(args)
    from rich.console import Console

    from netdsl.views.table import render_table

    console = Console()
    if not console.is_terminal:
        console = Console(width=max(console.width, 140))
    render_table(model.analysis, args.depth, console)
    return EXIT_OK


def _summary_json(args: argparse.Namespace) -> str:
    """The JSON summary; of a .net file, from the cache when neither it nor its imports changed."""
    from netdsl.library import resolve
    from netdsl.summary_cache import summary_text

    def compute() -> str:
        return json.dumps(load_model(args).summary(), indent=1 if args.pretty else None)
    source, _ = resolve(args.file, args.net)
    options = json.dumps(sorted(vars(args).items()), default=repr)
    return summary_text(options, source, compute)


@command("render")
def cmd_render(args: argparse.Namespace) -> int:
    """The network as a Graphviz picture (.svg, .png, .pdf or .dot)."""
    from netdsl.views.graphviz_view import FORMATS, RenderError, RenderOptions, write

    if args.output and not args.format and Path(args.output).suffix.lstrip(".").lower() not in FORMATS:
        print(f"netdsl: error: {args.output}: unknown picture format; use one of "
              + ", ".join(f".{f}" for f in FORMATS) + " (or --format)", file=sys.stderr)
        return EXIT_USAGE
    model = load_model(args)
    output = args.output or f"{model.name}.{args.format or 'svg'}"
    try:
        write(model.analysis, output, RenderOptions(args.depth, args.rankdir, args.color),
              warn=lambda message: print(f"netdsl: warning: {message}", file=sys.stderr), fmt=args.format)
    except RenderError as err:
        print(f"netdsl: error: {err}", file=sys.stderr)
        return EXIT_DIAGNOSTICS
    print(output)
    return EXIT_OK


@command("fmt")
def cmd_fmt(args: argparse.Namespace) -> int:
    """Rewrite .net files in the canonical layout; --check only reports (for CI)."""
    from netdsl.fmt import fmt_files

    changed, errors = fmt_files(args.files, check=args.check, diff=args.diff)
    if errors:
        _print_diagnostics(errors)
    return EXIT_DIAGNOSTICS if errors or (changed and (args.check or args.diff)) else EXIT_OK


@command("nets")
def cmd_nets(args: argparse.Namespace) -> int:
    """The bundled library with params and MACs; --markdown prints nets/README.md."""
    from netdsl.views.catalog import entries, markdown, text_table

    rows = entries()
    if args.markdown:
        sys.stdout.write(markdown(rows))
    else:
        print(text_table(rows))
    return EXIT_OK


@command("tui")
def cmd_tui(args: argparse.Namespace) -> int:
    """Browse the network in the terminal; reloads when the file is saved."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print("netdsl tui: error: the terminal UI needs a terminal (stdin and stdout are not both one);"
              " for text use `netdsl summary`", file=sys.stderr)
        return EXIT_USAGE
    from netdsl.library import resolve
    from netdsl.views.tui import run_and_exit

    path, net = resolve(args.file, args.net)
    return run_and_exit(path, net, dict(args.set or []), compare=args.compare)


@command("compare")
def cmd_compare(args: argparse.Namespace) -> int:
    """Several networks side by side; see netdsl.views.compare."""
    from netdsl.views.compare import run

    return run(args)


@command("compile")
def cmd_compile(args: argparse.Namespace) -> int:
    """ONNX (--onnx) or standalone PyTorch source (--torch); see netdsl.backends.compile."""
    from netdsl.backends.compile import run

    return run(args, load_model(args))


@command("import")
def cmd_import(args: argparse.Namespace) -> int:
    """An ONNX model as a .net file, with its weights as .safetensors beside it."""
    import tempfile

    from netdsl.frontends.importer import torch_to_onnx, write_import

    if args.torch:
        with tempfile.TemporaryDirectory() as folder:
            source = torch_to_onnx(args.torch, args.input or (3, 224, 224), folder)
            net, weights = write_import(source, args.output or f"{args.torch.partition(':')[2]}.net")
    else:
        net, weights = write_import(args.file, args.output)
    print(f"wrote {net}" + (f" and {weights}" if weights else ""))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="netdsl", description="Describe neural networks as graphs; get shapes, costs, PyTorch and ONNX.",
        epilog="examples:\n"
               "  netdsl summary resnet50                      a bundled network by name\n"
               "  netdsl summary nets/resnet.net --set depth=101 --json\n"
               "  netdsl compile nets/googlenet.net --onnx --verify\n"
               "  netdsl render nets/googlenet.net -o googlenet.svg\n"
               "  netdsl tui nets/googlenet.net\n\n"
               "exit status: 0 success, 1 a mistake in a .net file (diagnostics), 2 usage error",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"netdsl {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("check", help="check .net files for errors",
                       epilog="example: netdsl check nets/*.net")
    p.add_argument("files", nargs="+", metavar="FILE")
    _add_max_nodes(p)

    p = sub.add_parser("fmt", help="format .net files in the canonical layout",
                       epilog="examples: netdsl fmt nets/mynet.net\n"
                              "          netdsl fmt --check nets examples   (exit 1 if a file would change)",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+", metavar="FILE", help=".net files, or folders to search for them")
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file would change")
    p.add_argument("--diff", action="store_true", help="change nothing; print what would change as a diff")

    p = sub.add_parser("nets", help="list the bundled networks with params and MACs",
                       epilog="example: netdsl nets --markdown > nets/README.md")
    p.add_argument("--markdown", action="store_true", help="print the library's README table")

    p = sub.add_parser("summary", help="layer table with shapes, params and MACs",
                       epilog="examples: netdsl summary nets/resnet.net --net resnet50 --depth 1\n"
                              "          netdsl summary resnet50 --json",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_network_options(p)
    p.add_argument("--input", metavar="C,H,W", type=shape, help="override the input shape, e.g. 3,160,160")
    p.add_argument("--depth", type=natural, default=1, help="fold blocks nested deeper than N (default 1)")
    p.add_argument("--json", action="store_true", help="exact integers as JSON")
    p.add_argument("--pretty", action="store_true", help="indent the JSON")

    p = sub.add_parser("render", help="draw the network with Graphviz (shapes and costs)",
                       epilog="examples: netdsl render nets/googlenet.net -o googlenet.svg\n"
                              "          netdsl render resnet152 --depth 0 --rankdir LR -o r152.png",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_network_options(p)
    p.add_argument("-o", "--output", metavar="OUT", help="OUT.svg, .png, .pdf or .dot (default NET.svg)")
    p.add_argument("--format", choices=("dot", "svg", "png", "pdf"),
                   help="picture format (default: from OUT's suffix, else svg)")
    p.add_argument("--depth", type=natural, help="fold blocks nested deeper than N (default: the deepest that"
                                             " keeps the picture legible)")
    p.add_argument("--rankdir", choices=("TB", "LR"), default="TB", help="layout direction (default TB)")
    p.add_argument("--color", choices=("macs", "params", "memory", "none"), default="macs",
                   help="fill colour by this cost, log scale (default macs)")

    p = sub.add_parser("compile", help="write ONNX or standalone PyTorch source",
                       epilog="examples: netdsl compile nets/googlenet.net --onnx\n"
                              "          netdsl compile resnet50 --torch -o resnet50.py\n"
                              "          netdsl compile resnet50 --onnx --weights r50.safetensors --verify",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_network_options(p)
    p.add_argument("--input", metavar="C,H,W", type=shape, help="override the input shape, e.g. 3,160,160")
    from netdsl.backends.compile import add_options

    add_options(p)

    from netdsl.views.compare import add_parser

    add_parser(sub)

    p = sub.add_parser("import", help="an ONNX model as a .net file (and its weights)",
                       epilog="example: netdsl import resnet50.onnx -o resnet50.net")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("file", metavar="FILE.onnx", nargs="?")
    source.add_argument("--torch", metavar="MODULE:CALLABLE",
                        help="a PyTorch module (class or factory) to trace, e.g. mymodels:Net")
    p.add_argument("--input", metavar="C,H,W", type=shape,
                   help="the input shape to trace --torch with (default 3,224,224)")
    p.add_argument("-o", "--output", metavar="OUT.net", help="where to write (default: FILE.net beside FILE)")

    p = sub.add_parser("tui", help="browse the network in a terminal UI",
                       epilog="examples: netdsl tui nets/googlenet.net --net googlenet_paper\n"
                              "          netdsl tui resnet50 --compare resnet101   (layer-by-layer diff)",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_network_options(p)
    p.add_argument("--compare", metavar="NET", help="open the diff view against NET (a bundled network,"
                                                     " a .net file or FILE.net:NETWORK)")
    sub.add_parser("lsp", help="the language server for editors, over stdio (docs/editors.md)")
    return parser


@command("lsp")
def cmd_lsp(args: argparse.Namespace) -> int:
    """The language server over stdio, for an editor to start."""
    try:
        from netdsl.lsp.server import main as serve
    except ImportError as err:
        print(f"netdsl: error: the language server needs {err.name}: pip install \"netdsl[lsp]\"", file=sys.stderr)
        return EXIT_DIAGNOSTICS
    return serve()


def _print_diagnostics(diagnostics: list[Diagnostic], texts: dict[str, str] | None = None) -> None:
    color = use_color(sys.stderr)
    highlight = None
    if color:
        from netdsl.highlight import ansi as highlight
    sources = SourceCache(dict(texts or {}))
    for diag in diagnostics:
        print(render(diag, sources, color, highlight), file=sys.stderr)
    count = len(diagnostics)
    if count > 1:
        print(f"{count} errors", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; where no colour is wanted (a pipe, TERM=dumb, NO_COLOR) stdout and
    stderr escape every control character, so no escape sequence at all gets out."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = (s if use_color(s) else EscapingStream(s) for s in saved)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = saved


def _main(argv: Sequence[str] | None) -> int:
    from netdsl import diskcache

    parser = build_parser()
    args = parser.parse_args(argv)
    diskcache.enable()  # a command parses the files the previous one did: keep their trees between runs
    reason = None
    try:
        status = COMMANDS[args.command](args)
    except CompileError as err:
        _print_diagnostics(err.diagnostics, err.sources)
        status = EXIT_DIAGNOSTICS
    except (WriteError, ReadError) as err:
        print(f"netdsl: error: {err}", file=sys.stderr)
        return EXIT_DIAGNOSTICS
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        flush_stdout()
        return EXIT_OK
    except OSError as err:
        if err.errno not in _STDOUT_ERRORS:
            raise
        flush_stdout()  # a print to a full stdout raised: exit's own flush must not fail again
        reason = err.strerror
    reason = reason or flush_stdout()
    if reason:
        print(f"netdsl: error: cannot write <stdout>: {reason}", file=sys.stderr)
        return EXIT_DIAGNOSTICS
    return status


_STDOUT_ERRORS = (errno.ENOSPC, errno.EFBIG, errno.EIO, errno.EDQUOT)


if __name__ == "__main__":
    sys.exit(main())
