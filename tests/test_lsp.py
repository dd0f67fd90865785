"""The language server end to end: a real LSP client (pytest-lsp) talks to
`python -m netdsl lsp` over stdio."""

from __future__ import annotations

import sys

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

import netdsl
from netdsl.lsp.features import path_uri
from tests.conftest import NETS

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(
    server_command=[sys.executable, "-m", "netdsl", "lsp"], server_env={"NETDSL_LSP_DEBOUNCE": "0"}))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(lsp.InitializeParams(capabilities=client_capabilities("neovim")))
    yield
    await lsp_client.shutdown_session()


async def open_text(client: LanguageClient, uri: str, text: str, version: int = 1) -> None:
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(
        uri=uri, language_id="netdsl", version=version, text=text)))
    await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)


async def change(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)]))
    await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)


async def open_file(client: LanguageClient, name: str) -> tuple[str, str]:
    path = NETS / name
    uri = path_uri(str(path))
    text = path.read_text(encoding="utf-8")
    await open_text(client, uri, text)
    return uri, text


def doc(uri: str) -> lsp.TextDocumentIdentifier:
    return lsp.TextDocumentIdentifier(uri=uri)


def position(text: str, needle: str, offset: int = 0) -> lsp.Position:
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    return lsp.Position(line=line, character=index - (text.rfind("\n", 0, index) + 1))


BROKEN = "network n() {\n    input x: [3, 8, 8]\n    output y = x -> conv(8, 3) -> rellu\n}\n"


async def test_a_diagnostic_at_the_exact_range_then_cleared_when_fixed(client, tmp_path):
    uri = path_uri(str(tmp_path / "n.net"))
    await open_text(client, uri, BROKEN)
    (d,) = client.diagnostics[uri]
    assert d.message.startswith("unknown op or block `rellu`")
    assert d.range == lsp.Range(start=lsp.Position(line=2, character=34), end=lsp.Position(line=2, character=39))
    assert d.severity == lsp.DiagnosticSeverity.Error
    await change(client, uri, BROKEN.replace("rellu", "relu"), 2)
    assert list(client.diagnostics[uri]) == []


async def test_a_quick_fix_repairs_a_typo(client, tmp_path):
    uri = path_uri(str(tmp_path / "fix.net"))
    await open_text(client, uri, BROKEN)
    found = client.diagnostics[uri]
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), range=found[0].range,
        context=lsp.CodeActionContext(diagnostics=list(found))))
    (action,) = actions
    assert action.title == "Change `rellu` to `relu`"
    (edit,) = action.edit.changes[uri]
    lines = BROKEN.split("\n")
    row = lines[edit.range.start.line]
    lines[edit.range.start.line] = row[:edit.range.start.character] + edit.new_text + row[edit.range.end.character:]
    await change(client, uri, "\n".join(lines), 2)
    assert list(client.diagnostics[uri]) == []


async def test_several_syntax_errors_are_published_with_related_information(client, tmp_path):
    uri = path_uri(str(tmp_path / "s.net"))
    text = "block a(c) {\n    conv(c, 3\n}\nnetwork n() {\n    input x: [3, 8, 8]\n    output y = x -> -> relu\n}\n"
    await open_text(client, uri, text)
    found = client.diagnostics[uri]
    assert [(d.range.start.line, d.range.start.character) for d in found] == [(1, 8), (5, 20)]
    assert found[0].message.startswith("`(` not closed")
    assert found[0].related_information[0].location.range.start == lsp.Position(line=2, character=0)


async def test_hover_on_the_5x5_branch_of_inception4a(client):
    uri, text = await open_file(client, "googlenet.net")
    at = position(text, "unit(c5, k5")
    result = await client.text_document_hover_async(lsp.HoverParams(text_document=doc(uri), position=at))
    value = result.contents.value
    assert "9 instances" in value
    (line,) = [row for row in value.split("\n") if "`inception4a.branch3.1`" in row]
    assert line == "- `inception4a.branch3.1`: 48×14×14, 7.01K params, 1.35M MACs"


async def test_hover_on_a_block_call_gives_its_totals(client):
    uri, text = await open_file(client, "googlenet.net")
    at = position(text, "inception4a: inception", 15)
    result = await client.text_document_hover_async(lsp.HoverParams(text_document=doc(uri), position=at))
    value = result.contents.value
    assert value.startswith("**inception** (block) — network `googlenet`")
    assert "`inception4a` → **512×14×14**" in value
    field = netdsl.load(NETS / "googlenet.net", "googlenet").analysis.layers["inception4a.0"].receptive_field
    assert field == (107, 107) and "receptive field 107×107" in value  # the concat's: the block's output


async def test_completion_after_an_arrow(client, tmp_path):
    uri = path_uri(str(tmp_path / "c.net"))
    text = "network n() {\n    input x: [3, 8, 8]\n    output y = x -> con\n}\n"
    await open_text(client, uri, text)
    result = await client.text_document_completion_async(lsp.CompletionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(line=2, character=23)))
    labels = {item.label for item in result.items}
    assert {"conv", "concat", "conv_bn"} - labels == {"conv_bn"}, "conv_bn is a block: only with common.net"
    with_common = 'import "common.net"\n' + text
    await change(client, uri, with_common, 2)
    result = await client.text_document_completion_async(lsp.CompletionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(line=3, character=23)))
    items = {item.label: item for item in result.items}
    assert {"conv", "concat", "conv_bn"} <= set(items)
    assert items["conv"].detail.startswith("conv(out, kernel, stride=")


async def test_completion_of_parameters_and_axes(client, tmp_path):
    uri = path_uri(str(tmp_path / "p.net"))
    text = "network n() {\n    input x: [3, 8, 8]\n    output y = x -> conv(in.c, 3, st\n}\n"
    await open_text(client, uri, text)
    result = await client.text_document_completion_async(lsp.CompletionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(line=2, character=36)))
    assert "stride=" in {item.label for item in result.items}
    result = await client.text_document_completion_async(lsp.CompletionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(line=2, character=28)))
    assert {item.label for item in result.items} >= {"c", "h", "w"}
    help_ = await client.text_document_signature_help_async(lsp.SignatureHelpParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(line=2, character=36)))
    assert help_.signatures[0].label.startswith("conv(out, kernel") and help_.active_parameter == 2


async def test_go_to_definition_of_a_block(client):
    uri, text = await open_file(client, "resnet.net")
    at = position(text, "bottleneck\n", 3)
    result = await client.text_document_definition_async(lsp.DefinitionParams(text_document=doc(uri), position=at))
    assert result.uri == uri
    assert result.range.start == position(text, "block bottleneck(")


async def test_go_to_definition_of_a_block_call_in_another_file(client):
    uri, text = await open_file(client, "segmentation.net")
    at = position(text, "bottleneck(64", 3)
    result = await client.text_document_definition_async(lsp.DefinitionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=at))
    resnet = (NETS / "resnet.net").read_text()
    assert result.uri == path_uri(str(NETS / "resnet.net"))
    assert result.range.start == position(resnet, "block bottleneck(")


async def test_go_to_definition_of_an_import_and_an_imported_block(client):
    uri, text = await open_file(client, "googlenet.net")
    at = position(text, 'import "common.net"', 9)
    result = await client.text_document_definition_async(lsp.DefinitionParams(text_document=doc(uri), position=at))
    assert result.uri == path_uri(str(NETS / "common.net"))
    at = position(text, "unit=conv_bn", 6)
    result = await client.text_document_definition_async(lsp.DefinitionParams(text_document=doc(uri), position=at))
    common = (NETS / "common.net").read_text()
    assert result.uri == path_uri(str(NETS / "common.net"))
    assert result.range.start == position(common, "block conv_bn(")


async def test_references_and_symbols(client):
    uri, text = await open_file(client, "resnet.net")
    at = position(text, "block bottleneck(", 7)
    refs = await client.text_document_references_async(lsp.ReferenceParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=at,
        context=lsp.ReferenceContext(include_declaration=True)))
    assert len(refs) == 2  # the definition and `unit = basic if depth < 50 else bottleneck`
    symbols = await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri)))
    names = [s.name for s in symbols]
    assert names[:3] == ["basic", "bottleneck", "resnet"] and "resnet152" in names


async def test_inlay_hints_for_every_line_of_the_resnet_network(client):
    uri, text = await open_file(client, "resnet.net")
    lines = text.split("\n")
    start = next(i for i, row in enumerate(lines) if row.startswith("network resnet("))
    end = next(i for i in range(start, len(lines)) if lines[i] == "}")
    hints = await client.text_document_inlay_hint_async(lsp.InlayHintParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), range=lsp.Range(
            start=lsp.Position(line=0, character=0), end=lsp.Position(line=len(lines), character=0))))
    by_line = {h.position.line: h.label.strip() for h in hints if start < h.position.line < end}
    assert by_line == {
        start + 4: "3×224×224",  # input image
        start + 6: "64×112×112",  # conv1 -> bn1 -> relu
        start + 7: "64×56×56",  # maxpool
        start + 11: "256×56×56 … 2048×7×7",  # the 16 bottleneck instances
        start + 12: "256×56×56 … 2048×7×7",  # layer1 … layer4
        start + 13: "2048×7×7",  # the stages' output
        start + 14: "1000",  # fc
    }
    assert all(h.position.character == len(lines[h.position.line].rstrip()) for h in hints)


async def test_formatting_and_semantic_tokens(client, tmp_path):
    uri = path_uri(str(tmp_path / "f.net"))
    text = "network n() {\n  input x: [3,8,8]\n  output y = x->relu\n}\n"
    await open_text(client, uri, text)
    edits = await client.text_document_formatting_async(lsp.DocumentFormattingParams(
        text_document=doc(uri), options=lsp.FormattingOptions(tab_size=4, insert_spaces=True)))
    assert edits[0].new_text == "network n() {\n    input x: [3, 8, 8]\n    output y = x -> relu\n}\n"
    tokens = await client.text_document_semantic_tokens_full_async(lsp.SemanticTokensParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri)))
    first = list(tokens.data[:5])
    assert first == [0, 0, 7, 0, 0]  # `network`: a keyword at 0:0


async def test_workspace_symbols_include_imported_definitions(client):
    await open_file(client, "googlenet.net")
    found = await client.workspace_symbol_async(lsp.WorkspaceSymbolParams(query="conv_b"))
    by_name = {s.name: s for s in found}
    assert by_name["conv_bn"].location.uri == path_uri(str(NETS / "common.net"))
