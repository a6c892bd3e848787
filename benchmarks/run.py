"""Compute benchmarks: each HypnoScript program in compute/ against its plain-Python twin.

Run on demand (`make bench` or `python benchmarks/run.py [NAME...]`). Both sides run in this
process with output captured, best of several runs, after one warm-up (which also fills the code
cache). Prints our time, CPython's time and the ratio per program, then the geometric mean, and
the start-up time of `hyp exec hello.hyp` against `python -c pass`.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from hypnoscript.project.execute import run_program  # noqa: E402
from hypnoscript.syntax.source import Source  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))


def time_hyp(path: str) -> tuple[float, str]:
    with open(path, encoding="utf-8") as fh:
        source = Source(fh.read(), path)
    best, out = math.inf, ""
    for _ in range(REPEAT + 1):
        buf = io.StringIO()
        start = time.perf_counter()
        status = run_program(source, [], stdout=buf)
        elapsed = time.perf_counter() - start
        if status != 0:
            raise SystemExit(f"{path} failed with status {status}")
        best, out = min(best, elapsed), buf.getvalue()
    return best, out


def time_py(path: str) -> tuple[float, str]:
    with open(path, encoding="utf-8") as fh:
        code = compile(fh.read(), path, "exec")
    best, out = math.inf, ""
    for _ in range(REPEAT + 1):
        buf = io.StringIO()
        start = time.perf_counter()
        with contextlib.redirect_stdout(buf):
            exec(code, {"__name__": "__main__"})
        elapsed = time.perf_counter() - start
        best, out = min(best, elapsed), buf.getvalue()
    return best, out


def startup() -> tuple[float, float]:
    hello = os.path.join(ROOT, "examples", "hello.hyp")
    # the installed `hyp` script, as a user runs it (`python -m` would add runpy's imports)
    script = os.path.join(os.path.dirname(sys.executable), "hyp")
    hyp = [script, "exec", hello] if os.path.exists(script) else [sys.executable, "-m", "hypnoscript", "exec", hello]
    base = [sys.executable, "-c", "pass"]

    def best(cmd: list[str]) -> float:
        subprocess.run(cmd, capture_output=True, check=True)
        times = []
        for _ in range(10):
            start = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True)
            times.append(time.perf_counter() - start)
        return min(times)

    return best(hyp), best(base)


def main(argv: list[str]) -> int:
    folder = os.path.join(HERE, "compute")
    names = sorted(f[:-4] for f in os.listdir(folder) if f.endswith(".hyp"))
    if argv:
        names = [n for n in names if n in argv]
    ratios = []
    print(f"{'program':<12} {'hyp (ms)':>10} {'python (ms)':>12} {'ratio':>7}")
    for name in names:
        t_hyp, out_hyp = time_hyp(os.path.join(folder, name + ".hyp"))
        t_py, out_py = time_py(os.path.join(folder, name + ".py"))
        mark = "" if out_hyp == out_py else "  OUTPUT DIFFERS"
        ratio = t_hyp / t_py
        ratios.append(ratio)
        print(f"{name:<12} {t_hyp * 1000:>10.1f} {t_py * 1000:>12.1f} {ratio:>6.2f}x{mark}")
    if ratios:
        geo = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
        print(f"{'geomean':<12} {'':>10} {'':>12} {geo:>6.2f}x")
    if not argv:
        t_start, t_base = startup()
        print(f"start-up: hyp exec hello.hyp {t_start * 1000:.0f} ms, python -c pass {t_base * 1000:.0f} ms "
              f"({t_start / t_base:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
