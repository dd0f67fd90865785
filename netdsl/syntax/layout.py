"""Newline handling between the lexer and the parser.

A newline ends a statement or a branch, except where the line obviously goes
on: inside brackets, after an operator or `->`, and before `->` or `else`.
Bracket nesting is bounded here, so deep nesting is a diagnostic rather than a
RecursionError further down.
"""

from __future__ import annotations

from typing import Iterator

from lark import Token

from netdsl.diagnostics import DiagnosticError, Span

MAX_NESTING = 100

_OPENERS = {"LPAR": "RPAR", "LSQB": "RSQB", "LBRACE": "RBRACE"}
_CLOSERS = set(_OPENERS.values())
CONTINUES_AFTER = {"COMMA", "EQUAL", "ADD_OP", "MUL_OP", "POW", "COMPARE",
                    "LPAR", "LSQB", "_ARROW", "DOT"}
_CONTINUES_BEFORE = {"_ARROW", "ELSE"}


class Layout:
    """lark post-lexer: drops the newlines that do not end anything."""

    always_accept = ("_NL",)

    def __init__(self, path: str = "<input>"):
        self.path = path

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        stack: list[Token] = []
        pending: Token | None = None
        previous: Token | None = None
        for tok in stream:
            if tok.type == "_NL":
                if pending is None and not self._inside_brackets(stack) and not _continues(previous):
                    pending = tok
                continue
            if pending is not None and tok.type not in _CONTINUES_BEFORE:
                yield pending
            pending = None
            self._track(stack, tok)
            previous = tok
            yield tok
        if pending is not None:
            yield pending

    @staticmethod
    def _inside_brackets(stack: list[Token]) -> bool:
        return bool(stack) and stack[-1].type in ("LPAR", "LSQB")

    def _track(self, stack: list[Token], tok: Token) -> None:
        if tok.type in _OPENERS:
            stack.append(tok)
            if len(stack) > MAX_NESTING:
                raise DiagnosticError(
                    f"brackets nested more than {MAX_NESTING} deep", _span(self.path, tok),
                    hint="split the expression with `let` or blocks")
        elif tok.type in _CLOSERS and stack and _OPENERS[stack[-1].type] == tok.type:
            stack.pop()


def _continues(previous: Token | None) -> bool:
    return previous is not None and previous.type in CONTINUES_AFTER


def _span(path: str, tok: Token) -> Span:
    return Span(path, tok.line, tok.column, tok.end_line or tok.line,
                tok.end_column or tok.column + len(tok))
