"""Source text → AST. lark parses with grammars/netdsl.lark; one Transformer pass
turns the parse tree into `netdsl.syntax.ast` dataclasses with spans."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from netdsl.diagnostics import CompileError, Diagnostic, DiagnosticError, Span, source_lines
from netdsl.gcpause import paused
from netdsl.syntax import ast, recovery
from netdsl.syntax.layout import Layout
from netdsl.syntax.streaming import StreamingBuilder, TooDeep

_PACKAGE = Path(__file__).resolve().parent.parent


def grammar_path() -> Path:
    """The grammar ships inside the package when installed, beside it in a checkout."""
    for candidate in (_PACKAGE / "grammars" / "netdsl.lark", _PACKAGE.parent / "grammars" / "netdsl.lark"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("netdsl.lark not found: the installation is incomplete")


@lru_cache(maxsize=None)
def _lark() -> Lark:
    """The LALR tables are cached by lark in the temp dir, keyed by the grammar's hash."""
    return Lark(grammar_path().read_text(encoding="utf-8"), parser="lalr", lexer="basic",
                start=["start", "expr"], propagate_positions=True, maybe_placeholders=True,
                postlex=Layout(), cache=True)


@lru_cache(maxsize=None)
def _streaming() -> tuple[Lark, StreamingBuilder]:
    """The same grammar's tables with the AST built during the parse: no tree, no propagated positions."""
    lark = _lark()
    return lark, StreamingBuilder(lark, _ToAst, MAX_TREE_DEPTH)


@paused()
def _parse_streaming(text: str, path: str) -> ast.Module | None:
    """The module of a file that parses; None where the tree path must say what is wrong."""
    lark, builder = _streaming()
    lark.options.postlex.path = path
    try:
        items = builder.run(lark, text, "start", _ToAst(path))
    except (UnexpectedInput, DiagnosticError, TooDeep, KeyError):
        return None
    return ast.Module(Span(path, 1, 1, 1, 1), path, tuple(items))


def parse(text: str, path: str = "<input>") -> ast.Module:
    """Parse a whole .net file; raises CompileError with every syntax error, each located."""
    module, errors = parse_partial(text, path)
    if errors:
        raise CompileError(errors)
    return module


def parse_partial(text: str, path: str = "<input>") -> tuple[ast.Module, list[Diagnostic]]:
    """The file's syntax errors, and the module without the statements that hold them
    (what an editor can still outline and analyse while the user types)."""
    module = _parse_streaming(text, path)
    if module is not None:
        return module, []
    try:
        return _module(_run(text, path, "start"), path), []
    except CompileError as err:
        if any(d.message.startswith(_FATAL) for d in err.diagnostics):
            raise
    tree, errors = _recover(text, path)
    if tree is None:
        return ast.Module(Span(path, 1, 1, 1, 1), path, ()), errors
    try:
        return _module(tree, path), errors
    except CompileError as err:
        return ast.Module(Span(path, 1, 1, 1, 1), path, ()), errors + err.diagnostics


_FATAL = ("brackets nested more than", "this is nested more than")


def _module(tree, path: str) -> ast.Module:
    return ast.Module(Span(path, 1, 1, 1, 1), path, tuple(_to_ast(tree, path)))


def _recover(text: str, path: str):
    """Every syntax error of the file, and the parse tree without the statements holding them."""
    parser = _lark()
    parser.options.postlex.path = path
    tokens, errors, refused = recovery.lex(parser, text, path)
    tokens, unbalanced = recovery.balance(tokens, path, refused)
    errors += unbalanced
    try:
        tokens = recovery.layout(parser, tokens)
    except DiagnosticError as err:
        return None, errors + [err.diagnostic]
    run = recovery.Recovery(parser, "start", lambda err, previous: _syntax_error(err, text, path, previous),
                            refused)
    tree = run.parse(tokens)
    errors += run.errors
    return tree, sorted(errors, key=lambda d: (d.span.line, d.span.col) if d.span else (1 << 30, 0))


def parse_expr(text: str, path: str = "<input>", line: int = 1, col: int = 1) -> ast.Node:
    """Parse one expression, e.g. `--set depth=101` or the `{i+1}` of a computed label."""
    tree = _run(text, path, "expr")
    node = _to_ast(tree, path)
    return _shift(node, line, col) if (line, col) != (1, 1) else node


def _run(text: str, path: str, start: str):
    parser = _lark()
    parser.options.postlex.path = path
    try:
        return parser.parse(text, start=start)
    except UnexpectedInput as err:
        raise CompileError([_syntax_error(err, text, path)]) from None
    except DiagnosticError as err:
        raise CompileError([err.diagnostic]) from None


# Parse-tree levels one file may nest: 99 nested `if` blocks (the bracket limit)
# take about 300. The tree → AST pass and the elaborator recurse once or twice
# per level, so a deeper tree (`- - - … 1`, `1 + 1 + …` thousands long) would be
# a RecursionError rather than a diagnostic.
MAX_TREE_DEPTH = 320


def _check_depth(tree: Tree, path: str) -> None:
    """Walks the tree without recursion and reports the first level past MAX_TREE_DEPTH."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_TREE_DEPTH:
            meta = node.meta
            span = Span(path, meta.line, meta.column, meta.end_line, meta.end_column) if not meta.empty else None
            raise CompileError([Diagnostic(
                f"this is nested more than {MAX_TREE_DEPTH} levels deep (operators, calls and blocks)", span,
                hint="split it with `let` names or blocks")])
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))


def _to_ast(tree, path: str):
    _check_depth(tree, path)
    try:
        return _ToAst(path).transform(tree)
    except VisitError as err:
        if isinstance(err.orig_exc, DiagnosticError):
            raise CompileError([err.orig_exc.diagnostic]) from None
        raise


# ---- parse errors in the user's terms ----------------------------------------

_TOKEN_WORDS = {
    "NAME": "a name", "NUMBER": "a number", "STRING": "a string", "LABEL": "a label",
    "LPAR": "`(`", "RPAR": "`)`", "LSQB": "`[`", "RSQB": "`]`", "LBRACE": "`{`", "RBRACE": "`}`",
    "COMMA": "`,`", "EQUAL": "`=`", "COLON": "`:`", "DOT": "`.`", "_ARROW": "`->`", "_NL": "end of line",
    "SEMICOLON": "`;`", "ADD_OP": "an operator", "MUL_OP": "an operator", "COMPARE": "a comparison",
    "POW": "`**`", "COMBINATOR": "concat/add/mul", "$END": "end of file", "TRAIN": "`train`",
}


def _word(token_type: str) -> str:
    if token_type in _TOKEN_WORDS:
        return _TOKEN_WORDS[token_type]
    return f"`{token_type.lower()}`" if token_type.isupper() else token_type


def _syntax_error(err: UnexpectedInput, text: str, path: str, previous: Token | None = None):
    line, col = max(err.line, 1), max(err.column, 1)
    if recovery.dangling(previous, getattr(err, "token", None)):
        at = Span(path, previous.end_line, previous.end_column, previous.end_line, previous.end_column + 1)
        return Diagnostic(f"unexpected end of line after `{previous}`", at,
                          hint=f"a line that ends with `{previous}` goes on on the next, "
                               f"but `{err.token}` cannot follow it")
    if isinstance(err, UnexpectedCharacters):
        char = text[err.pos_in_stream] if err.pos_in_stream < len(text) else "?"
        return Diagnostic(f"unexpected character `{char}`", Span(path, line, col, line, col + 1))
    if isinstance(err, UnexpectedEOF) or (isinstance(err, UnexpectedToken) and err.token.type == "$END"):
        end_line, end_col = _end_of(text)
        return Diagnostic("unexpected end of file" + _expected(err),
                          Span(path, end_line, end_col, end_line, end_col + 1), hint=_unclosed_hint(text))
    token = err.token
    shown = "end of line" if token.type == "_NL" else f"`{token.value}`"
    width = 1 if token.type == "_NL" else max(len(token.value), 1)
    if token.type == "_NL":
        line, col = token.line, token.column
    return Diagnostic(f"unexpected {shown}" + _expected(err), Span(path, line, col, line, col + width),
                      hint=_token_hint(token))


def _expected(err: UnexpectedInput) -> str:
    expected = sorted({_word(t) for t in getattr(err, "expected", ()) or () if not t.startswith("__")})
    if not expected or len(expected) > 6:
        return ""
    return "; expected " + (expected[0] if len(expected) == 1 else ", ".join(expected[:-1]) + " or " + expected[-1])


def _token_hint(token: Token) -> str | None:
    if token.type == "EQUAL":
        return "use `==` to compare, or `let name = ...` to name a value"
    if token.type == "LABEL":
        return "a label names a step of a chain: `name: op(...)`"
    return None


def _unclosed_hint(text: str) -> str | None:
    depth = text.count("{") - text.count("}")
    if depth > 0:
        return f"{depth} `{{` not closed"
    parens = text.count("(") - text.count(")")
    return f"{parens} `(` not closed" if parens > 0 else None


def _end_of(text: str) -> tuple[int, int]:
    lines = source_lines(text)
    return len(lines), len(lines[-1]) + 1


# ---- lark tree → AST ---------------------------------------------------------

_LABEL_PART = re.compile(r"\{([^{}]*)\}")
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _tok_span(path: str, tok: Token) -> Span:
    return Span(path, tok.line, tok.column, tok.end_line, tok.end_column)


@v_args(meta=True)
class _ToAst(Transformer):
    """One method per grammar rule; each returns an AST node carrying its span."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path

    def _span(self, meta) -> Span:
        if meta.empty:
            return Span(self.path, 1, 1, 1, 1)
        return Span(self.path, meta.line, meta.column, meta.end_line, meta.end_column)

    # definitions
    def start(self, meta, items):
        return list(items)

    def import_def(self, meta, c):
        return ast.Import(self._span(meta), self._unquote(c[0]))

    def block_def(self, meta, c):
        name, params, inputs, body = c
        return ast.BlockDef(self._span(meta), str(name), params, inputs, body)

    def network_def(self, meta, c):
        name, params, body = c
        return ast.NetworkDef(self._span(meta), str(name), params, body)

    def preset_def(self, meta, c):
        name, target, args = c
        return ast.PresetDef(self._span(meta), str(name), str(target), _tok_span(self.path, target), tuple(args or ()))

    def param_list(self, meta, c):
        return tuple(p for p in c if p is not None)

    def param(self, meta, c):
        return ast.Param(self._span(meta), str(c[0]), c[1])

    def input_list(self, meta, c):
        return tuple(str(n) for n in c)

    def body(self, meta, c):
        return ast.Body(self._span(meta), tuple(c))

    # statements
    def let_stmt(self, meta, c):
        return ast.Let(self._span(meta), str(c[0]), c[1])

    def assign(self, meta, c):
        targets = tuple(str(t) for t in c if isinstance(t, Token))
        values = tuple(v for v in c if not isinstance(v, Token))
        return ast.Assign(self._span(meta), targets, values)

    def output_stmt(self, meta, c):
        training, name, value = c
        return ast.Output(self._span(meta), str(name), value, training is not None)

    def input_stmt(self, meta, c):
        label, shape, axes = c
        name = str(label).rstrip(": \t")
        if not _PLAIN_NAME.fullmatch(name):
            raise DiagnosticError("an input is named by a plain name, e.g. `input image: [3, 224, 224]`",
                                  _tok_span(self.path, label))
        return ast.Input(self._span(meta), name, shape, tuple(axes or ()))

    def axis_names(self, meta, c):
        return [str(name) for name in c]

    def return_stmt(self, meta, c):
        return ast.Return(self._span(meta), c[0])

    def expr_stmt(self, meta, c):
        return ast.ExprStmt(self._span(meta), c[0])

    # structure
    def chain(self, meta, c):
        return ast.Chain(self._span(meta), tuple(c))

    def labelled(self, meta, c):
        return ast.Labelled(self._span(meta), self._label(c[0]), c[1])

    def if_step(self, meta, c):
        test, then, orelse = c
        if isinstance(orelse, ast.If):
            orelse = ast.Body(orelse.span, (ast.ExprStmt(orelse.span, orelse),))
        return ast.If(self._span(meta), test, then, orelse)

    def for_step(self, meta, c):
        var, iterable, body = c
        return ast.For(self._span(meta), str(var), iterable, body)

    def combine(self, meta, c):
        return ast.Combine(self._span(meta), str(c[0]), tuple(c[1:]))

    # expressions
    def cond(self, meta, c):
        then, test, orelse = c
        return ast.Cond(self._span(meta), test, then, orelse)

    def or_(self, meta, c):
        return ast.BinOp(self._span(meta), "or", c[0], c[1])

    def and_(self, meta, c):
        return ast.BinOp(self._span(meta), "and", c[0], c[1])

    def not_(self, meta, c):
        return ast.UnaryOp(self._span(meta), "not", c[0])

    def compare(self, meta, c):
        return ast.BinOp(self._span(meta), str(c[1]), c[0], c[2])

    def binop(self, meta, c):
        return ast.BinOp(self._span(meta), str(c[1]), c[0], c[2])

    def power(self, meta, c):
        return ast.BinOp(self._span(meta), "**", c[0], c[2])

    def unary(self, meta, c):
        return ast.UnaryOp(self._span(meta), str(c[0]), c[1])

    def call(self, meta, c):
        return ast.Call(self._span(meta), c[0], tuple(c[1] or ()))

    def index(self, meta, c):
        return ast.Index(self._span(meta), c[0], c[1])

    def attr(self, meta, c):
        return ast.Attr(self._span(meta), c[0], str(c[1]))

    def number(self, meta, c):
        text = str(c[0])
        value = float(text) if any(ch in text for ch in ".eE") else int(text)
        return ast.Number(self._span(meta), value)

    def string(self, meta, c):
        return ast.String(self._span(meta), self._unquote(c[0]))

    def true(self, meta, c):
        return ast.Bool(self._span(meta), True)

    def false(self, meta, c):
        return ast.Bool(self._span(meta), False)

    def name(self, meta, c):
        return ast.Name(self._span(meta), str(c[0]))

    def input_ref(self, meta, c):
        return ast.InputRef(self._span(meta))

    def list(self, meta, c):
        return ast.ListExpr(self._span(meta), tuple(x for x in c if x is not None))

    def dict(self, meta, c):
        return ast.DictExpr(self._span(meta), tuple(x for x in c if x is not None))

    def entry(self, meta, c):
        key, value = c
        if isinstance(key, Token):
            label = self._label(key)
            text = str(key).rstrip(": \t")
            key = ast.String(label.span, self._unquote(key.update(value=text))) if label.quoted \
                else ast.Name(label.span, str(label.parts[0]))
        return (key, value)

    def group(self, meta, c):
        return ast.Group(self._span(meta), c[0])

    def arg_list(self, meta, c):
        return tuple(c)

    def arg(self, meta, c):
        return ast.Arg(self._span(meta), None, c[0])

    def kwarg(self, meta, c):
        return ast.Arg(self._span(meta), str(c[0]), c[1])

    def _unquote(self, tok: Token) -> str:
        try:
            return _unquote(tok)
        except UnicodeDecodeError as err:
            raise DiagnosticError(f"bad escape in a string: {err.reason}", _tok_span(self.path, tok)) from None

    def _label(self, tok: Token) -> ast.Label:
        text = str(tok).rstrip(": \t")
        span = Span(self.path, tok.line, tok.column, tok.line, tok.column + len(text))
        quoted = text.startswith('"')
        offset = tok.column + quoted
        text = text[1:-1] if quoted else text
        parts: list[str | ast.Node] = []
        pos = 0
        for m in _LABEL_PART.finditer(text):
            if m.start() > pos:
                parts.append(self._label_text(text[pos:m.start()], quoted, tok))
            try:
                parts.append(parse_expr(m.group(1), self.path, tok.line, offset + m.start(1)))
            except CompileError as err:
                where = Span(self.path, tok.line, offset + m.start(), tok.line, offset + m.end())
                raise DiagnosticError(f"`{m.group()}` in a label: {err.diagnostics[0].message}", where) from None
            pos = m.end()
        if pos < len(text):
            parts.append(self._label_text(text[pos:], quoted, tok))
        return ast.Label(span, tuple(parts), quoted)

    def _label_text(self, text: str, quoted: bool, tok: Token) -> str:
        return self._unquote(tok.update(value=f'"{text}"')) if quoted and "\\" in text else text


def _unquote(tok: Token) -> str:
    return bytes(str(tok)[1:-1], "utf-8").decode("unicode_escape") if "\\" in str(tok) else str(tok)[1:-1]


def _shift(node, line: int, col: int):
    """Move the spans of a sub-parsed expression to where it sits in its file."""
    import dataclasses

    if isinstance(node, tuple):
        return tuple(_shift(n, line, col) for n in node)
    if not dataclasses.is_dataclass(node):
        return node
    changes = {}
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if isinstance(value, Span):
            changes[f.name] = Span(value.path, value.line + line - 1, value.col + col - 1,
                                   value.end_line + line - 1, value.end_col + col - 1)
        elif isinstance(value, (tuple, ast.Node)):
            changes[f.name] = _shift(value, line, col)
    return dataclasses.replace(node, **changes)
