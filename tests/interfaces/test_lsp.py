"""The language server, driven by pygls's language client over stdio (`python -m hypnoscript lsp`),
one test per capability."""

import asyncio
import sys
import time

import pytest
from lsprotocol import types as L
from pygls.exceptions import JsonRpcException
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

UTIL = """\
Focus {
    suggestion double(n: number): number {
        awaken n * 2;
    }
    session Counter {
        expose count: number = 0;
        conceal secret: number = 7;
        suggestion inc() {
            this.count = this.count + 1;
            awaken this;
        }
    }
} Relax
"""

MAIN = """\
Focus {
    mindLink "util.hyp";
    induce total = double(21);
    induce c = Counter();
    c.inc();
    observe Length("abc") + total;
} Relax
"""

LOCAL = """\
Focus {
    // a comment
    freeze LIMIT = 10;
    induce label_text = "n = \\t";
    suggestion clamp(value: number): number {
        if (value lookAtTheWatch LIMIT) { awaken LIMIT; }
        awaken value;
    }
    session Point {
        expose x: number = 0;
        expose y: number = 0;
        suggestion norm(): number { awaken Sqrt(this.x * this.x + this.y * this.y); }
    }
    tranceify Pair { first: number; second: string; }
    induce p = Point();
    induce shown = label_text + clamp(42);
    observe shown;
} Relax
"""


class Session:
    """A running server and a client talking to it, on one event loop."""

    def __init__(self, root):
        self.root = root
        self.loop = asyncio.new_event_loop()
        self.client = LanguageClient("hypnoscript-tests", "1")
        self.diagnostics = {}

        @self.client.feature(L.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params):
            self.diagnostics[params.uri] = (params.version, list(params.diagnostics))

        self.run(self.client.start_io(sys.executable, "-m", "hypnoscript", "lsp"))
        self.capabilities = self.run(self.client.initialize_async(L.InitializeParams(
            capabilities=L.ClientCapabilities(text_document=L.TextDocumentClientCapabilities(
                rename=L.RenameClientCapabilities(prepare_support=True))),
            root_uri=from_fs_path(str(root)),
            workspace_folders=[L.WorkspaceFolder(uri=from_fs_path(str(root)), name="tests")],
        ))).capabilities
        self.client.initialized(L.InitializedParams())
        self.versions = {}

    def run(self, coroutine, timeout=30):
        return self.loop.run_until_complete(asyncio.wait_for(coroutine, timeout))

    def uri(self, name):
        return from_fs_path(str(self.root / name))

    def open(self, name, text):
        self.versions[name] = 1
        self.client.text_document_did_open(L.DidOpenTextDocumentParams(text_document=L.TextDocumentItem(
            uri=self.uri(name), language_id="hypnoscript", version=1, text=text)))

    def change(self, name, text):
        self.versions[name] += 1
        self.client.text_document_did_change(L.DidChangeTextDocumentParams(
            text_document=L.VersionedTextDocumentIdentifier(uri=self.uri(name), version=self.versions[name]),
            content_changes=[L.TextDocumentContentChangeWholeDocument(text=text)]))

    def published(self, name, timeout=10):
        """The diagnostics published for the document's current version."""
        uri = self.uri(name)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.run(asyncio.sleep(0.05))
            version, found = self.diagnostics.get(uri, (None, None))
            if version == self.versions[name]:
                return found
        raise AssertionError(f"no diagnostics published for {name} version {self.versions[name]}")

    def doc(self, name):
        return L.TextDocumentIdentifier(uri=self.uri(name))

    def close(self):
        self.run(self.client.shutdown_async(None))
        self.client.exit(None)
        self.run(self.client.stop())
        self.loop.close()


def pos(text, needle, delta=0):
    """The position of `needle` (plus `delta` characters) in `text`."""
    offset = text.index(needle) + delta
    line = text.count("\n", 0, offset)
    return L.Position(line=line, character=offset - (text.rfind("\n", 0, offset) + 1))


@pytest.fixture(scope="module")
def lsp(tmp_path_factory):
    root = tmp_path_factory.mktemp("workspace")
    (root / "util.hyp").write_text(UTIL)
    (root / "main.hyp").write_text(MAIN)
    (root / "local.hyp").write_text(LOCAL)
    session = Session(root)
    session.open("main.hyp", MAIN)
    session.open("local.hyp", LOCAL)
    yield session
    session.close()


def test_the_server_announces_every_capability(lsp):
    caps = lsp.capabilities
    assert caps.hover_provider and caps.definition_provider and caps.references_provider
    assert caps.document_symbol_provider and caps.document_formatting_provider
    assert list(caps.completion_provider.trigger_characters) == ["."]
    assert caps.rename_provider.prepare_provider
    assert "function" in caps.semantic_tokens_provider.legend.token_types


def test_diagnostics_from_parser_checker_and_linter_as_you_type(lsp):
    broken = 'Focus {\n    induce x = ;\n    induce unused = 1;\n    observe "a" - 1;\n    observe y;\n} Relax\n'
    lsp.open("broken.hyp", broken)
    found = {d.code: d for d in lsp.published("broken.hyp")}
    assert found["HYP1003"].range.start == L.Position(line=1, character=15)  # the parser's error
    assert any(code.startswith("HYP20") for code in found)  # the checker: "a" - 1 / undefined y
    assert list(found["HYP3001"].tags) == [L.DiagnosticTag.Unnecessary]  # the linter: unused variable
    assert all(d.source == "hypnoscript" for d in found.values())
    # A declaration being typed: its name is not reported as undefined where it is used.
    lsp.change("broken.hyp", "Focus {\n    induce total = \n    observe total;\n} Relax\n")
    assert [d.code for d in lsp.published("broken.hyp")] == ["HYP1003"]
    # Quick edits are analysed once the typing pauses; the last version's result is published.
    lsp.change("broken.hyp", broken.replace("induce x = ;", "induce x = "))
    lsp.change("broken.hyp", 'Focus {\n    induce x = 1;\n    observe x;\n} Relax\n')
    assert lsp.published("broken.hyp") == []


def test_hover_on_a_builtin(lsp):
    hover = lsp.run(lsp.client.text_document_hover_async(L.HoverParams(
        text_document=lsp.doc("main.hyp"), position=pos(MAIN, "Length", 2))))
    assert "Length(value: any) -> number" in hover.contents.value
    assert "Number of characters" in hover.contents.value
    assert hover.range.start == pos(MAIN, "Length")


def test_hover_on_a_variable_shows_its_type(lsp):
    hover = lsp.run(lsp.client.text_document_hover_async(L.HoverParams(
        text_document=lsp.doc("local.hyp"), position=pos(LOCAL, "shown;", 1))))
    assert "shown: string" in hover.contents.value
    hover = lsp.run(lsp.client.text_document_hover_async(L.HoverParams(
        text_document=lsp.doc("local.hyp"), position=pos(LOCAL, "LIMIT) {"))))
    assert "LIMIT: number" in hover.contents.value and "constant" in hover.contents.value
    hover = lsp.run(lsp.client.text_document_hover_async(L.HoverParams(
        text_document=lsp.doc("local.hyp"), position=pos(LOCAL, "lookAtTheWatch"))))
    assert "the operator `>`" in hover.contents.value


def complete(lsp, name, text, position):
    result = lsp.run(lsp.client.text_document_completion_async(L.CompletionParams(
        text_document=lsp.doc(name), position=position)))
    items = result.items if isinstance(result, L.CompletionList) else result
    return {item.label: item for item in items}


def test_completion_of_keywords_builtins_and_locals(lsp):
    text = LOCAL.replace("        awaken value;", "        awaken va\n        indu\n        Arr")
    lsp.change("local.hyp", text)
    assert "value" in complete(lsp, "local.hyp", text, pos(text, "awaken va", 9))  # a parameter
    assert "induce" in complete(lsp, "local.hyp", text, pos(text, "indu", 4))
    items = complete(lsp, "local.hyp", text, pos(text, "Arr\n", 3))
    assert items["ArraySum"].detail.startswith("ArraySum(")
    items = complete(lsp, "local.hyp", text, pos(text, "        Arr", 8))  # nothing typed yet
    assert {"LIMIT", "clamp", "Point", "value", "observe", "Length"} <= set(items)
    lsp.change("local.hyp", LOCAL)


def test_completion_of_session_members_after_a_dot(lsp):
    text = MAIN.replace("    c.inc();", "    c.")
    lsp.change("main.hyp", text)
    items = complete(lsp, "main.hyp", text, pos(text, "c.\n", 2))
    assert set(items) == {"count", "inc"}  # `secret` is concealed
    assert items["inc"].kind == L.CompletionItemKind.Method
    text = LOCAL.replace("    observe shown;", "    observe p.")
    lsp.change("local.hyp", text)
    assert set(complete(lsp, "local.hyp", text, pos(text, "p.\n", 2))) == {"x", "y", "norm"}
    lsp.change("main.hyp", MAIN)
    lsp.change("local.hyp", LOCAL)


def test_definition_across_a_mindlink(lsp):
    found = lsp.run(lsp.client.text_document_definition_async(L.DefinitionParams(
        text_document=lsp.doc("main.hyp"), position=pos(MAIN, "double(21)", 1))))
    assert [(loc.uri, loc.range.start) for loc in found] == [(lsp.uri("util.hyp"), pos(UTIL, "double"))]
    found = lsp.run(lsp.client.text_document_definition_async(L.DefinitionParams(
        text_document=lsp.doc("main.hyp"), position=pos(MAIN, "inc()"))))
    assert [(loc.uri, loc.range.start) for loc in found] == [(lsp.uri("util.hyp"), pos(UTIL, "inc()"))]


def test_references_across_a_mindlink(lsp):
    found = lsp.run(lsp.client.text_document_references_async(L.ReferenceParams(
        text_document=lsp.doc("util.hyp"), position=pos(UTIL, "double"),
        context=L.ReferenceContext(include_declaration=True))))
    assert sorted((loc.uri, loc.range.start.line) for loc in found) == sorted(
        [(lsp.uri("util.hyp"), 1), (lsp.uri("main.hyp"), 2)])


def test_document_symbols(lsp):
    symbols = lsp.run(lsp.client.text_document_document_symbol_async(L.DocumentSymbolParams(
        text_document=lsp.doc("local.hyp"))))
    by_name = {s.name: s for s in symbols}
    assert by_name["LIMIT"].kind == L.SymbolKind.Constant
    assert by_name["clamp"].kind == L.SymbolKind.Function
    assert by_name["clamp"].selection_range.start == pos(LOCAL, "clamp")
    assert [(c.name, c.kind) for c in by_name["Point"].children] == [
        ("x", L.SymbolKind.Field), ("y", L.SymbolKind.Field), ("norm", L.SymbolKind.Method)]
    assert [c.name for c in by_name["Pair"].children] == ["first", "second"]


def test_rename_across_files(lsp):
    edit = lsp.run(lsp.client.text_document_rename_async(L.RenameParams(
        text_document=lsp.doc("main.hyp"), position=pos(MAIN, "double"), new_name="twice")))
    changes = {uri: sorted((e.range.start.line, e.range.start.character, e.new_text) for e in edits)
               for uri, edits in edit.changes.items()}
    assert changes == {lsp.uri("main.hyp"): [(2, 19, "twice")], lsp.uri("util.hyp"): [(1, 15, "twice")]}
    with pytest.raises(JsonRpcException):
        lsp.run(lsp.client.text_document_rename_async(L.RenameParams(
            text_document=lsp.doc("main.hyp"), position=pos(MAIN, "total"), new_name="observe")))
    prepared = lsp.run(lsp.client.text_document_prepare_rename_async(L.PrepareRenameParams(
        text_document=lsp.doc("main.hyp"), position=pos(MAIN, "Length"))))
    assert prepared is None  # builtins cannot be renamed


def test_formatting_through_hyp_fmt(lsp):
    messy = "Focus{induce   x=1;if(x>0){observe x;}}Relax"
    lsp.open("messy.hyp", messy)
    edits = lsp.run(lsp.client.text_document_formatting_async(L.DocumentFormattingParams(
        text_document=lsp.doc("messy.hyp"), options=L.FormattingOptions(tab_size=4, insert_spaces=True))))
    assert len(edits) == 1
    assert edits[0].new_text == "Focus {\n    induce x = 1;\n    if (x > 0) {\n        observe x;\n    }\n} Relax\n"
    assert edits[0].range.start == L.Position(line=0, character=0)


def test_semantic_tokens(lsp):
    legend = lsp.capabilities.semantic_tokens_provider.legend
    result = lsp.run(lsp.client.text_document_semantic_tokens_full_async(L.SemanticTokensParams(
        text_document=lsp.doc("local.hyp"))))
    lines = LOCAL.split("\n")
    tokens = {}
    line = start = 0
    data = result.data
    for i in range(0, len(data), 5):
        line += data[i]
        start = data[i + 1] if data[i] else start + data[i + 1]
        modifiers = {m for bit, m in enumerate(legend.token_modifiers) if data[i + 4] & (1 << bit)}
        tokens[lines[line][start:start + data[i + 2]], line] = (legend.token_types[data[i + 3]], modifiers)
    assert tokens["// a comment", 1] == ("comment", set())
    assert tokens["freeze", 2] == ("keyword", set())
    assert tokens["LIMIT", 2] == ("variable", {"declaration", "readonly"})
    assert tokens['"n = ', 3][0] == "string" and tokens["\\t", 3][0] == "string"
    assert tokens["clamp", 4] == ("function", {"declaration"})
    assert tokens["value", 4] == ("parameter", {"declaration"})
    assert tokens["number", 4] == ("type", set())
    assert tokens["lookAtTheWatch", 5] == ("operator", set())
    assert tokens["10", 2] == ("number", set())
    assert tokens["Sqrt", 11] == ("function", {"defaultLibrary"})
    assert tokens["x", 11] == ("property", set())
    assert tokens["Point", 8] == ("class", {"declaration"})
    assert tokens["Pair", 13] == ("struct", set())
