"""The type checker: one test per kind of message (code, severity, span), no false positives on
working programs, and the API the engine can use."""

from __future__ import annotations

import json

import pytest

from hypnoscript.analysis.checker import check
from hypnoscript.analysis.types import NUMBER, STRING, ArrayType
from hypnoscript.syntax import ast as A
from tests.analysis.helpers import hyp, ids, parse_ok, read, reference_programs, runnable_programs, wrap

# (code, severity, program, the source text the diagnostic points at, a fragment of its message)
CASES = [
    ("HYP2001", "error", "snap;", "snap;", "outside of a loop"),
    ("HYP2002", "error", "suggestion f() { sink; }", "sink;", "outside of a loop"),
    ("HYP2003", "error", "awaken 1;", "awaken 1;", "outside of a suggestion"),
    ("HYP2004", "error", "oscillate 5;", "oscillate 5;", "needs a variable"),
    ("HYP2005", "error", "1 = 2;", "1", "invalid assignment target"),
    ("HYP2010", "error", "induce total = 1;\nobserve totl;", "totl", "undefined variable `totl`"),
    ("HYP2012", "warning", 'induce n: number = "five";', '"five"', "declared as number"),
    ("HYP2013", "warning", 'induce n: number = 1;\nn = "one";', '"one"', "declared as number"),
    ("HYP2014", "error", "freeze PI = 3.14;\nPI = 3;", "PI = 3", "constant `PI`"),
    ("HYP2015", "warning", "freeze nothing;", "freeze nothing;", "has no value"),
    ("HYP2016", "error", "observe this;", "this", "outside of a session method"),
    ("HYP2016", "error", "session S { dominant suggestion f() { awaken this; } }", "this", "static method"),
    ("HYP2020", "error", "induce n;\nobserve n + 1;", "n + 1", "cannot add null and number"),
    ("HYP2020", "error", 'observe "abc" * 2;', '"abc"', "needs numbers"),
    ("HYP2020", "error", "observe [1] lookAtTheWatch 2;", "[1]", "operator `lookAtTheWatch` needs numbers"),
    ("HYP2020", "error", "observe -[1];", "-[1]", "cannot negate"),
    ("HYP2021", "error", "induce n = 5;\nobserve n[0];", "n", "cannot index a number"),
    ("HYP2022", "error", "induce xs = [1, 2];\nobserve xs.length;", "xs.length", "no member `length`"),
    ("HYP2023", "error", "induce x = 5;\nx();", "x", "cannot be called"),
    ("HYP2024", "error", "for (induce i in 5) { observe i; }", "5", "cannot iterate"),
    ("HYP2030", "error", "suggestion add(a, b) { awaken a + b; }\nobserve add(1);", "add(1)", "expects 2 arguments"),
    ("HYP2030", "error", "session P { suggestion constructor(a) {} }\ninduce p = P();", "P()", "constructor of `P`"),
    ("HYP2030", "error", "session Q {}\ninduce q = Q(1);", "Q(1)", "has no constructor"),
    ("HYP2030", "error", "observe Pow(2);", "Pow(2)", "needs at least 2"),
    ("HYP2031", "warning", "observe Abs(1, 2);", "2", "extra ones are ignored"),
    ("HYP2032", "error", 'observe Sqrt("nine");', '"nine"', "must be number"),
    ("HYP2032", "error", "observe ToUpper(5);", "5", "must be string"),
    ("HYP2033", "warning", "suggestion Length(s) { awaken 0; }", "suggestion Length(s) { awaken 0; }", "hidden"),
    ("HYP2034", "warning", 'suggestion f(): number { awaken "x"; }', '"x"', "declared to return number"),
    ("HYP2034", "warning", "suggestion f(): number { awaken; }", "awaken;", "gives no value"),
    ("HYP2035", "warning", 'suggestion f(n: number) { awaken n; }\nf("x");', '"x"', "parameter `n`"),
    ("HYP2040", "error", "session S { expose a = 1; }\ninduce s = S();\nobserve s.b;", "s.b", "has no member `b`"),
    ("HYP2040", "error", "session S { expose a = 1; }\ninduce s = S();\ns.b = 1;", "s.b", "has no field `b`"),
    ("HYP2041", "error", "session S { conceal a = 1; }\nobserve S().a;", "S().a", "concealed field"),
    ("HYP2041", "warning", "session S { conceal a = 1; }\nsuggestion peek(s) { awaken s.a; }\nobserve peek(S());\n"
                           "suggestion g() { awaken S().a; }", "S().a", "may not be accessible"),
    ("HYP2042", "error", "session S { expose a = 1; }\nobserve S.a;", "S.a", "instance member"),
    ("HYP2042", "error", "session S { suggestion m() {} }\ninduce s = S();\ns.m = 1;", "s.m", "assign to method"),
    ("HYP2042", "error", "session S { dominant expose n = 0; }\ninduce s = S();\ns.n = 1;", "s.n",
     "through the session"),
    ("HYP2043", "error", "session S { expose a = 1; expose a = 2; }", "expose a = 2;", "duplicate field"),
    ("HYP2043", "error", "session S { suggestion constructor() {} suggestion constructor() {} }",
     "suggestion constructor() {}", "more than one constructor"),
    ("HYP2044", "warning", 'session S { expose n: number = "x"; }', '"x"', "field `n`"),
    ("HYP2050", "error", "induce p = Pont { x: 1 };", "Pont { x: 1 }", "undefined tranceify type"),
    ("HYP2051", "warning", "tranceify P { x: number; }\ninduce p = P { x: 1, z: 2 };", "z: 2", "has no field `z`"),
    ("HYP2052", "warning", "tranceify P { x: number; y: number; }\ninduce p = P { x: 1 };", "P { x: 1 }",
     "missing field `y`"),
    ("HYP2053", "warning", 'tranceify P { x: number; }\ninduce p = P { x: "1" };', '"1"', "field `x`"),
    ("HYP2054", "warning", "tranceify P { x: number; }\ninduce p = P { x: 1 };\nobserve p.y;", "p.y", "no field `y`"),
    ("HYP2055", "warning", "tranceify P { at: Pointt; }", "Pointt", "unknown type"),
    ("HYP2062", "error", "induce n = 1;\noscillate n;", "n", "needs a boolean"),
    ("HYP2070", "warning", 'induce s = "x";\nobserve entrain s { when n: number => 1 otherwise => 2 };', "n: number",
     "never matches"),
    ("HYP2071", "warning", 'induce n = 1;\nobserve n == "1";', 'n == "1"', "always false"),
]


def diagnostics_of(code: str, **kwargs):
    program, source = parse_ok(wrap(code))
    return check(program, source, **kwargs).diagnostics, source


@pytest.mark.parametrize("code, severity, program, at, message", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_message(code, severity, program, at, message):
    diags, source = diagnostics_of(program)
    found = [d for d in diags if d.code == code]
    assert found, [(d.code, d.message) for d in diags]
    d = found[0]
    assert d.severity == severity
    assert message in d.message, d.message
    assert source.text[d.span.start:d.span.end] == at


def test_did_you_mean():
    diags, _ = diagnostics_of("induce xs = [1];\nobserve ArrayLenght(xs);\ninduce counter = 0;\nobserve countr;")
    helps = [d.help for d in diags if d.code == "HYP2010"]
    assert helps == ["did you mean `ArrayLength`?", "did you mean `counter`?"]


def test_member_help_points_to_builtins():
    diags, _ = diagnostics_of('induce s = "abc";\nobserve s.length;')
    assert diags[0].help == "strings have no members; use Length(text)"


def test_unknown_parameters_fit_everything():
    code = """
    suggestion f(a, b) { awaken a - b * a[0] + a.x + b(1); }
    suggestion g(n) { if (n <= 1) { awaken 1; } awaken n * g(n - 1); }
    induce anything = f(1, 2) + g(3);
    observe anything;
    observe f(1, 2)[0];
    """
    diags, _ = diagnostics_of(code)
    assert diags == []


def test_reassigned_variables_take_every_type():
    diags, _ = diagnostics_of('induce x = 5;\nx = "five";\nobserve x[0];\nobserve x - 1;\nobserve x.length;')
    # a number or a string: indexing and arithmetic may work, but neither has members
    assert [d.code for d in diags] == ["HYP2022"]


def test_mutated_arrays_and_records_are_not_trusted():
    code = """
    induce fs = [0, 0];
    fs[0] = suggestion() { awaken 1; };
    observe fs[0]();
    tranceify P { x: number; }
    induce p = P { x: 1 };
    p.x = [1, 2];
    observe p.x[1];
    """
    diags, _ = diagnostics_of(code)
    assert [d.code for d in diags if d.severity == "error"] == []


def test_types_of_expressions_are_exposed():
    program, source = parse_ok(wrap('induce s = "a";\ninduce t = s + 1;\ninduce xs = [1, 2];\ninduce n = xs[0];'))
    result = check(program, source)
    inits = [s.init for s in program.body]
    assert [result.type_of(e) for e in inits] == [STRING, STRING, ArrayType(NUMBER), NUMBER]
    assert result.errors == []
    assert result.resolution is not None


def test_inferred_return_types():
    program, source = parse_ok(wrap("suggestion half(x) { awaken x / 2; }\ninduce h = half(4);"))
    result = check(program, source)
    assert result.type_of(program.body[1].init) == NUMBER


def test_imports_without_a_resolver_are_not_undefined():
    diags, _ = diagnostics_of('mindLink "lib.hyp";\nobserve helper(1);')
    assert diags == []


def test_imports_with_a_resolver(tmp_path):
    from hypnoscript.analysis.files import ImportNames
    from hypnoscript.syntax.source import Source
    from hypnoscript.syntax.parser import parse

    (tmp_path / "lib.hyp").write_text("Focus {\n    suggestion helper(x) { awaken x; }\n} Relax\n", encoding="utf-8")
    main = tmp_path / "main.hyp"
    text = wrap('mindLink "lib.hyp";\nobserve helper(1);\nobserve helpr(2);')
    source = Source(text, str(main))
    program, _ = parse(source)
    result = check(program, source, import_names=ImportNames(source))
    assert [(d.code, d.message) for d in result.diagnostics] == [("HYP2010", "undefined variable `helpr`")]


def test_deeply_nested_expressions():
    chain = " + ".join(["1"] * 5000)
    diags, _ = diagnostics_of(f"observe {chain};\nobserve a{'.b' * 3000};")
    assert [d.code for d in diags] == ["HYP2010"]


# ------------------------------------------------------------------ no false positives

WORKING = runnable_programs() + reference_programs()


@pytest.mark.parametrize("path", WORKING, ids=ids(WORKING))
def test_no_errors_on_working_programs(path):
    text = read(path)
    if text is None:
        pytest.skip("not UTF-8")
    from hypnoscript.analysis.files import ImportNames

    program, source = parse_ok(text, str(path))
    result = check(program, source, import_names=ImportNames(source))
    errors = [f"{d.code} {d.span.line}:{d.span.col} {d.message}" for d in result.errors]
    assert errors == []


def test_no_false_positive_sample_is_large():
    assert len(runnable_programs()) >= 5


# ------------------------------------------------------------------ command line


def test_cli(tmp_path):
    good = tmp_path / "good.hyp"
    good.write_text("Focus {\n    observe 1;\n} Relax\n", encoding="utf-8")
    bad = tmp_path / "bad.hyp"
    bad.write_text("Focus {\n    observe missing;\n    induce n: number = \"x\";\n} Relax\n", encoding="utf-8")

    r = hyp("check", str(good), cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.strip() == "checked 1 file: no problems found"
    r = hyp("check", str(good), str(bad), cwd=tmp_path)
    assert r.returncode == 1
    assert "error[HYP2010]: undefined variable `missing`" in r.stdout
    assert r.stdout.rstrip().endswith("checked 2 files: 1 error, 1 warning")
    r = hyp("check", "--format", "json", str(bad), cwd=tmp_path)
    data = json.loads(r.stdout)
    assert [d["code"] for d in data] == ["HYP2010", "HYP2012"]
    assert data[0]["span"]["line"] == 2 and data[0]["file"] == str(bad)
    r = hyp("check", "--quiet", str(bad), cwd=tmp_path)
    assert "HYP2012" not in r.stdout


def test_cli_syntax_errors_and_missing_files(tmp_path):
    broken = tmp_path / "broken.hyp"
    broken.write_text("Focus { observe ; } Relax", encoding="utf-8")
    r = hyp("check", str(broken), cwd=tmp_path)
    assert r.returncode == 1 and "HYP1003" in r.stdout and "Traceback" not in r.stderr
    r = hyp("check", str(tmp_path / "nope.hyp"), cwd=tmp_path)
    assert r.returncode == 2 and "file not found" in r.stderr


def test_ast_nodes_have_types_for_every_expression():
    program, source = parse_ok(wrap("induce a = [1, 2];\nobserve a[0] + 1;"))
    result = check(program, source)
    from hypnoscript.analysis.tree import walk

    for node in walk(program):
        if isinstance(node, A.Expr):
            assert id(node) in result.types, node
