"""`hyp test`: files and `test...` suggestions as tests, failures with locations, -k, JUnit XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypnoscript.project import testing

from .helpers import manifest, program, write


def suite(root) -> None:
    manifest(root)
    write(root / "src" / "calc.hyp", program("suggestion add(a, b) { awaken a + b; }"))
    write(root / "tests" / "calc.hyp", program(
        'mindLink "src/calc.hyp";\n'
        'observe "top level runs first";\n'
        "suggestion testAdd() { assert add(2, 2) == 4 \"two and two\"; }\n"
        "suggestion testWrong() {\n"
        "    induce got = add(2, 3);\n"
        "    induce expected = 6;\n"
        '    observe "computing";\n'
        '    assert got == expected "sums differ";\n'
        "}\n"
        "suggestion testAfterAFailure() { assert add(1, 1) == 2; }\n"
        "suggestion testCrash() { induce items = [1]; observe items[5].name; }\n"
        "suggestion helper() { awaken 1; }"))
    write(root / "tests" / "nested" / "strings.hyp", program('assert ToUpper("a") == "A";'))


def test_passing_and_failing_suite(tmp_path, hyp):
    suite(tmp_path)
    junit = tmp_path / "reports" / "junit.xml"
    r = hyp("test", "--junit", junit, cwd=tmp_path)
    assert r.code == 1
    lines = r.out.splitlines()
    assert lines[-1] == "4 passed, 2 failed"
    assert "FAILED tests/calc.hyp::testWrong" in lines
    assert "  tests/calc.hyp:9:5: Assertion failed: sums differ" in lines
    assert "    left:  got = 5" in lines and "    right: expected = 6" in lines
    assert "      computing" in lines  # the failing test's output
    assert "top level runs first" not in r.out  # a passing test's output stays captured
    assert "FAILED tests/calc.hyp::testCrash" in lines
    assert any(line.startswith("  tests/calc.hyp:12:") and "index error" in line for line in lines)

    tree = ET.parse(junit).getroot()
    assert (tree.tag, tree.get("tests"), tree.get("failures"), tree.get("errors")) == ("testsuites", "6", "2", "0")
    cases = {(c.get("classname"), c.get("name")): c for c in tree.iter("testcase")}
    assert set(cases) == {("tests.calc", "tests/calc.hyp"), ("tests.calc", "testAdd"), ("tests.calc", "testWrong"),
                          ("tests.calc", "testAfterAFailure"), ("tests.calc", "testCrash"),
                          ("tests.nested.strings", "tests/nested/strings.hyp")}
    failure = cases[("tests.calc", "testWrong")].find("failure")
    assert failure.get("message") == "Assertion failed: sums differ"
    assert "tests/calc.hyp:9:5" in failure.text and "right: expected = 6" in failure.text
    assert cases[("tests.calc", "testWrong")].find("system-out").text == "computing\n"
    assert cases[("tests.calc", "testAdd")].find("failure") is None


def test_all_passing(tmp_path, hyp):
    manifest(tmp_path)
    write(tmp_path / "tests" / "ok.hyp", program("suggestion testOne() { assert true; }"))
    r = hyp("test", "-v", cwd=tmp_path)
    assert r.code == 0
    assert r.out.splitlines()[-1] == "2 passed, 0 failed"
    assert "passed tests/ok.hyp::testOne" in r.out


def test_select_by_keyword(tmp_path, hyp):
    suite(tmp_path)
    r = hyp("test", "-k", "add", cwd=tmp_path)
    assert (r.code, r.out.splitlines()[-1]) == (0, "1 passed, 0 failed")
    r = hyp("test", "-k", "strings")
    assert (r.code, r.out) == (0, "1 passed, 0 failed\n")
    r = hyp("test", "-k", "nothing-matches")
    assert r.code == 1 and "no test matches -k 'nothing-matches'" in r.err


def test_explicit_paths(tmp_path, hyp):
    suite(tmp_path)
    r = hyp("test", "tests/nested", cwd=tmp_path)
    assert (r.code, r.out) == (0, "1 passed, 0 failed\n")
    r = hyp("test", "tests/nested/strings.hyp", "tests/nested")
    assert r.out == "1 passed, 0 failed\n"  # the same file once
    r = hyp("test", "nowhere")
    assert r.code == 1 and "no such file or folder: nowhere" in r.err


def test_no_tests(tmp_path, hyp):
    manifest(tmp_path)
    r = hyp("test", cwd=tmp_path)
    assert r.code == 1 and "no test files (*.hyp) found in tests" in r.err


def test_syntax_error_and_top_level_failure(tmp_path, hyp):
    manifest(tmp_path)
    write(tmp_path / "tests" / "broken.hyp", program("observe (1;"))
    write(tmp_path / "tests" / "early.hyp", program(
        'assert 1 == 2 "setup failed";\nsuggestion testNeverRuns() { assert true; }'))
    write(tmp_path / "tests" / "exits.hyp", program("suggestion testExit() { Exit(3); }"))
    r = hyp("test", cwd=tmp_path)
    assert r.code == 1
    assert "ERROR tests/broken.hyp" in r.out and "error[HYP1" in r.out
    assert "FAILED tests/early.hyp\n  tests/early.hyp:2:1: Assertion failed: setup failed" in r.out
    assert "left:  1" in r.out and "right: 2" in r.out
    assert "testNeverRuns" not in r.out
    assert "FAILED tests/exits.hyp::testExit\n  the test called Exit(3)" in r.out
    assert r.out.splitlines()[-1] == "1 passed, 3 failed"


def test_compared_values_of_fields_and_indexes(tmp_path):
    manifest(tmp_path)
    path = write(tmp_path / "tests" / "values.hyp", program(
        "suggestion testFields() {\n"
        '    induce order = { items: ["tea", "cake"], total: 7 };\n'
        '    assert order.items[1] == "pie";\n'
        "}\n"
        "suggestion testCall() { assert Length(\"ab\") == 3; }"))
    results = {r.name: r for r in testing.run_file(path)}
    assert results["testFields"].details == ['left:  order.items[1] = "cake"', 'right: "pie"']
    assert results["testCall"].details == ['left:  Length("ab")', "right: 3"]
    assert results["testFields"].message == "Assertion failed"


def test_hyp_test_loads_the_configuration(tmp_path, hyp):
    manifest(tmp_path)
    write(tmp_path / "tests" / "ok.hyp", program("assert true;"))
    write(tmp_path / "config" / "hypnoscript.config.json", '{"gateway": {"port": "x"}}')
    r = hyp("test", cwd=tmp_path)
    assert r.code == 1 and "$.gateway.port" in r.err
