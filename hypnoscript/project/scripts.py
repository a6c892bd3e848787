"""Running a manifest `suggestion`: a command line such as `hypnoscript exec src/main.hyp`.

A plain `hyp ...` / `hypnoscript ...` command (no shell operators) runs inside this process, in
the project root; anything else goes to the shell, with this interpreter's folder first on PATH so
that `hyp` there is this installation. Extra arguments are appended, shell-quoted."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys

from hypnoscript.project.manifest import CODE_REFERENCE, Manifest
from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError

_SHELL_SYNTAX = re.compile(r"[;&|<>$`*?(){}\[\]~\n]")


def run_suggestion(project: Manifest, name: str, command: str, extra: list[str], profile: str | None) -> int:
    def fail(message: str) -> DiagnosticError:
        span = project.doc.span(("suggestions", name)) if project.doc else None
        return DiagnosticError([Diagnostic(CODE_REFERENCE, message, span, path=project.path)])

    try:
        words = shlex.split(command)
    except ValueError as exc:
        raise fail(f"Failed to parse command in suggestion '{name}': {exc}") from None
    if not words:
        raise fail(f"Empty command in suggestion '{name}'")
    overrides = {"HYP_PROFILE": profile} if profile else {}
    if words[0] in ("hyp", "hypnoscript") and not _SHELL_SYNTAX.search(command):
        status = _in_process(project.root, words[1:] + extra, overrides)
    else:
        line = command + "".join(" " + shlex.quote(a) for a in extra)
        env = dict(os.environ, **overrides)
        env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
        sys.stdout.flush()
        try:
            status = subprocess.run(line, shell=True, cwd=project.root, env=env, check=False).returncode
        except OSError as exc:
            raise fail(f"Failed to execute command '{command}': {exc.strerror or exc}") from None
        if status < 0:
            status = 128 - status  # killed by a signal, as a shell reports it
    if status != 0:
        sys.stdout.flush()
        sys.stderr.write(f"Command '{name}' exited with code {status}\n")
    return status


def _in_process(root: str, argv: list[str], env: dict[str, str]) -> int:
    from hypnoscript.cli.main import main

    cwd = os.getcwd()
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    os.chdir(root)
    try:
        return main(argv)
    finally:
        os.chdir(cwd)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
