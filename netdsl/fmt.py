"""`netdsl fmt`: rewrite .net files in the canonical layout, or (`--check`) say
which would change, for pre-commit and CI. The layout itself is
netdsl/syntax/format.py; this module walks files and reports."""

from __future__ import annotations

import difflib
import sys
from pathlib import Path
from typing import Iterable, Iterator

from netdsl.diagnostics import CompileError, Diagnostic
from netdsl.elaborate.program import read_source
from netdsl.io import WriteError, write_atomic
from netdsl.syntax.format import FormatError, format_source


def net_files(paths: Iterable[str]) -> Iterator[Path]:
    """Files as given; folders give their .net files, recursively, in sorted order."""
    for name in paths:
        path = Path(name)
        yield from sorted(path.rglob("*.net")) if path.is_dir() else [path]


def fmt_files(paths: Iterable[str], check: bool = False, diff: bool = False) -> tuple[int, list[Diagnostic]]:
    """Formats each file in place (or only reports, with check/diff); returns how
    many changed or would change, and the diagnostics of files left alone."""
    changed, diagnostics = 0, []
    for path in net_files(paths):
        try:
            text = read_source(path)
            formatted = format_source(text, str(path))
        except CompileError as err:
            diagnostics.extend(err.diagnostics)
            continue
        except FormatError as err:
            diagnostics.append(Diagnostic(str(err), None))
            continue
        if formatted == text:
            continue
        changed += 1
        if diff:
            sys.stdout.writelines(difflib.unified_diff(text.splitlines(True), formatted.splitlines(True),
                                                       f"{path}", f"{path} (formatted)"))
        if check or diff:
            print(f"would reformat {path}", file=sys.stderr)
        else:
            try:
                write_atomic(path, _with_bom(formatted, path))
            except WriteError as err:
                diagnostics.append(Diagnostic(str(err), None))
                continue
            print(f"reformatted {path}", file=sys.stderr)
    return changed, diagnostics


def _with_bom(text: str, path: Path) -> str:
    """A file that began with a BOM keeps it: fmt changes layout, not encoding."""
    with open(path, "rb") as original:
        return "\ufeff" + text if original.read(3) == b"\xef\xbb\xbf" else text
