"""Document symbols of `tranceify` blocks: a block is a namespace holding its own declarations."""

from lsprotocol import types as L

from hypnoscript.interfaces.lsp.outline import document_symbols
from hypnoscript.interfaces.lsp.positions import LineIndex
from hypnoscript.interfaces.lsp.workspace import ParsedFile

TEXT = """\
Focus {
    induce shared = 1;
    Tranceify LocalScope {
        induce localVar = "Local";
        suggestion helper() { awaken localVar; }
    }
    Tranceify("Relaxation", shared) {
        induce calm = true;
    }
    tranceify(shared) {
        tranceify Inner { induce deep = 2; }
    }
    tranceify Point { x: number; }
} Relax
"""


def symbols():
    return document_symbols(ParsedFile("blocks.hyp", TEXT), LineIndex(TEXT, L.PositionEncodingKind.Utf16))


def test_blocks_hold_their_declarations():
    found = [(s.name, s.kind, [c.name for c in s.children or []]) for s in symbols()]
    assert found == [
        ("shared", L.SymbolKind.Variable, []),
        ("LocalScope", L.SymbolKind.Namespace, ["localVar", "helper"]),
        ("Relaxation", L.SymbolKind.Namespace, ["calm"]),
        ("tranceify", L.SymbolKind.Namespace, ["Inner"]),
        ("Point", L.SymbolKind.Struct, ["x"]),
    ]


def test_a_named_block_selects_its_name():
    named = next(s for s in symbols() if s.name == "LocalScope")
    assert named.selection_range.start == L.Position(line=2, character=14)
    assert named.range.start == L.Position(line=2, character=4) and named.range.end.line == 5
    assert named.detail == "tranceify"
