"""What the UI shows and where it came from: one network of one file, recompiled on save.

A failed compile never replaces the last good model; it only records the
diagnostics, so the UI can show them next to the graph it keeps showing.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netdsl.diagnostics import CompileError, Diagnostic, SourceCache, render
from netdsl.model import Model, load

_DECLARED = re.compile(r"^\s*network\s+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)


@dataclass
class Session:
    path: Path
    net: str | None
    overrides: dict[str, Any] = field(default_factory=dict)
    model: Model | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # the text each span of `model` points into
    stamps: dict[str, int] = field(default_factory=dict)
    known: list[str] = field(default_factory=list)  # the file's networks at the last good compile
    renamed: tuple[str, str] | None = None  # (old, new) when the last compile followed a rename

    def compile(self) -> bool:
        """Recompiles from disk; True when it gave a new model."""
        self.stamps = self._read_stamps(self.watched())
        self.renamed = None
        try:
            model = self._load()
        except CompileError as err:
            self.diagnostics = err.diagnostics
            return False
        except Exception as err:  # a bug in netdsl must not take the user's session down with it
            self.diagnostics = [Diagnostic(f"netdsl failed on this file ({type(err).__name__}: {err});"
                                           " please report it", None)]
            return False
        self.model, self.diagnostics = model, []
        self.known = declared(_read(str(self.path)))
        self.sources = {p: _read(p) for p in self._span_paths(model)}
        self.stamps = self._read_stamps(self.watched())
        return True

    def _load(self) -> Model:
        """Loads the network; one renamed in the file (the same place in the list of networks, a new
        name) is followed instead of reported as missing."""
        try:
            return load(self.path, self.net, **self.overrides)
        except CompileError:
            names = declared(_read(str(self.path)))
            if not self.net or self.net in names or self.net not in self.known or len(names) != len(self.known):
                raise
            self.renamed = (self.net, names[self.known.index(self.net)])
            self.net = self.renamed[1]
            return load(self.path, self.net, **self.overrides)

    def watched(self) -> list[str]:
        """The file and every file the last good model drew from (imports)."""
        return sorted({str(self.path), *self.sources})

    def changed(self) -> bool:
        return self._read_stamps(self.watched()) != self.stamps

    def diagnostics_text(self) -> str:
        sources = SourceCache()  # fresh: the file just changed under the process-wide cache
        return "\n".join(render(d, sources) for d in self.diagnostics)

    def networks(self) -> list[str]:
        """Networks and presets the file defines, for switching between them."""
        from netdsl.syntax import ast
        from netdsl.syntax.parser import parse

        try:
            module = parse(self.path.read_text(encoding="utf-8"), str(self.path))
        except (CompileError, OSError, UnicodeDecodeError):
            return [self.net] if self.net else []
        return [i.name for i in module.items if isinstance(i, (ast.NetworkDef, ast.PresetDef))]

    @staticmethod
    def _span_paths(model: Model) -> set[str]:
        paths = {model.network.span.path}
        paths.update(lc.node.span.path for lc in model.analysis.layers.values())
        return paths

    @staticmethod
    def _read_stamps(paths: list[str]) -> dict[str, int]:
        stamps = {}
        for path in paths:
            try:
                stamps[path] = os.stat(path).st_mtime_ns
            except OSError:
                stamps[path] = -1
        return stamps


def declared(text: str) -> list[str]:
    """The networks and presets a file declares, in order: a line scan, cheap on every reload."""
    return _DECLARED.findall(text)


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
