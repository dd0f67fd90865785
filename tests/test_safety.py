"""A .net file cannot read or write files or run host code.

The language has no eval, no Python imports and no attribute access into
Python objects: names resolve only to .net definitions and built-ins, the only
attributes are a tensor's shape, and imports resolve only to .net files. Each
obvious route below is a plain diagnostic (exit 1, no traceback), and the
directory the file sits in is left exactly as it was.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

import netdsl
from netdsl.cli import main


def net(line: str) -> str:
    return f"network p() {{\n    input x: [3, 8, 8]\n    {line}\n    output y = x -> relu\n}}\n"


ATTEMPTS = {
    "dunder_import": (net('let os = __import__("os")'), "unknown op or block `__import__`"),
    "builtins": (net("let b = __builtins__"), "unknown name `__builtins__`"),
    "open": (net('let f = open("/etc/passwd")'), "unknown op or block `open`"),
    "eval": (net('let v = eval("1")'), "unknown op or block `eval`"),
    "exec": (net('let v = exec("import os")'), "unknown op or block `exec`"),
    "class_of_input": ("block b() { let k = in.__class__\n relu }\n" + net("let z = 1").replace(
        "x -> relu", "x -> b()"), "a tensor has no attribute `__class__`"),
    "class_of_op": (net("let c = relu.__class__"), "the op `relu` has no attribute `__class__`"),
    "class_of_number": (net("let c = (1).__class__.__subclasses__"), "the number 1 has no attribute `__class__`"),
    "globals_of_builtin": (net("let g = range.__globals__"), "the function `range` has no attribute `__globals__`"),
    "dict_of_tensor": (net("let d = x.__dict__"), "a tensor has no attribute `__dict__`"),
    "string_format": (net('let s = "{0.__class__}".format(1)'), "has no attribute `format`"),
    "percent_format": (net('let s = "%s" % x'), "`%` cannot combine"),
    "f_string": (net('let s = f"{x}"'), "unexpected"),
    "import_passwd": ('import "/etc/passwd"\n' + net("let z = 1"),
                     'import "/etc/passwd": only .net files can be imported'),
    "import_python": ('import "../../x.py"\n' + net("let z = 1"),
                      'import "../../x.py": only .net files can be imported'),
    "import_absolute_missing": ('import "/nonexistent/dir/x.net"\n' + net("let z = 1"),
                                'import "/nonexistent/dir/x.net": imports are relative to the importing file'),
    "import_escape_missing": ('import "../../../../nope.net"\n' + net("let z = 1"), "no such file"),
    "label_path": (net('let z = x -> a{"/../../etc"}: relu'), "may hold only letters, digits and `_`"),
    "label_dots": (net('let z = x -> a{".."}: relu'), "label `a..` may hold only letters, digits and `_`"),
}


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


@pytest.mark.parametrize("text, message", ATTEMPTS.values(), ids=list(ATTEMPTS))
def test_route_is_a_plain_diagnostic(tmp_path, text: str, message: str) -> None:
    workdir = tmp_path / "a" / "b"
    workdir.mkdir(parents=True)
    (tmp_path / "x.py").write_text("raise SystemExit('host code ran')\n")
    path = workdir / "p.net"
    path.write_text(text)
    before = snapshot(tmp_path)

    with pytest.raises(netdsl.CompileError) as err:
        netdsl.load(path)
    assert message in err.value.diagnostics[0].message

    out, errors = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(errors):
        assert main(["check", str(path)]) == 1
    assert message in errors.getvalue() and "Traceback" not in errors.getvalue()
    assert snapshot(tmp_path) == before


def test_imports_resolve_relative_to_the_importer_only_to_net_files(tmp_path) -> None:
    """The one legitimate route to another file: a .net import, beside the importer."""
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "unit.net").write_text("block unit() { relu }\n")
    path = tmp_path / "p.net"
    path.write_text('import "lib/unit.net"\n' + net("let z = 1").replace("x -> relu", "x -> unit()"))
    assert len(netdsl.load(path).graph) == 2


@pytest.mark.parametrize("label", ["a/b", "..", "a.b", "a b", "a\\\\b", "é"])
def test_computed_labels_cannot_hold_path_characters(tmp_path, label: str) -> None:
    """Layer names become file and module names downstream; only [A-Za-z0-9_] gets through."""
    path = tmp_path / "p.net"
    path.write_text(net(f'let z = x -> a{{"{label}"}}: relu'))
    with pytest.raises(netdsl.CompileError) as err:
        netdsl.load(path)
    assert "may hold only letters, digits and `_`" in err.value.diagnostics[0].message


def test_layer_names_are_plain_identifiers() -> None:
    """Every layer and scope name of the library is dotted [A-Za-z0-9_] parts: safe as a file name part."""
    import re

    model = netdsl.load("resnet50")
    names = [*model.graph.nodes, *model.network.scopes]
    assert all(re.fullmatch(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*", name) for name in names if name)
