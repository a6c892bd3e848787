"""Error recovery and robustness: every mistake reported once, no cascades, no exceptions."""

from __future__ import annotations

import os
import random

import pytest

from hypnoscript.syntax import ast as A
from hypnoscript.syntax.lexer import tokenize
from hypnoscript.syntax.parser import MAX_DEPTH, MAX_ERRORS, parse, parse_expression, parse_statements
from hypnoscript.syntax.source import Source

from .helpers import wrap


def diagnose(text: str):
    program, diagnostics = parse(Source(text, "r.hyp"))
    return program, [d for d in diagnostics if d.severity == "error"]


def where(diagnostics) -> list[tuple[int, int]]:
    return [(d.span.line, d.span.col) for d in diagnostics]


def test_three_errors_give_three_diagnostics():
    program, found = diagnose(
        "Focus {\n"
        "    induce a = ;\n"                 # 1: missing expression
        "    observe a;\n"
        "    if (a > 1 { observe a; }\n"     # 2: missing ')'
        "    observe (1 + 2;\n"              # 3: unclosed '('
        "    observe \"still parsed\";\n"
        "} Relax\n"
    )
    assert where(found) == [(2, 16), (4, 15), (5, 19)]
    assert [type(s).__name__ for s in program.body] == ["Output", "Output"]
    assert program.body[-1] == A.Output("observe", A.StringLit("still parsed"))


def test_errors_in_nested_blocks_do_not_close_the_enclosing_block():
    program, found = diagnose(wrap(
        "suggestion f() {\n"
        "    induce x = (1 + ;\n"
        "    while (x) { observe ]; }\n"
        "    awaken x;\n"
        "}\n"
        "observe f();"
    ))
    assert len(found) == 2
    func = program.body[0]
    assert isinstance(func, A.FuncDecl) and isinstance(func.body[-1], A.Return)
    assert isinstance(program.body[1], A.Output)


def test_error_inside_braces_of_an_expression():
    program, found = diagnose(wrap('induce r = entrain x { when 1 => ; };\nobserve "after";'))
    assert len(found) == 1
    assert program.body == [A.Output("observe", A.StringLit("after"))]


def test_closer_of_the_enclosing_block_is_not_swallowed():
    program, found = diagnose(wrap("if (a) { x = (1 + }\nobserve 2;"))
    assert len(found) == 1
    assert program.body[-1] == A.Output("observe", A.NumberLit(2.0, "2"))


def test_errors_in_session_members():
    program, found = diagnose(wrap(
        "session S {\n"
        "    expose a = ;\n"
        "    suggestion ok() { awaken 1; }\n"
        "    expose b: number = 1 2;\n"
        "    suggestion alsoOk() { }\n"
        "}\n"
        "observe 1;"
    ))
    assert len(found) == 2
    session = program.body[0]
    assert [m.name for m in session.members] == ["ok", "alsoOk"]


def test_stray_closing_brace():
    program, found = diagnose("Focus {\n observe 1;\n }\n observe 2;\n} Relax")
    assert [d.message for d in found] == ["unmatched '}'"]
    assert len(program.body) == 2


def test_error_cap():
    program, diagnostics = parse(Source(wrap("observe ;\n" * 200)))
    assert len(diagnostics) == MAX_ERRORS + 1
    assert diagnostics[-1].code == "HYP1010" and diagnostics[-1].severity == "note"


def test_lexical_errors_are_capped_too():
    _, diagnostics = parse(Source("Focus { " + "# " * 500 + "} Relax"))
    assert len(diagnostics) == MAX_ERRORS + 1


@pytest.mark.parametrize("opener,closer", [("(", ")"), ("[", "]"), ("{a: ", "}")])
def test_ten_thousand_open_brackets(opener, closer):
    for text in (opener * 10_000, opener * 10_000 + "1" + closer * 10_000):
        node, diagnostics = parse_expression(Source(text))
        assert node is None
        assert diagnostics[0].code == "HYP1006" and diagnostics[0].message == "nesting too deep"
        assert len([d for d in diagnostics if d.code == "HYP1006"]) == 1


@pytest.mark.parametrize("text", [
    "Focus { observe " + "-" * 10_000 + "1; } Relax",
    "Focus { observe " + "await " * 10_000 + "1; } Relax",
    "Focus { " + "if (x) { " * 10_000 + "} " * 10_000 + "} Relax",
    "Focus { " + "loop { " * 10_000 + "} Relax",
    "Focus { induce f = " + "suggestion() { awaken " * 5_000 + "} Relax",
    "Focus { observe " + "entrain x { when 1 => " * 5_000 + "} Relax",
    "Focus { observe entrain x { when " + "[" * 10_000 + "} Relax",
    "Focus { observe entrain x { when " + "P { a: " * 10_000 + "} Relax",
    "Focus { induce x: " + "Array<" * 10_000 + "} Relax",
    "Focus { " + "session S { suggestion f() { " * 3_000 + "} Relax",
    "Focus { a" + " = a" * 10_000 + "; } Relax",
    "Focus { observe a" + " ? a : a" * 10_000 + "; } Relax",
])
def test_deep_nesting_is_a_diagnostic(text):
    _, diagnostics = parse(Source(text))
    assert [d.code for d in diagnostics if d.code == "HYP1006"] == ["HYP1006"]


def test_nesting_up_to_the_limit_is_fine():
    depth = MAX_DEPTH // 2 - 5
    program, found = diagnose(wrap("observe " + "(" * depth + "1" + ")" * depth + ";"))
    assert found == []


def test_long_flat_chains_are_not_nesting():
    for text in ("observe 1" + " + 1" * 20_000 + ";", "observe a" + ".b" * 20_000 + ";",
                 "if (a) { } " + "else if (b) { } " * 5_000 + "else { }"):
        _, found = diagnose(wrap(text))
        assert found == []


def test_binary_junk():
    rng = random.Random(7)
    for size in (10, 1_000, 200_000):
        data = bytes(rng.randrange(256) for _ in range(size)).decode("latin-1")
        program, diagnostics = parse(Source(data))
        assert diagnostics and isinstance(program, A.Program)
        tokens, _ = tokenize(Source(data))
        assert tokens[-1].kind_name == "Eof"
    program, diagnostics = parse(Source(os.urandom(50_000).decode("utf-8", errors="replace")))
    assert diagnostics


def test_control_characters_and_nul():
    _, diagnostics = parse(Source("Focus {\x00\x01\x7f observe 1; } Relax"))
    assert [d.code for d in diagnostics] == ["HYP1001"] * 3


def test_a_large_file_parses():
    text = wrap('induce x = 1 + 2 * f(3, "four");\nobserve x;\n' * 50_000)
    program, diagnostics = parse(Source(text))
    assert diagnostics == [] and len(program.body) == 100_000


def test_every_prefix_of_a_program_parses_without_exceptions():
    text = open(os.path.join(os.path.dirname(__file__), "programs", "matching.hyp"), encoding="utf-8").read()
    for end in range(0, len(text), 7):
        parse(Source(text[:end]))
        parse_statements(Source(text[:end]))
        parse_expression(Source(text[:end]))


def test_the_cycle_collector_is_left_as_it_was():
    import gc

    assert gc.isenabled()
    parse(Source(wrap("observe 1;")))
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        parse(Source(wrap("observe ;")))
        assert not gc.isenabled()
    finally:
        gc.enable()
