"""Golden tests: every HypnoScript program under tests/programs/ with its expected output.

For each `NAME.hyp` the folder holds:

- `NAME.out`: the expected stdout, byte for byte (required; an empty file means "prints nothing");
- `NAME.code`: the expected exit status when it is not 0;
- `NAME.err`: optional; every non-empty line of it must occur somewhere in stderr
  (a diagnostic code such as `HYP4003`, a message, or a `:line:col` position).

Programs run in-process through `run_program` (no code cache, an empty current folder, empty
stdin). Files inside folders whose name starts with `_` are helpers (modules that other programs
`mindLink`), not programs of their own.

A handful of subprocess tests cover the `hyp exec` command line and the on-disk code cache.
"""

from __future__ import annotations

import difflib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hypnoscript.project.execute import run_program
from hypnoscript.syntax.source import Source

PROGRAMS = Path(__file__).resolve().parent / "programs"

# Programs whose expectation follows the language definition but which the implementation does not
# meet yet: id -> the engine bug. Each is an xfail(strict=True), so fixing the bug turns it into
# an XPASS failure that asks for the entry to be removed.
KNOWN_FAILURES: dict[str, str] = {
}


def _program_id(path: Path) -> str:
    return path.relative_to(PROGRAMS).with_suffix("").as_posix()


def _discover() -> list[Path]:
    found = []
    for path in sorted(PROGRAMS.rglob("*.hyp")):
        if any(part.startswith("_") for part in path.relative_to(PROGRAMS).parts[:-1]):
            continue
        found.append(path)
    return found


def _params():
    params = []
    for path in _discover():
        pid = _program_id(path)
        marks = []
        if pid in KNOWN_FAILURES:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[pid]))
        params.append(pytest.param(path, id=pid, marks=marks))
    return params


def _read(path: Path) -> str:
    # bytes -> str without newline translation: expectations are byte for byte
    return path.read_bytes().decode("utf-8")


def _visible(text: str) -> list[str]:
    """Lines with their line ends and unusual whitespace made visible, for diffs."""
    return [repr(line)[1:-1] for line in text.splitlines(keepends=True)] or ["<nothing>"]


def _diff(expected: str, actual: str) -> str:
    lines = difflib.unified_diff(_visible(expected), _visible(actual), "expected stdout", "actual stdout", lineterm="")
    return "\n".join(lines)


def run_file(path: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = run_program(Source(_read(path), str(path)), [], stdout=out, stderr=err, stdin=io.StringIO(""),
                         use_cache=False)
    return status, out.getvalue(), err.getvalue()


def test_programs_were_found():
    paths = _discover()
    assert len(paths) > 50
    for path in paths:
        assert path.with_suffix(".out").is_file(), f"{path} has no .out file"
    for pid in KNOWN_FAILURES:
        assert (PROGRAMS / (pid + ".hyp")).is_file(), f"KNOWN_FAILURES names a missing program: {pid}"


@pytest.mark.parametrize("path", _params())
def test_program(path: Path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    expected_out = _read(path.with_suffix(".out"))
    code_file = path.with_suffix(".code")
    expected_code = int(_read(code_file).strip()) if code_file.is_file() else 0
    err_file = path.with_suffix(".err")
    expected_err = [line for line in _read(err_file).splitlines() if line.strip()] if err_file.is_file() else []

    status, out, err = run_file(path)

    problems = []
    if out != expected_out:
        problems.append("stdout differs:\n" + _diff(expected_out, out))
    if status != expected_code:
        problems.append(f"exit status: expected {expected_code}, got {status}")
    missing = [s for s in expected_err if s not in err]
    if missing:
        problems.append("stderr lacks: " + ", ".join(repr(s) for s in missing))
    if problems:
        pytest.fail(f"{_program_id(path)}\n" + "\n".join(problems) + "\n--- stderr ---\n" + err, pytrace=False)


# ---------------------------------------------------------------------------------- command line


def _hyp(*args: str, cwd: Path, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env.setdefault("HYP_NO_CACHE", "1")
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "hypnoscript", *args], input=stdin, capture_output=True,
                          text=True, env=full_env, cwd=cwd, timeout=120)


def test_cli_exec_file(tmp_path):
    prog = tmp_path / "hello.hyp"
    prog.write_text('Focus {\n    observe "hello from a file";\n    whisper 1 + 1;\n} Relax\n', encoding="utf-8")
    r = _hyp("exec", str(prog), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hello from a file\n2"


def test_cli_exec_runtime_error_keeps_output(tmp_path):
    prog = tmp_path / "boom.hyp"
    prog.write_text('Focus {\n    observe "before";\n    induce xs = [1];\n    observe xs[4];\n} Relax\n',
                    encoding="utf-8")
    r = _hyp("exec", str(prog), cwd=tmp_path)
    assert r.returncode == 1
    assert r.stdout == "before\n"
    assert "Index 4 out of bounds" in r.stderr
    assert "boom.hyp:4:13" in r.stderr


def test_cli_exec_eval(tmp_path):
    r = _hyp("exec", "-e", "observe 6 * 7;", cwd=tmp_path)
    assert (r.returncode, r.stdout) == (0, "42\n"), r.stderr


def test_cli_exec_eval_whole_program(tmp_path):
    r = _hyp("exec", "-e", 'Focus { observe "x" + 1; } Relax', cwd=tmp_path)
    assert (r.returncode, r.stdout) == (0, "x1\n"), r.stderr


def test_cli_exec_stdin(tmp_path):
    r = _hyp("exec", "-", stdin='Focus {\n    induce n = 3;\n    observe n * n;\n} Relax\n', cwd=tmp_path)
    assert (r.returncode, r.stdout) == (0, "9\n"), r.stderr


def test_cli_exec_missing_file(tmp_path):
    missing = tmp_path / "no-such-program.hyp"
    r = _hyp("exec", str(missing), cwd=tmp_path)
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "no-such-program.hyp" in lines[0]


def test_cli_exec_syntax_error_prints_nothing(tmp_path):
    prog = tmp_path / "bad.hyp"
    prog.write_text('Focus {\n    observe "never";\n    observe 1 +;\n} Relax\n', encoding="utf-8")
    r = _hyp("exec", str(prog), cwd=tmp_path)
    assert r.returncode == 1
    assert r.stdout == ""
    assert "bad.hyp:3" in r.stderr


def test_cli_exec_utf8_bom(tmp_path):
    prog = tmp_path / "bom.hyp"
    prog.write_bytes(b'\xef\xbb\xbfFocus {\n    observe "a byte order mark is skipped";\n} Relax\n')
    r = _hyp("exec", str(prog), cwd=tmp_path)
    assert (r.returncode, r.stdout) == (0, "a byte order mark is skipped\n"), r.stderr


def test_cli_exec_not_utf8(tmp_path):
    prog = tmp_path / "utf16.hyp"
    prog.write_bytes('Focus {\n    observe "never";\n} Relax\n'.encode("utf-16"))
    r = _hyp("exec", str(prog), cwd=tmp_path)
    assert r.returncode == 1
    assert r.stdout == ""
    assert "UTF-8" in r.stderr


def test_cli_emit_python(tmp_path):
    prog = tmp_path / "emit.hyp"
    prog.write_text('Focus {\n    induce greeting = "hi";\n    observe greeting;\n} Relax\n', encoding="utf-8")
    r = _hyp("exec", "--emit-python", str(prog), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "hi" not in r.stdout.splitlines()  # printed, not run
    assert "def " in r.stdout
    compile(r.stdout, "<emitted>", "exec")  # it is Python


def test_cli_emit_python_shows_the_optimized_module_that_runs(tmp_path):
    prog = tmp_path / "folded.hyp"
    prog.write_text("Focus {\n    observe 2 * 3 + 1;\n} Relax\n", encoding="utf-8")
    r = _hyp("exec", "--emit-python", str(prog), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "7" in r.stdout and "*" not in r.stdout  # folded by the optimizer, as when it runs


def test_code_cache_is_used_and_invalidated(tmp_path):
    cache_dir = tmp_path / "cache"
    prog = tmp_path / "cached.hyp"
    prog.write_text('Focus {\n    observe "first version";\n} Relax\n', encoding="utf-8")

    def entries() -> dict[Path, int]:
        return {p: p.stat().st_mtime_ns for p in cache_dir.rglob("*") if p.is_file()}

    def run() -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if k != "HYP_NO_CACHE"}
        env["HYP_CACHE_DIR"] = str(cache_dir)
        return subprocess.run([sys.executable, "-m", "hypnoscript", "exec", str(prog)], capture_output=True,
                              text=True, env=env, cwd=tmp_path, timeout=120)

    first = run()
    assert (first.returncode, first.stdout) == (0, "first version\n"), first.stderr
    after_first = entries()
    assert len(after_first) == 1, f"expected one cache entry, found {sorted(map(str, after_first))}"

    second = run()
    assert (second.returncode, second.stdout) == (0, "first version\n"), second.stderr
    assert entries() == after_first, "the second run rewrote the cache instead of using it"

    # editing the source invalidates the entry: the new text runs
    prog.write_text('Focus {\n    observe "second version";\n} Relax\n', encoding="utf-8")
    third = run()
    assert (third.returncode, third.stdout) == (0, "second version\n"), third.stderr
    assert entries() != after_first

    # a damaged entry is ignored, not trusted
    for entry in entries():
        entry.write_bytes(b"not a cache entry")
    fourth = run()
    assert (fourth.returncode, fourth.stdout) == (0, "second version\n"), fourth.stderr


def test_code_cache_hit_skips_compilation(tmp_path, monkeypatch):
    """In-process: once a program is cached, running it again does not parse it."""
    monkeypatch.setenv("HYP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("HYP_NO_CACHE", raising=False)
    monkeypatch.chdir(tmp_path)
    source_text = 'Focus {\n    observe "cached run";\n} Relax\n'
    path = str(tmp_path / "hit.hyp")

    def run() -> tuple[int, str]:
        out = io.StringIO()
        status = run_program(Source(source_text, path), [], stdout=out, stderr=io.StringIO(), use_cache=True)
        return status, out.getvalue()

    assert run() == (0, "cached run\n")
    import hypnoscript.syntax.parser as parser_module

    def no_parsing(*args, **kwargs):
        raise AssertionError("the program was parsed again although it is in the cache")

    monkeypatch.setattr(parser_module, "parse", no_parsing)
    assert run() == (0, "cached run\n")
