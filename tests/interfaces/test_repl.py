"""The REPL driven through prompt-toolkit's pipe input (and once through a real terminal)."""

import io
import os
import pty
import re
import select
import subprocess
import sys
import time

from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from hypnoscript.interfaces.repl.app import Repl
from hypnoscript.interfaces.repl.completion import ReplCompleter
from hypnoscript.interfaces.repl.entry import is_complete


def session(*entries, history=""):
    """Type each entry (lines joined with Enter) and return (exit status, everything printed)."""
    out = io.StringIO()
    with create_pipe_input() as pipe:
        for entry in entries:
            pipe.send_text(entry.replace("\n", "\r") + "\r")
        pipe.close()
        repl = Repl(input=pipe, output=DummyOutput(), stdout=out, history_path=history, color=False,
                    use_cache=False)
        status = repl.run()
    lines = out.getvalue().split("\n")
    assert lines[0].startswith("HypnoScript REPL")
    return status, "\n".join(lines[1:])


def test_definitions_persist_across_entries():
    status, out = session(
        'induce greeting = "Hello";',
        "suggestion shout(s) { awaken ToUpper(s) + \"!\"; }",
        "tranceify Point { x: number; y: number; }",
        "session Counter { expose n: number = 0; suggestion inc() { this.n = this.n + 1; awaken this.n; } }",
        "induce c = Counter(); c.inc(); c.inc();",  # `;` at the end: the value is not shown
        "observe shout(greeting);",
        "observe Point { x: 1, y: 2 }.y + c.n;",
    )
    assert status == 0
    assert out == "HELLO!\n4\n"


def test_suggestions_see_later_changes_of_session_variables():
    _, out = session(
        "induce count = 0;",
        "suggestion bump() { count = count + 1; awaken count; }",
        "bump(); bump()",
        "count",
        'count = "many:";',
        "bump()",
    )
    assert out == '2\n2\n"many:1"\n'


def test_a_suggestion_called_with_numbers_takes_strings_in_a_later_entry():
    _, out = session(
        "suggestion next(x) { awaken x + 1; } observe next(2);",
        'observe next("ab");',
    )
    assert out == "3\nab1\n"


def test_the_value_of_a_bare_expression_is_shown():
    _, out = session("1 + 2", '"tab\\there"', "[1, \"a\", true]", "induce x = 5;", "x = 6;", "x * 7",
                     "entrain x { when 6 => \"six\" otherwise => \"?\" }", "x + 1;", "Point")
    assert out.startswith('3\n"tab\\there"\n[1, "a", true]\n42\n"six"\n')
    assert "Variable 'Point' not found" in out  # and `x + 1;` showed nothing


def test_a_runtime_error_is_a_diagnostic_and_the_session_goes_on():
    _, out = session("induce x = 1;", "observe x + missing;", "observe x;")
    assert "error[HYP4002]: name error: Variable 'missing' not found" in out
    assert "--> <repl-2>:1:13" in out
    assert "1 | observe x + missing;" in out
    assert out.endswith("1\n")


def test_an_error_in_an_earlier_entry_points_into_that_entry():
    _, out = session("suggestion half(n) {\nawaken n / nothing;\n}", "half(4)")
    assert "--> <repl-1>:2:" in out
    assert "2 |     awaken n / nothing;" in out
    assert "in half at <repl-1>:2:" in out


def test_a_syntax_error_is_a_diagnostic_and_the_session_goes_on():
    _, out = session("induce = 3;", "observe 3;")
    assert "error[HYP1004]" in out and "--> <repl-1>:1:8" in out
    assert out.endswith("3\n")


def test_frozen_names_stay_frozen():
    _, out = session("freeze limit = 3;", "limit = 4;", "limit")
    assert "Cannot reassign constant variable 'limit'" in out
    assert out.endswith("3\n")


def test_multi_line_block_entry():
    _, out = session("suggestion fib(n) {\nif (n < 2) {\nawaken n;\n}\nawaken fib(n - 1) + fib(n - 2);\n}",
                     "loop (induce i = 0; i < 3; i = i + 1) {\nwhisper fib(i + 5);\n}", "observe \"\";")
    assert out == "5813\n\n"


def test_an_unfinished_entry_ends_at_an_empty_line():
    _, out = session("induce x =\n", "observe 1;")
    assert "error[HYP1003]: expected an expression, found end of file" in out
    assert out.endswith("1\n")


def test_whisper_output_ends_its_line_before_the_next_result():
    _, out = session('whisper "no newline";', "2")
    assert out == "no newline\n2\n"


def test_entries_know_when_they_are_complete():
    assert is_complete("observe 1")
    assert is_complete("if (x) { observe 1; }")
    assert not is_complete("if (x) {")
    assert not is_complete("induce x = ")
    assert not is_complete('observe "open')
    assert not is_complete("/* open comment")
    assert not is_complete("suggestion f()")
    assert is_complete("suggestion f(\n")  # a blank last line submits
    assert is_complete("induce 1 2 3;")  # broken, but not unfinished: reported at once


def test_help_command():
    _, out = session(":help")
    for command in (":type", ":ast", ":load", ":reset"):
        assert command in out


def test_type_command():
    _, out = session('induce names = ["a", "b"];', "suggestion twice(n: number): number { awaken n * 2; }",
                     ":type names", ":type twice(1)", ":type Length(\"x\") > 0", ":type (")
    assert "names : string[]" in out
    assert "twice(1) : number" in out
    assert 'Length("x") > 0 : boolean' in out
    assert "error[HYP1003]" in out


def test_ast_command():
    _, out = session(":ast 1 + 2 * x")
    assert out.startswith("Binary op='+'")
    assert "right: Binary op='*'" in out and "Identifier name='x'" in out
    _, out = session(":ast induce y = 1;")
    assert out.startswith("VarDecl kind='induce' name='y'")


def test_load_command(tmp_path):
    lib = tmp_path / "lib.hyp"
    lib.write_text('Focus {\n    suggestion square(n) { awaken n * n; }\n    observe "lib ready";\n} Relax\n')
    _, out = session(f":load {lib}", "square(9)", f":load {tmp_path / 'missing.hyp'}")
    assert out.startswith(f"lib ready\nloaded {lib}\n81\n")
    assert "cannot load" in out and "missing.hyp" in out


def test_a_loaded_file_can_link_modules(tmp_path):
    (tmp_path / "util.hyp").write_text("Focus { suggestion triple(n) { awaken n * 3; } } Relax")
    (tmp_path / "main.hyp").write_text('Focus { mindLink "util.hyp"; induce nine = triple(3); } Relax')
    _, out = session(f":load {tmp_path / 'main.hyp'}", "nine + triple(1)")
    assert out.endswith("12\n")


def test_reset_command():
    _, out = session("induce x = 1;", ":reset", "x")
    assert "session reset" in out
    assert "Variable 'x' not found" in out


def test_quit_and_unknown_commands():
    status, out = session(":nonsense", ":quit", "observe 1;")
    assert status == 0
    assert "unknown command ':nonsense'" in out
    assert "1\n" not in out


def test_exit_ends_the_session_with_its_status():
    status, out = session("observe 1;", "Exit(3);", "observe 2;")
    assert status == 3
    assert out == "1\n"


def test_history_is_kept_in_a_file(tmp_path):
    path = tmp_path / "state" / "history"
    session("induce remembered = 1;", history=str(path))
    assert "induce remembered = 1;" in path.read_text()


def completions(state_entries, text):
    out = io.StringIO()
    with create_pipe_input() as pipe:
        repl = Repl(input=pipe, output=DummyOutput(), stdout=out, history_path="", color=False, use_cache=False)
    for entry in state_entries:
        repl.handle(entry)
    completer = ReplCompleter(repl.state)
    return {c.text: c for c in completer.get_completions(Document(text), None)}


def test_completion_of_keywords_builtins_and_names():
    found = completions(["induce observation = 1;"], "obs")
    assert {"observe", "observation"} <= set(found)
    found = completions([], "ArrayS")
    assert found["ArraySum"].display_text.startswith("ArraySum(")
    assert found["ArraySum"].display_meta_text == "-> number"
    assert "lookAtTheWatch" in completions([], "lookat")
    assert "deeperStill" not in completions([], "deeper")  # reserved words are not offered


def test_completion_of_members_and_commands():
    found = completions(["session S { expose size: number = 2; suggestion grow() { } conceal secret = 1; }",
                         "induce s = S();"], "s.")
    assert set(found) == {"size", "grow"}
    assert set(completions([], ":re")) == {"reset"}


def test_through_a_terminal(tmp_path):
    """`hyp` with no arguments on a terminal starts the REPL."""
    env = dict(os.environ, HOME=str(tmp_path), XDG_STATE_HOME=str(tmp_path / "state"), NO_COLOR="1",
               HYP_CACHE_DIR=str(tmp_path / "cache"), TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1")
    main, child = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "hypnoscript"], stdin=child, stdout=child, stderr=child,
                            env=env, close_fds=True)
    os.close(child)
    seen = b""
    pos = 0  # where the next marker is looked for

    def read_until(marker, timeout=20):
        """Read the terminal until `marker` appears after the previous marker found."""
        nonlocal seen, pos
        deadline = time.monotonic() + timeout
        while seen.find(marker, pos) < 0 and time.monotonic() < deadline and proc.poll() is None:
            ready, _, _ = select.select([main], [], [], 0.2)
            if ready:
                try:
                    seen += os.read(main, 4096)
                except OSError:
                    break
        found = seen.find(marker, pos)
        if found >= 0:
            pos = found + len(marker)
        return found >= 0

    try:
        assert read_until(b"hyp>")
        os.write(main, b"induce answer = 6 * 7;\r")
        os.write(main, b"observe \"the answer is \" + answer;\r")
        assert read_until(b"the answer is 42")
        assert read_until(b"hyp>", 10)
        os.write(main, b"\x04")
        read_until(b"never printed", 5)  # keep draining the terminal while the REPL ends
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(main)
    assert (tmp_path / "state" / "hypnoscript" / "repl_history").exists()


def test_entries_from_a_pipe(tmp_path):
    """Without a terminal, `hyp repl` reads entries line by line and prints only their results."""
    entries = "induce x = 2;\nsuggestion f(a) {\n    awaken a * x;\n}\nf(21)\ninduce y =\n\nExit(4);\nobserve 5;\n"
    env = dict(os.environ, HYP_CACHE_DIR=str(tmp_path / "cache"), NO_COLOR="1")
    done = subprocess.run([sys.executable, "-m", "hypnoscript", "repl", "--no-history"], input=entries,
                          capture_output=True, text=True, env=env, timeout=60, check=False)
    assert done.returncode == 4
    assert done.stdout.startswith("42\nerror[HYP1003]: expected an expression, found end of file\n")
    assert "5" not in done.stdout.split("\n")


def test_quoted_code_in_errors_is_highlighted_on_a_colour_terminal():
    out = io.StringIO()
    with create_pipe_input() as pipe:
        pipe.send_text("observe 1 + missing;\r")
        pipe.close()
        Repl(input=pipe, output=DummyOutput(), stdout=out, history_path="", color=True, use_cache=False).run()
    code_line = next(line for line in out.getvalue().split("\n") if "missing;" in line)
    code = code_line.split("| \x1b[0m", 1)[1]
    assert code != "observe 1 + missing;"  # coloured by the lexer ...
    assert re.sub(r"\x1b\[[0-9;]*m", "", code) == "observe 1 + missing;"  # ... and otherwise unchanged
