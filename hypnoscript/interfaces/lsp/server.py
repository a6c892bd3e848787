"""The language server: pygls wiring of the features in this package.

Diagnostics are recomputed a moment after the last change (DEBOUNCE_SECONDS), so typing does not
queue one analysis per keystroke; every other request analyses on demand, from caches that a
change invalidates.
"""

from __future__ import annotations

import asyncio
import logging
import os

from lsprotocol import types as L
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from hypnoscript import __version__
from hypnoscript.interfaces.lsp import (
    completion,
    diagnostics,
    formatting,
    hover,
    navigation,
    outline,
    semantic,
)
from hypnoscript.interfaces.lsp.positions import LineIndex
from hypnoscript.interfaces.lsp.workspace import Workspace

DEBOUNCE_SECONDS = 0.3
log = logging.getLogger(__name__)


class HypnoScriptServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("hypnoscript", __version__)
        self.files = Workspace(self.open_text)
        self.uris: dict[str, str] = {}  # path -> uri of each open document
        self.pending: dict[str, asyncio.Task] = {}

    # ------------------------------------------------------------ documents

    def path_of(self, uri: str) -> str:
        return to_fs_path(uri) or uri

    def uri_of(self, path: str) -> str:
        return self.uris.get(path) or from_fs_path(path) or path

    def open_text(self, path: str) -> str | None:
        uri = self.uris.get(path)
        if uri is None:
            return None
        document = self.workspace.text_documents.get(uri)
        return document.source if document is not None else None

    def index(self, text: str) -> LineIndex:
        return LineIndex(text, self.workspace.position_encoding or L.PositionEncodingKind.Utf16)

    def analysis_at(self, uri: str, position: L.Position):
        """The analysis of a document and the offset of a position in it."""
        analysis = self.files.analysis(self.path_of(uri))
        if analysis is None:
            return None, 0
        return analysis, self.index(analysis.parsed.text).offset(position)

    def location(self, path: str, span) -> L.Location:
        parsed = self.files.parsed(path)
        return L.Location(uri=self.uri_of(path), range=self.index(parsed.text if parsed else "").span_range(span))

    # ------------------------------------------------------------ diagnostics

    def schedule_diagnostics(self) -> None:
        """Publish the diagnostics of every open document after a pause in typing (a change in
        one file can change the diagnostics of the files importing it)."""
        for task in self.pending.values():
            task.cancel()
        self.pending = {uri: asyncio.get_running_loop().create_task(self.publish_later(uri))
                        for uri in self.uris.values()}

    async def publish_later(self, uri: str) -> None:
        await asyncio.sleep(DEBOUNCE_SECONDS)
        self.pending.pop(uri, None)
        self.publish(uri)

    def publish(self, uri: str) -> None:
        analysis = self.files.analysis(self.path_of(uri))
        if analysis is None:
            return
        index = self.index(analysis.parsed.text)
        document = self.workspace.text_documents.get(uri)
        found = [diagnostics.to_lsp(d, index, uri) for d in diagnostics.collect(analysis)]
        self.text_document_publish_diagnostics(L.PublishDiagnosticsParams(
            uri=uri, diagnostics=found, version=document.version if document is not None else None))


def create_server() -> HypnoScriptServer:
    server = HypnoScriptServer()

    @server.feature(L.INITIALIZED)
    def initialized(ls: HypnoScriptServer, params: L.InitializedParams) -> None:
        roots = [to_fs_path(folder.uri) for folder in ls.workspace.folders.values()]
        if not roots and ls.workspace.root_path:
            roots = [ls.workspace.root_path]
        ls.files.roots = [r for r in roots if r]

    @server.feature(L.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: HypnoScriptServer, params: L.DidOpenTextDocumentParams) -> None:
        ls.uris[ls.path_of(params.text_document.uri)] = params.text_document.uri
        ls.files.changed()
        ls.schedule_diagnostics()

    @server.feature(L.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: HypnoScriptServer, params: L.DidChangeTextDocumentParams) -> None:
        ls.files.changed()
        ls.schedule_diagnostics()

    @server.feature(L.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: HypnoScriptServer, params: L.DidSaveTextDocumentParams) -> None:
        ls.files.changed()
        ls.schedule_diagnostics()

    @server.feature(L.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(ls: HypnoScriptServer, params: L.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.uris.pop(ls.path_of(uri), None)
        task = ls.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        ls.files.changed()
        ls.text_document_publish_diagnostics(L.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        ls.schedule_diagnostics()

    @server.feature(L.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def watched_files_changed(ls: HypnoScriptServer, params: L.DidChangeWatchedFilesParams) -> None:
        ls.files.changed()
        ls.schedule_diagnostics()

    @server.feature(L.TEXT_DOCUMENT_HOVER)
    def on_hover(ls: HypnoScriptServer, params: L.HoverParams) -> L.Hover | None:
        analysis, offset = ls.analysis_at(params.text_document.uri, params.position)
        if analysis is None:
            return None
        return hover.hover(analysis, offset, ls.index(analysis.parsed.text))

    @server.feature(L.TEXT_DOCUMENT_COMPLETION, L.CompletionOptions(trigger_characters=["."]))
    def on_completion(ls: HypnoScriptServer, params: L.CompletionParams) -> L.CompletionList | None:
        analysis, offset = ls.analysis_at(params.text_document.uri, params.position)
        if analysis is None:
            return None
        return completion.complete(analysis, offset)

    @server.feature(L.TEXT_DOCUMENT_DEFINITION)
    def on_definition(ls: HypnoScriptServer, params: L.DefinitionParams) -> list[L.Location] | None:
        analysis, offset = ls.analysis_at(params.text_document.uri, params.position)
        if analysis is None:
            return None
        return [ls.location(path, span) for path, span in navigation.definition(analysis, offset)] or None

    @server.feature(L.TEXT_DOCUMENT_REFERENCES)
    def on_references(ls: HypnoScriptServer, params: L.ReferenceParams) -> list[L.Location] | None:
        analysis, offset = ls.analysis_at(params.text_document.uri, params.position)
        if analysis is None:
            return None
        found = navigation.references(ls.files, analysis, offset, list(ls.uris), params.context.include_declaration)
        return [ls.location(path, span) for path, span in found] or None

    @server.feature(L.TEXT_DOCUMENT_PREPARE_RENAME)
    def on_prepare_rename(ls: HypnoScriptServer, params: L.PrepareRenameParams):
        analysis, offset = ls.analysis_at(params.text_document.uri, params.position)
        tok = navigation.prepare_rename(analysis, offset) if analysis is not None else None
        if tok is None:
            return None
        return L.PrepareRenamePlaceholder(range=ls.index(analysis.parsed.text).range(tok.start, tok.end),
                                          placeholder=tok.text)

    @server.feature(L.TEXT_DOCUMENT_RENAME)
    def on_rename(ls: HypnoScriptServer, params: L.RenameParams) -> L.WorkspaceEdit | None:
        analysis, offset = ls.analysis_at(params.text_document.uri, params.position)
        if analysis is None:
            return None
        try:
            edits = navigation.rename(ls.files, analysis, offset, params.new_name, list(ls.uris))
        except ValueError as exc:
            raise JsonRpcInvalidParams(str(exc)) from None
        if edits is None:
            return None
        return L.WorkspaceEdit(changes={
            ls.uri_of(path): [L.TextEdit(range=ls.location(path, span).range, new_text=params.new_name)
                              for span in spans]
            for path, spans in edits.items()})

    @server.feature(L.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def on_document_symbols(ls: HypnoScriptServer, params: L.DocumentSymbolParams):
        parsed = ls.files.parsed(ls.path_of(params.text_document.uri))
        if parsed is None:
            return None
        return outline.document_symbols(parsed, ls.index(parsed.text))

    @server.feature(L.TEXT_DOCUMENT_FORMATTING)
    def on_formatting(ls: HypnoScriptServer, params: L.DocumentFormattingParams) -> list[L.TextEdit] | None:
        path = ls.path_of(params.text_document.uri)
        text = ls.files.text(path)
        if text is None:
            return None
        return formatting.format_document(path, text, ls.index(text))

    @server.feature(L.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL,
                    L.SemanticTokensLegend(token_types=semantic.TOKEN_TYPES, token_modifiers=semantic.TOKEN_MODIFIERS))
    def on_semantic_tokens(ls: HypnoScriptServer, params: L.SemanticTokensParams) -> L.SemanticTokens:
        analysis = ls.files.analysis(ls.path_of(params.text_document.uri))
        if analysis is None:
            return L.SemanticTokens(data=[])
        return L.SemanticTokens(data=semantic.semantic_tokens(analysis, ls.index(analysis.parsed.text)))

    return server


class _OneLineFormatter(logging.Formatter):
    """Log records as one line each, an exception as its message: a malformed message from the
    client is reported without a Python traceback (HYP_DEBUG=1 shows them)."""

    def format(self, record: logging.LogRecord) -> str:
        text = f"hyp lsp: {record.levelname.lower()}: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            text += f" ({type(record.exc_info[1]).__name__}: {record.exc_info[1]})"
        return text


def main() -> int:
    handler = logging.StreamHandler()
    if not os.environ.get("HYP_DEBUG"):
        handler.setFormatter(_OneLineFormatter())
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    create_server().start_io()
    return 0
