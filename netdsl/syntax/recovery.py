"""Error recovery, so one run reports every syntax error of a file, not just the first.

Used only when the fast parse fails. Three passes, each removing one kind of error
so the next sees none of it (no cascades):
1. lexing: a character no token starts with is reported and read as a space;
2. brackets: an opener left open is reported at the opener ("`{` not closed") and
   closed where the evidence says it should have been (before a mismatched closer,
   a top-level `block`/`network`/`import`, or the end of the file); a stray closer
   is reported and dropped;
3. parsing: tokens are fed to lark's interactive LALR parser; the parser state is
   saved at each statement boundary, and after an error the statement holding it is
   skipped up to the next separator or `}` at its own nesting level, from the saved
   state. An error in the stretch already skipped is not reported twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedToken
from lark.lexer import LexerThread

from netdsl.diagnostics import Diagnostic, Span
from netdsl.syntax.layout import CONTINUES_AFTER

MAX_ERRORS = 50

_PAIRS = {"LPAR": ("RPAR", ")"), "LSQB": ("RSQB", "]"), "LBRACE": ("RBRACE", "}")}
_CLOSER_OF = {closer: opener for opener, (closer, _) in _PAIRS.items()}
_TOP_LEVEL = {"BLOCK", "NETWORK", "IMPORT"}  # words that begin an item, so no bracket is open before them
_SEPARATORS = {"_NL", "SEMICOLON"}


def lex(parser: Lark, text: str, path: str) -> tuple[list[Token], list[Diagnostic], list[int]]:
    """Every token of `text`; a character that starts no token is reported (a run of
    them once) and skipped. Also returns where those characters were, so the parser
    stays quiet about the statements that held them."""
    lexer = _basic_lexer(parser)
    state = LexerThread.from_text(lexer, text).state
    tokens: list[Token] = []
    errors: list[Diagnostic] = []
    where: list[int] = []
    while len(errors) < MAX_ERRORS:
        try:
            tokens.append(lexer.next_token(state))
        except EOFError:
            break
        except UnexpectedCharacters as err:
            pos = err.pos_in_stream
            end = _STRAY_RUN.match(text, pos + 1).end()  # a run of them is one mistake
            word = "characters" if end - pos > 1 else "character"
            shown = text[pos:end] if end - pos <= 20 else text[pos:pos + 20] + "…"
            errors.append(Diagnostic(f"unexpected {word} `{shown}`",
                                     Span(path, err.line, err.column, err.line, err.column + end - pos)))
            where.append(pos)
            state.line_ctr.feed(text[pos:end])
    return tokens, errors, where


# Characters that start no token of the grammar (`!` does only in `!=`).
_STRAY_RUN = re.compile(r"[^A-Za-z0-9_\"#\s(){}\[\],;:.=+\-*/%<>\\]*")


def _basic_lexer(parser: Lark):
    """The lexer without the post-lexer (newline handling runs after bracket repair)."""
    lexer = parser.parser.lexer
    return getattr(lexer, "lexer", lexer)


def balance(tokens: list[Token], path: str, refused: list[int]) -> tuple[list[Token], list[Diagnostic]]:
    """Pairs the brackets: reports each opener left open and each stray closer, and
    returns tokens in which every bracket is closed. A stray closer's offset joins
    `refused`: a parse error in its statement is its consequence."""
    balancer = _Balancer(path, refused)
    for tok in tokens:
        balancer.feed(tok)
    balancer.close_all(None)
    return balancer.out, balancer.errors


@dataclass
class _Open:
    tok: Token
    indent: int  # the column where the opener's line starts
    deeper: bool = False  # whether a line inside it starts further right (an indented body)


@dataclass
class _Balancer:
    """Where a bracket should have closed, from the evidence of the lines after it:
    a line starting at or left of the opener's line (past a line that does not go on,
    or in a body whose lines were indented), or a top-level `block`/`network`/`import`."""

    path: str
    refused: list[int]
    out: list[Token] = field(default_factory=list)
    stack: list[_Open] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)
    indent: int = 1

    def feed(self, tok: Token) -> None:
        first = not self.out or self.out[-1].type == "_NL"
        if first and tok.type != "_NL":
            self._line_start(tok)
            if not (self.stack and self.stack[-1].tok.type in ("LPAR", "LSQB")):
                self.indent = tok.column  # a line inside ( or [ goes on its statement's line
        if tok.type in _PAIRS:
            self.stack.append(_Open(tok, self.indent))
        elif tok.type in _CLOSER_OF and not self._closer(tok):
            return
        self.out.append(tok)

    def _line_start(self, tok: Token) -> None:
        ended = next((k for k, o in enumerate(self.stack) if self._ends(o, tok)), None)
        if ended is not None:
            self.close_all(tok, ended)
        for opened in self.stack:
            opened.deeper = opened.deeper or tok.column > opened.indent

    def _ends(self, opened: _Open, tok: Token) -> bool:
        if tok.type in _CLOSER_OF:
            return False
        if tok.type in _TOP_LEVEL:
            return True
        if tok.column > opened.indent:
            return False
        if opened.tok.type == "LBRACE":
            return opened.deeper
        previous = _last_real(self.out)
        return previous is not None and previous.type not in CONTINUES_AFTER

    def _closer(self, tok: Token) -> bool:
        """Pairs a closer; False when it is dropped."""
        match = next((k for k in range(len(self.stack) - 1, -1, -1)
                      if self.stack[k].tok.type == _CLOSER_OF[tok.type]), None)
        if match is None and self.stack and self.stack[-1].tok.line == tok.line:
            self.errors.append(_mismatched(self.stack[-1].tok, tok, self.path))
            self.out.append(_synthetic(self.stack.pop().tok, tok))
            return False
        if match is None:
            self.errors.append(Diagnostic(f"unexpected `{tok}`: nothing is open here for it to close",
                                          _span(self.path, tok)))
            self.refused.append(tok.start_pos)
            return False
        self.close_all(tok, match + 1)
        self.stack.pop()
        return True

    def close_all(self, before: Token | None, down_to: int = 0) -> None:
        """Reports and closes the openers above `down_to`, at the end of the last line
        holding a token, so the closers come before the newlines that end it."""
        tail = []
        while self.out and self.out[-1].type == "_NL":
            tail.append(self.out.pop())
        while len(self.stack) > down_to:
            opener = self.stack.pop().tok
            self.errors.append(_not_closed(opener, before, self.path))
            self.out.append(_synthetic(opener, _last_real(self.out)))
        self.out.extend(reversed(tail))


def _last_real(out: list[Token]) -> Token | None:
    return next((tok for tok in reversed(out) if tok.type != "_NL"), None)


def dangling(previous: Token | None, token: Token | None) -> bool:
    """Whether `token` failed on the line after an operator that ended a line: such a
    line goes on on the next, so a missing operand shows up one line late."""
    return (previous is not None and token is not None and token.type not in ("$END", "_NL")
            and previous.type in CONTINUES_AFTER and (previous.end_line or 0) < token.line)


def _synthetic(opener: Token, after: Token | None) -> Token:
    closer, text = _PAIRS[opener.type]
    anchor = after or opener
    line = anchor.end_line or anchor.line
    col = anchor.end_column or anchor.column
    return Token(closer, text, start_pos=anchor.end_pos, line=line, column=col, end_line=line, end_column=col)


def _mismatched(opener: Token, closer: Token, path: str) -> Diagnostic:
    wanted = _PAIRS[opener.type][1]
    return Diagnostic(f"`{closer}` does not close the `{opener}` before it", _span(path, closer),
                      hint=f"close it with `{wanted}`", notes=((f"the `{opener}` opened here", _span(path, opener)),))


def _not_closed(opener: Token, before: Token | None, path: str) -> Diagnostic:
    closer = _PAIRS[opener.type][1]
    if before is None:
        note = (f"the file ends before its `{closer}`", None)
    else:
        note = (f"expected `{closer}` before this", _span(path, before))
    return Diagnostic(f"`{opener}` not closed", _span(path, opener), hint=f"add the missing `{closer}`",
                      notes=(note,))


def _span(path: str, tok: Token) -> Span:
    return Span(path, tok.line, tok.column, tok.end_line or tok.line, tok.end_column or tok.column + len(tok))


def _offset(tokens: list[Token], index: int) -> int:
    """Where tokens[index] starts; a token the layout pass made (a newline) has no
    position of its own, so the nearest one before it stands in."""
    if index >= len(tokens):
        return 1 << 62
    while index >= 0 and tokens[index].start_pos is None:
        index -= 1
    return tokens[index].start_pos if index >= 0 else 0


@dataclass
class _Saved:
    index: int  # the token to feed next from this state
    state: object


@dataclass
class Recovery:
    """Feeds tokens to the LALR parser, resynchronising after each error."""

    parser: Lark
    start: str
    describe: Callable[[UnexpectedToken, Token | None], Diagnostic]
    quiet: list[int] = field(default_factory=list)  # offsets of errors already reported by the lexer
    errors: list[Diagnostic] = field(default_factory=list)
    _tried: set[tuple[int, int]] = field(default_factory=set)

    def parse(self, tokens: list[Token]):
        """The parse tree of `tokens` with the statements that held errors left out;
        None when even that cannot be parsed. After an error, nothing more is reported
        until the parser gets past a separator again: what fails before is a cascade."""
        interactive = self.parser.parse_interactive(start=self.start)
        saved = [_Saved(0, interactive.parser_state.copy(deepcopy_values=False))]
        index, reporting = 0, True
        while len(self.errors) < MAX_ERRORS:
            try:
                if index == len(tokens):
                    return interactive.feed_eof(tokens[-1] if tokens else None)
                interactive.feed_token(tokens[index])
            except UnexpectedToken as err:
                start, failed = saved[-1].index, index
                cut = failed if dangling(tokens[failed - 1] if failed else None, err.token) else None
                index = self._resync(interactive, saved, tokens, failed, cut)
                if reporting and not self._holds_refused(tokens, start, max(index, failed + 1)):
                    self.errors.append(self.describe(err, tokens[failed - 1] if failed else None))
                if index < 0:
                    return None
                reporting = index == cut or (index > 0 and tokens[index - 1].type in _SEPARATORS)
                continue
            if tokens[index].type in _SEPARATORS or tokens[index].type == "LBRACE":
                saved.append(_Saved(index + 1, interactive.parser_state.copy(deepcopy_values=False)))
                reporting = reporting or tokens[index].type in _SEPARATORS
            index += 1
        return None

    def _holds_refused(self, tokens: list[Token], start: int, end: int) -> bool:
        """Whether tokens[start:end], the statement skipped, held a character the lexer
        refused or a stray closer: its parse error is then their consequence."""
        begin, stop = _offset(tokens, start), _offset(tokens, end)
        return any(begin <= pos < stop for pos in self.quiet)

    def _resync(self, interactive, saved: list[_Saved], tokens: list[Token], failed: int, cut: int | None) -> int:
        """Back to the latest saved state from which skipping a statement gets past the
        failed token, not tried before for it: returns the index to go on from (-1: give up).
        `cut`: the statement ends there (a line that ended with an operator by mistake)."""
        while saved:
            point = saved[-1]
            resume = cut if cut is not None and cut > point.index else _skip_statement(tokens, point.index)
            if (point.index, failed) not in self._tried and (resume > failed or point.index < resume == failed):
                self._tried.add((point.index, failed))
                interactive.parser_state = point.state.copy(deepcopy_values=False)
                if resume != point.index:
                    saved.append(_Saved(resume, interactive.parser_state.copy(deepcopy_values=False)))
                return resume
            saved.pop()
        return -1


def _skip_statement(tokens: list[Token], start: int) -> int:
    """The index past the statement starting at `start`: after its separator, or at
    the `}` that closes the body around it (left for the parser)."""
    depth = 0
    for index in range(start, len(tokens)):
        kind = tokens[index].type
        if depth == 0 and kind in _SEPARATORS:
            return index + 1
        if depth == 0 and kind == "RBRACE":
            return index
        depth += kind in _PAIRS
        depth -= kind in _CLOSER_OF
    return len(tokens)


def layout(parser: Lark, tokens: Iterable[Token]) -> list[Token]:
    """The post-lexer's newline handling over an already lexed stream."""
    return list(parser.options.postlex.process(iter(tokens)))
