"""End-to-end: the programs in programs/ run through `python -m hypnoscript exec`.

`NAME.out` is the expected stdout; `NAME.code` the exit status when not 0; every line of the
optional `NAME.err` must occur in stderr."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAMS = Path(__file__).resolve().parent / "programs"


@pytest.mark.parametrize("program", sorted(PROGRAMS.glob("*.hyp")), ids=lambda p: p.stem)
def test_program(program, tmp_path):
    env = dict(os.environ, NO_COLOR="1")
    done = subprocess.run(
        [sys.executable, "-m", "hypnoscript", "exec", str(program)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert done.stdout == program.with_suffix(".out").read_text(encoding="utf-8")
    code_file = program.with_suffix(".code")
    assert done.returncode == (int(code_file.read_text()) if code_file.exists() else 0), done.stderr
    err_file = program.with_suffix(".err")
    if err_file.exists():
        for line in filter(None, err_file.read_text(encoding="utf-8").splitlines()):
            assert line in done.stderr


def test_builtins_command_lists_and_explains(tmp_path):
    def hyp(*args):
        return subprocess.run([sys.executable, "-m", "hypnoscript", "builtins", *args], capture_output=True, text=True, encoding="utf-8", timeout=60)

    listing = hyp()
    assert listing.returncode == 0 and "Sqrt(x: number) -> number" in listing.stdout and "Math (" in listing.stdout
    one = hyp("ArraySum")
    assert one.returncode == 0 and "capability: none" in one.stdout
    unknown = hyp("Sqrtt")
    assert unknown.returncode == 1 and "did you mean 'Sqrt'?" in unknown.stderr
    import json

    data = json.loads(hyp("--json").stdout)
    assert {"name", "signature", "params", "category", "pure", "min_args", "max_args", "in_reference"} <= set(data[0])
    assert json.loads(hyp("Pow", "--json").stdout)["max_args"] == 2
    assert hyp("--category", "nope").returncode == 1
    assert "| `Sqrt(x: number) -> number` |" in hyp("--markdown").stdout


def test_generated_docs_are_current():
    from hypnoscript.cli.commands.builtins_cmd import render_markdown
    from hypnoscript.runtime.builtins.registry import all_builtins

    docs = Path(__file__).resolve().parents[2] / "docs" / "builtins.md"
    assert docs.read_text(encoding="utf-8") == render_markdown(all_builtins()) + "\n", "run `hyp builtins --markdown > docs/builtins.md`"
