"""`hyp lint`: every rule fires, and each can be switched off by configuration and by comment."""

from __future__ import annotations

import json

import pytest

from hypnoscript.analysis.linter import RULES, lint
from tests.analysis.helpers import hyp, parse_ok, wrap

# (rule, program, the source text the warning points at)
CASES = [
    ("unused-variable", "induce unused = 1;", "unused"),
    ("unused-parameter", "suggestion f(a, b) { awaken a; }\nobserve f(1, 2);", "b"),
    ("unreachable-code", "suggestion f() {\n    awaken 1;\n    observe 2;\n}\nobserve f();", 'observe 2;'),
    ("shadowing",
     "induce level = 1;\nsuggestion f() {\n    induce level = 2;\n    awaken level;\n}\nobserve f() + level;", "level"),
    ("constant-condition", "if (1 > 2) {\n    observe 1;\n}", "1 > 2"),
    ("missing-awaken", "suggestion f(x) {\n    if (x) {\n        awaken 1;\n    }\n}\nobserve f(true);", "f"),
    ("null-comparison", "induce a = null;\nobserve a == null ? 0 : a;", "a == null ? 0 : a"),
    ("empty-block", "induce a = 1;\nwhile (a < 1) {}", "while (a < 1) {}"),
    ("undeclared-assignment", "suggestion f() {\n    fresh = 1;\n}\nf();\nobserve fresh;", "fresh"),
]


def warnings_of(code: str, disabled=()):
    program, source = parse_ok(wrap(code))
    return lint(program, source, disabled), source


def _codes(diags):
    return [d.code for d in diags]


@pytest.mark.parametrize("rule, program, at", CASES, ids=[c[0] for c in CASES])
def test_rule_fires(rule, program, at):
    code = next(c for c, (name, _) in RULES.items() if name == rule)
    diags, source = warnings_of(program)
    found = [d for d in diags if d.code == code]
    assert found, [(d.code, d.message) for d in diags]
    d = found[0]
    assert d.severity == "warning"
    assert source.text[d.span.start:d.span.end] == at
    assert any(rule in note for note in d.notes)


@pytest.mark.parametrize("rule, program, at", CASES, ids=[c[0] for c in CASES])
def test_rule_can_be_disabled(rule, program, at):
    code = next(c for c, (name, _) in RULES.items() if name == rule)
    for off in (rule, code):
        diags, _ = warnings_of(program, disabled=[off])
        assert code not in _codes(diags)
    # by a comment on the line, or on the line before
    diags, source = warnings_of(program)
    line = next(d for d in diags if d.code == code).span.line
    lines = source.text.split("\n")
    same_line = list(lines)
    same_line[line - 1] += f" // hyp-lint: disable={rule}"
    program2, source2 = parse_ok("\n".join(same_line))
    assert code not in _codes(lint(program2, source2))
    before = list(lines)
    before.insert(line - 1, f"// hyp-lint: disable-next-line={code}")
    program3, source3 = parse_ok("\n".join(before))
    assert code not in _codes(lint(program3, source3))


def test_comment_without_rules_silences_everything_on_its_line():
    diags, _ = warnings_of("induce a = 1; induce b = 2; // hyp-lint: disable")
    assert diags == []


def test_idiomatic_infinite_loops_are_not_flagged():
    code = """
    induce n = 0;
    while (true) {
        n = n + 1;
        if (n > 3) { snap; }
    }
    suggestion first(xs) {
        loop {
            awaken xs;
        }
    }
    outer: while (true) {
        loop { snap outer; }
    }
    observe first(n);
    """
    diags, _ = warnings_of(code)
    assert _codes(diags) == []


def test_endless_loop_and_never_running_loop():
    diags, _ = warnings_of("while (true) {\n    observe 1;\n}\nwhile (false) {\n    observe 2;\n}")
    assert [d.message for d in diags if d.code == "HYP3005"] == [
        "this loop never ends: its condition is always true and nothing in it leaves the loop",
        "this loop never runs: its condition is always false",
    ]


def test_if_null_assign_fallback():
    diags, _ = warnings_of('induce name = null;\nif (name == null) {\n    name = "anon";\n}\nobserve name;')
    assert _codes(diags) == ["HYP3007"]


def test_empty_blocks_with_a_comment_are_fine():
    diags, _ = warnings_of("induce a = 1;\nif (a > 0) {\n    // nothing to do yet\n} else {\n    observe a;\n}")
    assert _codes(diags) == []


def test_unreachable_after_every_kind_of_exit():
    code = """
    loop {
        snap;
        observe "after snap";
    }
    suggestion f(x) {
        if (x) { throw "no"; } else { awaken 1; }
        observe "after both";
    }
    observe f(false);
    """
    diags, _ = warnings_of(code)
    assert [d.message for d in diags if d.code == "HYP3003"] == [
        "unreachable code: it follows `snap`",
        "unreachable code: it follows a statement that never finishes",
    ]


def test_clean_program_has_no_warnings():
    code = """
    suggestion total(items) {
        induce sum = 0;
        for (induce it in items) {
            sum = sum + it;
        }
        awaken sum;
    }
    observe total([1, 2, 3]) ?? 0;
    """
    diags, _ = warnings_of(code)
    assert diags == []


# ------------------------------------------------------------------ command line


def _project(tmp_path, config: str | None):
    (tmp_path / "trance.json").write_text('{"ritualName": "p", "mantra": "0.1.0", "intent": "cli"}', encoding="utf-8")
    if config is not None:
        (tmp_path / "config").mkdir()
        (tmp_path / "config" / "hypnoscript.config.json").write_text(config, encoding="utf-8")
    src = tmp_path / "src" / "deep"
    src.mkdir(parents=True)
    prog = src / "main.hyp"
    prog.write_text("Focus {\n    induce unused = 1;\n    while (false) {}\n} Relax\n", encoding="utf-8")
    return prog


def test_cli_reports_and_exits_1(tmp_path):
    prog = _project(tmp_path, None)
    r = hyp("lint", str(prog), cwd=tmp_path)
    assert r.returncode == 1
    assert "warning[HYP3001]: variable `unused` is never used" in r.stdout
    assert r.stdout.rstrip().endswith("linted 1 file: 3 warnings")
    assert hyp("lint", "--max-warnings", "10", str(prog), cwd=tmp_path).returncode == 0
    r = hyp("lint", "--format", "json", str(prog), cwd=tmp_path)
    codes = [d["code"] for d in json.loads(r.stdout)]
    assert "HYP3001" in codes and "HYP3008" in codes


def test_cli_configuration_found_from_the_project(tmp_path):
    prog = _project(tmp_path, '{"lint": {"disable": ["unused-variable", "HYP3005", "empty-block"]}}')
    r = hyp("lint", str(prog), cwd=tmp_path / "src")
    assert r.returncode == 0, r.stdout
    assert "no problems found" in r.stdout


def test_cli_bad_configuration(tmp_path):
    prog = _project(tmp_path, '{"lint": {"disable": "unused-variable"}}')
    r = hyp("lint", str(prog), cwd=tmp_path)
    assert r.returncode == 1 and "HYP3000" in r.stdout and "Traceback" not in r.stderr


def test_cli_options(tmp_path):
    r = hyp("lint", "--list-rules", cwd=tmp_path)
    assert r.returncode == 0 and all(name in r.stdout for name, _ in RULES.values())
    prog = _project(tmp_path, None)
    r = hyp("lint", "--disable", "unused-variable", "--disable", "constant-condition", "--disable", "HYP3008",
             str(prog), cwd=tmp_path)
    assert r.returncode == 0, r.stdout
    r = hyp("lint", "--disable", "no-such-rule", str(prog), cwd=tmp_path)
    assert r.returncode == 2 and "unknown lint rule" in r.stderr
