"""Shared by the analysis tests: the corpus of programs, parsing and running helpers."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from hypnoscript.syntax.parser import parse
from hypnoscript.syntax.source import Source

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
# Beside the repository when they are around (never part of it): a checkout of the reference
# (HYP_REFERENCE_DIR) and the shared specification folder with the reference's outputs.
REFERENCE = Path(os.environ.get("HYP_REFERENCE_DIR", REPO.parent / "ref"))
REFERENCE_OUTPUTS = REPO.parent / "shared" / "reference-outputs"


def wrap(code: str) -> str:
    """A program from statements (already a program when it starts with Focus)."""
    return code if code.lstrip().startswith("Focus") else "Focus {\n" + code + "\n} Relax\n"


def parse_ok(text: str, path: str = "<test>"):
    source = Source(text, path)
    program, diagnostics = parse(source)
    errors = [d for d in diagnostics if d.severity == "error"]
    assert not errors, [d.message for d in errors]
    return program, source


def read(path: Path) -> str | None:
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text[1:] if text.startswith("\ufeff") else text


def _expected_code(path: Path) -> int:
    code = path.with_suffix(".code")
    return int(code.read_text().strip()) if code.is_file() else 0


def repo_programs() -> list[Path]:
    """Every .hyp file of the repository (programs, modules and syntax samples)."""
    out = []
    for path in sorted(REPO.rglob("*.hyp")):
        parts = path.relative_to(REPO).parts
        if any(p.startswith(".") for p in parts) or parts[0] in ("build", "dist"):
            continue
        out.append(path)
    return out


def runnable_programs() -> list[Path]:
    """Programs that run successfully: examples, golden programs expected to exit 0 (not the
    helper modules in `_` folders, not parse-only syntax samples), and the programs here."""
    out = [p for p in sorted((REPO / "examples").rglob("*.hyp"))]
    for folder in (REPO / "tests" / "programs", REPO / "tests" / "builtins" / "programs", HERE / "programs"):
        for path in sorted(folder.rglob("*.hyp")) if folder.is_dir() else []:
            if any(part.startswith("_") for part in path.relative_to(folder).parts[:-1]):
                continue
            if _expected_code(path) == 0:
                out.append(path)
    return out


def golden_programs() -> list[Path]:
    folder = REPO / "tests" / "programs"
    if not folder.is_dir():
        return []
    return [p for p in sorted(folder.rglob("*.hyp"))
            if not any(part.startswith("_") for part in p.relative_to(folder).parts[:-1])]


def reference_programs(successful_only: bool = True) -> list[Path]:
    """The reference implementation's test programs (those it runs cleanly), if present."""
    folder = REFERENCE / "hypnoscript-tests"
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.hyp")):
        code = REFERENCE_OUTPUTS / f"tests__{path.stem}.code"
        if successful_only and not (code.is_file() and code.read_text().strip() == "0"):
            continue
        out.append(path)
    template = REFERENCE / "template" / "src" / "main.hyp"
    if template.is_file():
        out.append(template)
    return out


def ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(REPO)) if p.is_relative_to(REPO) else str(p) for p in paths]


def run_text(text: str, path: str) -> tuple[int, str]:
    from hypnoscript.project.execute import run_program

    out, err = io.StringIO(), io.StringIO()
    status = run_program(Source(text, path), [], stdout=out, stderr=err, stdin=io.StringIO(""), use_cache=False)
    return status, out.getvalue()


def hyp(*args: str, cwd, stdin: str | None = None) -> subprocess.CompletedProcess:
    """`hyp ARGS` run as a user runs it, in `cwd`."""
    return subprocess.run([sys.executable, "-m", "hypnoscript", *args], input=stdin, capture_output=True, text=True,
                          cwd=cwd, timeout=120)
