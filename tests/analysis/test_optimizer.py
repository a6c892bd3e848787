"""`hyp optimize`: each transformation, its limits, and the key property: an optimized program
prints exactly what the original prints."""

from __future__ import annotations


import pytest

from hypnoscript.analysis.optimizer import optimize
from hypnoscript.analysis.printer import format_program
from hypnoscript.syntax.parser import parse
from hypnoscript.syntax.source import Source
from tests.analysis.helpers import HERE, golden_programs, hyp, ids, parse_ok, read, run_text, wrap


def optimized(code: str) -> tuple[str, dict]:
    program, _ = parse_ok(wrap(code))
    before = format_program(program)
    result, stats = optimize(program)
    assert format_program(program) == before, "the input tree must not change"
    text = format_program(result)
    body = text[len("Focus {\n"):-len("} Relax\n")]
    return "\n".join(line[4:] for line in body.splitlines()), stats.to_dict()


def assert_optimizes(code: str, expected: str, **stats):
    text, got = optimized(code)
    assert text == expected
    for key, value in stats.items():
        assert got[key] == value, got


# ------------------------------------------------------------------ folding

@pytest.mark.parametrize("expr, value", [
    ("1 + 2 * 3", "7"),
    ('"n=" + 1.5', '"n=1.5"'),
    ('"a" + true + null', '"atruenull"'),
    ("-7 % 3", "-1"),
    ("7.5 % 2", "1.5"),
    ("10 / 4", "2.5"),
    ("0.1 + 0.2 == 0.3", "true"),
    ("1 < 2 == true", "true"),
    ('"10" > "9"', "true"),
    ("!0", "true"),
    ("null ?? 5", "5"),
    ('0 ?? 5', "0"),
    ("false && x", "false"),
    ('"" || "fallback"', '"fallback"'),
    ("true ? 1 : x", "1"),
    ("0 * -1", "-0"),
    ('Length("abc") + Abs(-2)', "5"),
    ('ToUpper("hi") + Repeat("ab", 2)', '"HIabab"'),
    ("1 lookAtTheWatch 2", "false"),
])
def test_folding(expr, value):
    text, stats = optimized(f"observe {expr};")
    assert text == f"observe {value};"
    assert stats["folded"] >= 1


@pytest.mark.parametrize("expr", [
    '"a" - 1',  # fails at run time: stays, to fail there
    "[1] + 1",
    "1 / 0",  # already as simple as inf can be written
    'ToUpper(5)',
    "x + 1",
    "Random()",
    'Sqrt("nine")',
])
def test_not_folded(expr):
    text, stats = optimized(f"induce x = 1;\nx = x;\nobserve {expr};")
    assert text.splitlines()[-1] == f"observe {expr};"
    assert stats["folded"] == 0


def test_infinities_and_nan_are_written_as_divisions():
    text, _ = optimized("observe (1 / 0) + 1;\nobserve -(1 / 0) * 2;\nobserve (0 / 0) + 1;")
    assert text == "observe 1 / 0;\nobserve -1 / 0;\nobserve 0 / 0;"


# ------------------------------------------------------------------ dead code

def test_constant_if_keeps_the_taken_branch():
    assert_optimizes('if (2 > 1) { observe "yes"; } else { observe "no"; }', 'observe "yes";', branches=1)
    assert_optimizes('if (false) { observe "yes"; } else { observe "no"; }', 'observe "no";')
    assert_optimizes('if (false) { observe "yes"; }\nobserve "after";', 'observe "after";')
    assert_optimizes('if (false) { observe 1; } else if (true) { observe 2; } else { observe 3; }', "observe 2;")


def test_loops_with_false_conditions_disappear():
    assert_optimizes("while (1 > 2) { observe 1; }\nobserve 2;", "observe 2;")
    assert_optimizes("loop (induce i = 0; false; i = i + 1) { observe i; }\nobserve i;",
                     "induce i = 0;\nobserve i;")


def test_code_after_leaving_is_removed():
    code = "suggestion f() {\n    awaken 1;\n    observe 2;\n}\nloop {\n    snap;\n    observe 3;\n}"
    assert_optimizes(code, "suggestion f() {\n    awaken 1;\n}\nloop {\n    snap;\n}", removed=2)


def test_code_that_declares_names_is_kept():
    # `y` exists in the whole suggestion: dropping its declaration would change what `y` means
    code = ('induce y = "outer";\nsuggestion f() {\n    induce g = suggestion() { awaken y; };\n'
            '    awaken g;\n    induce y = "inner";\n}\nif (false) {\n    induce z = 1;\n}')
    text, stats = optimized(code)
    assert 'induce y = "inner";' in text and "induce z = 1;" in text
    assert stats["removed"] == 0


def test_entrain_block_values_keep_their_last_statement():
    code = 'observe entrain 1 {\n    when 1 => {\n        observe "x";\n        if (true) { "kept"; }\n    }\n};'
    text, _ = optimized(code)
    assert "if (true)" in text


# ------------------------------------------------------------------ propagation

def test_freeze_constants_reach_branches():
    code = ('freeze DEBUG = false;\nfreeze LIMIT = 2 * 5;\nif (DEBUG) {\n    observe "debugging";\n}\n'
            "suggestion f(n) {\n    awaken n < LIMIT;\n}\nobserve f(3);")
    text, stats = optimized(code)
    assert 'observe "debugging"' not in text and "awaken n < 10;" in text
    assert stats["propagated"] >= 2


def test_propagation_respects_order_scopes_and_changes():
    code = """
    observe EARLY;
    freeze EARLY = 1;
    if (EARLY > Random()) {
        freeze MAYBE = 2;
    }
    observe MAYBE;
    freeze SHADOWED = 3;
    suggestion f() {
        induce SHADOWED = "mine";
        awaken SHADOWED;
    }
    induce changing = 4;
    changing = 5;
    observe changing;
    observe f();
    """
    text, stats = optimized(code)
    assert "observe EARLY;" in text and "observe MAYBE;" in text and "awaken SHADOWED;" in text
    assert "observe changing;" in text
    assert stats["propagated"] == 1  # only the EARLY in the condition, after its declaration


def test_builtin_constants_are_propagated_unless_declared():
    text, _ = optimized("observe PI > 3;\nsuggestion f() {\n    induce E = 1;\n    awaken E;\n}\nobserve f();")
    assert text.startswith("observe true;") and "awaken E;" in text


# ------------------------------------------------------------------ inlining

def test_small_pure_suggestions_are_inlined():
    code = "suggestion square(x) {\n    awaken x * x;\n}\nobserve square(3) + square(4);"
    text, stats = optimized(code)
    assert text.splitlines()[-1] == "observe 25;"
    assert stats["inlined"] == 2


def test_inlining_limits():
    code = """
    suggestion twice(x) { awaken x + x; }
    suggestion uses(x) { awaken x + outside; }
    suggestion fact(n) { awaken n <= 1 ? 1 : n * fact(n - 1); }
    suggestion effect(x) { awaken x + Random(); }
    suggestion Length(x) { awaken 0; }
    induce outside = 1;
    suggestion tick() { outside = outside + 1; awaken outside; }
    observe twice(tick());
    observe uses(1);
    observe fact(3);
    observe effect(1);
    observe Length("abc");
    observe twice(1, 2);
    """
    text, stats = optimized(code)
    for kept in ("twice(tick())", "uses(1)", "fact(3)", "effect(1)", "twice(1, 2)"):
        assert kept in text
    assert 'observe 3;' in text  # the builtin Length, not the suggestion
    assert stats["inlined"] == 0


def test_before_its_declaration_a_suggestion_is_not_inlined():
    text, stats = optimized("observe half(4);\nsuggestion half(x) {\n    awaken x / 2;\n}")
    assert text.startswith("observe half(4);") and stats["inlined"] == 0


def test_deep_expressions():
    chain = " + ".join(["1"] * 4000)
    text, _ = optimized(f"observe {chain};")
    assert text == "observe 4000;"


# ------------------------------------------------------------------ same behaviour

def _parses(path) -> bool:
    text = read(path)
    return text is not None and not any(d.severity == "error" for d in parse(Source(text, str(path)))[1])


PROGRAMS = [p for p in golden_programs() + sorted(HERE.glob("programs/*.hyp")) if _parses(p)]


@pytest.mark.parametrize("path", PROGRAMS, ids=ids(PROGRAMS))
def test_optimized_program_prints_the_same(path, tmp_path, monkeypatch):
    text = read(path)
    program, _ = parse_ok(text, str(path))
    result, _ = optimize(program)
    optimized_text = format_program(result)
    (tmp_path / "original").mkdir()
    (tmp_path / "optimized").mkdir()
    monkeypatch.chdir(tmp_path / "original")
    expected = run_text(text, str(path))
    monkeypatch.chdir(tmp_path / "optimized")
    got = run_text(optimized_text, str(path))
    assert got == expected, optimized_text


def test_golden_programs_present_or_skipped():
    if not golden_programs():
        pytest.skip("tests/programs is not there")
    assert len(golden_programs()) > 20


# ------------------------------------------------------------------ command line


def test_cli(tmp_path):
    prog = tmp_path / "p.hyp"
    prog.write_text("Focus {\n    observe 1 + 1;\n    if (false) { observe 0; }\n} Relax\n", encoding="utf-8")
    r = hyp("optimize", str(prog), cwd=tmp_path)
    assert r.returncode == 0 and r.stdout == "Focus {\n    observe 2;\n} Relax\n" and r.stderr == ""
    r = hyp("optimize", "--stats", str(prog), "-o", str(tmp_path / "out.hyp"), cwd=tmp_path)
    assert r.returncode == 0
    assert "constant folding:      1 expression" in r.stdout and "1 constant condition" in r.stdout
    assert (tmp_path / "out.hyp").read_text(encoding="utf-8") == "Focus {\n    observe 2;\n} Relax\n"
    bad = tmp_path / "bad.hyp"
    bad.write_text("Focus { observe } Relax", encoding="utf-8")
    r = hyp("optimize", str(bad), cwd=tmp_path)
    assert r.returncode == 1 and "HYP1003" in r.stderr and "Traceback" not in r.stderr
