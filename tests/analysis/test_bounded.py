"""Which suggestions provably finish after bounded work (what `hyp serve` runs on its event loop)."""

from __future__ import annotations

from hypnoscript.analysis.bounded import bounded_suggestions
from hypnoscript.syntax.parser import parse_or_raise
from hypnoscript.syntax.source import Source

CHEAP = {"ToUpper", "Length", "Fail", "ToNumber"}


def bounded(body: str, imported=()) -> set[str]:
    return bounded_suggestions(parse_or_raise(Source("Focus {\n" + body + "\n} Relax\n")), CHEAP, imported)


def test_straight_line_code_with_cheap_builtins_and_branches_is_bounded():
    assert bounded("""
        suggestion shout(request) {
            induce name = request.params.name ?? "you";
            if (Length(name) > 20) { Fail(400, "too long"); }
            awaken { text: ToUpper(name), size: Length(name), kind: entrain Length(name) { when 0 => "empty" otherwise => "some" } };
        }""") == {"shout"}


def test_loops_make_a_suggestion_unbounded():
    assert bounded("""
        suggestion a(n) { while (n > 0) { n = n - 1; } awaken n; }
        suggestion b(xs) { for (induce i = 0; i < 3; i = i + 1) { observe i; } awaken xs; }
        suggestion c(xs) { for (x in xs) { observe x; } awaken xs; }""") == set()


def test_calls_to_bounded_suggestions_are_bounded_and_recursion_is_not():
    assert bounded("""
        suggestion twice(x) { awaken x * 2; }
        suggestion quad(x) { awaken twice(twice(x)); }
        suggestion countdown(n) { if (n <= 0) { awaken 0; } awaken countdown(n - 1); }
        suggestion ping(n) { awaken pong(n); }
        suggestion pong(n) { awaken ping(n); }
        suggestion usesLoop(n) { awaken looping(n); }
        suggestion looping(n) { while (true) { } }""") == {"twice", "quad"}


def test_expensive_or_unknown_calls_make_a_suggestion_unbounded():
    assert bounded("""
        suggestion sleeps(r) { Drift(10); awaken 1; }
        suggestion method(r) { awaken r.items.push(1); }
        suggestion lambda(r) { induce f = suggestion(x) { awaken x; }; awaken 1; }
        suggestion nowhere(r) { awaken undefinedThing(r); }
        suggestion imported(r) { awaken helper(r); }""", imported={"helper"}) == set()


def test_names_that_shadow_a_cheap_builtin_are_not_trusted():
    assert bounded("""
        induce ToUpper = 3;
        suggestion global(r) { awaken ToUpper(r); }
        suggestion local(r, Length) { awaken Length(r); }
        suggestion fine(r) { awaken ToNumber(r); }""") == {"fine"}


def test_a_suggestion_declared_twice_or_also_imported_is_not_trusted():
    assert bounded("""
        suggestion twice(x) { awaken x * 2; }
        suggestion twice(x) { awaken x * 3; }
        suggestion other(x) { awaken x; }""", imported={"other"}) == set()
