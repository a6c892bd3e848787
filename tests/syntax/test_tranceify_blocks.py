"""`tranceify` blocks: `tranceify(args) { ... }` and `tranceify Name { ... }`, told apart from
record declarations by what follows the `{`."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hypnoscript.syntax import ast as A
from hypnoscript.syntax.parser import parse, parse_statements
from hypnoscript.syntax.source import Source

from . import printer
from .helpers import errors, one, parse_ok, wrap

ONE = A.Output("observe", A.NumberLit(1.0, "1"))


def test_session_block_with_arguments():
    node = one('Tranceify("Induction", clientName) {\n    observe 1;\n}')
    assert node == A.TranceifyBlock(None, [A.StringLit("Induction"), A.Identifier("clientName")], [ONE])


def test_session_block_arguments_may_be_any_expressions():
    node = one("tranceify(f(1), a + 2, [3],) { }")
    assert node.name is None and node.body == []
    assert [type(a) for a in node.args] == [A.Call, A.Binary, A.ArrayLit]
    assert one("tranceify() { observe 1; }") == A.TranceifyBlock(None, [], [ONE])


def test_named_block():
    node = one("Tranceify LocalScope {\n    induce localVar: string = \"Local\";\n    observe 1;\n}")
    assert node == A.TranceifyBlock("LocalScope", [], [
        A.VarDecl("induce", "localVar", A.TypeRef("string"), A.StringLit("Local")), ONE])


@pytest.mark.parametrize("spelling", ["tranceify", "Tranceify", "TRANCEIFY", "tRaNcEiFy"])
def test_keyword_in_any_capitalisation(spelling):
    assert one(f"{spelling} Scope {{ observe 1; }}") == A.TranceifyBlock("Scope", [], [ONE])
    assert one(f'{spelling}("s") {{ observe 1; }}') == A.TranceifyBlock(None, [A.StringLit("s")], [ONE])


@pytest.mark.parametrize("body", [
    "}",
    "x: number; }",
    "email?: string; }",
    "observe: number; }",
    "suggestion: string; }",
    "suggestion area() { awaken 1; } }",
    "imperativeSuggestion area() { awaken 1; } }",
    "outer: loop; }",
])
def test_record_bodies_stay_record_declarations(body):
    program, _ = parse(Source(wrap("tranceify Shape { " + body)))
    assert [type(s) for s in program.body] == [A.TranceifyDecl]


@pytest.mark.parametrize("body", [
    "observe 1; }",
    "induce x = 1; }",
    "x = 1; }",
    "f(1); }",
    "x ? a : b; }",
    "throw error; }",
    "a lookAtTheWatch b; }",
    "a dreamReach b; }",
    "r with { x: 1 }; }",
    "record P { x: number; } }",
    "imperative suggestion f() { } }",
    "suggestion(x) { awaken x; }; }",
    "{ a: 1 }; }",
    "outer: loop { snap outer; } }",
    "outer: while (true) { snap outer; } }",
    "outer: pendulum (induce i = 0; i < 1; i = i + 1) { snap outer; } }",
    "outer: for (induce i in [1]) { snap outer; } }",
    "tranceify Inner { observe 1; } }",
])
def test_statement_bodies_are_blocks(body):
    node = one("tranceify Shape { " + body)
    assert type(node) is A.TranceifyBlock and node.name == "Shape" and len(node.body) == 1


def test_a_field_without_its_colon_is_still_a_field():
    found = errors("tranceify Shape { x number; }")
    assert found and "expected ':' after the field name" in found[0].message


def test_record_keyword_never_opens_a_block():
    found = errors("record Shape { observe 1; }")
    assert found and "expected ':' after the field name" in found[0].message


def test_blocks_nest_and_stand_where_statements_do():
    (func,) = parse_ok("suggestion f() {\n    tranceify Outer {\n        tranceify(1) { awaken 2; }\n    }\n}")
    outer = func.body[0]
    assert type(outer) is A.TranceifyBlock and outer.name == "Outer"
    assert outer.body == [A.TranceifyBlock(None, [A.NumberLit(1.0, "1")], [A.Return(A.NumberLit(2.0, "2"))])]
    (branch,) = parse_ok("if (x) tranceify S { observe 1; }")
    assert branch.then == [A.TranceifyBlock("S", [], [ONE])]
    statements, diagnostics = parse_statements(Source("tranceify S { observe 1; }"))
    assert diagnostics == [] and statements == [A.TranceifyBlock("S", [], [ONE])]


def test_spans():
    text = wrap('    Tranceify("Relaxation", level) {\n        observe 1;\n    }')
    (node,) = parse(Source(text))[0].body
    assert (node.span.line, node.span.col, node.span.end_line) == (2, 5, 4)
    assert [(a.span.line, a.span.col) for a in node.args] == [(2, 15), (2, 29)]
    assert (node.body[0].span.line, node.body[0].span.col) == (3, 9)


@pytest.mark.parametrize("text, message", [
    ('tranceify("x") observe 1;', "expected '{' after the tranceify arguments"),
    ("tranceify(1 { observe 1; }", "expected ',' or ')' in the argument list"),
    ("tranceify if { observe 1; }", "expected tranceify type name"),
    ("tranceify Scope", "expected '{' after the tranceify name"),
    ("tranceify Scope { observe 1;", "expected '}'"),
])
def test_errors(text, message):
    found = errors(text)
    assert found and message in found[0].message


def test_an_error_inside_a_block_leaves_the_rest():
    program, diagnostics = parse(Source(wrap("tranceify S {\n    observe ;\n    observe 1;\n}\nobserve 1;")))
    assert [d.code for d in diagnostics] == ["HYP1003"]
    assert program.body == [A.TranceifyBlock("S", [], [ONE]), ONE]


# ---------------------------------------------------------------- generated blocks

names = st.sampled_from(["Scope", "Relaxation", "number", "größe"])
leaf_statements = st.one_of(
    st.builds(A.Output, st.sampled_from(["observe", "whisper"]), st.builds(A.Identifier, st.sampled_from(["a", "b"]))),
    st.builds(A.VarDecl, st.just("induce"), st.sampled_from(["a", "b"]), st.none(),
              st.builds(A.NumberLit, st.just(1.0), st.just("1"))),
    st.builds(A.ExprStmt, st.builds(A.Call, st.builds(A.Identifier, st.just("f")), st.just([]))),
)


def _blocks(children):
    arguments = st.lists(st.one_of(st.builds(A.StringLit, st.text("abc \"", max_size=4)),
                                   st.builds(A.Identifier, st.sampled_from(["a", "b"]))), max_size=3)
    return st.one_of(
        st.builds(A.TranceifyBlock, st.none(), arguments, st.lists(children, max_size=3)),
        st.builds(A.TranceifyBlock, names, st.just([]), st.lists(children, min_size=1, max_size=3)),
    )


def _source(statements: list[A.Stmt], depth: int) -> str:
    """Statements as text: blocks written here, everything else by the test printer."""
    lines = []
    for s in statements:
        if type(s) is A.TranceifyBlock:
            head = s.name if s.name is not None else "(" + ", ".join(printer.expr(a) for a in s.args) + ")"
            inner = _source(s.body, depth + 1)
            lines.append("    " * depth + f"tranceify {head} {{\n{inner}" + "    " * depth + "}\n")
        else:
            lines.append("    " * depth + printer.stmt(s, depth) + "\n")
    return "".join(lines)


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.recursive(leaf_statements, _blocks, max_leaves=6), max_size=3))
def test_generated_blocks_parse_back_equal(body):
    reparsed, diagnostics = parse(Source("Focus {\n" + _source(body, 1) + "} Relax\n"))
    assert diagnostics == []
    assert reparsed.body == body
