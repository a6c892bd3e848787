"""Semantic tokens: the highlighting lexer's classification, refined by name resolution
(parameters, suggestions, sessions, constants, builtins, declarations)."""

from __future__ import annotations

import re

from pygments.token import Comment, Keyword, Name, Number, Operator, String

from hypnoscript.analysis.tree import walk
from hypnoscript.interfaces import vocabulary as V
from hypnoscript.interfaces.highlight import HypnoScriptLexer
from hypnoscript.interfaces.lsp import symbols
from hypnoscript.syntax import ast as A

TOKEN_TYPES = ["keyword", "operator", "variable", "parameter", "function", "method", "class", "struct",
               "property", "string", "number", "comment", "type"]
TOKEN_MODIFIERS = ["declaration", "readonly", "defaultLibrary"]
_TYPE = {name: i for i, name in enumerate(TOKEN_TYPES)}
_DECLARATION, _READONLY, _LIBRARY = 1, 2, 4

_CALLED = re.compile(r"\s*\(")
_BINDING_TYPES = {"function": "function", "session": "class", "param": "parameter"}


def semantic_tokens(analysis, index) -> list[int]:
    """The LSP's relative encoding: (line delta, start delta, length, type, modifiers) per token."""
    text = analysis.parsed.text
    records = {n.name for n in walk(analysis.program) if type(n) is A.TranceifyDecl}
    builtins = V.builtins()
    data: list[int] = []
    last_line = last_start = 0
    for offset, ttype, value in HypnoScriptLexer().get_tokens_unprocessed(text):
        classified = _classify(analysis, text, offset, ttype, value, records, builtins)
        if classified is None:
            continue
        kind, modifiers = classified
        line_offset = offset
        for piece in value.split("\n"):
            if piece:
                pos = index.position(line_offset)
                length = index.units(piece)
                delta_line = pos.line - last_line
                delta_start = pos.character - last_start if delta_line == 0 else pos.character
                data += [delta_line, delta_start, length, _TYPE[kind], modifiers]
                last_line, last_start = pos.line, pos.character
            line_offset += len(piece) + 1
    return data


# Fixed classifications by Pygments token type (looked up along the type's parents); names are
# classified by what they resolve to.
_FIXED = {Comment: "comment", String: "string", Number: "number", Operator.Word: "operator",
          Keyword.Type: "type", Keyword: "keyword", Name.Builtin.Pseudo: "keyword"}
_NAME = "name"
_ATTRIBUTE = "attribute"
_categories: dict = {}


def _category(ttype):
    found = _categories.get(ttype)
    if found is None:
        t = ttype
        while t is not None and t not in _FIXED and t is not Name.Attribute and t is not Name:
            t = t.parent
        found = _FIXED.get(t) or (_ATTRIBUTE if t is Name.Attribute else _NAME if t is Name else "")
        _categories[ttype] = found
    return found


def _classify(analysis, text, offset, ttype, value, records, builtins):
    category = _category(ttype)
    if not category:
        return None
    if category == _ATTRIBUTE:
        return ("method" if _CALLED.match(text, offset + len(value)) else "property"), 0
    if category != _NAME:
        return category, 0
    occ = analysis.occurrences.at(offset)
    if occ is None:
        if value in records:
            return "struct", 0
        if value in builtins:
            return "function", _LIBRARY
        return "variable", 0
    _, b = symbols.origins(analysis, occ.binding)[0]
    modifiers = (_DECLARATION if occ.is_decl else 0) | (_READONLY if b.frozen else 0)
    return _BINDING_TYPES.get(b.kind, "variable"), modifiers
