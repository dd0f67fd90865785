"""The AST built during lark's LALR parse, with no parse tree in between.

lark's `propagate_positions` and the tree it builds cost most of a parse (about six
reductions per token, each wrapped). Here each reduction calls the same `_ToAst` method
the tree pass would, with a small `Meta` whose positions come from the reduction's first
and last children, as lark's would: the grammar in `grammars/netdsl.lark` stays the
language's definition and the spans are the same. The tree's depth is counted on the
way, so a file nested past the limit can be handed to the tree path for its diagnostic.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any, Callable

from lark import Lark, Token, Tree
from lark.lexer import UnlessCallback
from lark.parse_tree_builder import PropagatePositions
from lark.parsers.lalr_analysis import Shift


class Meta:
    """What `_ToAst` reads of lark's meta: where a reduction starts and ends."""

    __slots__ = ("line", "column", "end_line", "end_column", "empty")

    def __init__(self, first, last):
        """From the first and last children that have a place (tokens or other Metas)."""
        self.empty = first is None
        if first is not None:
            self.line, self.column, self.end_line, self.end_column = \
                first.line, first.column, last.end_line, last.end_column


class TooDeep(Exception):
    """The parse tree would nest past the limit: the tree path reports where."""


class StreamingBuilder:
    """A callback per grammar rule that builds the AST; `builder` is the `_ToAst` of the file being parsed."""

    def __init__(self, lark: Lark, builder_type: type, max_depth: int):
        self.builder: Any = None
        self.meta: Meta | None = None       # the reduction being built: read by its `_ToAst` method
        self.max_depth = max_depth
        self._lexer = None
        self._info: dict[int, tuple[Meta | None, int]] = {}
        self._tables: tuple[list[dict], list[dict]] | None = None
        self.callbacks = {rule: self._callback(rule, chain, builder_type)
                          for rule, chain in lark._parse_tree_builder.rule_builders}

    def _callback(self, rule, chain, builder_type: type) -> Callable[[list], Any]:
        name = rule.alias or rule.options.template_source or rule.origin.name
        if _unit(rule):
            return itemgetter(0)    # `?a: b`: b itself, its place and level unchanged
        if hasattr(builder_type, name):
            method = getattr(builder_type, name)
            method = getattr(method, "base_func", method)    # the function under lark's @v_args

            def build(children, method=method):
                return method(self.builder, self.meta, children)
        else:
            def build(children, name=name):
                return Tree(name, children)
        for wrap in chain:
            if wrap is not PropagatePositions:
                build = wrap(build)
        return self._positioned(build, spliced=name.startswith("_"),
                                single=bool(rule.options.expand1 and not rule.alias))

    def _positioned(self, build: Callable[[list], Any], spliced: bool, single: bool) -> Callable[[list], Any]:
        """Wraps one rule's builder: its children's first and last places give its span."""
        info = self._info

        def callback(children: list) -> Any:
            if single and len(children) == 1:
                return build(children)      # a `?rule` passes its one child through: same place, same level
            first = last = None
            depth = 0
            for child in children:
                if type(child) is Token:
                    place = child
                else:
                    place, below = info[id(child)]
                    if below > depth:
                        depth = below
                if place is not None:
                    last = place
                    if first is None:
                        first = place
            self.meta = meta = Meta(first, last)
            result = build(children)
            if not spliced and not (single and _passed_through(result, children)):
                depth += 1
                if depth > self.max_depth:
                    raise TooDeep()
            info[id(result)] = (None if meta.empty else meta, depth)
            return result
        return callback

    def run(self, lark: Lark, text: str, start: str, builder) -> Any:
        """Parse `text` into what `builder`'s rule methods return for `start`; lark's exceptions
        (UnexpectedInput) or a KeyError where the text does not parse."""
        if self._tables is None:
            self._tables = _tables(lark, self.callbacks)
            self._lexer = lark._build_lexer()
        actions, gotos = self._tables
        table = lark.parser.parser._parse_table
        self.builder = builder
        try:
            tokens = lark.options.postlex.process(_lex(self._lexer, text))
            return _drive(actions, gotos, tokens, table.start_states[start], table.end_states[start])
        finally:
            self.builder = None
            self._info.clear()


def _unit(rule) -> bool:
    """`?a: b` with b a rule that stays in the tree: the reduction hands b's value on."""
    if not rule.options.expand1 or rule.alias or len(rule.expansion) != 1:
        return False
    symbol = rule.expansion[0]
    return not symbol.is_term and not symbol.name.startswith("_")


def _passed_through(result, children: list) -> bool:
    """A `?rule` with one child returns it: no new level of the tree."""
    for child in children:
        if child is result or (type(child) is Tree and any(c is result for c in child.children)):
            return True
    return False


def _tables(lark: Lark, callbacks: dict) -> tuple[list[dict], list[dict]]:
    """lark's LALR table as lists by state: per token type, a state to shift to or a reduction
    (its size, the rule's name, its callback; None where a `?a: b` passes b on); per rule name,
    the state to go to."""
    states = lark.parser.parser._parse_table.states
    actions: list[dict] = [{} for _ in range(max(states) + 1)]
    gotos: list[dict] = [{} for _ in range(max(states) + 1)]
    for state, row in states.items():
        for symbol, (action, arg) in row.items():
            if action is not Shift:
                actions[state][symbol] = (len(arg.expansion), arg.origin.name, None if _unit(arg) else callbacks[arg])
            elif symbol.isupper():
                actions[state][symbol] = arg
            else:
                gotos[state][symbol] = arg
    return actions, gotos


def _drive(actions: list[dict], gotos: list[dict], tokens, state: int, end: int) -> Any:
    """The LALR loop of lark's `feed_token`, on plain lists, with `?a: b` reductions done in place."""
    states = [state]
    values: list = []
    token = None
    for token in tokens:
        kind = token.type
        while True:
            arg = actions[states[-1]][kind]
            if arg.__class__ is int:
                states.append(arg)
                values.append(token)
                break
            size, origin, callback = arg
            if callback is None:
                states[-1] = gotos[states[-2]][origin]
            else:
                _reduce(gotos, states, values, size, origin, callback)
    while states[-1] != end:
        size, origin, callback = actions[states[-1]]["$END"]
        if callback is None:
            states[-1] = gotos[states[-2]][origin]
        else:
            _reduce(gotos, states, values, size, origin, callback)
    return values[-1]


def _reduce(gotos: list[dict], states: list[int], values: list, size: int, origin: str, callback) -> None:
    if size:
        children = values[-size:]
        del states[-size:]
        del values[-size:]
    else:
        children = []
    values.append(callback(children))
    states.append(gotos[states[-1]][origin])


def _lex(lexer, text: str):
    """lark's basic lexer (its own compiled terminals, its keyword retyping), in one loop:
    the same tokens with the same positions. A character no terminal matches is a KeyError."""
    scanner = lexer.scanner
    mres = scanner._mres
    ignore, newline_types, callbacks = lexer.ignore_types, lexer.newline_types, lexer.callback
    keywords: dict[tuple[str, str], str | None] = {}
    pos, line, line_start, end = 0, 1, 0, len(text)
    while pos < end:
        for mre in mres:
            m = mre.match(text, pos)
            if m:
                break
        else:
            raise KeyError(pos)
        value, kind = m.group(0), m.lastgroup
        stop = m.end()
        start_line, start_col = line, pos - line_start + 1
        if kind in newline_types:
            newlines = value.count("\n")
            if newlines:
                line += newlines
                line_start = pos + value.rindex("\n") + 1
        if kind not in ignore:
            token = Token(kind, value, pos, start_line, start_col, line, stop - line_start + 1, stop)
            callback = callbacks.get(kind)
            if callback is not None:
                token = _retype(callback, token, keywords)
            yield token
        pos = stop


def _retype(callback, token: Token, keywords: dict) -> Token:
    """A name that is a keyword takes the keyword's type (lark's UnlessCallback, remembered by text)."""
    if type(callback) is not UnlessCallback:
        return callback(token)
    key = (token.type, token.value)
    if key not in keywords:
        keywords[key] = scanner_type = callback.scanner.fullmatch(token.value)
    else:
        scanner_type = keywords[key]
    if scanner_type is not None:
        token.type = scanner_type
    return token
