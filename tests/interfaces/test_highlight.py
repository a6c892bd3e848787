"""The Pygments lexer: every keyword spelling in several capitalisations, the operator words,
literals, comments and names get the expected token types."""

import pytest
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import (
    Comment,
    Error,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
)

from hypnoscript.interfaces.highlight import HypnoScriptLexer
from hypnoscript.syntax.tokens import KEYWORDS

from .keyword_roles import EXPECTED, spellings

WORD_TYPES = {word: ttype for ttype, words in EXPECTED.items() for word in words.split()}


def tokens(text):
    """Significant (type, text) pairs."""
    return [(t, v) for t, v in HypnoScriptLexer().get_tokens(text) if v.strip()]


def test_the_expectations_cover_the_whole_keyword_table():
    assert {w.lower() for w in WORD_TYPES} == set(KEYWORDS)
    assert len(WORD_TYPES) == len(KEYWORDS)


@pytest.mark.parametrize("word", sorted(WORD_TYPES))
def test_every_keyword_in_every_capitalisation(word):
    for spelling in spellings(word):
        assert tokens(spelling) == [(WORD_TYPES[word], spelling)], spelling


@pytest.mark.parametrize("synonym, canonical", [("break", "snap"), ("continue", "sink"), ("return", "awaken"),
                                                 ("surrenderTo", "await"), ("notSoDeep", "youCannotResist"),
                                                 ("deeplyGreater", "yourEyesAreGettingHeavy"),
                                                 ("deeplyLess", "goingDeeper")])
def test_synonyms_highlight_like_their_canonical_word(synonym, canonical):
    assert tokens(synonym)[0][0] == tokens(canonical)[0][0]


def test_operator_words_in_an_expression():
    assert tokens("a LOOKATTHEWATCH b underMyControl c lucidFallback d") == [
        (Name, "a"), (Operator.Word, "LOOKATTHEWATCH"), (Name, "b"), (Operator.Word, "underMyControl"),
        (Name, "c"), (Operator.Word, "lucidFallback"), (Name, "d")]


def test_symbolic_operators_and_punctuation():
    text = "== => = + - * / % >= > <= < != ! && || ?? ?. ..."
    assert all(t is Operator for t, _ in tokens(text))
    assert tokens("; , ( ) { } [ ] : .") == [(Punctuation, p) for p in [";", ",", "(", ")", "{", "}", "[", "]", ":", "."]]


@pytest.mark.parametrize("text, ttype", [("42", Number.Integer), ("0", Number.Integer), ("3.14", Number.Float),
                                         ("1.", Number.Float), ("1.2.3", Error)])
def test_numbers(text, ttype):
    assert tokens(text) == [(ttype, text)]


def test_strings_with_escapes():
    assert tokens(r'"a\nb\"c\\d\x"') == [
        (String.Double, '"a'), (String.Escape, r"\n"), (String.Double, "b"), (String.Escape, r"\""),
        (String.Double, "c"), (String.Escape, "\\\\"), (String.Double, "d"), (String.Escape, r"\x"),
        (String.Double, '"')]
    assert tokens('"multi\nline"') == [(String.Double, '"multi\nline"')]
    assert tokens('"${not interpolated}"') == [(String.Double, '"${not interpolated}"')]


def test_unterminated_string_runs_to_the_end():
    assert tokens('"open\nstill open') == [(String.Double, '"open\nstill open\n')]


def test_line_and_block_comments():
    assert tokens("x // rest of line\ny") == [(Name, "x"), (Comment.Single, "// rest of line"), (Name, "y")]
    assert tokens("a /* one\ntwo */ b") == [(Name, "a"), (Comment.Multiline, "/* one\ntwo */"), (Name, "b")]
    assert tokens("/* not /* nested */ c") == [(Comment.Multiline, "/* not /* nested */"), (Name, "c")]
    assert tokens("/* open to the end") == [(Comment.Multiline, "/* open to the end\n")]
    assert tokens('"// not a comment"') == [(String.Double, '"// not a comment"')]


def test_names():
    assert tokens("suggestion greet(name) { }")[1] == (Name.Function, "greet")
    assert tokens("trigger onClick = suggestion() { }")[1] == (Name.Function, "onClick")
    assert tokens("session Counter { }")[1] == (Name.Class, "Counter")
    assert tokens("tranceify Point { }")[1] == (Name.Class, "Point")
    assert tokens("Length(x)")[0] == (Name.Builtin, "Length")
    assert tokens("this.count")[0] == (Name.Builtin.Pseudo, "this")
    assert tokens("null")[0] == (Keyword.Constant, "null")
    assert tokens("obj.observe")[2] == (Name.Attribute, "observe")
    assert tokens("größe")[0] == (Name, "größe")


def test_characters_outside_the_language_are_errors():
    assert tokens("# ^ @ $")[:4] == [(Error, "#"), (Error, "^"), (Error, "@"), (Error, "$")]


def test_the_token_texts_reproduce_the_input():
    with open("examples/hello.hyp", encoding="utf-8") as fh:
        text = fh.read()
    assert "".join(v for _, v in HypnoScriptLexer().get_tokens(text)) == text
    assert not [v for t, v in HypnoScriptLexer().get_tokens(text) if t is Error]


def test_registered_with_pygments():
    assert isinstance(get_lexer_by_name("hypnoscript"), HypnoScriptLexer)
    assert isinstance(get_lexer_by_name("hyp"), HypnoScriptLexer)
    assert isinstance(get_lexer_for_filename("main.hyp"), HypnoScriptLexer)
