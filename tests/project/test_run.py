"""`hyp run NAME`: manifest suggestions, in-process for `hyp` commands, through the shell otherwise."""

from __future__ import annotations

import sys

from .helpers import manifest, program, write


def project(root, suggestions: dict) -> None:
    manifest(root, suggestions=suggestions)
    write(root / "src" / "main.hyp", program('observe "main ran";\nobserve GetEnv("HYP_PROFILE") ?? "no profile";'))


def test_hyp_commands_run_in_process(tmp_path, hyp):
    project(tmp_path, {"focus": "hypnoscript exec src/main.hyp", "short": "hyp exec src/main.hyp"})
    (tmp_path / "src" / "deeper").mkdir()
    r = hyp("run", "focus", cwd=tmp_path / "src" / "deeper")  # runs in the project root
    assert (r.code, r.out) == (0, "📜 Running suggestion 'focus': hypnoscript exec src/main.hyp\nmain ran\nno profile\n")
    r = hyp("run", "--profile", "prod", "short")
    assert r.out.endswith("main ran\nprod\n")


def test_shell_commands_get_the_extra_arguments(tmp_path, capfd, monkeypatch):
    from hypnoscript.cli.main import main

    (tmp_path / "show.py").write_text("import sys; print('args:', sys.argv[1:])")
    project(tmp_path, {"show": f"{sys.executable} show.py first"})
    monkeypatch.chdir(tmp_path)
    assert main(["run", "show", "--", "two words", "x"]) == 0
    out = capfd.readouterr().out  # the child writes to the file descriptor itself
    assert out.endswith("args: ['first', 'two words', 'x']\n")


def test_exit_status_is_passed_on(tmp_path, hyp):
    project(tmp_path, {"fail": "exit 3", "bad": "hyp exec nowhere.hyp"})
    r = hyp("run", "fail", cwd=tmp_path)
    assert r.code == 3 and "Command 'fail' exited with code 3" in r.err
    r = hyp("run", "bad")
    assert r.code == 2 and "Command 'bad' exited with code 2" in r.err


def test_unknown_and_broken_suggestions(tmp_path, hyp):
    project(tmp_path, {"focus": "hyp exec src/main.hyp", "empty": "  ", "quote": "hyp exec 'unclosed"})
    r = hyp("run", "nope", cwd=tmp_path)
    assert r.code == 1 and "Suggestion 'nope' not found in manifest" in r.err and "empty, focus, quote" in r.err
    assert "Empty command in suggestion 'empty'" in hyp("run", "empty").err
    assert "Failed to parse command in suggestion 'quote'" in hyp("run", "quote").err


def test_listing_suggestions(tmp_path, hyp):
    project(tmp_path, {"b": "hyp test", "a": "hyp validate"})
    assert hyp("run", cwd=tmp_path).out == "  a: hyp validate\n  b: hyp test\n"
