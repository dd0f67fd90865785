"""A block's topology drawn in terminal cells, placed by Graphviz's own layout.

The boxes of a `GraphView` go to `dot -Tplain` with their sizes in character
cells (0.1 in a column, 0.2 in a row); `dot` places them and routes the edges
as splines; the splines are sampled into cell paths and drawn with box-drawing
characters, whose junctions show where branches split and join.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text

from netdsl.views.graphview import Box, GraphView
from netdsl.views.graphviz_view import Heat
from netdsl.views.table import count
from netdsl.views.units import shape_text

COL, ROW = 0.1, 0.2  # inches per terminal cell
GAP = 3  # columns between the parts of a wrapped drawing
UP, DOWN, LEFT, RIGHT = 1, 2, 4, 8
_LINES = {UP: "│", DOWN: "│", UP | DOWN: "│", LEFT: "─", RIGHT: "─", LEFT | RIGHT: "─",
          DOWN | RIGHT: "╭", DOWN | LEFT: "╮", UP | RIGHT: "╰", UP | LEFT: "╯",
          UP | DOWN | RIGHT: "├", UP | DOWN | LEFT: "┤", DOWN | LEFT | RIGHT: "┬", UP | LEFT | RIGHT: "┴",
          UP | DOWN | LEFT | RIGHT: "┼"}
_OPPOSITE = {UP: DOWN, DOWN: UP, LEFT: RIGHT, RIGHT: LEFT}
_STEP = {UP: (-1, 0), DOWN: (1, 0), LEFT: (0, -1), RIGHT: (0, 1)}


class LayoutError(Exception):
    """Graphviz could not lay the graph out; the message is for the user."""


@dataclass(frozen=True)
class Placed:
    box: Box
    lines: tuple[str, ...]
    row: int
    col: int
    height: int
    width: int

    def contains(self, row: int, col: int) -> bool:
        return self.row <= row < self.row + self.height and self.col <= col < self.col + self.width


@dataclass
class Drawing:
    """The laid-out picture: boxes by id and line masks by cell."""

    boxes: dict[str, Placed]
    masks: dict[tuple[int, int], int]
    arrows: set[tuple[int, int]]
    height: int
    width: int


def box_lines(view: GraphView, box: Box) -> tuple[str, ...]:
    """A box's text: its name below the drawn scope, what it is and its shape, and its cost if any."""
    prefix = view.root + "." if view.root else ""
    name = box.title[len(prefix):] if box.title.startswith(prefix) and box.kind != "stub" else box.title
    kind = box.op if box.kind != "output" else "output"
    lines = (name + (" ▸" if box.kind == "folded" else ""), f"{kind} · {shape_text(box.shape)}")
    if box.kind in ("layer", "folded") and (box.cost.params or box.cost.macs):
        lines += (f"{count(box.cost.params)} params · {count(box.cost.macs)} MACs",)
    return lines


def layout(view: GraphView) -> Drawing:
    """Places the view's boxes with `dot`; raises LayoutError when it is missing or fails."""
    if shutil.which("dot") is None:
        raise LayoutError("Graphviz's `dot` is not installed: install Graphviz to see the graph")
    ids = {box_id: f"n{i}" for i, box_id in enumerate(view.boxes)}
    sizes = {box_id: box_lines(view, box) for box_id, box in view.boxes.items()}
    source = _dot_source(view, ids, sizes)
    try:
        plain = subprocess.run(["dot", "-Tplain"], input=source, capture_output=True, text=True, timeout=60,
                               check=True).stdout
    except (subprocess.SubprocessError, OSError) as err:
        raise LayoutError(f"Graphviz failed to lay out the graph: {err}") from None
    return _read_plain(plain, {v: k for k, v in ids.items()}, view, sizes)


def _dot_source(view: GraphView, ids: dict[str, str], sizes: dict[str, tuple[str, ...]]) -> str:
    out = ["digraph { nodesep=0.3; ranksep=0.6; splines=true;",
           "node [shape=box fixedsize=true label=\"\"];"]
    for box_id, lines in sizes.items():
        width = (max(len(line) for line in lines) + 4) * COL
        out.append(f"{ids[box_id]} [width={width:.2f} height={(len(lines) + 2) * ROW:.2f}];")
    out.extend(f"{ids[link.tail]} -> {ids[link.head]};" for link in view.links)
    out.append("}")
    return "\n".join(out)


def _read_plain(plain: str, names: dict[str, str], view: GraphView, sizes: dict[str, tuple[str, ...]]
                ) -> Drawing:
    height_in = 0.0
    boxes: dict[str, Placed] = {}
    splines: list[tuple[str, str, list[tuple[float, float]]]] = []
    for line in plain.splitlines():
        parts = line.split()
        if parts[0] == "graph":
            height_in = float(parts[3])
        elif parts[0] == "node":
            box_id, lines = names[parts[1]], sizes[names[parts[1]]]
            width = max(len(text) for text in lines) + 4
            col = round(float(parts[2]) / COL - width / 2)
            height = len(lines) + 2
            row = round((height_in - float(parts[3])) / ROW - height / 2)
            boxes[box_id] = Placed(view.boxes[box_id], lines, row, col, height, width)
        elif parts[0] == "edge":
            count = int(parts[3])
            points = [(float(parts[4 + 2 * i]), float(parts[5 + 2 * i])) for i in range(count)]
            splines.append((names[parts[1]], names[parts[2]], points))
    drawing = Drawing(boxes, {}, set(), 0, 0)
    for tail, head, points in splines:
        _route(drawing, boxes[tail], boxes[head], [_cell(p, height_in) for p in _sample(points)])
    drawing.height = max((p.row + p.height for p in boxes.values()), default=0) + 1
    drawing.width = max((p.col + p.width for p in boxes.values()), default=0) + 2
    return drawing


def _cell(point: tuple[float, float], height_in: float) -> tuple[int, int]:
    return round((height_in - point[1]) / ROW), round(point[0] / COL)


def _sample(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Points along a piecewise cubic Bézier (dot's spline format), dense enough for cells."""
    out = [points[0]]
    for i in range(0, len(points) - 3, 3):
        p0, p1, p2, p3 = points[i:i + 4]
        for step in range(1, 21):
            t = step / 20
            u = 1 - t
            out.append(tuple(u ** 3 * a + 3 * u * u * t * b + 3 * u * t * t * c + t ** 3 * d
                             for a, b, c, d in zip(p0, p1, p2, p3)))
    return out


def _route(drawing: Drawing, tail: Placed, head: Placed, cells: list[tuple[int, int]]) -> None:
    """Out of the tail's bottom, along dot's spline, into the head's top; one cell a step."""
    start = (tail.row + tail.height, _clamp(cells[0][1], tail))
    end = (head.row - 1, _clamp(cells[-1][1], head))
    path = [start]
    for cell in cells:
        if start[0] < cell[0] < end[0]:
            _walk(path, cell, vertical_first=True)
    _walk(path, end, vertical_first=False)
    for a, b in zip(path, path[1:]):
        direction = next(d for d, step in _STEP.items() if (a[0] + step[0], a[1] + step[1]) == b)
        drawing.masks[a] = drawing.masks.get(a, 0) | direction
        drawing.masks[b] = drawing.masks.get(b, 0) | _OPPOSITE[direction]
    drawing.masks[start] = drawing.masks.get(start, 0) | UP
    drawing.arrows.add(end)


def _clamp(col: int, placed: Placed) -> int:
    return min(max(col, placed.col + 1), placed.col + placed.width - 2)


def _walk(path: list[tuple[int, int]], target: tuple[int, int], vertical_first: bool) -> None:
    while path[-1] != target:
        row, col = path[-1]
        vertical = row != target[0] and (vertical_first or col == target[1])
        if vertical:
            path.append((row + (1 if target[0] > row else -1), col))
        else:
            path.append((row, col + (1 if target[1] > col else -1)))


def paint(drawing: Drawing, heat: Heat, selected: str | None = None) -> Text:
    """The drawing as rich text: lines dim, boxes filled by cost, the selected box reversed."""
    grid = [[" "] * drawing.width for _ in range(drawing.height)]
    styles: list[list[Style | None]] = [[None] * drawing.width for _ in range(drawing.height)]
    for (row, col), mask in drawing.masks.items():
        if 0 <= row < drawing.height and 0 <= col < drawing.width:
            grid[row][col] = "▼" if (row, col) in drawing.arrows else _LINES[mask]
            styles[row][col] = Style(color="grey62")
    for placed in drawing.boxes.values():
        _paint_box(grid, styles, placed, heat, placed.box.id == selected)
    text = Text(no_wrap=True, overflow="crop")
    for row in range(drawing.height):
        for col in range(drawing.width):
            text.append(grid[row][col], styles[row][col])
        text.append("\n")
    return text


def _paint_box(grid: list[list[str]], styles: list[list[Style | None]], placed: Placed, heat: Heat,
               selected: bool) -> None:
    box = placed.box
    fill = heat.color(box.cost) if box.kind in ("layer", "folded") else "white"
    border = "┏━┓┃┗┛" if box.kind == "folded" else ("┌┄┐┆└┘" if box.training_only or box.kind == "stub" else "╭─╮│╰╯")
    style = Style(color="black", bgcolor=fill, bold=selected, reverse=selected)
    width = placed.width
    rows = [border[0] + border[1] * (width - 2) + border[2],
            *(border[3] + " " + line.ljust(width - 4)[:width - 4] + " " + border[3] for line in placed.lines),
            border[4] + border[1] * (width - 2) + border[5]]
    for dy, line in enumerate(rows):
        for dx, char in enumerate(line):
            row, col = placed.row + dy, placed.col + dx
            if 0 <= row < len(grid) and 0 <= col < len(grid[0]):
                grid[row][col] = char
                styles[row][col] = style


def wrap(drawing: Drawing, text: Text, height: int, width: int) -> Text:
    """A drawing taller than the pane, and narrow enough for several side by side, cut between boxes
    into columns read left to right: a long chain fills the pane's width instead of a third of it."""
    if drawing.height <= height or drawing.width * 2 + GAP > width:
        return text
    lines = text.split("\n", allow_blank=True)[:drawing.height]
    busy = {row for p in drawing.boxes.values() for row in range(p.row, p.row + p.height)}
    target = max(height, -(-drawing.height // (width // (drawing.width + GAP))))
    segments, start = [], 0
    while start < drawing.height:
        end = _cut(start, min(start + target, drawing.height), drawing.height, busy)
        segments.append(lines[start:end])
        start = end
    out = Text(no_wrap=True, overflow="crop")
    for i in range(max(len(segment) for segment in segments)):
        for j, segment in enumerate(segments):
            line = segment[i] if i < len(segment) else Text("")
            out.append(" " * GAP if j else "")
            out.append_text(line)
            out.append(" " * (drawing.width - line.cell_len))
        out.append("\n")
    return out


def _cut(start: int, end: int, bottom: int, busy: set[int]) -> int:
    """The row to end a column at: the last row at or above `end` that crosses no box, else the next."""
    if end >= bottom:
        return bottom
    above = next((r for r in range(end, start, -1) if r not in busy), None)
    return above if above is not None else next((r for r in range(end, bottom) if r not in busy), bottom)
