"""Lexer + parser throughput: lines per second on a generated 20,000-line program.

    python benchmarks/parse_bench.py [--lines N] [--repeat R] [--profile]
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from hypnoscript.syntax.lexer import lex  # noqa: E402
from hypnoscript.syntax.parser import parse  # noqa: E402
from hypnoscript.syntax.source import Source  # noqa: E402

# One chunk of typical code (every statement form, sessions, records, pattern matching);
# repeated with fresh names until the program is long enough.
_CHUNK = """\
    // chunk {n}: declarations and arithmetic
    induce total{n}: number = 0;
    freeze limit{n} = {n} % 17 + 3;
    sharedTrance induce shared{n} = "value " + {n};
    suggestion score{n}(a: number, b: number): number {{
        induce mixed = a * 2 + b / 3 - (a % 5);
        if (mixed lookAtTheWatch 10 underMyControl b != 0) {{
            awaken mixed - 1;
        }} else if (mixed fallUnderMySpell 0) {{
            awaken -mixed;
        }} else {{
            awaken mixed;
        }}
    }}
    loop (induce i = 0; i < limit{n}; i = i + 1) {{
        total{n} = total{n} + score{n}(i, {n});
        if (i == 7) {{ snap; }}
    }}
    while (total{n} > 100) {{
        total{n} = total{n} / 2;
    }}
    tranceify Point{n} {{ x: number; y: number; }}
    induce p{n} = Point{n} {{ x: {n}, y: total{n} }};
    session Counter{n} {{
        expose count: number = 0;
        conceal step = 1;
        dominant expose made = 0;
        suggestion constructor(start: number) {{
            this.count = start;
            Counter{n}.made = Counter{n}.made + 1;
        }}
        suggestion inc() {{ this.count = this.count + this.step; awaken this; }}
    }}
    induce c{n} = Counter{n}(p{n}.x);
    c{n}.inc().inc();
    induce label{n}: string = entrain p{n}.x {{
        when 0 => "zero"
        when n: number if n > 100 => "big"
        when [first, ...rest] => "list " + first
        otherwise => "other"
    }};
    induce items{n} = [1, 2, 3, {n}, total{n} ?? 0, c{n}?.count];
    observe label{n} + " " + ArrayLength(items{n}) + " " + items{n}[0];
    whisper "done {n}";
"""


def generate(lines: int) -> str:
    chunk_lines = _CHUNK.count("\n")
    parts = ["Focus {\n"]
    for n in range(max(1, (lines - 2) // chunk_lines)):
        parts.append(_CHUNK.format(n=n))
    parts.append("} Relax\n")
    return "".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--lines", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="profile one run instead of timing")
    args = parser.parse_args()

    text = generate(args.lines)
    line_count = text.count("\n")
    source = Source(text, "<bench>")
    program, diagnostics = parse(source)
    if diagnostics:
        print(f"generated program has {len(diagnostics)} diagnostics: {diagnostics[0].message}")
        return 1
    # Time with a small heap, as in a fresh `hyp exec`.
    del program
    gc.collect()

    if args.profile:
        import cProfile
        import pstats

        cProfile.runctx("parse(Source(text))", globals(), {"text": text, "parse": parse, "Source": Source},
                        "/tmp/parse_bench.prof")
        pstats.Stats("/tmp/parse_bench.prof").sort_stats("tottime").print_stats(20)
        return 0

    # Wall-clock time, and CPU time, which other processes on a busy machine disturb less.
    lex_times, lex_cpu, total_times, total_cpu = [], [], [], []
    for _ in range(args.repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        table, _ = lex(Source(text))
        lex_times.append(time.perf_counter() - started)
        lex_cpu.append(time.process_time() - started_cpu)
        started, started_cpu = time.perf_counter(), time.process_time()
        result = parse(Source(text))
        total_times.append(time.perf_counter() - started)
        total_cpu.append(time.process_time() - started_cpu)
        del result
    print(f"program: {line_count} lines, {len(text)} characters, {len(table)} tokens; best of {args.repeat}")
    for label, wall, cpu in (("lex only:   ", lex_times, lex_cpu), ("lex + parse:", total_times, total_cpu)):
        print(f"{label} {min(wall) * 1000:7.1f} ms wall {line_count / min(wall):9,.0f} lines/s"
              f"   {min(cpu) * 1000:7.1f} ms CPU {line_count / min(cpu):9,.0f} lines/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
