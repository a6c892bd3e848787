"""The TextMate grammar and the VS Code extension folder: the committed grammar is the generated
one, and it scopes every keyword, synonym, literal and comment form like the language does."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hypnoscript.interfaces.textmate import grammar, render
from hypnoscript.syntax.tokens import KEYWORDS

from .keyword_roles import EXPECTED, spellings

VSCODE = Path(__file__).resolve().parents[2] / "editors" / "vscode"
GRAMMAR = VSCODE / "syntaxes" / "hypnoscript.tmLanguage.json"

SCOPES = {  # Pygments token type of the highlighting tests -> TextMate scope
    "Token.Keyword": "keyword.control",
    "Token.Keyword.Declaration": "storage.type",
    "Token.Keyword.Type": "support.type.primitive",
    "Token.Keyword.Constant": "constant.language",
    "Token.Keyword.Namespace": "keyword.control.import",
    "Token.Keyword.Reserved": "keyword.other.reserved",
    "Token.Operator.Word": "keyword.operator.word",
}


def scan(text):
    """(text, scope) pieces as a TextMate engine would find them with this grammar: at each
    position the rule whose match starts first wins, earlier rules on a tie."""
    g = grammar()
    rules = [rule for include in g["patterns"] for rule in g["repository"][include["include"][1:]]["patterns"]]
    out, pos = [], 0
    while pos < len(text):
        best = None
        for rule in rules:
            m = re.compile(rule.get("match") or rule["begin"], re.MULTILINE).search(text, pos)
            if m and (best is None or m.start() < best[1].start()):
                best = (rule, m)
        if best is None:
            break
        rule, m = best
        if "begin" in rule:
            stop = region_end(rule, text, m.end())
            out.append((text[m.start():stop], rule["name"]))
            pos = stop
        elif "captures" in rule:
            out += [(m.group(int(i)), c["name"]) for i, c in rule["captures"].items()]
            pos = m.end()
        else:
            out.append((m.group(), rule["name"]))
            pos = max(m.end(), pos + 1)
    return [(t, s.removesuffix(".hypnoscript")) for t, s in out]


def region_end(rule, text, pos):
    """Where a begin/end region closes: nested rules (escapes) are tried with the end rule, the
    earliest match winning."""
    inner = [re.compile(r["match"]) for r in rule.get("patterns", [])]
    end = re.compile(rule["end"])
    while True:
        closing = end.search(text, pos)
        nested = [m for m in (p.search(text, pos) for p in inner) if m]
        first = min(nested, key=lambda m: m.start(), default=None)
        if first is not None and (closing is None or first.start() < closing.start()):
            pos = first.end()
        else:
            return closing.end() if closing else len(text)


def test_the_committed_grammar_is_the_generated_one():
    assert GRAMMAR.read_text(encoding="utf-8") == render(), \
        "regenerate with: python -m hypnoscript.interfaces.textmate > editors/vscode/syntaxes/hypnoscript.tmLanguage.json"


@pytest.mark.parametrize("ttype, words", sorted((str(t), w) for t, w in EXPECTED.items()))
def test_every_keyword_and_synonym_in_every_capitalisation(ttype, words):
    for word in words.split():
        for spelling in spellings(word):
            assert scan(spelling) == [(spelling, SCOPES[ttype])], spelling
    assert {w.lower() for ws in EXPECTED.values() for w in ws.split()} == set(KEYWORDS)


def test_literals_and_comments():
    assert scan("42 3.14 1.2.3") == [("42", "constant.numeric"), ("3.14", "constant.numeric"),
                                      ("1.2.3", "invalid.illegal.number")]
    assert scan('"a\\n\\"b"') == [('"a\\n\\"b"', "string.quoted.double")]
    assert scan("x // note\n/* block\ncomment */") == [("// note", "comment.line.double-slash"),
                                                       ("/* block\ncomment */", "comment.block")]
    assert scan("true FALSE null") == [("true", "constant.language"), ("FALSE", "constant.language"),
                                       ("null", "constant.language")]


def test_definitions_and_members():
    assert scan("suggestion greet(") == [("suggestion", "storage.type"), ("greet", "entity.name.function")]
    assert scan("Session Counter {") == [("Session", "storage.type"), ("Counter", "entity.name.type")]
    assert scan("c.observe") == [(".", "punctuation.accessor"), ("observe", "variable.other.property")]
    assert scan("c.inc()") == [(".", "punctuation.accessor"), ("inc", "entity.name.function.member")]
    assert scan("this") == [("this", "variable.language.this")]


def test_the_extension_folder_is_complete():
    package = json.loads((VSCODE / "package.json").read_text())
    language = package["contributes"]["languages"][0]
    assert language["id"] == "hypnoscript" and language["extensions"] == [".hyp"]
    config = json.loads((VSCODE / language["configuration"]).read_text())
    assert config["comments"] == {"lineComment": "//", "blockComment": ["/*", "*/"]}
    assert (VSCODE / package["contributes"]["grammars"][0]["path"]).is_file()
    assert package["contributes"]["configuration"]["properties"]["hypnoscript.server.args"]["default"] == ["lsp"]
    extension = (VSCODE / package["main"]).read_text()
    assert "vscode-languageclient/node" in extension
    if shutil.which("node"):
        subprocess.run(["node", "--check", str(VSCODE / package["main"])], check=True)
