"""The TextMate grammar of HypnoScript (for VS Code and other editors), generated from the
lexer's keyword table so that it never falls behind it. (Builtin functions are left to the
language server's semantic tokens, which know when a name is a builtin and when a variable.)

`python -m hypnoscript.interfaces.textmate` prints it; editors/vscode/syntaxes/ holds the
generated file, and a test checks that it is up to date.
"""

from __future__ import annotations

import json
import re

from hypnoscript.interfaces import vocabulary as V

SCOPE = "source.hypnoscript"

# Scope of each keyword role, in the order the patterns are tried.
ROLE_SCOPES = (
    (V.OPERATOR_WORD_KINDS, "keyword.operator.word"),
    (V.RESERVED_KINDS, "keyword.other.reserved"),
    (V.NAMESPACE_KINDS, "keyword.control.import"),
    (V.TYPE_KINDS, "support.type.primitive"),
    (V.CONSTANT_KINDS, "constant.language"),
    (V.DECLARATION_KINDS, "storage.type"),
)
STATEMENT_SCOPE = "keyword.control"
_DEFINES_FUNCTION = ("suggestion", "trigger", "imperativeSuggestion", "dominantSuggestion")
_DEFINES_TYPE = ("session", "tranceify")


def _alternation(words) -> str:
    ordered = sorted({w.lower() for w in words}, key=lambda w: (-len(w), w))
    return "|".join(re.escape(w) for w in ordered)


def _words(words) -> str:
    """Whole words, in any capitalisation."""
    return r"(?i)(?<![\w])(?:" + _alternation(words) + r")(?![\w])"


def _definition(words, name_scope: str) -> dict:
    """A defining keyword and the name it defines."""
    return {"match": r"(?i)(?<![\w])(" + _alternation(words) + r")\s+([^\W\d]\w*)",
            "captures": {"1": {"name": "storage.type.hypnoscript"}, "2": {"name": f"{name_scope}.hypnoscript"}}}


def _keyword_groups() -> list[tuple[str, list[str]]]:
    groups: dict[str, list[str]] = {}
    for word in V.keyword_spellings():
        kind = V.keyword_kind(word)
        scope = next((s for kinds, s in ROLE_SCOPES if kind in kinds), STATEMENT_SCOPE)
        groups.setdefault(scope, []).append(word)
    groups[STATEMENT_SCOPE] += list(V.CONTEXTUAL_KEYWORDS)
    groups["constant.language"].append(V.NULL_WORD)
    return [(scope, words) for scope, words in groups.items()]


def grammar() -> dict:
    name = r"([^\W\d]\w*)"
    keywords = [{"name": f"{scope}.hypnoscript", "match": _words(words)} for scope, words in _keyword_groups()]
    return {
        "$schema": "https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json",
        "name": "HypnoScript",
        "scopeName": SCOPE,
        "fileTypes": ["hyp"],
        "patterns": [{"include": "#comments"}, {"include": "#strings"}, {"include": "#numbers"},
                     {"include": "#definitions"}, {"include": "#members"}, {"include": "#keywords"},
                     {"include": "#self"}, {"include": "#operators"},
                     {"include": "#punctuation"}],
        "repository": {
            "comments": {"patterns": [
                {"name": "comment.line.double-slash.hypnoscript", "match": r"//.*$"},
                {"name": "comment.block.hypnoscript", "begin": r"/\*", "end": r"\*/"},
            ]},
            "strings": {"patterns": [{
                "name": "string.quoted.double.hypnoscript", "begin": '"', "end": '"',
                "patterns": [{"name": "constant.character.escape.hypnoscript", "match": r"\\."}],
            }]},
            "numbers": {"patterns": [
                {"name": "invalid.illegal.number.hypnoscript", "match": r"\b\d+\.\d*\.[\d.]*"},
                {"name": "constant.numeric.hypnoscript", "match": r"\b\d+(?:\.\d*)?"},
            ]},
            "definitions": {"patterns": [_definition(_DEFINES_FUNCTION, "entity.name.function"),
                                         _definition(_DEFINES_TYPE, "entity.name.type")]},
            "members": {"patterns": [
                {"match": r"(?<=\.)\s*" + name + r"(?=\s*\()",
                 "captures": {"1": {"name": "entity.name.function.member.hypnoscript"}}},
                {"match": r"(?<=\.)\s*" + name, "captures": {"1": {"name": "variable.other.property.hypnoscript"}}},
            ]},
            "keywords": {"patterns": keywords},
            "self": {"patterns": [{"name": "variable.language.this.hypnoscript", "match": r"(?<![\w.])this(?![\w])"}]},
            "operators": {"patterns": [{"name": "keyword.operator.hypnoscript",
                                        "match": r"==|=>|!=|>=|<=|&&|\|\||\?\?|\?\.|\.\.\.|[=+\-*/%<>!]"}]},
            "punctuation": {"patterns": [
                {"name": "punctuation.terminator.statement.hypnoscript", "match": ";"},
                {"name": "punctuation.separator.comma.hypnoscript", "match": ","},
                {"name": "punctuation.accessor.hypnoscript", "match": r"\."},
            ]},
        },
    }


def render() -> str:
    return json.dumps(grammar(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(render(), end="")
