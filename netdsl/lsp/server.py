"""`netdsl lsp`: the language server over stdio (pygls).

Each change is analysed after a short pause (debounced), in a worker thread, so the
server keeps answering while a big file is elaborated; a newer version of the
document abandons older work. Diagnostics are published once the main network is
elaborated (with the syntax errors, and the shapes behind hover and inlay hints);
the file's other networks and presets are checked when typing pauses, and their
errors published then.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from netdsl import __version__
from netdsl.elaborate.program import ParseCache
from netdsl.lsp import features
from netdsl.lsp.document import Document, analyse, check_others, cost
from netdsl.lsp.semantic import TOKEN_MODIFIERS, TOKEN_TYPES, semantic_tokens

DEBOUNCE_S = float(os.environ.get("NETDSL_LSP_DEBOUNCE", "0.1"))
IDLE_S = 0.3


class NetdslServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("netdsl", __version__)
        self.documents: dict[str, Document] = {}
        self.versions: dict[str, int] = {}
        self.ready: dict[str, asyncio.Event] = {}
        self.cache: ParseCache = {}

    def schedule(self, uri: str, version: int, delay: float) -> None:
        self.versions[uri] = version
        self.ready.setdefault(uri, asyncio.Event()).clear()
        asyncio.get_running_loop().create_task(self._analyse(uri, version, delay))

    async def _analyse(self, uri: str, version: int, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        if self.versions.get(uri) != version:
            return
        try:
            await self._run(uri, version)
        except Exception as err:  # a bug of ours must not leave the editor waiting
            self.window_log_message(lsp.LogMessageParams(lsp.MessageType.Error, f"netdsl: analysis failed: {err!r}"))
            self.ready[uri].set()

    async def _run(self, uri: str, version: int) -> None:
        current = lambda: self.versions.get(uri) == version  # noqa: E731
        text = self.workspace.get_text_document(uri).source
        doc = await asyncio.to_thread(analyse, text, features.uri_path(uri), self.cache)
        if not current():
            return
        self._publish(uri, doc, version)
        doc = await asyncio.to_thread(cost, doc)
        if not current():
            return
        self._store(uri, doc)
        if doc.checked or doc.defs is None or len(doc.defs.own_networks) < 2:
            return
        await asyncio.sleep(IDLE_S)  # the other networks wait for a pause in the typing
        if not current():
            return
        before = list(doc.errors)
        if await asyncio.to_thread(check_others, doc, None, lambda: not current()) and current() \
                and doc.errors != before:
            self._publish(uri, doc, version)

    def _store(self, uri: str, doc: Document) -> None:
        previous = self.documents.get(uri)
        if previous is not None and not doc.instances and doc.syntax:
            doc.instances, doc.network, doc.defs = previous.instances, previous.network, previous.defs
        self.documents[uri] = doc
        self.ready[uri].set()

    def _publish(self, uri: str, doc: Document, version: int | None) -> None:
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=features.diagnostics(doc), version=version))

    async def live(self, uri: str) -> Document | None:
        """The latest analysis with the text as it is now: completion and signature help
        look at what was typed since, which may not parse yet."""
        doc = await self.document(uri)
        if doc is None:
            return None
        return dataclasses.replace(doc, text=self.workspace.get_text_document(uri).source)

    async def document(self, uri: str) -> Document | None:
        """The latest analysis of a document, waiting for one under way."""
        event = self.ready.get(uri)
        if event is None:
            return None
        await event.wait()
        return self.documents.get(uri)


server = NetdslServer()


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
async def did_open(ls: NetdslServer, params: lsp.DidOpenTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri, params.text_document.version, 0)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(ls: NetdslServer, params: lsp.DidChangeTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri, params.text_document.version, DEBOUNCE_S)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
async def did_save(ls: NetdslServer, params: lsp.DidSaveTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri, ls.versions.get(params.text_document.uri, 0), 0)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
async def did_close(ls: NetdslServer, params: lsp.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.versions.pop(uri, None)
    ls.documents.pop(uri, None)
    ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def _pos(position: lsp.Position) -> tuple[int, int]:
    return position.line + 1, position.character + 1


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
async def hover(ls: NetdslServer, params: lsp.HoverParams) -> lsp.Hover | None:
    doc = await ls.document(params.text_document.uri)
    return features.hover(doc, *_pos(params.position)) if doc else None


@server.feature(lsp.TEXT_DOCUMENT_INLAY_HINT)
async def inlay_hint(ls: NetdslServer, params: lsp.InlayHintParams) -> list[lsp.InlayHint]:
    doc = await ls.document(params.text_document.uri)
    if doc is None:
        return []
    return features.inlay_hints(doc, params.range.start.line + 1, params.range.end.line + 1)


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
async def definition(ls: NetdslServer, params: lsp.DefinitionParams) -> lsp.Location | None:
    doc = await ls.document(params.text_document.uri)
    return features.definition(doc, *_pos(params.position)) if doc else None


@server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
async def references(ls: NetdslServer, params: lsp.ReferenceParams) -> list[lsp.Location]:
    doc = await ls.document(params.text_document.uri)
    if doc is None:
        return []
    return features.references(doc, *_pos(params.position), params.context.include_declaration)


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
async def document_symbol(ls: NetdslServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
    doc = await ls.document(params.text_document.uri)
    return features.symbols(doc) if doc else []


@server.feature(lsp.WORKSPACE_SYMBOL)
async def workspace_symbol(ls: NetdslServer, params: lsp.WorkspaceSymbolParams) -> list[lsp.WorkspaceSymbol]:
    """Every definition the open documents can see, their imports' included."""
    found: dict[tuple[str, str], lsp.WorkspaceSymbol] = {}
    for doc in list(ls.documents.values()):
        for symbol in features.visible_symbols(doc, params.query):
            found.setdefault((symbol.name, symbol.location.uri), symbol)
    return list(found.values())


@server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=[".", "(", ",", ">"]))
async def completion(ls: NetdslServer, params: lsp.CompletionParams) -> lsp.CompletionList:
    doc = await ls.live(params.text_document.uri)
    items = features.completion(doc, *_pos(params.position)) if doc else []
    return lsp.CompletionList(is_incomplete=False, items=items)


@server.feature(lsp.TEXT_DOCUMENT_SIGNATURE_HELP, lsp.SignatureHelpOptions(trigger_characters=["(", ","]))
async def signature_help(ls: NetdslServer, params: lsp.SignatureHelpParams) -> lsp.SignatureHelp | None:
    doc = await ls.live(params.text_document.uri)
    return features.signature_help(doc, *_pos(params.position)) if doc else None


@server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
async def code_action(ls: NetdslServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    text = ls.workspace.get_text_document(params.text_document.uri).source
    return features.quick_fixes(text, params.text_document.uri, params.context.diagnostics)


@server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
async def formatting(ls: NetdslServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit] | None:
    return features.formatting(ls.workspace.get_text_document(params.text_document.uri).source)


@server.feature(lsp.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL,
                lsp.SemanticTokensLegend(token_types=TOKEN_TYPES, token_modifiers=TOKEN_MODIFIERS))
async def semantic_tokens_full(ls: NetdslServer, params: lsp.SemanticTokensParams) -> lsp.SemanticTokens:
    return lsp.SemanticTokens(data=semantic_tokens(ls.workspace.get_text_document(params.text_document.uri).source))


def main() -> int:
    """Serve over stdio until the client exits."""
    server.start_io()
    return 0
