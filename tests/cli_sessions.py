"""The terminal sessions shown in docs/cli.md, run for real and compared (issue 10.17).

A session is a ``` block whose lines start with `$ `: each command runs in bash in a
scratch folder that sees the repository's nets/ and examples/, stdout and stderr
merged as a terminal shows them. A line `...` in the shown output elides lines: the
parts between elisions must appear in order, the first at the start and the last at
the end unless an elision stands there. `$ cat FILE` followed by its text creates FILE.
A block after `<!-- abridged -->` is shown for reading only. Numbers are compared
exactly, but for floating-point noise in scientific notation (see `comparable`).

`python tests/cli_sessions.py` rewrites every session in place with what the commands
print now (an elided one keeps as many first and last lines as it showed)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLI_MD = REPO / "docs" / "cli.md"
_BLOCK = re.compile(r"(<!-- abridged -->\n)?```\n(\$ .*?)```", re.S)


@dataclass
class Step:
    command: str
    shown: list[str]


def sessions(text: str) -> list[tuple[int, list[Step]]]:
    """(offset of the block's body, its steps) for each tested session in `text`."""
    found = []
    for match in _BLOCK.finditer(text):
        if match[1]:
            continue
        steps: list[Step] = []
        for line in match[2].splitlines():
            if line.startswith("$ "):
                steps.append(Step(line[2:], []))
            else:
                steps[-1].shown.append(line)
        found.append((match.start(2), steps))
    return found


def run(step: Step, folder: Path) -> list[str]:
    """The step's output; a `cat` with shown text writes that text first."""
    if step.command.startswith("cat ") and step.shown:
        (folder / step.command[4:].strip()).write_text("\n".join(step.shown) + "\n", encoding="utf-8")
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1", "COLUMNS": "200",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(["bash", "-c", step.command], cwd=folder, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=300)
    return [line.rstrip() for line in done.stdout.splitlines()]


_SCIENTIFIC = re.compile(r"\b\d(\.\d+)?e[-+]\d+\b")


def comparable(lines: list[str]) -> list[str]:
    """Lines as compared: floating-point noise such as verify's `max abs diff 2.24e-08` (which
    varies with the CPU's vector unit) stands as `<e>`; every other number is compared exactly."""
    return [_SCIENTIFIC.sub("<e>", line.rstrip()) for line in lines]


def matches(shown: list[str], actual: list[str]) -> bool:
    """`actual` fits `shown`, whose `...` lines stand for any run of lines."""
    shown, actual = comparable(_trim(shown)), comparable(actual)
    parts: list[list[str]] = [[]]
    for line in shown:
        if line.strip() == "...":
            parts.append([])
        else:
            parts[-1].append(line)
    position = 0
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if index == 0:
            if actual[:len(part)] != part:
                return False
            position = len(part)
            continue
        found = _find(actual, part, position, at_end=last)
        if found is None:
            return False
        position = found + len(part)
    return position == len(actual) or shown[-1].strip() == "..."


def _trim(lines: list[str]) -> list[str]:
    """Without the blank lines that separate one shown command from the next."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    return lines[:end]


def refresh(shown: list[str], actual: list[str]) -> list[str]:
    """What to show now: `actual`, or with elisions its first and last lines as many as were shown."""
    lines, gap = _trim(shown), len(shown) - len(_trim(shown))
    if not any(line.strip() == "..." for line in lines):
        return actual + [""] * gap
    cut = lines.index(next(line for line in lines if line.strip() == "..."))
    tail = len(lines) - 1 - max(i for i, line in enumerate(lines) if line.strip() == "...")
    middle = lines[cut:len(lines) - tail]
    return actual[:cut] + middle + (actual[len(actual) - tail:] if tail else []) + [""] * gap


def _find(actual: list[str], part: list[str], start: int, at_end: bool) -> int | None:
    if at_end:
        begin = len(actual) - len(part)
        return begin if begin >= start and actual[begin:] == part else None
    for begin in range(start, len(actual) - len(part) + 1):
        if actual[begin:begin + len(part)] == part:
            return begin
    return None


def scratch(folder: Path) -> Path:
    for name in ("nets", "examples"):
        (folder / name).symlink_to(REPO / name)
    return folder


def regenerate() -> None:
    import tempfile

    text = CLI_MD.read_text(encoding="utf-8")
    bodies = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = scratch(Path(tmp))
        for start, steps in sessions(text):
            lines = []
            for step in steps:
                output = run(step, folder)
                lines += [f"$ {step.command}", *(step.shown if step.command.startswith("cat ")
                                                 else refresh(step.shown, output))]
            bodies.append((start, "".join(f"{line}\n" for line in lines)))
    for start, body in reversed(bodies):
        text = text[:start] + body + text[text.index("```", start):]
    CLI_MD.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    regenerate()
