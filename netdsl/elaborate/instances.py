"""Where an error happened when the same source runs many times.

A block called from several places, networks and presets elaborates the same lines
with different values; an error inside it is only useful with the instance that
failed. This elaborator adds that context to the diagnostics it raises: the block
instance (`layer1.0`, an instance of `unit`, with its call), and for a combinator
whose branches disagree, the caret on the disagreeing branch. `merge` then folds the
same error found in several networks into one diagnostic.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from netdsl.diagnostics import Diagnostic, DiagnosticError, Span
from netdsl.elaborate.elaborator import Elaborator
from netdsl.elaborate.values import Tensor
from netdsl.syntax import ast

_BRANCHES = re.compile(r"^(concat|add|mul): branch (\d+) is .+ but branch (\d+) is ")
_INSTANCE = "an instance of block"
_NETWORK = "in network"


class InstanceElaborator(Elaborator):
    """The elaborator, with each error located in the instance that raised it."""

    def apply_block(self, block, args: list[Any], kwargs: dict[str, Any], tensors: list[Tensor], namer,
                    label: str | None, span: Span) -> Tensor:
        scopes_before = len(self.builder.scopes)
        try:
            return super().apply_block(block, args, kwargs, tensors, namer, label, span)
        except DiagnosticError as err:
            entered = list(self.builder.scopes.values())[scopes_before:scopes_before + 1]
            inner = err.diagnostic.span
            inside = inner is not None and block.defn.span.path == inner.path and _within(inner, block.defn.span)
            if entered and inside and not any(_INSTANCE in note for note, _ in err.diagnostic.notes):
                note = (f"in `{entered[0].path}`, {_INSTANCE} `{block.defn.name}` called here", span)
                err.diagnostic = replace(err.diagnostic, notes=(*err.diagnostic.notes, note))
            raise

    def combine(self, step: ast.Combine, env, namer, current: Tensor, label: str | None) -> Tensor:
        try:
            return super().combine(step, env, namer, current, label)
        except DiagnosticError as err:
            match = _BRANCHES.match(err.diagnostic.message)
            if err.diagnostic.span == step.span and match:
                culprit, other = int(match.group(2)), int(match.group(3))
                if max(culprit, other) <= len(step.branches):
                    note = (f"branch {other} is this one", step.branches[other - 1].span)
                    err.diagnostic = replace(err.diagnostic, span=step.branches[culprit - 1].span,
                                             notes=(note, *err.diagnostic.notes))
            raise


def _within(inner: Span, outer: Span) -> bool:
    return (outer.line, outer.col) <= (inner.line, inner.col) and \
        (inner.end_line, inner.end_col) <= (outer.end_line, outer.end_col)


def in_network(diagnostic: Diagnostic, network: str, preset_of: str | None, body: Span) -> Diagnostic:
    """Says which network an error belongs to, where the source does not: the error is
    inside a block or another file, or the network is a preset of another."""
    shared = diagnostic.span is None or diagnostic.span.path != body.path or not _within(diagnostic.span, body)
    if not shared and preset_of is None:
        return diagnostic
    what = f"`{network}` (a preset of `{preset_of}`)" if preset_of else f"`{network}`"
    return replace(diagnostic, notes=(*diagnostic.notes, (f"{_NETWORK} {what}", None)))


def merge(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """One diagnostic per error: the same message at the same place, found in several
    networks or instances, is reported once with every network it was found in."""
    groups: dict[tuple, list[Diagnostic]] = {}
    for diagnostic in diagnostics:
        key = (diagnostic.message, diagnostic.span, diagnostic.severity, diagnostic.hint)
        groups.setdefault(key, []).append(diagnostic)
    return [_fold(group) for group in groups.values()]


def _fold(group: list[Diagnostic]) -> Diagnostic:
    notes: list[tuple[str, Span | None]] = []
    networks: list[str] = []
    for diagnostic in group:
        for note in diagnostic.notes:
            if note[0].startswith(_NETWORK):
                networks += [note[0][len(_NETWORK) + 1:]] if note[0][len(_NETWORK) + 1:] not in networks else []
            elif note not in notes:
                notes.append(note)
    if len(networks) == 1:
        notes.append((f"{_NETWORK} {networks[0]}", None))
    elif networks:
        notes.append((f"in networks {', '.join(networks)}", None))
    return replace(group[0], notes=tuple(notes))
