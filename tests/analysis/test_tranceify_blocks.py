"""`tranceify` blocks in the analyses: their own scope for the checker, the linter and the
optimizer, and a layout `hyp fmt` prints and parses back unchanged."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hypnoscript.analysis.checker import check
from hypnoscript.analysis.formatter import format_text
from hypnoscript.analysis.linter import lint
from hypnoscript.analysis.optimizer import optimize
from hypnoscript.analysis.printer import format_program
from hypnoscript.analysis.scopes import resolve
from hypnoscript.syntax import ast as A
from hypnoscript.syntax.parser import parse
from hypnoscript.syntax.source import Source
from tests.analysis import strategies
from tests.analysis.helpers import parse_ok, run_text, wrap

# ------------------------------------------------------------------ formatting

MESSY = """Focus {
  TRANCEIFY LocalScope {induce localVar:string="Local"; // the local one
    observe localVar;}
  Tranceify("Induction",clientName){
      /* greet */ observe "Hello " + clientName;
  }
  tranceify(f({a: 1})) {}
} Relax
"""

CANONICAL = """Focus {
    tranceify LocalScope {
        induce localVar: string = "Local"; // the local one
        observe localVar;
    }
    tranceify("Induction", clientName) {
        /* greet */ observe "Hello " + clientName;
    }
    tranceify(f({ a: 1 })) {}
} Relax
"""


def test_canonical_layout():
    assert format_text(MESSY) == CANONICAL
    assert format_text(CANONICAL) == CANONICAL


def test_records_keep_their_layout():
    text = "Focus {\n    tranceify Point {\n        x: number;\n    }\n    tranceify Empty {}\n} Relax\n"
    assert format_text(text) == text


def _blocks(body):
    arguments = st.lists(strategies.EXPRESSIONS, max_size=2)
    return st.one_of(
        st.builds(A.TranceifyBlock, st.none(), arguments, body),
        # a named block opening like a record body is not something the parser makes
        st.builds(A.TranceifyBlock, st.sampled_from(["Scope", "number"]), st.just([]), body).filter(
            lambda b: b.body and type(b.body[0]) is not A.FuncDecl),
    )


_BLOCK_STATEMENTS = st.recursive(strategies.STATEMENTS, lambda children: _blocks(st.lists(children, max_size=3)),
                                 max_leaves=4)


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_blocks(st.lists(_BLOCK_STATEMENTS, max_size=3)), min_size=1, max_size=2))
def test_printed_blocks_parse_back_equal(body):
    program = A.Program(body)
    text = format_program(program)
    reparsed, diagnostics = parse(Source(text))
    assert not [d for d in diagnostics if d.severity == "error"], (text, [d.message for d in diagnostics])
    assert reparsed == program, text
    assert format_text(text) == text


@pytest.mark.parametrize("body", [[], [A.FuncDecl("f", [], None, [])]])
def test_named_block_that_would_read_as_a_record_is_printed_with_its_name_as_argument(body):
    program = A.Program([A.TranceifyBlock("Scope", [], body)])
    reparsed, diagnostics = parse(Source(format_program(program)))
    assert diagnostics == []
    assert reparsed.body == [A.TranceifyBlock(None, [A.StringLit("Scope")], body)]


# ------------------------------------------------------------------ names and the checker


def diagnostics_of(code: str):
    program, source = parse_ok(wrap(code))
    result = check(program, source)
    return [(d.code, d.span.line, d.span.col) for d in result.diagnostics]


def test_block_variables_are_its_own():
    program, _ = parse_ok(wrap("induce a = 1;\ntranceify S {\n    induce a = 2;\n    induce b = a;\n}\nobserve a;"))
    res = resolve(program)
    block = program.body[1]
    scope = res.scopes[id(block)]
    assert scope.kind == "block" and scope.parent is res.main
    assert set(scope.bindings) == {"a", "b"} and set(res.main.bindings) == {"a"}
    outer_read = program.body[2].value
    assert res.refs[id(outer_read)] is res.main.bindings["a"]


def test_a_block_variable_is_undefined_after_the_block():
    code = 'tranceify Scope {\n    induce inner = 1;\n    observe inner;\n}\nobserve inner;'
    assert diagnostics_of(code) == [("HYP2010", 6, 9)]


def test_arguments_are_checked_where_the_block_stands():
    assert diagnostics_of('tranceify("x", missing) {\n    observe 1;\n}') == [("HYP2010", 2, 16)]
    assert diagnostics_of('induce n = 1;\ntranceify(n + "x", n * 2) {\n    observe n;\n}') == []


@pytest.mark.parametrize("code, expected", [
    ("tranceify S {\n    awaken 1;\n}", "HYP2003"),
    ("tranceify(1) {\n    snap;\n}", "HYP2001"),
])
def test_blocks_do_not_make_awaken_or_snap_legal(code, expected):
    assert [d[0] for d in diagnostics_of(code)] == [expected]


def test_a_block_inside_a_method_still_sees_concealed_members():
    code = ("session Vault {\n    conceal secret = 7;\n    suggestion peek() {\n"
            "        tranceify Look {\n            awaken this.secret;\n        }\n    }\n}\nobserve Vault().peek();")
    assert diagnostics_of(code) == []


# ------------------------------------------------------------------ lint


def lint_of(code: str):
    program, source = parse_ok(wrap(code))
    return [(d.code, d.span.line) for d in lint(program, source)]


def test_empty_block_is_found_after_braces_in_arguments():
    assert lint_of('tranceify({ mood: "calm" }) {}') == [("HYP3008", 2)]
    assert lint_of('tranceify({ mood: "calm" }) {\n    // nothing yet\n}') == []


def test_unreachable_code_inside_and_after_a_block():
    code = ("suggestion f() {\n    tranceify S {\n        awaken 1;\n        observe 2;\n    }\n"
            "    observe 3;\n}\nobserve f();")
    assert lint_of(code) == [("HYP3003", 5), ("HYP3003", 7)]


def test_a_block_declaration_hides_an_outer_one():
    assert lint_of("induce a = 1;\ntranceify S {\n    induce a = 2;\n    observe a;\n}\nobserve a;") == [("HYP3004", 4)]


# ------------------------------------------------------------------ optimizer


def optimized_text(code: str):
    program, _ = parse_ok(wrap(code))
    result, stats = optimize(program)
    return format_program(result), stats


def test_optimizer_works_inside_blocks():
    text, stats = optimized_text('tranceify("a" + "b", f(1 + 1)) {\n    observe 2 * 3;\n}')
    assert 'tranceify("ab", f(2)) {\n        observe 6;\n    }' in text
    assert stats.folded == 3


def test_a_block_left_without_statements_or_effects_is_removed():
    text, stats = optimized_text('tranceify("a") {\n    if (false) {\n        observe 1;\n    }\n}\nobserve 2;')
    assert text == "Focus {\n    observe 2;\n} Relax\n"
    assert stats.removed == 2
    text, _ = optimized_text('tranceify("a", f()) {\n    if (false) {\n        observe 1;\n    }\n}')
    assert 'tranceify("a", f()) {}' in text


def test_a_block_left_opening_with_a_suggestion_still_runs_the_same():
    code = ("tranceify Scope {\n    if (false) {\n        observe 0;\n    }\n    suggestion f() {\n"
            "        awaken 1;\n    }\n    observe f();\n}")
    text, _ = optimized_text(code)
    assert 'tranceify("Scope") {\n        suggestion f()' in text
    assert run_text(text, "o.hyp") == run_text(wrap(code), "p.hyp") == (0, "1\n")
