"""The language features over an analysed Document, in LSP's types: diagnostics,
hover, inlay hints, definitions and references, symbols, completion, signature
help, quick fixes, formatting and semantic tokens."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from lsprotocol import types as lsp

from netdsl.diagnostics import CompileError, Diagnostic, Span
from netdsl.elaborate.expressions import BUILTINS
from netdsl.elaborate.program import import_target
from netdsl.lsp.document import Document, Instance, contains, sites_at, walk
from netdsl.ops import OPS
from netdsl.ops.base import REQUIRED
from netdsl.syntax import ast
from netdsl.views.units import human

AXES = ("c", "h", "w", "d", "t", "l", "n", "rank")
KEYWORDS = ("block", "network", "let", "input", "output", "train", "import", "return", "for", "in", "if",
            "else", "and", "or", "not", "true", "false", "concat", "add", "mul", "as")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DID_YOU_MEAN = re.compile(r"did you mean `([^`]+)`\?")


# ---- positions ----------------------------------------------------------------

def to_range(span: Span) -> lsp.Range:
    return lsp.Range(lsp.Position(span.line - 1, span.col - 1), lsp.Position(span.end_line - 1, span.end_col - 1))


def uri_path(uri: str) -> str:
    from pygls.uris import to_fs_path

    return to_fs_path(uri) or uri


def path_uri(path: str) -> str:
    from pygls.uris import from_fs_path

    return from_fs_path(str(Path(path).resolve())) or path


def word_at(text: str, line: int, col: int) -> tuple[str, int] | None:
    """The identifier under a 1-based position, and its first column."""
    lines = text.split("\n")
    if not 1 <= line <= len(lines):
        return None
    for m in _WORD.finditer(lines[line - 1]):
        if m.start() + 1 <= col <= m.end() + 1:
            return m.group(), m.start() + 1
    return None


# ---- diagnostics and quick fixes --------------------------------------------------

def diagnostics(doc: Document) -> list[lsp.Diagnostic]:
    """Each diagnostic at its range; one in an imported file is shown at the import
    that brings it in (its own place is the first related location)."""
    out = []
    for d in doc.diagnostics:
        span = d.span if d.span is not None and d.span.path == doc.path else _import_of(doc, d.span)
        if d.span is not None and span is not d.span:
            d = dataclasses.replace(d, notes=((d.message, d.span), *d.notes))
        related = [lsp.DiagnosticRelatedInformation(lsp.Location(path_uri(s.path), to_range(s)), note)
                   for note, s in d.notes if s is not None]
        message = d.message + "".join(f"\n{note}" for note, s in d.notes if s is None)
        out.append(lsp.Diagnostic(
            to_range(span), message + (f"\nhint: {d.hint}" if d.hint else ""),
            severity=lsp.DiagnosticSeverity.Error if d.severity == "error" else lsp.DiagnosticSeverity.Warning,
            source="netdsl", related_information=related or None,
            data={"suggestion": _suggestion(d)} if _suggestion(d) else None))
    return out


def _import_of(doc: Document, where: Span | None) -> Span:
    if where is not None:
        for item in doc.module.items:
            if isinstance(item, ast.Import):
                try:
                    target, _ = import_target(item, Path(doc.path))
                except CompileError:
                    continue
                if target.resolve() == Path(where.path).resolve():
                    return item.span
    return Span(doc.path, 1, 1, 1, 1)


def _suggestion(d: Diagnostic) -> str | None:
    match = _DID_YOU_MEAN.search(d.hint or "")
    return match.group(1) if match else None


def quick_fixes(text: str, uri: str, found: list[lsp.Diagnostic]) -> list[lsp.CodeAction]:
    """"did you mean `relu`?" → replace the misspelt word of the message inside the range."""
    actions = []
    for d in found:
        suggestion = (d.data or {}).get("suggestion") if isinstance(d.data, dict) else None
        wrong = re.search(r"`([^`]+)`", d.message)
        if not suggestion or not wrong:
            continue
        edit = _replace_in_range(text, d.range, wrong.group(1), suggestion)
        if edit is None:
            continue
        actions.append(lsp.CodeAction(
            f"Change `{wrong.group(1)}` to `{suggestion}`", kind=lsp.CodeActionKind.QuickFix, diagnostics=[d],
            is_preferred=True, edit=lsp.WorkspaceEdit(changes={uri: [edit]})))
    return actions


def _replace_in_range(text: str, where: lsp.Range, old: str, new: str) -> lsp.TextEdit | None:
    lines = text.split("\n")
    for row in range(where.start.line, min(where.end.line, len(lines) - 1) + 1):
        line = lines[row]
        start = where.start.character if row == where.start.line else 0
        for m in re.finditer(rf"(?<![A-Za-z0-9_]){re.escape(old)}(?![A-Za-z0-9_])", line):
            if m.start() >= start:
                return lsp.TextEdit(lsp.Range(lsp.Position(row, m.start()), lsp.Position(row, m.end())), new)
    return None


# ---- hover and inlay hints ------------------------------------------------------------

def fmt_shape(shape: tuple[int, ...]) -> str:
    return "×".join(str(d) for d in shape)


def shape_range(found: list[Instance]) -> str:
    shapes = list(dict.fromkeys(fmt_shape(i.shape) for i in found))
    return shapes[0] if len(shapes) == 1 else f"{shapes[0]} … {shapes[-1]}"


def hover(doc: Document, line: int, col: int) -> lsp.Hover | None:
    hit = sites_at(doc, line, col)
    if hit is None:
        return _definition_hover(doc, line, col)
    span, found = hit
    first = found[0]
    title = f"**{first.what}**" + (" (block)" if first.kind == "block" else "")
    lines = [f"{title} — network `{doc.network}`", ""]
    if len(found) == 1:
        lines += _instance_lines(first)
    else:
        lines.append(f"{len(found)} instances, output {shape_range(found)}:")
        lines.append("")
        lines += [f"- `{i.path}`: {fmt_shape(i.shape)}, {human(i.cost.params)} params,"
                  f" {human(i.cost.macs)} MACs" for i in found[:24]]
        if len(found) > 24:
            lines.append(f"- … and {len(found) - 24} more")
    return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, "\n".join(lines)), to_range(span))


def _instance_lines(i: Instance) -> list[str]:
    out = [f"`{i.path}` → **{fmt_shape(i.shape)}**", "",
           f"params {i.cost.params:,} · MACs {i.cost.macs:,} · FLOPs {i.cost.flops:,}"]
    if i.receptive_field:
        out.append(f"receptive field {fmt_shape(i.receptive_field)}")
    return out


def _definition_hover(doc: Document, line: int, col: int) -> lsp.Hover | None:
    found = word_at(doc.text, line, col)
    if found is None:
        return None
    name = found[0]
    text = signature_of(doc, name)
    if text is None:
        return None
    doc_text = OPS[name].doc if name in OPS else ""
    return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, f"```netdsl\n{text}\n```\n{doc_text}"))


def inlay_hints(doc: Document, first_line: int = 1, last_line: int = 1 << 30) -> list[lsp.InlayHint]:
    """The output shape at the end of each line that ends a step of a chain, or an input."""
    at_line: dict[int, tuple[int, str]] = {}
    for node in walk(doc.module):
        span = node.span
        if isinstance(node, ast.Input) or _is_step(node):
            shape = _step_shape(doc, node)
            if shape is not None and first_line <= span.end_line <= last_line:
                previous = at_line.get(span.end_line)
                if previous is None or previous[0] <= span.end_col:
                    at_line[span.end_line] = (span.end_col, shape)
    lines = doc.text.split("\n")
    hints = []
    for line, (_, shape) in sorted(at_line.items()):
        end = len(lines[line - 1].split("#")[0].rstrip()) if line <= len(lines) else 0
        hints.append(lsp.InlayHint(lsp.Position(line - 1, end), f"  {shape}", kind=lsp.InlayHintKind.Type,
                                   padding_left=True))
    return hints


_STEPS = (ast.Call, ast.Name, ast.Combine, ast.For, ast.If, ast.Group, ast.Attr, ast.Index)


def _is_step(node) -> bool:
    return isinstance(node, _STEPS)


def _step_shape(doc: Document, node, last: bool = False) -> str | None:
    """The shape(s) a step gives; `last`: only its last instance's (a loop gives what
    its last pass gives)."""
    span = node.span
    if span in doc.instances:
        return shape_range(doc.instances[span][-1:] if last else doc.instances[span])
    if isinstance(node, ast.For | ast.If):
        body = node.body if isinstance(node, ast.For) else node.then
        value = getattr(body.stmts[-1], "value", None) if body.stmts else None
        steps = value.steps if isinstance(value, ast.Chain) else (value,) if value is not None else ()
        if steps:
            tail = steps[-1].step if isinstance(steps[-1], ast.Labelled) else steps[-1]
            return _step_shape(doc, tail, last or isinstance(node, ast.For))
    return None


# ---- definitions, references, symbols ----------------------------------------------

def definition(doc: Document, line: int, col: int) -> lsp.Location | None:
    for node in walk(doc.module):
        if isinstance(node, ast.Import) and contains(node.span, line, col):
            try:
                target, _ = import_target(node, Path(doc.path))
            except CompileError:
                return None
            return lsp.Location(path_uri(str(target)), lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)))
    found = word_at(doc.text, line, col)
    if found is None:
        return None
    span = _local_definition(doc, found[0], line) or _top_definition(doc, found[0])
    return lsp.Location(path_uri(span.path), to_range(span)) if span else None


def _top_definition(doc: Document, name: str) -> Span | None:
    for item in doc.module.items:
        if getattr(item, "name", None) == name:
            return item.span
    if doc.defs is not None and name in doc.defs.spans:
        return doc.defs.spans[name]
    return None


def _local_definition(doc: Document, name: str, line: int) -> Span | None:
    """A `let`, parameter, `for` variable or assignment of the definition enclosing the line."""
    for item in doc.module.items:
        if not isinstance(item, ast.BlockDef | ast.NetworkDef) or not item.span.line <= line <= item.span.end_line:
            continue
        for param in item.params:
            if param.name == name:
                return param.span
        for node in walk(item.body):
            if isinstance(node, ast.Let) and node.name == name or \
                    isinstance(node, ast.Assign) and name in node.targets or \
                    isinstance(node, ast.For) and node.var == name or \
                    isinstance(node, ast.Input) and node.name == name:
                return node.span
    return None


def references(doc: Document, line: int, col: int, include_declaration: bool = True) -> list[lsp.Location]:
    found = word_at(doc.text, line, col)
    if found is None:
        return []
    name = found[0]
    uri = path_uri(doc.path)
    spans = [node.span for node in walk(doc.module) if isinstance(node, ast.Name) and node.id == name]
    spans += [node.target_span for node in walk(doc.module) if isinstance(node, ast.PresetDef) and node.target == name]
    spans += [node.label.span for node in walk(doc.module) if _label_named(node, name)]
    if include_declaration:
        declared = _local_definition(doc, name, line) or _top_definition(doc, name)
        if declared is not None and declared.path == doc.path:
            spans.append(declared)
    unique = sorted(set(s for s in spans if s is not None), key=lambda s: (s.line, s.col))
    return [lsp.Location(uri, to_range(s)) for s in unique]


def _label_named(node, name: str) -> bool:
    return isinstance(node, ast.Labelled) and node.label.parts == (name,)


def symbols(doc: Document) -> list[lsp.DocumentSymbol]:
    out = []
    for item in doc.module.items:
        kind = {ast.NetworkDef: lsp.SymbolKind.Class, ast.PresetDef: lsp.SymbolKind.Constant,
                ast.BlockDef: lsp.SymbolKind.Function, ast.Let: lsp.SymbolKind.Variable}.get(type(item))
        if kind is None:
            continue
        detail = f"= {item.target}(…)" if isinstance(item, ast.PresetDef) else \
            f"({', '.join(p.name for p in item.params)})" if hasattr(item, "params") else None
        out.append(lsp.DocumentSymbol(item.name, kind, to_range(item.span), to_range(_head(item)), detail=detail))
    return out


def visible_symbols(doc: Document, query: str) -> list[lsp.WorkspaceSymbol]:
    """The top-level names a document sees (its own and its imports'), matching `query`."""
    if doc.defs is None:
        return []
    out = []
    for name, span in doc.defs.spans.items():
        if query.lower() in name.lower():
            kind = lsp.SymbolKind.Class if name in doc.defs.networks else lsp.SymbolKind.Function
            out.append(lsp.WorkspaceSymbol(name=name, kind=kind, location=lsp.Location(
                uri=path_uri(span.path), range=to_range(span))))
    return out


def _head(item) -> Span:
    s = item.span
    return Span(s.path, s.line, s.col, s.line, s.col + 1)


# ---- completion and signatures -----------------------------------------------------------

def signature_of(doc: Document, name: str) -> str | None:
    if name in OPS:
        return f"{name}({', '.join(_param_text(p) for p in OPS[name].params)})"
    block = _block(doc, name)
    if block is not None:
        params = [p.name + ("=…" if p.default is not None else "") for p in block.params]
        return f"block {name}({', '.join(params)})"
    if name in BUILTINS:
        return f"{name}(…)"
    return None


def _param_text(p) -> str:
    return p.name if p.default is REQUIRED else f"{p.name}={p.default!r}".replace("True", "true").replace(
        "False", "false")


def _block(doc: Document, name: str) -> ast.BlockDef | None:
    for item in doc.module.items:
        if isinstance(item, ast.BlockDef) and item.name == name:
            return item
    if doc.defs is not None:
        value = doc.defs.env.vars.get(name)
        return getattr(value, "defn", None) if value is not None and hasattr(value, "defn") else None
    return None


def _param_names(doc: Document, name: str) -> list[str]:
    if name in OPS:
        return [p.name for p in OPS[name].params]
    block = _block(doc, name)
    return [p.name for p in block.params] if block is not None else []


def completion(doc: Document, line: int, col: int) -> list[lsp.CompletionItem]:
    lines = doc.text.split("\n")
    before = lines[line - 1][:col - 1] if 1 <= line <= len(lines) else ""
    if re.search(r"(\bin|[A-Za-z_][A-Za-z0-9_]*)\.[A-Za-z_]*$", before):
        return [lsp.CompletionItem(a, kind=lsp.CompletionItemKind.Field, detail="axis") for a in AXES]
    call = open_call(doc.text, line, col)
    items = []
    if call is not None:
        items += [lsp.CompletionItem(f"{p}=", kind=lsp.CompletionItemKind.Property, detail=f"{call[0]} parameter")
                  for p in _param_names(doc, call[0])]
    for name, op in sorted(OPS.items()):
        items.append(lsp.CompletionItem(name, kind=lsp.CompletionItemKind.Function, detail=signature_of(doc, name),
                                        documentation=op.doc))
    for name in _block_names(doc):
        items.append(lsp.CompletionItem(name, kind=lsp.CompletionItemKind.Class, detail=signature_of(doc, name)))
    items += [lsp.CompletionItem(name, kind=lsp.CompletionItemKind.Function, detail="built-in function")
              for name in sorted(BUILTINS)]
    items += [lsp.CompletionItem(label, kind=lsp.CompletionItemKind.Variable, detail="label")
              for label in _labels(doc)]
    items += [lsp.CompletionItem(k, kind=lsp.CompletionItemKind.Keyword) for k in KEYWORDS]
    return items


def _block_names(doc: Document) -> list[str]:
    names = {item.name for item in doc.module.items if isinstance(item, ast.BlockDef)}
    if doc.defs is not None:
        names |= {n for n, v in doc.defs.env.vars.items() if hasattr(v, "defn")}
    return sorted(names)


def _labels(doc: Document) -> list[str]:
    return sorted({node.label.parts[0] for node in walk(doc.module)
                   if isinstance(node, ast.Labelled) and len(node.label.parts) == 1})


def open_call(text: str, line: int, col: int) -> tuple[str, int] | None:
    """The callee of the innermost `(` still open before the cursor, and the index of
    the argument being typed."""
    lines = text.split("\n")
    before = "\n".join(lines[:line - 1] + [lines[line - 1][:col - 1] if line <= len(lines) else ""])
    depth, commas = 0, 0
    for index in range(len(before) - 1, -1, -1):
        char = before[index]
        if char in ")]}":
            depth += 1
        elif char in "([{":
            if depth == 0:
                if char != "(":
                    return None
                callee = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*$", before[:index])
                return (callee.group(1), commas) if callee else None
            depth -= 1
        elif char == "," and depth == 0:
            commas += 1
    return None


def signature_help(doc: Document, line: int, col: int) -> lsp.SignatureHelp | None:
    call = open_call(doc.text, line, col)
    if call is None:
        return None
    text = signature_of(doc, call[0])
    if text is None:
        return None
    params = [lsp.ParameterInformation(p) for p in _param_names(doc, call[0])]
    info = lsp.SignatureInformation(text, documentation=OPS[call[0]].doc if call[0] in OPS else None,
                                    parameters=params)
    return lsp.SignatureHelp([info], active_signature=0, active_parameter=min(call[1], max(len(params) - 1, 0)))


# ---- formatting and semantic tokens -----------------------------------------------------

def formatting(text: str) -> list[lsp.TextEdit] | None:
    from netdsl.syntax.format import format_source

    try:
        formatted = format_source(text)
    except CompileError:
        return None
    if formatted == text:
        return []
    lines = text.split("\n")
    end = lsp.Position(len(lines) - 1, len(lines[-1]))
    return [lsp.TextEdit(lsp.Range(lsp.Position(0, 0), end), formatted)]
