"""`hyp test` with the assertion builtins: a failed one is a failed test at the call, with its
expected and actual values; debug lines are part of the captured output."""

from __future__ import annotations

from .helpers import manifest, program, write


def test_assertion_builtins_fail_tests(tmp_path, hyp):
    manifest(tmp_path)
    write(tmp_path / "tests" / "math.hyp", program(
        "suggestion testSum() {\n"
        '    DebugPrint("summing");\n'
        '    AssertEqual(2 + 2, 5, "two and two");\n'
        "}\n"
        "suggestion testRange() { AssertLessThan(3, 7); AssertFloatEqual(Sqrt(2), 1.41, 0.01); }\n"
        "suggestion testThrows() { AssertThrows(suggestion() { awaken 1; }); }\n"
        'suggestion testPlain() { Assert(false, "plain"); }'))
    r = hyp("test", cwd=tmp_path)
    assert r.code == 1
    lines = r.out.splitlines()
    assert lines[-1] == "2 passed, 3 failed"
    assert "FAILED tests/math.hyp::testSum" in lines
    assert "  tests/math.hyp:4:5: Assertion failed: two and two (expected 5, got 4)" in lines
    assert "      [debug] summing" in lines
    assert "  tests/math.hyp:7:27: Assertion failed: expected an error, but the call returned 1" in lines
    assert "  tests/math.hyp:8:26: Assertion failed: plain" in lines
    assert "[debug]" not in r.err
