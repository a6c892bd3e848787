"""Debugging builtins: lines about values, memory, the call stack and the environment.

They write to the program's stderr, each line starting with `[debug]`, so the program's stdout
(its real output, which other programs may read) stays the same with or without them.
"""

from __future__ import annotations

import os
import sys

from hypnoscript.runtime.builtins.registry import builtin
from hypnoscript.runtime.context import current
from hypnoscript.runtime.values import Record, display, format_number, show_value, type_name

_PREFIX = "[debug] "


def _debug_lines(*lines: str) -> None:
    current().write_err("".join(_PREFIX + line + "\n" for line in lines))


def _kind_of(value: object) -> str:
    """TypeOf's answer, with the type name of a record and the session of an instance."""
    kind = type_name(value)
    if type(value) is Record:
        return f"record {value.type_name}"
    if kind == "instance":
        return f"instance of {value.session.name}"  # type: ignore[attr-defined]
    return kind


@builtin(
    "debug", "DebugPrint(value: any) -> null", "Write [debug] and the display form of a value to stderr", pure=False
)
def _debug_print(value):
    _debug_lines(display(value))


@builtin(
    "debug",
    "DebugPrintType(value: any) -> null",
    'Write the type of a value and the value as written in a program to stderr ([debug] string: "hi")',
    pure=False,
)
def _debug_print_type(value):
    _debug_lines(f"{_kind_of(value)}: {show_value(value)}")


@builtin(
    "debug",
    "DebugPrintMemory() -> null",
    "Write the resident and peak memory of the process (MB) to stderr",
    pure=False,
)
def _debug_print_memory():
    from hypnoscript.runtime.builtins.performance import peak_resident_bytes, resident_bytes, to_mb

    rss = resident_bytes()
    peak = max(rss, peak_resident_bytes() or 0)
    _debug_lines(f"memory: {format_number(to_mb(rss))} MB resident, {format_number(to_mb(peak))} MB at the peak")


@builtin(
    "debug",
    "DebugPrintStackTrace() -> null",
    "Write the HypnoScript call stack (innermost first, with file:line:column) to stderr",
    pure=False,
)
def _debug_print_stack_trace():
    from hypnoscript.engine.errors import running_frames

    frames = running_frames(sys._getframe(1))
    lines = ["call stack (innermost first):"]
    lines += [f"  in {f.function} at {f.path}:{f.line}:{f.col}" for f in reversed(frames)]
    _debug_lines(*lines)


@builtin(
    "debug",
    "DebugPrintEnvironment() -> null",
    "Write the HypnoScript and Python versions, the system, the working directory, the script and its "
    "arguments to stderr (no environment variables)",
    capability="env",
)
def _debug_print_environment():
    import platform

    from hypnoscript import __version__
    from hypnoscript.runtime.builtins.system import architecture, operating_system

    ctx = current()
    ctx.capabilities.check("env")
    try:
        cwd = os.getcwd()
    except OSError:
        cwd = "."
    _debug_lines(
        "environment:",
        f"  HypnoScript {__version__} on {platform.python_implementation()} {platform.python_version()}",
        f"  system: {operating_system()} {architecture()}, {os.cpu_count() or 1} processors",
        f"  working directory: {cwd}",
        f"  script: {ctx.script_path or '<none>'}",
        f"  arguments: {show_value(list(ctx.argv))}",
    )
