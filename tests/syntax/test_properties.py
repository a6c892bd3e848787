"""Property tests: no input makes the front end raise, and printed trees parse back unchanged."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hypnoscript.syntax import ast as A
from hypnoscript.syntax.diagnostics import Diagnostic
from hypnoscript.syntax.lexer import tokenize
from hypnoscript.syntax.parser import parse, parse_expression, parse_statements
from hypnoscript.syntax.source import Source
from hypnoscript.syntax.tokens import KEYWORDS

from . import printer

FAST = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

VOCABULARY = sorted(KEYWORDS) + [
    "Focus", "Relax", "x", "y", "Point", "null", "for", "try", "catch", "finally", "throw", "in", "of",
    "record", "_", "0", "1.5", "1.2.3", '"s"', '"', "'", "#", "==", "=>", "=", "+", "-", "*", "/", "%",
    ">=", ">", "<=", "<", "!=", "!", "&&", "&", "||", "|", "??", "?.", "?", ";", ",", "(", ")", "{",
    "}", "[", "]", ":", "...", ".", "..", "//", "/*", "*/", "\n",
]

SAMPLES = [p.read_text(encoding="utf-8") for p in sorted((Path(__file__).parent / "programs").glob("*.hyp"))]


def check_everything(text: str) -> None:
    source = Source(text, "p.hyp")
    tokens, lex_errors = tokenize(source)
    assert tokens[-1].kind_name == "Eof"
    for previous, token in zip(tokens, tokens[1:]):
        assert previous.end <= token.start
    program, diagnostics = parse(source)
    assert isinstance(program, A.Program)
    for diagnostic in diagnostics + lex_errors:
        assert isinstance(diagnostic, Diagnostic) and diagnostic.message
        assert 0 <= diagnostic.span.start <= diagnostic.span.end <= len(text)
    parse_statements(source)
    parse_expression(source)


@FAST
@given(st.lists(st.sampled_from(VOCABULARY), max_size=60), st.sampled_from([" ", "", "\n"]))
def test_token_soup_never_raises(words, separator):
    check_everything(separator.join(words))


@FAST
@given(st.lists(st.sampled_from(VOCABULARY), max_size=40))
def test_token_soup_inside_a_program_never_raises(words):
    check_everything("Focus {\n" + " ".join(words) + "\n} Relax")


@FAST
@given(st.text(max_size=200))
def test_any_text_never_raises(text):
    check_everything(text)


@st.composite
def mutated_sample(draw):
    text = draw(st.sampled_from(SAMPLES))
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["delete", "insert", "duplicate"]))
        if action == "delete":
            text = text[:position] + text[position + draw(st.integers(1, 20)):]
        elif action == "insert":
            text = text[:position] + draw(st.sampled_from(VOCABULARY)) + text[position:]
        else:
            end = min(len(text), position + draw(st.integers(1, 40)))
            text = text[:end] + text[position:end] + text[end:]
    return text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_sample())
def test_mutated_programs_never_raise(text):
    check_everything(text)


# ---------------------------------------------------------------- round trip of generated code

NAMES = st.sampled_from(["a", "b", "count", "größe", "x1", "_", "session", "number"])
BINARY_OPERATORS = st.sampled_from([
    "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "??",
    "youAreFeelingVerySleepy", "lookAtTheWatch", "underMyControl", "lucidFallback", "deeplyLess",
])
LEAVES = st.one_of(
    NAMES,
    st.integers(0, 1000).map(str),
    st.sampled_from(["1.5", "0.25", "true", "false", "null", '"text"', '"a\\"b"', '"line\\nbreak"']),
)


def _extend(inner):
    return st.one_of(
        st.tuples(inner, BINARY_OPERATORS, inner).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        st.tuples(st.sampled_from(["-", "!", "await ", "surrenderTo "]), inner).map(lambda t: t[0] + t[1]),
        inner.map(lambda e: f"({e})"),
        st.tuples(inner, inner, inner).map(lambda t: f"{t[0]} ? {t[1]} : {t[2]}"),
        st.tuples(NAMES, inner).map(lambda t: f"{t[0]} = {t[1]}"),
        st.tuples(inner, st.lists(inner, max_size=3)).map(lambda t: f"({t[0]})({', '.join(t[1])})"),
        st.tuples(NAMES, NAMES).map(lambda t: f"{t[0]}.{t[1]}"),
        st.tuples(NAMES, inner).map(lambda t: f"{t[0]}?.[{t[1]}]"),
        st.tuples(NAMES, NAMES).map(lambda t: f"{t[0]} dreamReach {t[1]}"),
        st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(st.tuples(NAMES, inner), max_size=3).map(
            lambda fields: "Point { " + ", ".join(f"{k}: {v}" for k, v in fields) + " }"
        ),
        st.tuples(inner, inner).map(lambda t: f"entrain ({t[0]}) {{ when 1 => {t[1]} otherwise => 0 }}"),
        st.tuples(NAMES, inner).map(lambda t: f"(suggestion({t[0]}) {{ awaken {t[1]}; }})"),
    )


EXPRESSIONS = st.recursive(LEAVES, _extend, max_leaves=12)

STATEMENTS = st.one_of(
    EXPRESSIONS.map(lambda e: f"observe {e};"),
    st.tuples(NAMES, EXPRESSIONS).map(lambda t: f"induce {t[0]}: number = {t[1]};"),
    st.tuples(EXPRESSIONS, EXPRESSIONS).map(lambda t: f"if ({t[0]}) {{ observe {t[1]}; }} else {{ snap; }}"),
    st.tuples(EXPRESSIONS, EXPRESSIONS).map(lambda t: f"while ({t[0]}) {{ {t[1]}; sink; }}"),
    st.tuples(NAMES, EXPRESSIONS).map(lambda t: f"loop (induce {t[0]} = 0; {t[1]}; {t[0]} = {t[0]} + 1) {{ }}"),
    st.tuples(NAMES, EXPRESSIONS).map(lambda t: f"suggestion f({t[0]}: number = 1) {{ awaken {t[1]}; }}"),
    EXPRESSIONS.map(lambda e: f"assert {e} : \"message\";"),
    EXPRESSIONS.map(lambda e: f"{e};"),
)


@FAST
@given(EXPRESSIONS)
def test_expression_round_trip(text):
    node, diagnostics = parse_expression(Source(text))
    assert diagnostics == [], (text, [d.message for d in diagnostics])
    printed = printer.expr(node)
    again, diagnostics = parse_expression(Source(printed))
    assert diagnostics == [], (printed, [d.message for d in diagnostics])
    assert again == node


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(STATEMENTS, min_size=1, max_size=6))
def test_program_round_trip(statements):
    text = "Focus {\n" + "\n".join(statements) + "\n} Relax"
    program, diagnostics = parse(Source(text))
    assert diagnostics == [], (text, [d.message for d in diagnostics])
    printed = printer.program(program)
    again, diagnostics = parse(Source(printed))
    assert diagnostics == [], (printed, [d.message for d in diagnostics])
    assert again == program
