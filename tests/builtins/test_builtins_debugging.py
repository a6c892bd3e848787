"""The debugging builtins (lines on the program's stderr, stdout untouched), Input, DeepEquals."""

import io

import pytest
from builtin_helpers import call

from hypnoscript.project.execute import run_program
from hypnoscript.runtime.builtins.registry import all_builtins
from hypnoscript.runtime.context import Capabilities
from hypnoscript.runtime.errors import HypPermissionError
from hypnoscript.runtime.values import Record
from hypnoscript.syntax.source import Source


@pytest.fixture
def err(ctx):
    ctx.stderr = io.StringIO()
    return ctx.stderr


def test_debug_print_writes_to_stderr_only(ctx, err):
    call("DebugPrint", "Counter value: 3")
    call("DebugPrint", [1.0, "two", None])
    assert ctx.stdout.getvalue() == ""
    assert err.getvalue() == "[debug] Counter value: 3\n[debug] [1, two, null]\n"


def test_debug_print_type_names_the_kind_and_quotes_strings(ctx, err):
    call("DebugPrintType", 2.5)
    call("DebugPrintType", 'say "hi"\n')
    call("DebugPrintType", Record("Point", {"x": 1.0}))
    call("DebugPrintType", {"k": ["v"]})
    assert err.getvalue().splitlines() == [
        "[debug] number: 2.5",
        '[debug] string: "say \\"hi\\"\\n"',
        "[debug] record Point: Point { x: 1 }",
        '[debug] object: {k: ["v"]}',
    ]


def test_stdout_is_flushed_before_a_debug_line(ctx):
    """Both streams keep their order when they go to the same terminal or file."""
    events = []

    class Out(io.StringIO):
        def flush(self):
            events.append("flush stdout")

    class Err(io.StringIO):
        def write(self, text):
            events.append("debug line")
            return super().write(text)

    ctx.stdout, ctx.stderr = Out(), Err()
    call("DebugPrint", "x")
    assert events == ["flush stdout", "debug line"]


def test_memory_line(ctx, err):
    call("DebugPrintMemory")
    line = err.getvalue()
    assert line.startswith("[debug] memory: ") and " MB resident, " in line and line.endswith(" MB at the peak\n")


def test_environment_lines_and_capability(ctx, err):
    call("DebugPrintEnvironment")
    lines = err.getvalue().splitlines()
    assert lines[0] == "[debug] environment:"
    assert lines[1].startswith("[debug]   HypnoScript ")
    assert lines[-1] == '[debug]   arguments: ["hyp", "exec", "prog.hyp"]'
    ctx.capabilities = Capabilities(env=())
    with pytest.raises(HypPermissionError):
        call("DebugPrintEnvironment")


def test_stack_trace_is_innermost_first_with_positions(tmp_path):
    path = tmp_path / "trace.hyp"
    text = (
        "Focus {\n"
        "    session Greeter {\n"
        "        expose suggestion greet() {\n"
        "            DebugPrintStackTrace();\n"
        "        }\n"
        "    }\n"
        "    suggestion run() {\n"
        "        Greeter().greet();\n"
        "    }\n"
        "    run();\n"
        "} Relax\n"
    )
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    status = run_program(Source(text, str(path)), stdout=out, stderr=err, use_cache=False)
    assert status == 0 and out.getvalue() == ""
    assert err.getvalue().splitlines() == [
        "[debug] call stack (innermost first):",
        f"[debug]   in Greeter::greet at {path}:4:13",
        f"[debug]   in run at {path}:8:9",
        f"[debug]   in <main> at {path}:10:5",
    ]


def test_input_is_read_line(ctx):
    assert all_builtins()["Input"].func is all_builtins()["ReadLine"].func
    ctx.stdin = io.StringIO("42\r\nlast")
    assert call("Input", "Enter a number: ") == "42"
    assert call("Input") == "last"
    assert call("Input", "more? ") is None  # end of input
    assert ctx.stdout.getvalue() == "Enter a number: more? "


def test_deep_equals_is_the_language_equality(ctx):
    assert call("DeepEquals", [1.0, {"a": [2.0]}], [1.0, {"a": [2.0]}]) is True
    assert call("DeepEquals", Record("P", {"x": 1.0, "y": 2.0}), Record("P", {"y": 2.0, "x": 1.0})) is True
    assert call("DeepEquals", Record("P", {"x": 1.0}), Record("Q", {"x": 1.0})) is False
    assert call("DeepEquals", 0.1 + 0.2, 0.3) is True
    assert call("DeepEquals", 1.0, "1") is False
