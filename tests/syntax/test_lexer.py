"""The lexer: every token kind, every keyword spelling, literals, comments, positions, errors."""

from __future__ import annotations

import pytest

from hypnoscript.syntax import tokens as T
from hypnoscript.syntax.lexer import tokenize
from hypnoscript.syntax.source import Source


def lex(text: str):
    tokens, diagnostics = tokenize(Source(text, "t.hyp"))
    return tokens, diagnostics


def kinds(text: str) -> list[str]:
    tokens, diagnostics = lex(text)
    assert diagnostics == []
    return [t.kind_name for t in tokens]


def single(text: str):
    tokens, diagnostics = lex(text)
    assert diagnostics == []
    assert len(tokens) == 2, tokens
    return tokens[0]


# ---------------------------------------------------------------- keywords

# Every spelling of the keyword table: (lookup key, kind name, canonical lexeme).
KEYWORD_TABLE = [
    ("focus", "Focus", "Focus"), ("relax", "Relax", "Relax"), ("entrance", "Entrance", "entrance"),
    ("finale", "Finale", "finale"), ("deepfocus", "DeepFocus", "deepFocus"),
    ("deeperstill", "DeeperStill", "deeperStill"), ("induce", "Induce", "induce"),
    ("implant", "Implant", "implant"), ("embed", "Embed", "embed"), ("freeze", "Freeze", "freeze"),
    ("anchor", "Anchor", "anchor"), ("from", "From", "from"), ("external", "External", "external"),
    ("if", "If", "if"), ("else", "Else", "else"), ("when", "When", "when"),
    ("otherwise", "Otherwise", "otherwise"), ("entrain", "Entrain", "entrain"),
    ("while", "While", "while"), ("loop", "Loop", "loop"), ("pendulum", "Pendulum", "pendulum"),
    ("snap", "Snap", "snap"), ("break", "Snap", "snap"), ("sink", "Sink", "sink"),
    ("continue", "Sink", "sink"), ("sinkto", "SinkTo", "sinkTo"), ("oscillate", "Oscillate", "oscillate"),
    ("suspend", "Suspend", "suspend"), ("suggestion", "Suggestion", "suggestion"),
    ("trigger", "Trigger", "trigger"),
    ("imperativesuggestion", "ImperativeSuggestion", "imperativeSuggestion"),
    ("dominantsuggestion", "DominantSuggestion", "dominantSuggestion"),
    ("mesmerize", "Mesmerize", "mesmerize"), ("awaken", "Awaken", "awaken"),
    ("return", "Awaken", "awaken"), ("await", "Await", "await"),
    ("surrenderto", "SurrenderTo", "surrenderTo"), ("call", "Call", "call"),
    ("session", "Session", "session"), ("constructor", "Constructor", "constructor"),
    ("expose", "Expose", "expose"), ("conceal", "Conceal", "conceal"),
    ("dominant", "Dominant", "dominant"), ("tranceify", "Tranceify", "tranceify"),
    ("observe", "Observe", "observe"), ("whisper", "Whisper", "whisper"),
    ("command", "Command", "command"), ("murmur", "Murmur", "murmur"), ("drift", "Drift", "drift"),
    ("pausereality", "PauseReality", "pauseReality"),
    ("acceleratetime", "AccelerateTime", "accelerateTime"),
    ("deceleratetime", "DecelerateTime", "decelerateTime"),
    ("subconscious", "Subconscious", "subconscious"), ("mindlink", "MindLink", "mindLink"),
    ("sharedtrance", "SharedTrance", "sharedTrance"), ("label", "Label", "label"),
    ("youarefeelingverysleepy", "YouAreFeelingVerySleepy", "youAreFeelingVerySleepy"),
    ("youcannotresist", "YouCannotResist", "youCannotResist"), ("notsodeep", "NotSoDeep", "notSoDeep"),
    ("lookatthewatch", "LookAtTheWatch", "lookAtTheWatch"),
    ("fallundermyspell", "FallUnderMySpell", "fallUnderMySpell"),
    ("youreyesaregettingheavy", "YourEyesAreGettingHeavy", "yourEyesAreGettingHeavy"),
    ("goingdeeper", "GoingDeeper", "goingDeeper"), ("deeplygreater", "DeeplyGreater", "deeplyGreater"),
    ("deeplyless", "DeeplyLess", "deeplyLess"), ("undermycontrol", "UnderMyControl", "underMyControl"),
    ("resistanceisfutile", "ResistanceIsFutile", "resistanceIsFutile"),
    ("lucidfallback", "LucidFallback", "lucidFallback"), ("dreamreach", "DreamReach", "dreamReach"),
    ("number", "Number", "number"), ("string", "String", "string"), ("boolean", "Boolean", "boolean"),
    ("trance", "Trance", "trance"), ("lucid", "Lucid", "lucid"), ("true", "True", "true"),
    ("false", "False", "false"), ("assert", "Assert", "assert"),
]


def test_keyword_table_is_complete():
    assert sorted(T.KEYWORDS) == sorted(key for key, _, _ in KEYWORD_TABLE)


@pytest.mark.parametrize("key,kind_name,canonical", KEYWORD_TABLE)
def test_keyword_in_every_capitalisation(key, kind_name, canonical):
    for spelling in (key, key.upper(), canonical, canonical[0].swapcase() + canonical[1:], key.title()):
        tok = single(spelling)
        assert tok.kind_name == kind_name, spelling
        assert tok.text == canonical
        assert tok.is_keyword()


def test_synonyms_share_a_kind():
    assert single("break").kind == single("snap").kind == T.SNAP
    assert single("continue").kind == single("sink").kind == T.SINK
    assert single("return").kind == single("awaken").kind == T.AWAKEN


def test_non_ascii_letters_do_not_fold_to_keywords():
    # Only ASCII letters are lowered: a dotted capital I is not `i`.
    assert single("İf").kind == T.IDENTIFIER
    assert single("ıf").kind == T.IDENTIFIER


def test_words_that_are_not_keywords():
    for word in ("null", "for", "try", "catch", "throw", "in", "of", "this", "record", "_", "_x1"):
        tok = single(word)
        assert tok.kind == T.IDENTIFIER and tok.text == word


def test_identifiers_are_case_sensitive_and_unicode():
    assert [t.text for t in lex("Count count größe café 名前 x_1")[0][:-1]] == [
        "Count", "count", "größe", "café", "名前", "x_1",
    ]
    assert kinds("größe") == ["Identifier", "Eof"]


# ---------------------------------------------------------------- operators and punctuation

OPERATORS = [
    ("==", "DoubleEquals"), ("=>", "Arrow"), ("=", "Equals"), ("+", "Plus"), ("-", "Minus"),
    ("*", "Asterisk"), ("/", "Slash"), ("%", "Percent"), (">=", "GreaterEqual"), (">", "Greater"),
    ("<=", "LessEqual"), ("<", "Less"), ("!=", "NotEquals"), ("!", "Bang"), ("&&", "AmpAmp"),
    ("&", "Ampersand"), ("||", "PipePipe"), ("|", "Pipe"), ("??", "QuestionQuestion"),
    ("?.", "QuestionDot"), ("?", "QuestionMark"), (";", "Semicolon"), (",", "Comma"),
    ("(", "LParen"), (")", "RParen"), ("{", "LBrace"), ("}", "RBrace"), ("[", "LBracket"),
    ("]", "RBracket"), (":", "Colon"), ("...", "DotDotDot"), (".", "Dot"),
]


@pytest.mark.parametrize("text,kind_name", OPERATORS)
def test_operator(text, kind_name):
    tok = single(text)
    assert tok.kind_name == kind_name
    assert tok.text == text


def test_every_kind_is_produced_somewhere():
    produced = {kind for _, kind, _ in KEYWORD_TABLE} | {kind for _, kind in OPERATORS}
    produced |= {"Identifier", "NumberLiteral", "StringLiteral", "Eof"}
    assert produced == set(T.KIND_NAMES)


def test_maximal_munch():
    assert kinds("a===b") == ["Identifier", "DoubleEquals", "Equals", "Identifier", "Eof"]
    assert kinds("x=>=y") == ["Identifier", "Arrow", "Equals", "Identifier", "Eof"]
    assert kinds("!==") == ["NotEquals", "Equals", "Eof"]
    assert kinds("a???.b") == ["Identifier", "QuestionQuestion", "QuestionDot", "Identifier", "Eof"]
    assert kinds("&&&|||") == ["AmpAmp", "Ampersand", "PipePipe", "Pipe", "Eof"]
    assert kinds("....") == ["DotDotDot", "Dot", "Eof"]


def test_two_dots_are_one_dot():
    tokens, _ = lex("p..x")
    assert [t.kind_name for t in tokens] == ["Identifier", "Dot", "Identifier", "Eof"]
    assert tokens[1].text == "." and tokens[1].end - tokens[1].start == 2


# ---------------------------------------------------------------- numbers

@pytest.mark.parametrize("text,value", [("0", 0.0), ("42", 42.0), ("3.14", 3.14), ("1.", 1.0),
                                        ("007", 7.0), ("9007199254740993", 9007199254740992.0)])
def test_numbers(text, value):
    tok = single(text)
    assert tok.kind == T.NUMBER_LITERAL and tok.value == value and tok.text == text


def test_number_forms_that_split():
    assert kinds("1e3") == ["NumberLiteral", "Identifier", "Eof"]
    assert kinds(".5") == ["Dot", "NumberLiteral", "Eof"]
    assert kinds("-1") == ["Minus", "NumberLiteral", "Eof"]


@pytest.mark.parametrize("text", ["1.2.3", "1..5", "3..", "٣"])
def test_invalid_numbers(text):
    tokens, diagnostics = lex(text)
    assert tokens[0].kind == T.NUMBER_LITERAL and tokens[0].value is None
    assert [d.code for d in diagnostics] == ["HYP1005"]
    assert text in diagnostics[0].message


# ---------------------------------------------------------------- strings

@pytest.mark.parametrize("text,value", [
    (r'"plain"', "plain"),
    (r'""', ""),
    (r'"a\nb"', "a\nb"),
    (r'"a\tb\rc"', "a\tb\rc"),
    (r'"back\\slash"', "back\\slash"),
    (r'"say \"hi\""', 'say "hi"'),
    (r'"\x\u0041\'"', "xu0041'"),
    (r'"${not interpolated}"', "${not interpolated}"),
    ('"two\nlines"', "two\nlines"),
    ('"// not a comment"', "// not a comment"),
])
def test_strings(text, value):
    tok = single(text)
    assert tok.kind == T.STRING_LITERAL and tok.value == value and tok.text == value


def test_unterminated_string_runs_to_end_of_file():
    tokens, diagnostics = lex('observe "abc;\nmore')
    assert [t.kind_name for t in tokens] == ["Observe", "StringLiteral", "Eof"]
    assert tokens[1].value == "abc;\nmore"
    assert [d.code for d in diagnostics] == ["HYP1002"]
    assert (diagnostics[0].span.line, diagnostics[0].span.col) == (1, 9)


def test_backslash_at_end_of_file_leaves_the_string_open():
    _, diagnostics = lex('"abc\\')
    assert [d.code for d in diagnostics] == ["HYP1002"]


# ---------------------------------------------------------------- comments and whitespace

def test_comments():
    assert kinds("a // comment\nb") == ["Identifier", "Identifier", "Eof"]
    assert kinds("a /* x \n y */ b") == ["Identifier", "Identifier", "Eof"]
    assert kinds("a /* /* not nested */ b") == ["Identifier", "Identifier", "Eof"]
    assert kinds("a /* never closed\n b c") == ["Identifier", "Eof"]
    assert kinds("a/b") == ["Identifier", "Slash", "Identifier", "Eof"]


def test_unicode_whitespace_and_crlf():
    assert kinds("a\u00a0b\u2003c\r\nd\u3000e\tf") == ["Identifier"] * 6 + ["Eof"]


def test_empty_input_gives_only_eof():
    tokens, diagnostics = lex("")
    assert [t.kind_name for t in tokens] == ["Eof"] and diagnostics == []
    assert (tokens[0].line, tokens[0].col) == (1, 1)


# ---------------------------------------------------------------- positions

def test_positions():
    text = 'Focus {\n    observe "x\ny" + größe;\n} Relax\n'
    tokens, _ = lex(text)
    where = [(t.text, t.line, t.col, t.end_line, t.end_col) for t in tokens]
    assert where == [
        ("Focus", 1, 1, 1, 6),
        ("{", 1, 7, 1, 8),
        ("observe", 2, 5, 2, 12),
        ("x\ny", 2, 13, 3, 3),
        ("+", 3, 4, 3, 5),
        ("größe", 3, 6, 3, 11),
        (";", 3, 11, 3, 12),
        ("}", 4, 1, 4, 2),
        ("Relax", 4, 3, 4, 8),
        ("", 5, 1, 5, 1),
    ]
    for tok in tokens[:-1]:
        # Offsets agree with the text; the canonical keyword text can differ only in case.
        raw = text[tok.start:tok.end]
        assert raw.lower() == tok.text.lower() or tok.kind == T.STRING_LITERAL


def test_token_debug_matches_the_reference_layout():
    tokens, _ = lex('FOCUS "a\\"b"')
    assert tokens[0].debug() == 'Token { token_type: Focus, lexeme: "Focus", line: 1, column: 1 }'
    assert tokens[1].debug() == 'Token { token_type: StringLiteral, lexeme: "a\\"b", line: 1, column: 7 }'
    assert tokens[2].debug() == 'Token { token_type: Eof, lexeme: "", line: 1, column: 13 }'


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("char", ["#", "'", "^", "~", "@", "$", "`", "\\"])
def test_unexpected_characters(char):
    tokens, diagnostics = lex(f"a {char} b")
    assert [t.kind_name for t in tokens] == ["Identifier", "Identifier", "Eof"]
    assert [d.code for d in diagnostics] == ["HYP1001"]
    assert (diagnostics[0].span.line, diagnostics[0].span.col) == (1, 3)
    assert diagnostics[0].path == "t.hyp"


def test_control_characters_are_named_by_code_point():
    _, diagnostics = lex("a \x00 b")
    assert "U+0000" in diagnostics[0].message


def test_lexing_continues_after_errors():
    tokens, diagnostics = lex("# a ' b ^ 1.2.3 \"open")
    assert [d.code for d in diagnostics] == ["HYP1001", "HYP1001", "HYP1001", "HYP1005", "HYP1002"]
    assert tokens[-1].kind == T.EOF


def test_token_json():
    tok = single("induce")
    assert tok.to_json() == {
        "kind": "Induce", "text": "induce", "value": None, "start": 0, "end": 6,
        "line": 1, "col": 1, "end_line": 1, "end_col": 7,
    }
