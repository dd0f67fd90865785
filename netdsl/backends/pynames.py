"""Names and literals in generated Python source.

Every user string that reaches generated code (file, network, block, label and
output names, string arguments) goes through `literal` or `docstring`: quoted by
`repr`, never interpolated, so no name can end a string early or run code.
Every generated identifier comes from an `Identifiers` namer, which avoids Python's
keywords and builtins, the names the generated module itself uses, and the names
it has already given; taking a name is O(1), so naming n things is linear.
"""

from __future__ import annotations

import builtins
import keyword

# Names the generated module binds or reads: its imports, `build`, `self`, and the
# builtins the generated code calls.
GENERATED = frozenset({"torch", "nn", "F", "build", "self", "getattr"})
_AVOID = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins)) | GENERATED


def literal(value: object) -> str:
    """A Python literal for a value from the user: the one quoting function."""
    return repr(value)


def docstring(text: str) -> str:
    """A docstring: triple-quoted when that is plainly safe, else the `literal` of the text
    (still a docstring, since any string literal first in a body is one)."""
    plain = '"' not in text and "\\" not in text and all(line.isprintable() for line in text.split("\n"))
    return f'"""{text}"""' if plain else literal(text)


def sanitise(text: str) -> str:
    """An ASCII identifier spelled like `text`: other characters become `_`, a leading digit gets `x`."""
    out = "".join(c if c.isascii() and (c.isalnum() or c == "_") else "_" for c in text)
    return "x" + out if not out or out[0].isdigit() else out


class Identifiers:
    """Unique identifiers in one Python scope (a module, a function)."""

    def __init__(self, avoid: frozenset[str] | set[str] = _AVOID) -> None:
        self.avoid = avoid
        self.taken: set[str] = set()
        self._next: dict[str, int] = {}

    def fresh(self, text: str) -> str:
        """`text` as an identifier nobody has taken; `F` → `F_`, a second `x` → `x_2`."""
        base = sanitise(text)
        if base in self.avoid:
            base += "_"
        name = base
        if name in self.taken or name in self.avoid:
            n = self._next.get(base, 2)
            while f"{base}_{n}" in self.taken or f"{base}_{n}" in self.avoid:
                n += 1
            self._next[base] = n + 1
            name = f"{base}_{n}"
        self.taken.add(name)
        return name

    def keep(self, name: str) -> None:
        """Reserve a name given elsewhere (a forward's parameters)."""
        self.taken.add(name)


def parameters(names: list[str]) -> list[str]:
    """Network inputs as forward parameters: each under its own name, so keyword calls work, unless
    Python or the generated code needs that name (`class` → `class_`, `F` → `F_`, unique still)."""
    reserved = frozenset(keyword.kwlist) | GENERATED
    kept = {n for n in names if n.isidentifier() and n.isascii() and n not in reserved}
    namer = Identifiers(reserved | kept)
    return [n if n in kept else namer.fresh(n) for n in names]
