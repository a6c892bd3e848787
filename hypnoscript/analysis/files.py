"""What the source tools (`hyp check`, `lint`, `fmt`, `optimize`) share: loading a file into a
syntax tree, resolving the names its `mindLink`s import, and the closing summary line."""

from __future__ import annotations

import os
from dataclasses import dataclass

from hypnoscript.syntax import ast as A
from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError
from hypnoscript.syntax.source import Source


@dataclass
class Loaded:
    source: Source | None
    program: A.Program | None
    diagnostics: list[Diagnostic]  # reading and syntax problems

    @property
    def ok(self) -> bool:
        return self.program is not None and not any(d.severity == "error" for d in self.diagnostics)


def load(path: str) -> Loaded:
    """Read and parse one file (`-` is stdin). Unreadable files raise the CLI's UsageError."""
    from hypnoscript.cli.util import read_source
    from hypnoscript.syntax.parser import parse

    try:
        source = read_source(path)
    except DiagnosticError as exc:
        return Loaded(None, None, exc.diagnostics)
    program, diagnostics = parse(source)
    return Loaded(source, program, diagnostics)


class ImportNames:
    """`import_names` for the checker and linter: the names a `mindLink`ed module binds, found
    by compiling it like `hyp exec` would. Problems with the module become diagnostics."""

    def __init__(self, source: Source) -> None:
        from hypnoscript.project.modules import ModuleLoader

        self.source = source
        self.loader = ModuleLoader()
        self.diagnostics: list[Diagnostic] = []

    def __call__(self, link: A.MindLink) -> list[str] | None:
        try:
            return self.loader.module_names(self.source.path, link.path, link.span)
        except DiagnosticError as exc:
            for d in exc.diagnostics:
                if d.path is None or d.path == self.source.path:
                    self.diagnostics.append(d)
                else:
                    self.diagnostics.append(Diagnostic(
                        "HYP5005", f"the module \"{link.path}\" has errors: {d.message}", link.span,
                        path=self.source.path,
                        help=f"see {d.path}" + (f":{d.span.line}:{d.span.col}" if d.span else ""),
                    ))
            return None


def expand_paths(paths: list[str]) -> list[str]:
    """Files as given; folders replaced by the .hyp files below them (hidden folders skipped)."""
    from hypnoscript.cli.main import UsageError

    out: list[str] = []
    for path in paths:
        if path != "-" and os.path.isdir(path):
            found = []
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found += [os.path.join(root, f) for f in sorted(files) if f.endswith(".hyp")]
            if not found:
                raise UsageError(f"no .hyp files in {path}")
            out += found
        else:
            out.append(path)
    return out


def summary(files: int, diagnostics: list[Diagnostic], verb: str = "checked") -> str:
    errors = sum(1 for d in diagnostics if d.severity == "error")
    warnings = sum(1 for d in diagnostics if d.severity == "warning")
    what = f"{verb} {files} file{'s' if files != 1 else ''}"
    if not errors and not warnings:
        return f"{what}: no problems found"
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return f"{what}: {', '.join(parts)}"
