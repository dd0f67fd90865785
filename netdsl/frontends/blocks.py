"""Repeated groups as blocks, runs of equal block calls as loops: what turns an
imported graph into the `.net` file a person would have written.

The writer leaves each labelled group of several steps as a placeholder with its
step texts. Groups whose texts are equal but for their integer arguments are
instances of one block; the integers that vary become its parameters (one
parameter per distinct column of values, the others written as multiples of an
earlier one: `c * 4`). Consecutive unlabelled calls of one block with the same
arguments become a `for` loop, which splices and so keeps the numbering.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from netdsl.ops import OPS

RESERVED = {"block", "network", "input", "output", "return", "let", "import", "for", "if", "else", "in", "not",
            "and", "or", "true", "false", "train", "range", "len", "min", "max", "sum", "abs", "int", "float",
            "round", "log", "log2", "exp", "sqrt", "ceil", "floor", "tap", "make_divisible"}
MIN_BLOCK_STEPS = 4  # smaller repeated groups (a downsample's conv and bn) read better inline
_INTEGER = re.compile(r"(?<![\w.\"'-])\d+(?![\w.\"'])")
_PLACEHOLDER = re.compile("\x00(\\d+)\x00")


@dataclass
class Group:
    label: str  # as written before the colon
    path: str
    pieces: list[str]  # the steps of its chain, placeholders for nested groups
    numbered: bool  # its position in the chain around it gives it its name: no label needed
    parent: int | None = None


class Groups:
    """The groups a writer found, by number; `Groups.mark(n)` is the placeholder."""

    def __init__(self) -> None:
        self.all: list[Group] = []

    def add(self, group: Group) -> str:
        self.all.append(group)
        number = len(self.all) - 1
        for piece in group.pieces:
            for child in _PLACEHOLDER.findall(piece):
                self.all[int(child)].parent = number
        return f"\x00{number}\x00"


@dataclass
class Block:
    name: str
    params: list[str]
    body: str


def fold(pieces: list[str], groups: Groups) -> tuple[list[Block], str]:
    """The block definitions and the chain text of `pieces` with blocks and loops folded in."""
    calls, blocks = _find_blocks(groups)
    return blocks, _assemble(pieces, groups, calls)


def _inline(number: int, groups: Groups) -> str:
    group = groups.all[number]
    body = " -> ".join(_expand(p, groups, {}) for p in group.pieces)
    return body


def _expand(text: str, groups: Groups, calls: dict[int, str]) -> str:
    def one(match: re.Match) -> str:
        number = int(match.group(1))
        group = groups.all[number]
        if number in calls:
            return calls[number] if group.numbered else f"{group.label}: {calls[number]}"
        return f"{group.label}: ({_assemble(group.pieces, groups, calls)})"
    return _PLACEHOLDER.sub(one, text)


def _assemble(pieces: list[str], groups: Groups, calls: dict[int, str]) -> str:
    texts = [_expand(p, groups, calls) for p in pieces]
    looped: list[str] = []
    i = 0
    while i < len(texts):
        j = i
        while j + 1 < len(texts) and texts[j + 1] == texts[i] and _is_call(pieces[i], groups, calls):
            j += 1
        looped.append(texts[i] if j == i else f"for i in range({j - i + 1}) {{ {texts[i]} }}")
        i = j + 1
    return " -> ".join(looped)


def _is_call(piece: str, groups: Groups, calls: dict[int, str]) -> bool:
    """An unlabelled block call: repeating it in a loop names it the same way."""
    match = _PLACEHOLDER.fullmatch(piece)
    return match is not None and int(match.group(1)) in calls and groups.all[int(match.group(1))].numbered


def _find_blocks(groups: Groups) -> tuple[dict[int, str], list[Block]]:
    """Which groups are block calls (their call text), and the blocks."""
    by_shape: dict[str, list[int]] = defaultdict(list)
    for number in range(len(groups.all)):
        text = _inline(number, groups)
        if text.count("->") + text.count("{") >= MIN_BLOCK_STEPS - 1:
            by_shape[_INTEGER.sub("#", text)].append(number)
    calls: dict[int, str] = {}
    blocks: list[Block] = []
    names: set[str] = set()
    for shape, members in sorted(by_shape.items(), key=lambda kv: -len(kv[0])):
        members = [m for m in members if not _inside(m, calls, groups)]
        if len(members) < 2:
            continue
        block, args = _parameterise([_inline(m, groups) for m in members], _block_name(groups, members, names))
        blocks.append(block)
        for member, values in zip(members, args):
            calls[member] = f"{block.name}({', '.join(values)})" if values else block.name
    return calls, blocks


def _inside(number: int, calls: dict[int, str], groups: Groups) -> bool:
    parent = groups.all[number].parent
    while parent is not None:
        if parent in calls:
            return True
        parent = groups.all[parent].parent
    return False


def _parameterise(texts: list[str], name: str) -> tuple[Block, list[list[str]]]:
    """One body for texts equal but for integers; each instance's argument texts."""
    columns = list(zip(*[[int(v) for v in _INTEGER.findall(t)] for t in texts]))
    params: list[str] = []
    sources: dict[tuple[int, ...], str] = {}  # a column of values → the parameter holding it
    expressions: list[str] = []
    for k, column in enumerate(columns):
        if len(set(column)) == 1:
            expressions.append(str(column[0]))
        elif column in sources:
            expressions.append(sources[column])
        elif (derived := _derived(column, sources)) is not None:
            expressions.append(derived)
        else:
            param = _param_name(texts[0], k, params)
            params.append(param)
            sources[column] = param
            expressions.append(param)
    counter = iter(expressions)
    body = _INTEGER.sub(lambda m: next(counter), texts[0])
    args = [[(f"{p}=" if k else "") + str(column[i]) for k, (column, p) in enumerate(sources.items())]
            for i in range(len(texts))]
    return Block(name, params, body), args


def _derived(column: tuple[int, ...], sources: dict[tuple[int, ...], str]) -> str | None:
    for source, param in sources.items():
        if all(s and c % s == 0 for s, c in zip(source, column)) and len({c // s for s, c in zip(source, column)}) == 1:
            return f"{param} * {column[0] // source[0]}"
        if all(c and s % c == 0 for s, c in zip(source, column)) and len({s // c for s, c in zip(source, column)}) == 1:
            return f"{param} // {source[0] // column[0]}"
    return None


def _param_name(text: str, k: int, taken: list[str]) -> str:
    """The keyword the k-th integer is given for (`stride`), else `c` for a first argument."""
    match = list(_INTEGER.finditer(text))[k]
    keyword = re.search(r"(\w+)=$", text[:match.start()])
    base = keyword.group(1) if keyword else "c"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}{n}", n + 1
    return name


def _block_name(groups: Groups, members: list[int], taken: set[str]) -> str:
    """From the instances' labels: `denselayer` for denselayer1…, `layer_unit` for layer1.0…"""
    group = groups.all[members[0]]
    parts = group.path.split(".")
    word = next((p for p in reversed(parts) if not p.isdigit()), "unit")
    base = re.match(r"[A-Za-z_]*", word).group(0).rstrip("_") or "unit"
    if parts[-1].isdigit():
        base += "_unit"
    if base in OPS or base in RESERVED:
        base += "_block"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}{n}", n + 1
    taken.add(name)
    return name
