"""Running one program end to end: load (with its modules), run, report errors as diagnostics."""

from __future__ import annotations

import sys

from hypnoscript.engine.runner import RunError, diagnostic_for
from hypnoscript.project.modules import ModuleLoader
from hypnoscript.runtime.context import RuntimeContext
from hypnoscript.runtime.errors import HypExit
from hypnoscript.syntax.diagnostics import DiagnosticError
from hypnoscript.syntax.diagnostics import emit as print_diagnostics
from hypnoscript.syntax.source import Source


def run_program(source: Source, argv: list[str] | None = None, *, seed: int | None = None, use_cache: bool = True,
                fmt: str = "human", stdout=None, stderr=None, stdin=None) -> int:
    """Compile and run `source`; returns the exit status (0 ok, 1 error, n for `Exit(n)`).

    Output goes to `stdout` (default: the process's), diagnostics and debug lines to `stderr`."""
    err = stderr or sys.stderr
    out = stdout or sys.stdout
    loader = ModuleLoader(use_cache=use_cache)
    try:
        program = loader.load_main(source)
    except DiagnosticError as exc:
        print_diagnostics(exc.diagnostics, loader.source_for(exc.diagnostics, source), fmt, stream=err)
        return 1
    # GetArgs() sees the command line as the reference gives it: the binary, `exec`, the file, arguments
    ctx = RuntimeContext(stdout=stdout, stdin=stdin, argv=["hypnoscript", "exec", source.path] + list(argv or []),
                         script_path=source.path, stderr=stderr)
    if seed is not None:
        ctx.seed(seed)
    status = 0
    try:
        program.run(ctx)
    except RunError as exc:
        _flush(out)
        diag = diagnostic_for(exc, loader.sources())
        print_diagnostics([diag], loader.sources().get(diag.path or source.path, source), fmt, stream=err)
        status = 1
    except HypExit as exc:
        status = exc.status
    _flush(out)
    return status


def _flush(stream) -> None:
    try:
        stream.flush()
    except (BrokenPipeError, ValueError):
        pass
