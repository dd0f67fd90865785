"""Option value types for the argument parser: every value is checked where it is parsed,
so a bad one is a usage error (exit 2, with the usage line), never a traceback or a
diagnostic deep inside a command. Kept apart from cli.py so the backends' and views'
option builders can use them without importing the CLI."""

from __future__ import annotations

import argparse
import re
from typing import Any


def natural(text: str) -> int:
    """0, 1, 2, …: depths and seeds."""
    value = _integer(text)
    if value is None or value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer 0 or more, not {text!r}")
    return value


def positive(text: str) -> int:
    """1, 2, 3, …: budgets and sizes."""
    value = _integer(text)
    if value is None or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, not {text!r}")
    return value


_UNITS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12, "ki": 1 << 10, "mi": 1 << 20,
          "gi": 1 << 30, "ti": 1 << 40}


def size(text: str) -> int:
    """A positive number of bytes: 8000000000, 8G or 8GiB."""
    match = re.fullmatch(r"(\d+)\s*([kmgt]i?)?b?", text.strip().lower())
    value = int(match[1]) * _UNITS[match[2] or ""] if match else 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a size in bytes such as 8000000000, 8G or 8GiB, not {text!r}")
    return value


def shape(text: str) -> tuple[int, ...]:
    """`--input 3,224,224` (or 3x224x224, or one F for a vector input)."""
    parts = [_integer(part) for part in text.replace("x", ",").split(",")]
    if len(parts) not in (1, 3) or any(p is None or p <= 0 for p in parts):
        raise argparse.ArgumentTypeError(f"expected C,H,W (or F) of positive integers, not {text!r}")
    return tuple(parts)  # type: ignore[arg-type]


def assignment(text: str) -> tuple[str, Any]:
    """`--set depth=101` → ("depth", 101); the value is a .net expression (number, true, list,
    "quoted string"), evaluated here so a bad one is a usage error that shows where."""
    key, sep, value = text.partition("=")
    if not sep or not key.isidentifier():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, e.g. --set depth=101, not {text!r}")
    from netdsl.diagnostics import CompileError, DiagnosticError, SourceCache, render
    from netdsl.elaborate.elaborator import Elaborator
    from netdsl.elaborate.modules import root_env
    from netdsl.syntax.parser import parse_expr

    origin = f"--set {key}"
    try:
        return key, Elaborator().eval(parse_expr(value, origin), root_env())
    except (CompileError, DiagnosticError) as err:
        diagnostics = err.diagnostics if isinstance(err, CompileError) else [err.diagnostic]
        shown = "\n".join(render(d, SourceCache({origin: value})) for d in diagnostics)
        raise argparse.ArgumentTypeError(shown + _quote_hint(key, value, diagnostics)) from None


def _quote_hint(key: str, value: str, diagnostics) -> str:
    if value.isidentifier() and any(d.message.startswith("unknown name") for d in diagnostics):
        return f"\n  hint: a string needs quotes: --set {key}='\"{value}\"'"
    return ""


def _integer(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None
