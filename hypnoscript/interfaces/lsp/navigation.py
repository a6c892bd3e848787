"""Go to definition, find references and rename, across `mindLink`ed files."""

from __future__ import annotations

import re

from hypnoscript.interfaces import vocabulary as V
from hypnoscript.interfaces.lsp import symbols

_IDENTIFIER = re.compile(r"[^\W\d]\w*\Z")


def definition(analysis, offset: int) -> list[tuple]:
    """(path, span) of the declarations of the name or member under `offset`."""
    tok = analysis.parsed.token_at(offset)
    if tok is None:
        return []
    occ = analysis.occurrences.at(tok.start)
    if occ is not None:
        return symbols.declarations(analysis, occ.binding)
    member = symbols.member_at(analysis.parsed, offset)
    if member is not None:
        found = symbols.member_declaration(analysis, member)
        if found is not None:
            origin, decl = found
            span = origin.parsed.name_span(decl, member.name)
            return [(origin.path, span)] if span is not None else []
    return []


def references(workspace, analysis, offset: int, open_paths, include_declaration: bool) -> list[tuple]:
    tok = analysis.parsed.token_at(offset)
    occ = analysis.occurrences.at(tok.start) if tok is not None else None
    if occ is None:
        return []
    found = symbols.references(workspace, analysis, occ.binding, open_paths, include_declaration)
    return sorted(set(found), key=lambda item: (item[0], item[1].start))


def prepare_rename(analysis, offset: int):
    """The token of the renamable name under `offset`, or None (builtins, keywords, members)."""
    tok = analysis.parsed.token_at(offset)
    if tok is None or analysis.occurrences.at(tok.start) is None:
        return None
    return tok


def rename(workspace, analysis, offset: int, new_name: str, open_paths) -> dict[str, list] | None:
    """path -> spans to replace with `new_name`; None when nothing here can be renamed.
    Raises ValueError for a new name that is not a usable identifier."""
    if not _IDENTIFIER.match(new_name) or V.keyword_kind(new_name) is not None:
        raise ValueError(f"'{new_name}' is not a valid name: names are identifiers that are not keywords")
    if prepare_rename(analysis, offset) is None:
        return None
    edits: dict[str, list] = {}
    for path, span in references(workspace, analysis, offset, open_paths, include_declaration=True):
        edits.setdefault(path, []).append(span)
    return edits
