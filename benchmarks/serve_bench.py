"""`hyp serve` against the same JSON endpoint written directly in Starlette, both on uvicorn.

    python benchmarks/serve_bench.py [--duration 10] [--connections 32] [--workers 1] [--rounds 3]

Each server runs as its own process with the same worker count (uvloop and httptools in both),
is warmed up, then loaded from loopback for a fixed time: with `wrk` when it is installed, else
with a small asyncio keep-alive client. Prints requests/s and p50/p99 latency of both and the
ratios (goals: throughput at least 0.8x, p99 at most 1.25x), and the server CPU time per request
(steadier than throughput where the load generator shares the machine). `hyp serve` runs as
deployed: one JSON log line per request (to a file), metrics, request ids; the Starlette baseline
logs nothing.
With `--check` the exit status is 1 when a goal is missed. Where `taskset` exists and the
machine has more CPUs than server workers, servers run on the last CPUs and the load generator on
the others, so that the two do not take turns on one core (`--no-pin` turns this off).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

PATH = "/items/42"

HANDLER = """Focus {
    suggestion item(request) {
        awaken { id: request.params.id, name: "widget", price: 9.5, tags: ["hypnotic", "fast"], inStock: true };
    }
} Relax
"""

CONFIG = {"services": {"shop": {"module": "modules/shop/shop.hyp",
                                "routes": [{"method": "GET", "path": "/items/{id:int}", "handler": "item"}]}}}

RAW_APP = """from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route


async def item(request):
    return JSONResponse({"id": request.path_params["id"], "name": "widget", "price": 9.5,
                         "tags": ["hypnotic", "fast"], "inStock": True})


app = Starlette(routes=[Route("/items/{id:int}", item)])
"""


def make_project(folder: str) -> None:
    os.makedirs(os.path.join(folder, "modules", "shop"))
    os.makedirs(os.path.join(folder, "config"))
    with open(os.path.join(folder, "trance.json"), "w") as fh:
        json.dump({"ritualName": "bench", "mantra": "1.0.0", "intent": "service"}, fh)
    with open(os.path.join(folder, "config", "hypnoscript.config.json"), "w") as fh:
        json.dump(CONFIG, fh)
    with open(os.path.join(folder, "modules", "shop", "shop.hyp"), "w") as fh:
        fh.write(HANDLER)
    with open(os.path.join(folder, "rawapp.py"), "w") as fh:
        fh.write(RAW_APP)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVER_CPUS: list[str] = []  # the taskset prefix of the server commands (empty: not pinned)


def pin_cpus(workers: int) -> str | None:
    """Servers on the last `workers` CPUs, this process and the load generator on the others;
    returns a description, or None when there are too few CPUs (or no taskset)."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if not shutil.which("taskset") or len(cpus) <= workers:
        return None
    server, load = cpus[-workers:], cpus[:-workers]
    SERVER_CPUS[:] = ["taskset", "-c", ",".join(map(str, server))]
    os.sched_setaffinity(0, load)
    return f"servers on CPU {','.join(map(str, server))}, load on CPU {','.join(map(str, load))}"


def start(kind: str, folder: str, workers: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    if kind == "hyp":
        cmd = [sys.executable, "-m", "hypnoscript", "serve", "--project", folder, "--port", str(port),
               "--workers", str(workers)]
    else:
        cmd = [sys.executable, "-m", "uvicorn", "rawapp:app", "--app-dir", folder, "--port", str(port),
               "--workers", str(workers), "--no-access-log", "--log-level", "warning"]
    log = os.path.join(folder, f"{kind}.log")
    with open(log, "w") as out:  # the server keeps its own handle
        proc = subprocess.Popen(SERVER_CPUS + cmd, stdout=out, stderr=subprocess.STDOUT, cwd=folder)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{PATH}", timeout=1) as r:
                if r.status == 200:
                    return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    with open(log) as fh:
        raise SystemExit(f"{kind} server did not start:\n{fh.read()}")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0}


def load_wrk(port: int, seconds: float, connections: int) -> tuple[float, float, float]:
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{max(1, int(seconds))}s", "--latency",
                          f"http://127.0.0.1:{port}{PATH}"], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p: str) -> float:
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        return float(m.group(1)) * _UNITS[m.group(2)]

    return rps, pct("50"), pct("99")


class _Client(asyncio.Protocol):
    """One keep-alive connection sending the next request as soon as a response is complete."""

    def __init__(self, request: bytes, latencies: list, stop_at: float) -> None:
        self.request = request
        self.latencies = latencies
        self.stop_at = stop_at
        self.buffer = b""
        self.done = asyncio.get_running_loop().create_future()

    def connection_made(self, transport) -> None:
        self.transport = transport
        self._send()

    def _send(self) -> None:
        self.sent = time.perf_counter()
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
            if len(rest) < length:
                return
            self.buffer = rest[length:]
            now = time.perf_counter()
            self.latencies.append(now - self.sent)
            if now >= self.stop_at:
                self.transport.close()
                return
            self._send()

    def connection_lost(self, exc) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def _python_load(port: int, seconds: float, connections: int) -> tuple[float, float, float]:
    loop = asyncio.get_running_loop()
    request = f"GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    latencies: list[float] = []
    started = time.perf_counter()
    stop_at = started + seconds
    clients = []
    for _ in range(connections):
        _, proto = await loop.create_connection(lambda: _Client(request, latencies, stop_at), "127.0.0.1", port)
        clients.append(proto)
    await asyncio.gather(*(c.done for c in clients))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return len(latencies) / elapsed, latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]


def load_python(port: int, seconds: float, connections: int) -> tuple[float, float, float]:
    try:
        import uvloop

        return uvloop.run(_python_load(port, seconds, connections))
    except ImportError:
        return asyncio.run(_python_load(port, seconds, connections))


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by a process and its live descendants (Linux /proc; 0 elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        used[int(entry)] = (int(fields[11]) + int(fields[12])) / ticks
    total, stack = 0.0, [pid]
    while stack:
        p = stack.pop()
        total += used.get(p, 0.0)
        stack += [child for child, parent in parents.items() if parent == p]
    return total


MOVED: list[bool] = []  # runs in which the handler left the event loop (it should not: it is quick)


def measure(kind: str, folder: str, args, load) -> tuple[float, float, float, float]:
    """(requests/s, p50, p99, server CPU seconds per request)."""
    proc, port = start(kind, folder, args.workers)
    try:
        load(port, args.warmup, args.connections)
        before = cpu_seconds(proc.pid)
        rps, p50, p99 = load(port, args.duration, args.connections)
        used = cpu_seconds(proc.pid) - before
        return rps, p50, p99, used / max(rps * args.duration, 1.0)
    finally:
        stop(proc)
        if kind == "hyp":
            with open(os.path.join(folder, "hyp.log")) as fh:
                if "handler moved to the handler threads" in fh.read():
                    MOVED.append(True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per measurement")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of load before measuring")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3, help="measurements per server (the median counts)")
    parser.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument("--no-pin", action="store_true", help="let the servers and the load generator share CPUs")
    args = parser.parse_args()
    pinned = None if args.no_pin else pin_cpus(args.workers)
    use_wrk = args.tool == "wrk" or (args.tool == "auto" and shutil.which("wrk"))
    load = load_wrk if use_wrk else load_python
    folder = tempfile.mkdtemp(prefix="hyp-serve-bench-")
    try:
        make_project(folder)
        results: dict[str, list] = {"starlette": [], "hyp": []}
        for _ in range(args.rounds):
            for kind in ("starlette", "hyp"):
                results[kind].append(measure("hyp" if kind == "hyp" else "raw", folder, args, load))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    summary = {kind: tuple(statistics.median(r[i] for r in runs) for i in range(4)) for kind, runs in results.items()}
    print(f"load: {'wrk' if use_wrk else 'asyncio client'}, {args.connections} connections, "
          f"{args.duration:g} s x {args.rounds} rounds, {args.workers} worker(s)"
          + (f", {pinned}" if pinned else ""))
    print(f"{'server':<12}{'req/s':>12}{'p50 ms':>10}{'p99 ms':>10}{'CPU us/req':>12}")
    for kind, (rps, p50, p99, cpu) in summary.items():
        print(f"{kind:<12}{rps:>12.0f}{p50 * 1000:>10.2f}{p99 * 1000:>10.2f}{cpu * 1e6:>12.1f}")
    throughput = summary["hyp"][0] / summary["starlette"][0]
    p99_ratio = summary["hyp"][2] / summary["starlette"][2]
    # CPU per request is steadier than throughput on a machine shared with the load generator
    cpu_ratio = summary["starlette"][3] / summary["hyp"][3] if summary["hyp"][3] else 0.0
    print(f"hyp/starlette: throughput {throughput:.2f}x (goal >= 0.80), p99 {p99_ratio:.2f}x (goal <= 1.25), "
          f"requests per CPU second {cpu_ratio:.2f}x")
    if MOVED:
        print(f"note: in {len(MOVED)} run(s) the handler overran its inline budget and moved to the handler threads")
    return 1 if args.check and (throughput < 0.8 or p99_ratio > 1.25) else 0


if __name__ == "__main__":
    raise SystemExit(main())
