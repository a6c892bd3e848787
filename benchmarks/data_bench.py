"""The database and cache builtins against the same work done directly with SQLAlchemy Core and
redis-py.

    python benchmarks/data_bench.py [--quick] [--check] [--ops N] [--rounds N] [--only NAME]

Each operation runs N times in a loop, both sides in this process, on the same connection pool or
client: the HypnoScript side as a .hyp program compiled by the engine in a temporary project whose
configuration names the database and cache (so the builtins find them as `hyp exec` does), its
main function timed (not the few milliseconds a run takes to start); the direct side as a Python
loop over the same engine (`with engine.connect()` / `engine.begin()`, the statement made once
with `sqlalchemy.text`) or a Redis client made like the cache's. The HypnoScript side includes
turning the results into HypnoScript values; the direct side keeps the driver's rows and bytes.

- select: `SELECT id, name, price FROM items WHERE id = :id` through `DbQueryOne`
- insert: `INSERT INTO items (name, price) VALUES (:name, :price)` through `DbExecute`
- cache get: `CacheGet` of an existing key against `redis.Redis.get`

on SQLite (a file in a temporary folder), PostgreSQL (a scratch database on 127.0.0.1:5432 as
user root, dropped afterwards) and Redis (127.0.0.1:6379, a key prefix of its own, cleaned
afterwards). A server that is not running has its rows skipped with a note.

Rounds alternate the two sides after a warm-up. The cost of each side's bare loop (the same loop
building the same parameters, without the call) is measured the same way and subtracted from that
side; it is under 1 us per operation. Prints operations per second of the best rounds, their ratio
HypnoScript/direct (the goal is at least 0.8; with `--check` the exit status is 1 when one is
below), the median of the rounds' own ratios, and CPU time per operation: on a shared machine the
medians move by tens of percent between runs, the best rounds much less.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from hypnoscript.runtime import infrastructure  # noqa: E402
from hypnoscript.services.infrastructure import for_project, resolve  # noqa: E402
from hypnoscript.syntax.source import Source  # noqa: E402

GOAL = 0.8
ROWS = 1000  # rows the selects read, by id 1..ROWS
POSTGRES_HOST = os.environ.get("HYP_TEST_POSTGRES_HOST", "127.0.0.1")
POSTGRES_USER = os.environ.get("HYP_TEST_POSTGRES_USER", "root")
REDIS_HOST = os.environ.get("HYP_TEST_REDIS_HOST", "127.0.0.1")

SELECT = "SELECT id, name, price FROM items WHERE id = :id"
INSERT = "INSERT INTO items (name, price) VALUES (:name, :price)"
CACHE_KEY = "item"
CACHE_VALUE = {"id": 42, "name": "widget", "price": 9.5, "tags": ["hypnotic", "fast"]}

# the loop body of each operation: the call, and the bare loop's stand-in building the same arguments
HYP_BODIES = {
    "select": (f'induce row = DbQueryOne("{SELECT}", {{ id: (i % {ROWS}) + 1 }});',
               f"induce row = {{ id: (i % {ROWS}) + 1 }};"),
    "insert": (f'induce n = DbExecute("{INSERT}", {{ name: "widget", price: 9.5 }});',
               'induce n = { name: "widget", price: 9.5 };'),
    "cache get": (f'induce value = CacheGet("{CACHE_KEY}");', f'induce value = "{CACHE_KEY}";'),
}


def clocks() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def since(start: tuple[float, float]) -> tuple[float, float]:
    """Wall and CPU seconds (of this process, every thread) since `start`."""
    return time.perf_counter() - start[0], time.process_time() - start[1]


def hyp_program(body: str, ops: int) -> str:
    return f"Focus {{\n    loop (induce i = 0; i < {ops}; i = i + 1) {{\n        {body}\n    }}\n}} Relax\n"


def listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def make_project(folder: str, database_url: str, cache_url: str, prefix: str) -> None:
    os.makedirs(os.path.join(folder, "config"))
    with open(os.path.join(folder, "trance.json"), "w") as fh:
        json.dump({"ritualName": "databench", "mantra": "1.0.0"}, fh)
    with open(os.path.join(folder, "config", "hypnoscript.config.json"), "w") as fh:
        json.dump({"infrastructure": {"database": {"url": database_url},
                                      "cache": {"url": cache_url, "prefix": prefix}}}, fh)


# --- the two sides --------------------------------------------------------------------------------

class HypSide:
    """A .hyp program in the project, compiled once by the engine; each call runs its main function
    (the loop) in this thread under one runtime context, and returns the time the loop took (the
    engine's start-up of a run, a few milliseconds, is left out)."""

    def __init__(self, project: str, name: str, body: str, ops: int) -> None:
        from hypnoscript.project.modules import ModuleLoader
        from hypnoscript.runtime.context import RuntimeContext

        path = os.path.join(project, name.replace(" ", "_") + ".hyp")
        with open(path, "w") as fh:
            fh.write(hyp_program(body, ops))
        with open(path) as fh:
            self.program = ModuleLoader().load_main(Source(fh.read(), path))
        self.ctx = RuntimeContext(stdout=io.StringIO(), stderr=io.StringIO(), script_path=path)

    def __call__(self) -> tuple[float, float]:
        from hypnoscript.runtime.context import activate, deactivate

        token = activate(self.ctx)
        try:
            main = self.program.main_function(self.ctx)
            start = clocks()
            main()
            return since(start)
        except Exception as exc:  # noqa: BLE001 - reported as the program's own error
            error = self.program.run_error(exc).error
            raise SystemExit(f"{self.program.source.path}: {error.message}") from None
        finally:
            deactivate(token)


def direct_select(engine, ops: int, bare: bool):
    import sqlalchemy

    stmt = sqlalchemy.text(SELECT)

    def run() -> tuple[float, float]:
        start = clocks()
        if bare:
            for i in range(ops):
                row = {"id": i % ROWS + 1}
        else:
            for i in range(ops):
                with engine.connect() as conn:
                    row = conn.execute(stmt, {"id": i % ROWS + 1}).first()
        del row
        return since(start)

    return run


def direct_insert(engine, ops: int, bare: bool):
    import sqlalchemy

    stmt = sqlalchemy.text(INSERT)

    def run() -> tuple[float, float]:
        start = clocks()
        if bare:
            for _ in range(ops):
                n = {"name": "widget", "price": 9.5}
        else:
            for _ in range(ops):
                with engine.begin() as conn:
                    n = conn.execute(stmt, {"name": "widget", "price": 9.5}).rowcount
        del n
        return since(start)

    return run


def direct_cache_get(client, key: str, ops: int, bare: bool):
    def run() -> tuple[float, float]:
        start = clocks()
        if bare:
            for _ in range(ops):
                value = key
        else:
            for _ in range(ops):
                value = client.get(key)
        del value
        return since(start)

    return run


# --- measuring ------------------------------------------------------------------------------------

class Row:
    def __init__(self, operation: str, backend: str) -> None:
        self.operation = operation
        self.backend = backend
        self.direct: list[float] = []  # ops/s per round
        self.hyp: list[float] = []
        self.cpu_direct: list[float] = []  # CPU seconds of this process per operation, per round
        self.cpu_hyp: list[float] = []
        self.loop_direct = 0.0  # bare loop, seconds per operation
        self.loop_hyp = 0.0

    @property
    def ratio(self) -> float:
        return max(self.hyp) / max(self.direct)

    @property
    def paired_ratio(self) -> float:
        """The median of the rounds' own ratios: each pair ran back to back, under the same load."""
        return statistics.median(h / d for h, d in zip(self.hyp, self.direct))

    @property
    def overhead_us(self) -> float:
        return 1e6 / max(self.hyp) - 1e6 / max(self.direct)


def measure(row: Row, ops: int, rounds: int, direct, direct_bare, hyp, hyp_bare) -> Row:
    for fn in (direct, hyp, direct_bare, hyp_bare):  # warm-up: pool filled, program compiled and cached
        fn()
    bare_direct = [direct_bare() for _ in range(rounds)]
    bare_hyp = [hyp_bare() for _ in range(rounds)]
    row.loop_direct = min(t[0] for t in bare_direct) / ops
    row.loop_hyp = min(t[0] for t in bare_hyp) / ops
    cpu_loop_direct = min(t[1] for t in bare_direct) / ops
    cpu_loop_hyp = min(t[1] for t in bare_hyp) / ops
    for n in range(rounds):
        # each side goes first in every other round
        first, second = (direct, hyp) if n % 2 == 0 else (hyp, direct)
        times = {first: first(), second: second()}
        row.direct.append(ops / max(times[direct][0] - row.loop_direct * ops, 1e-9))
        row.hyp.append(ops / max(times[hyp][0] - row.loop_hyp * ops, 1e-9))
        row.cpu_direct.append(times[direct][1] / ops - cpu_loop_direct)
        row.cpu_hyp.append(times[hyp][1] / ops - cpu_loop_hyp)
    return row


def bench_database(backend: str, url: str, cache_url: str, prefix: str, args, rows: list) -> None:
    import sqlalchemy

    project = tempfile.mkdtemp(prefix=f"hyp-data-bench-{backend}-")
    try:
        make_project(project, url, cache_url, prefix)
        database = for_project(project).database()
        engine = database.engine  # the direct side uses the builtins' own pool
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS items")
            key = "INTEGER PRIMARY KEY AUTOINCREMENT" if backend == "sqlite" else "SERIAL PRIMARY KEY"
            conn.exec_driver_sql(f"CREATE TABLE items (id {key}, name TEXT NOT NULL, price DOUBLE PRECISION)")
            conn.execute(sqlalchemy.text(INSERT), [{"name": f"item {i}", "price": i * 0.25} for i in range(ROWS)])
        for operation, factory in (("select", direct_select), ("insert", direct_insert)):
            if args.only and operation not in args.only:
                continue
            call, bare = HYP_BODIES[operation]
            rows.append(measure(Row(operation, backend), args.ops, args.rounds,
                                factory(engine, args.ops, False), factory(engine, args.ops, True),
                                HypSide(project, operation, call, args.ops),
                                HypSide(project, operation + "_bare", bare, args.ops)))
        if args.cache and cache_url.startswith("redis://") and (not args.only or "cache get" in args.only):
            bench_cache(project, cache_url, prefix, args, rows)
    finally:
        for_project(project).close()
        shutil.rmtree(project, ignore_errors=True)


def bench_cache(project: str, url: str, prefix: str, args, rows: list) -> None:
    import redis

    cache = for_project(project).cache()
    cache.set(CACHE_KEY, CACHE_VALUE, 0)
    # a client of its own, made as the cache's backend makes it
    client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5, health_check_interval=30)
    try:
        call, bare = HYP_BODIES["cache get"]
        rows.append(measure(Row("cache get", "redis"), args.ops, args.rounds,
                            direct_cache_get(client, prefix + CACHE_KEY, args.ops, False),
                            direct_cache_get(client, prefix + CACHE_KEY, args.ops, True),
                            HypSide(project, "cache get", call, args.ops),
                            HypSide(project, "cache get_bare", bare, args.ops)))
    finally:
        client.close()


def postgres_scratch():
    """A scratch PostgreSQL database: (url, drop)."""
    import psycopg

    name = f"hyp_bench_{uuid.uuid4().hex[:12]}"
    admin = f"postgresql://{POSTGRES_USER}@{POSTGRES_HOST}:5432/test"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"postgresql://{POSTGRES_USER}@{POSTGRES_HOST}:5432/{name}", drop


def clean_redis(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", type=int, help="operations per round (default 500, 200 with --quick)")
    parser.add_argument("--rounds", type=int, help="measured rounds per side (default 15, 5 with --quick)")
    parser.add_argument("--quick", action="store_true", help="a short run")
    parser.add_argument("--check", action="store_true", help=f"exit 1 when a ratio is below {GOAL}")
    parser.add_argument("--only", action="append", choices=("select", "insert", "cache get"),
                        help="run only this operation (repeatable)")
    args = parser.parse_args(argv)
    args.ops = args.ops or (200 if args.quick else 500)
    args.rounds = args.rounds or (5 if args.quick else 15)
    for name in [k for k in os.environ if k.startswith("HYP_INFRASTRUCTURE__")] + ["HYP_PROFILE"]:
        os.environ.pop(name, None)  # the temporary projects' configuration is what counts
    infrastructure.register(resolve)

    rows: list[Row] = []
    notes: list[str] = []
    redis_url = f"redis://{REDIS_HOST}:6379/0"
    prefix = f"hyp_bench_{uuid.uuid4().hex[:12]}:"
    has_redis = listening(REDIS_HOST, 6379)
    if not has_redis:
        notes.append(f"cache get / redis skipped: Redis is not running on {REDIS_HOST}:6379")
    args.cache = has_redis
    folder = tempfile.mkdtemp(prefix="hyp-data-bench-")
    try:
        bench_database("sqlite", f"sqlite:///{os.path.join(folder, 'bench.db')}",
                       redis_url if has_redis else "memory://", prefix, args, rows)
        args.cache = False
        wanted = not args.only or "select" in args.only or "insert" in args.only
        if wanted and listening(POSTGRES_HOST, 5432):
            url, drop = postgres_scratch()
            try:
                bench_database("postgresql", url, "memory://", prefix, args, rows)
            finally:
                drop()
        elif wanted:
            notes.append(f"postgresql rows skipped: PostgreSQL is not running on {POSTGRES_HOST}:5432")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if has_redis:
            clean_redis(redis_url, prefix)

    print(f"{args.ops} operations x {args.rounds} rounds per side, alternating; bare loops subtracted")
    print(f"{'operation':<11}{'backend':<12}{'direct ops/s':>14}{'hyp ops/s':>12}{'ratio':>7}"
          f"{'paired':>8}{'+us/op':>8}{'CPU us/op':>18}   median ops/s")
    failed = False
    for row in rows:
        failed |= row.ratio < GOAL
        cpu = f"{min(row.cpu_direct) * 1e6:.1f} / {min(row.cpu_hyp) * 1e6:.1f}"
        print(f"{row.operation:<11}{row.backend:<12}{max(row.direct):>14.0f}{max(row.hyp):>12.0f}"
              f"{row.ratio:>7.2f}{row.paired_ratio:>8.2f}{row.overhead_us:>8.1f}{cpu:>18}   "
              f"{statistics.median(row.direct):.0f} / {statistics.median(row.hyp):.0f}"
              + ("" if row.ratio >= GOAL else f"   below {GOAL}"))
    loops = ", ".join(f"{row.operation}/{row.backend} {row.loop_direct * 1e6:.2f}/{row.loop_hyp * 1e6:.2f}"
                      for row in rows)
    print("ops/s and ratio (HypnoScript/direct): best rounds; paired: median of the rounds' own ratios; "
          "+us/op: HypnoScript's extra wall time per operation;\nCPU us/op: this process's CPU time per "
          "operation, direct / HypnoScript (least of the rounds); median ops/s: direct / HypnoScript")
    print(f"bare loops subtracted, us/op direct/HypnoScript: {loops}")
    for note in notes:
        print("note: " + note)
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
