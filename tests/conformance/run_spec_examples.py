#!/usr/bin/env python3
"""Run the conformance programs of a language specification's EXAMPLES.md with our `hyp exec`.

Usage:
    python tests/conformance/run_spec_examples.py EXAMPLES.md [--hyp CMD] [-j N] [--show-diff]

EXAMPLES.md holds numbered examples (`## Example NN — title`), each with a ```hyp program, an
"**Expected stdout:**" ```text block (every line ends with a newline) and an
"**Expected exit code:** N" line, and an appendix table of one-line programs (`| E1 | `program` |
...`) that print nothing and exit with status 1. The expectations describe the reference
implementation.

Each program is written to an empty temporary folder and run there as `hyp exec FILE` with stdin
closed. stdout and the exit status are compared (stderr wording is our own). Each example is
reported as `match`, `deliberate` (a known, intended difference, explained in DELIBERATE and in
docs/compatibility.md) or `MISMATCH`.

This is a measurement, not a test: the exit status is 1 when there is a mismatch.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shlex
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

# Examples on which we differ from the reference on purpose: id -> the rule that causes it.
DELIBERATE: dict[str, str] = {
    "01": "finale blocks run when the program ends, not where they stand",
    "05": "`&&`/`||` short-circuit and yield the deciding operand (`false && f()` never calls f)",
    "06": "`==` compares arrays by value (`arr == arr` and `[1, 2] != [1, 2]` differ)",
    "08": (
        "names resolve statically: a suggestion never sees its caller's locals, and declarations in while "
        "bodies belong to the enclosing scope"
    ),
    "12": "`==` on session instances is identity (`c == same` is true for two names of one instance)",
    "14": "`==` compares records by value (two Point records with equal fields are equal)",
    "15": "`Length` counts characters, not UTF-8 bytes (`Length(\"héllo\")` is 5)",
    "20": "`Length`, `IndexOf` and `PadLeft`/`PadRight` count characters, not UTF-8 bytes",
    "25": (
        "`snap` outside a loop of the same suggestion is a compile-time error (the reference lets it end the "
        "caller's loop), so nothing runs"
    ),
    "E1": "`null` is a literal (documented language)",
    "E2": "`assert cond;` is a statement (documented language)",
    "E3": "`drift(ms)` pauses (documented language)",
    "E4": "`for (induce i = 0; ...; ...)` loops exist (documented language)",
    "E5": "a trigger declaration may end with `;` (documented language)",
    "E8": "type annotations such as `number[]` are accepted (documented language)",
    "E9": "`a[i] = v` assigns an array element (documented language)",
    "E14": "an entrain arm may be a statement such as `observe \"x\";` (documented language)",
}


@dataclass
class Example:
    ident: str
    title: str
    program: str
    stdout: str
    code: int


@dataclass
class Result:
    example: Example
    our_code: int | None
    our_stdout: str
    verdict: str
    note: str


_HEADING = re.compile(r"^## Example (\d+)\s*[—-]\s*(.*)$", re.M)
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
_CODE = re.compile(r"\*\*Expected exit code:\*\*\s*(\d+)")
_ROW = re.compile(r"^\|\s*(E\d+)\s*\|\s*`(.*)`\s*\|\s*`(.*)`\s*\|\s*$", re.M)


def parse_examples(text: str) -> list[Example]:
    examples: list[Example] = []
    headings = list(_HEADING.finditer(text))
    for i, h in enumerate(headings):
        end = headings[i + 1].start() if i + 1 < len(headings) else text.find("\n## ", h.end())
        body = text[h.end(): end if end != -1 else len(text)]
        program = stdout = None
        for fence in _FENCE.finditer(body):
            lang, content = fence.group(1), fence.group(2)
            if lang == "hyp" and program is None:
                program = content
            elif lang == "text" and stdout is None and "Expected stdout" in body[: fence.start()]:
                stdout = content
        code = _CODE.search(body)
        if program is None or stdout is None or code is None:
            raise ValueError(f"example {h.group(1)} is incomplete")
        examples.append(Example(h.group(1), h.group(2).strip(), program, stdout, int(code.group(1))))
    for row in _ROW.finditer(text):
        examples.append(Example(row.group(1), row.group(3), row.group(2) + "\n", "", 1))
    return examples


def run_example(hyp: list[str], ex: Example, timeout: float) -> tuple[int | None, str]:
    env = dict(os.environ)
    env.update({"LANG": "C.UTF-8", "TZ": "UTC", "HYP_NO_CACHE": "1"})
    with tempfile.TemporaryDirectory(prefix="hyp-example-") as folder:
        path = Path(folder) / f"example_{ex.ident}.hyp"
        path.write_bytes(ex.program.encode("utf-8"))
        try:
            proc = subprocess.run([*hyp, "exec", path.name], cwd=folder, stdin=subprocess.DEVNULL,
                                  capture_output=True, env=env, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None, ""
    return proc.returncode, proc.stdout.decode("utf-8", "replace")


def check(hyp: list[str], ex: Example, timeout: float) -> Result:
    code, out = run_example(hyp, ex, timeout)
    if code is None:
        return Result(ex, None, out, "MISMATCH", f"timed out after {timeout:g} s")
    if out == ex.stdout and code == ex.code:
        return Result(ex, code, out, "match", "")
    if ex.ident in DELIBERATE:
        return Result(ex, code, out, "deliberate", DELIBERATE[ex.ident])
    if out != ex.stdout:
        exp, act = ex.stdout.split("\n"), out.split("\n")
        line = next((i for i, (e, a) in enumerate(zip(exp, act), 1) if e != a), min(len(exp), len(act)))
        note = f"stdout differs from line {line}"
    else:
        note = f"exit status {code}, expected {ex.code}"
    return Result(ex, code, out, "MISMATCH", note)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("examples", type=Path, help="path of EXAMPLES.md")
    parser.add_argument("--hyp", default=f"{shlex.quote(sys.executable)} -m hypnoscript",
                        help="command that runs our CLI (default: this Python with -m hypnoscript)")
    parser.add_argument("-j", "--jobs", type=int, default=4, help="examples run in parallel (default 4)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per example (default 60)")
    parser.add_argument("--show-diff", action="store_true", help="print a stdout diff for every difference")
    parser.add_argument("--no-deliberate", action="store_true", help="report deliberate differences as mismatches")
    args = parser.parse_args(argv)
    if args.no_deliberate:
        DELIBERATE.clear()

    examples = parse_examples(args.examples.read_text(encoding="utf-8"))
    if not examples:
        print(f"no examples found in {args.examples}", file=sys.stderr)
        return 2
    hyp = shlex.split(args.hyp)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(lambda ex: check(hyp, ex, args.timeout), examples))

    print(f"{'example':<8} {'exit':>4} {'ours':>4}  {'result':<10}  note")
    print(f"{'-' * 8} {'-' * 4} {'-' * 4}  {'-' * 10}  ----")
    for r in results:
        ours = "-" if r.our_code is None else str(r.our_code)
        label = r.example.ident if r.example.ident.startswith("E") else f"{r.example.ident}"
        note = r.note or r.example.title
        print(f"{label:<8} {r.example.code:>4} {ours:>4}  {r.verdict:<10}  {note}")
        if args.show_diff and r.verdict != "match":
            diff = difflib.unified_diff(r.example.stdout.splitlines(), r.our_stdout.splitlines(), "expected",
                                        "ours", lineterm="")
            for line in diff:
                print("    " + line)
    counts = {v: sum(r.verdict == v for r in results) for v in ("match", "deliberate", "MISMATCH")}
    print()
    print(f"{len(results)} examples: {counts['match']} match, {counts['deliberate']} deliberate differences, "
          f"{counts['MISMATCH']} mismatches")
    return 1 if counts["MISMATCH"] else 0


if __name__ == "__main__":
    sys.exit(main())
