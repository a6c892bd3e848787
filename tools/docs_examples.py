"""Measure how many whole programs of the reference documentation run here.

Usage: python tools/docs_examples.py DOCS_DIR [--show N] [--filter TEXT]

DOCS_DIR is a checkout of the reference's `hypnoscript-docs/docs` folder (not part of this
repository). Every fenced code block whose first non-comment text is `Focus` is run with
`hyp exec` in an empty temporary folder, stdin closed, with a time limit. Prints the pass rate and
the failures grouped by their first diagnostic line. Examples that cannot run by design are counted
apart with the reason (see `by_design`): a page showing an error on purpose, a fragment calling
functions it never defines, input the measurement does not give (files, network, stdin), or syntax
that a decided rule rejects.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile

FENCE = re.compile(r"^([ \t]*)(```+|~~~+)[^\n]*\n(.*?)^\1\2[ \t]*$", re.S | re.M)
LEADING_COMMENTS = re.compile(r"\A(?:\s+|//[^\n]*\n|/\*.*?\*/)*", re.S)
TIME_LIMIT = 20

# Programs whose page shows the error on purpose: (page path suffix, text in the program) -> reason.
SHOWN_ERRORS: dict[tuple[str, str], str] = {
    ("basic-examples.md", "safe.pin"): "the page shows reading a concealed field failing",
    ("sessions.md", "safe.pin"): "the page shows reading a concealed field failing",
    ("sessions.md", "vault.pin"): "the page shows reading a concealed field failing",
}

_NOT_FOUND = re.compile(r"Variable '([^']+)' not found")
_DEFINES = r"(?:suggestion|trigger|session|induce|implant|embed|freeze|record|tranceify)\s+"


def by_design(page: str, body: str, err: str) -> str | None:
    """Why a failing example cannot run whatever the implementation does, or None."""
    for (suffix, text), reason in SHOWN_ERRORS.items():
        if page.endswith(suffix) and text in body:
            return reason
    m = _NOT_FOUND.search(err)
    if m and not re.search(_DEFINES + re.escape(m.group(1)) + r"\b", body):
        return "a fragment: it uses a name it never defines"
    if "found '...'" in err:
        return "a fragment: `...` stands for code the page leaves out"
    if "HYP2003" in err:
        return "`awaken` at the top level (decided: a compile-time error)"
    if "program must end with 'Relax'" in err:
        return "the program has no `Relax` (an error, as in the reference)"
    if "No such file or directory" in err or "module not found" in err:
        return "reads a file the example does not create"
    if "Network error" in err:
        return "needs a network service"
    if "got Null" in err or "Cannot convert null" in err:
        return "reads input, and the measurement's stdin is closed"
    if "unexpected character '^'" in err or "unexpected character '''" in err:
        return "`^` or a single-quoted string (documented as unsupported)"
    if re.search(r"\bfunction\s*\w*\s*\(|\bvar\s+\w+\s*=", body) and "HYP1004" in err:
        return "JavaScript syntax (`function`, `var`), not HypnoScript"
    return None


def programs(docs: str):
    for folder, _, files in os.walk(docs):
        for name in sorted(files):
            if not name.endswith((".md", ".mdx")):
                continue
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
            for i, m in enumerate(FENCE.finditer(text)):
                indent, body = m.group(1), m.group(3)
                if indent:
                    body = "\n".join(line[len(indent):] if line.startswith(indent) else line for line in body.split("\n"))
                rest = body[LEADING_COMMENTS.match(body).end():]
                if rest.startswith("Focus"):
                    yield os.path.relpath(path, docs), i, body


def run(body: str) -> tuple[int, str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        prog = os.path.join(tmp, "example.hyp")
        with open(prog, "w", encoding="utf-8") as fh:
            fh.write(body)
        try:
            r = subprocess.run([sys.executable, "-m", "hypnoscript", "exec", "--no-cache", prog], cwd=tmp,
                               stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIME_LIMIT,
                               env={**os.environ, "NO_COLOR": "1"})
        except subprocess.TimeoutExpired:
            return -1, "", f"timeout after {TIME_LIMIT}s"
    return r.returncode, r.stdout, r.stderr


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("docs")
    ap.add_argument("--show", type=int, default=3, help="examples shown per failure kind")
    ap.add_argument("--filter", help="only pages whose path contains this text")
    args = ap.parse_args()
    total = passed = 0
    failures: dict[str, list[str]] = collections.defaultdict(list)
    designed: dict[str, list[str]] = collections.defaultdict(list)
    for page, index, body in programs(args.docs):
        if args.filter and args.filter not in page:
            continue
        total += 1
        status, _out, err = run(body)
        if status == 0:
            passed += 1
            continue
        reason = by_design(page, body, err)
        if reason:
            designed[reason].append(f"{page}#{index}")
            continue
        first = next((line for line in err.splitlines() if line.strip()), f"exit status {status}")
        where = next((line.strip() for line in err.splitlines() if line.strip().startswith("-->")), "")
        failures[re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", first)].append(f"{page}#{index} {where} | {first}")
    expected = sum(len(v) for v in designed.values())
    runnable = total - expected
    print(f"{passed}/{total} documentation programs run cleanly ({100 * passed / max(total, 1):.1f}%); "
          f"{expected} cannot run by design; {passed}/{runnable} of the others "
          f"({100 * passed / max(runnable, 1):.1f}%)")
    for reason, items in sorted(designed.items(), key=lambda kv: -len(kv[1])):
        print(f"  by design, {len(items):3d} x {reason}")
    for kind, items in sorted(failures.items(), key=lambda kv: -len(kv[1])):
        print(f"\n{len(items):3d} x {kind}")
        for item in items[: args.show]:
            print(f"      {item}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
