#!/usr/bin/env python3
"""Run the reference implementation's own test programs with our `hyp exec` and compare.

Usage:
    python tests/conformance/run_reference.py REFERENCE_CHECKOUT REFERENCE_OUTPUTS [--hyp CMD] [-j N]

REFERENCE_CHECKOUT is a checkout of the reference repository (it holds `hypnoscript-tests/*.hyp`
and `template/src/main.hyp`). REFERENCE_OUTPUTS is the folder of recorded reference results:
for each program `NAME.out` (stdout), `NAME.code` (exit status) and `NAME.err`, where NAME is
`tests__<file>` for `hypnoscript-tests/<file>.hyp` and `template__main` for the template.

Every program runs as `hyp exec FILE` from an empty temporary folder, with stdin closed,
`LANG=C.UTF-8` and `TZ=UTC`, like the recorded runs. stdout and the exit status are compared;
stderr wording is our own and is not compared. Each program is reported as

- `match`: same stdout (ignoring the lines listed in VOLATILE) and the same exit status;
- `deliberate`: a known difference that follows from a decision of this implementation
  (explained in DELIBERATE and in docs/compatibility.md);
- `MISMATCH`: anything else.

This is a measurement, not a test: the exit status is 1 when there is a mismatch.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

# Lines whose content depends on the clock, the machine or hash-set order, by program: each entry is
# a line prefix and how the rest of such a line is compared: "any" (not at all) or "chars" (as a
# multiset of characters, for hash-set order).
_CLOCK_AND_HOST = [(p, "any") for p in (
    "Timestamp: ", "Datum: ", "Uhrzeit: ", "Datum/Zeit: ", "Tag im Jahr: ", "Formatiert (YYYY-MM-DD): ",
    "Aktuelles Verzeichnis: ", "PATH gesetzt? ", "Args: ", "Betriebssystem: ", "Architektur: ", "CPU-Kerne: ",
    "Benutzer: ", "Hostname: ",
)]
VOLATILE: dict[str, list[tuple[str, str]]] = {
    "tests__test_async_system": _CLOCK_AND_HOST,
    "tests__test_extended_builtins": [("Unique Characters: ", "chars")],
    "tests__test_extended_features": [("UniqueCharacters('focus'): ", "chars")] + [(p, "any") for p in (
        "Timestamp: ", "Date/time: ", "Day of week: ", "Day of year: ", "Hour: ", "CPU cores: ", "Hostname: ",
        "Username: ", "HOME directory: ", "PATH present?: ",
    )],
}

# Programs on which we differ from the reference on purpose: name -> why.
DELIBERATE: dict[str, str] = {
    "tests__medium_test": (
        "the reference stops with a syntax error at `drift(50);` (`drift` is a reserved word there); we accept "
        "the documented pause `drift(ms)`/`Drift(ms)` and run the whole program"
    ),
    "tests__test": (
        "the reference rejects the repeated `Focus {` header on line 2; we accept it with a warning, as well as "
        "the other documented forms the program uses (`sharedTrance name: type = value`, `number?`, `null`, "
        "`imperative suggestion`, `trigger ... };`, `drift(ms)`), and run it"
    ),
    "tests__test_advanced": (
        "the reference rejects the `string[]` field type; we accept documented type annotations, labelled "
        "`snap label;` and the `deepFocus (cond) { }` statement, run the program and stop with its own error: "
        "the second loop counts `i deeplyLess ArrayLength(plans)` (<=) and reads plans[3] (Index 3 out of "
        "bounds, exit 1, output before it kept)"
    ),
    "tests__test_all_new_features": (
        "the reference rejects the optional field type `string?`; we accept it and the `null` literal and run "
        "the program"
    ),
    "tests__test_async": (
        "the reference rejects the optional type `number?`; we accept it and the `null` literal and run the "
        "program"
    ),
    "tests__test_comprehensive": (
        "the reference stops with a syntax error at `drift(500);`; we accept the documented pause and run the "
        "program"
    ),
    "tests__test_enterprise_features": (
        "the reference rejects `sharedTrance name: type = value` without induce/implant/embed/freeze; we read it "
        "as `sharedTrance induce` (and accept `trigger ... };`) and run the program"
    ),
    "tests__test_enterprise_v3": (
        "the reference rejects `sharedTrance name: type = value`; we read it as `sharedTrance induce`, accept "
        "`trigger ... };` and run the program (the stray `} Relax` after `Relax` is ignored by both)"
    ),
    "tests__test_new_language_features": (
        "the reference rejects the missing `;` after `whisper \"soft whisper\"` at the end of a line; we accept a "
        "missing `;` at a line end before the next statement (a warning) and run the program"
    ),
}


@dataclass
class Result:
    name: str
    ref_code: int
    our_code: int | None
    verdict: str
    note: str


def program_path(reference: Path, name: str) -> Path:
    if name == "template__main":
        return reference / "template" / "src" / "main.hyp"
    if name.startswith("tests__"):
        return reference / "hypnoscript-tests" / (name[len("tests__"):] + ".hyp")
    raise ValueError(f"unknown recorded program name: {name}")


def run_hyp(hyp: list[str], program: Path, timeout: float) -> tuple[int | None, str]:
    env = dict(os.environ)
    env.update({"LANG": "C.UTF-8", "TZ": "UTC", "HYP_NO_CACHE": "1"})
    with tempfile.TemporaryDirectory(prefix="hyp-ref-") as empty:
        try:
            proc = subprocess.run([*hyp, "exec", str(program)], cwd=empty, stdin=subprocess.DEVNULL,
                                  capture_output=True, env=env, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout or b""
            return None, out.decode("utf-8", "replace")
    return proc.returncode, proc.stdout.decode("utf-8", "replace")


def same_output(name: str, expected: str, actual: str) -> tuple[bool, str]:
    """Compare stdout, ignoring volatile lines; the note names the first differing line."""
    if expected == actual:
        return True, ""
    volatile = VOLATILE.get(name, [])
    exp_lines = expected.split("\n")
    act_lines = actual.split("\n")
    if volatile and len(exp_lines) == len(act_lines):
        for i, (e, a) in enumerate(zip(exp_lines, act_lines), 1):
            if e == a:
                continue
            rule = next(((p, r) for p, r in volatile if e.startswith(p) and a.startswith(p)), None)
            if rule is None:
                return False, f"line {i}: expected {e!r}, got {a!r}"
            prefix, how = rule
            if how == "chars" and sorted(e[len(prefix):]) != sorted(a[len(prefix):]):
                return False, f"line {i}: expected the characters of {e[len(prefix):]!r}, got {a[len(prefix):]!r}"
        return True, "volatile lines (clock, host, hash-set order) not compared"
    for i, (e, a) in enumerate(zip(exp_lines, act_lines), 1):
        if e != a:
            return False, f"line {i}: expected {e!r}, got {a!r}"
    return False, f"expected {len(exp_lines) - 1} lines, got {len(act_lines) - 1}"


def check(hyp: list[str], reference: Path, outputs: Path, name: str, timeout: float) -> Result:
    ref_code = int((outputs / f"{name}.code").read_text().strip())
    expected = (outputs / f"{name}.out").read_bytes().decode("utf-8", "replace")
    program = program_path(reference, name)
    if not program.is_file():
        return Result(name, ref_code, None, "MISMATCH", f"program not found: {program}")
    our_code, actual = run_hyp(hyp, program, timeout)
    if our_code is None:
        return Result(name, ref_code, None, "MISMATCH", f"timed out after {timeout:g} s")
    same, note = same_output(name, expected, actual)
    if same and our_code == ref_code:
        return Result(name, ref_code, our_code, "match", note)
    if not same:
        detail = note
    else:
        detail = f"exit status {our_code}, reference {ref_code}"
    if name in DELIBERATE:
        return Result(name, ref_code, our_code, "deliberate", DELIBERATE[name])
    return Result(name, ref_code, our_code, "MISMATCH", detail)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reference", type=Path, help="checkout of the reference repository")
    parser.add_argument("outputs", type=Path, help="folder of recorded reference outputs (NAME.out/.code)")
    parser.add_argument("--hyp", default=f"{shlex.quote(sys.executable)} -m hypnoscript",
                        help="command that runs our CLI (default: this Python with -m hypnoscript)")
    parser.add_argument("-j", "--jobs", type=int, default=4, help="programs run in parallel (default 4)")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per program (default 180)")
    args = parser.parse_args(argv)

    hyp = shlex.split(args.hyp)
    names = sorted(p.name[: -len(".code")] for p in args.outputs.glob("*.code"))
    if not names:
        print(f"no recorded outputs (*.code) in {args.outputs}", file=sys.stderr)
        return 2
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(lambda n: check(hyp, args.reference, args.outputs, n, args.timeout), names))

    width = max(len(r.name) for r in results)
    print(f"{'program':<{width}}  ref  ours  result      note")
    print(f"{'-' * width}  ---  ----  ----------  ----")
    for r in results:
        ours = "-" if r.our_code is None else str(r.our_code)
        print(f"{r.name:<{width}}  {r.ref_code:>3}  {ours:>4}  {r.verdict:<10}  {r.note}")
    counts = {v: sum(r.verdict == v for r in results) for v in ("match", "deliberate", "MISMATCH")}
    print()
    print(f"{len(results)} programs: {counts['match']} match, {counts['deliberate']} deliberate differences, "
          f"{counts['MISMATCH']} mismatches")
    return 1 if counts["MISMATCH"] else 0


if __name__ == "__main__":
    sys.exit(main())
