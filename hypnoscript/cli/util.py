"""Helpers shared by subcommands: reading program files, printing diagnostics."""

from __future__ import annotations

import sys

from hypnoscript.cli.main import UsageError


def read_source(path: str):
    """Read a program file (or `-` for stdin) as a Source; unreadable files are usage errors."""
    from hypnoscript.syntax.source import Source

    if path == "-":
        data = sys.stdin.buffer.read()
        name = "<stdin>"
    else:
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            raise UsageError(f"file not found: {path}") from None
        except IsADirectoryError:
            raise UsageError(f"is a directory: {path}") from None
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror}") from None
        name = path
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError

        raise DiagnosticError(
            [Diagnostic("HYP1000", f"file is not valid UTF-8 (byte {exc.start} cannot be decoded)", path=name)]
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return Source(text, name)


def read_source_or_report(path: str, fmt: str = "human"):
    """`read_source`, printing the diagnostic and giving None for a file that is not UTF-8."""
    from hypnoscript.syntax.diagnostics import DiagnosticError

    try:
        return read_source(path)
    except DiagnosticError as exc:
        print_diagnostics(exc.diagnostics, None, fmt)
        return None


def print_diagnostics(diags, source, fmt: str = "human", stream=None) -> None:
    from hypnoscript.syntax.diagnostics import emit

    emit(diags, source, fmt, stream)
