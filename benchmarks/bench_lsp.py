"""Latency of `netdsl lsp` as an editor sees it, over stdio with a real LSP client.

1. didChange → publishDiagnostics on resnet.net's text, with ResNet-152 as the
   document's main network (the buffer is opened as `resnet152.net` beside the
   library, so the network named like the file is the one elaborated and costed,
   516 layers), debounce off: the server's own work, median of 20.
2. The same on resnet.net itself (main network `resnet`, depth 50).
3. A hover on a step of googlenet.net (the 5×5 branch inside `inception`), median of 20.
4. In process, without the protocol: the analysis behind 1 (median of 20), and
   checking the other 15 networks and presets of resnet.net for errors (done in the
   background once typing pauses), median of 5.

    python benchmarks/bench_lsp.py
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

from netdsl.lsp.document import analyse, check_others, cost
from netdsl.lsp.features import path_uri

NETS = Path(__file__).resolve().parent.parent / "nets"
RUNS = 20


class Client(LanguageClient):
    def __init__(self) -> None:
        super().__init__("bench", "1")
        self.published: dict[tuple[str, int | None], float] = {}
        self.arrived = asyncio.Event()


client = Client()


@client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
def published(ls: Client, params: lsp.PublishDiagnosticsParams) -> None:
    ls.published[(params.uri, params.version)] = time.perf_counter()
    ls.arrived.set()


async def wait_for(uri: str, version: int) -> float:
    while (uri, version) not in client.published:
        client.arrived.clear()
        await client.arrived.wait()
    return client.published[(uri, version)]


async def change_latency(uri: str, text: str) -> list[float]:
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        text_document=lsp.TextDocumentItem(uri=uri, language_id="netdsl", version=0, text=text)))
    await wait_for(uri, 0)
    times = []
    for version in range(1, RUNS + 1):
        edited = text.replace("classes=1000", f"classes={1000 + version}", 1)  # a real edit: re-elaborated
        start = time.perf_counter()
        client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=edited)]))
        times.append(await wait_for(uri, version) - start)
        await asyncio.sleep(0.05)
    return times


async def hover_latency(uri: str, text: str) -> list[float]:
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        text_document=lsp.TextDocumentItem(uri=uri, language_id="netdsl", version=0, text=text)))
    await wait_for(uri, 0)
    index = text.index("unit(c5, k5")
    line = text.count("\n", 0, index)
    position = lsp.Position(line=line, character=index - text.rfind("\n", 0, index) - 1)
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        result = await client.text_document_hover_async(lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri), position=position))
        times.append(time.perf_counter() - start)
        assert "48×14×14" in result.contents.value
    return times


def ms(times: list[float]) -> str:
    return f"median {statistics.median(times) * 1000:.1f} ms (min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f})"


async def main() -> None:
    os.environ["NETDSL_LSP_DEBOUNCE"] = "0"
    await client.start_io(sys.executable, "-m", "netdsl", "lsp", env={**os.environ})
    await client.initialize_async(lsp.InitializeParams(capabilities=lsp.ClientCapabilities()))
    client.initialized(lsp.InitializedParams())
    resnet = (NETS / "resnet.net").read_text(encoding="utf-8")
    print("didChange → diagnostics, ResNet-152 main network:", ms(
        await change_latency(path_uri(str(NETS / "resnet152.net")), resnet)))
    print("didChange → diagnostics, resnet.net (ResNet-50 main network):", ms(
        await change_latency(path_uri(str(NETS / "resnet.net")), resnet)))
    googlenet = (NETS / "googlenet.net").read_text(encoding="utf-8")
    print("hover on a googlenet.net step:", ms(await hover_latency(path_uri(str(NETS / "googlenet.net")), googlenet)))
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    cache: dict = {}
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        analyse(resnet, str(NETS / "resnet152.net"), cache)
        times.append(time.perf_counter() - start)
    print("the same analysis in process (parse, define, elaborate ResNet-152):", ms(times))
    times = []
    for _ in range(5):
        doc = cost(analyse(resnet, str(NETS / "resnet.net"), {}))
        start = time.perf_counter()
        check_others(doc)
        times.append(time.perf_counter() - start)
    print("background check of resnet.net's 15 other networks and presets (in process):", ms(times))


if __name__ == "__main__":
    asyncio.run(main())
