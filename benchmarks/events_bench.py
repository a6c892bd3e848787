"""Events published and handled end to end per second on each broker, against the same work done
directly with the broker's client library.

    python benchmarks/events_bench.py [--quick] [--check] [--events N] [--rounds N] [--only NAME]
                                      [--no-full-stack]

Brokers: the embedded SQLite queue (a file in a temporary folder), Redis (127.0.0.1:6379), NATS
JetStream (127.0.0.1:4222) and RabbitMQ (amqp://guest:guest@127.0.0.1:5672/), each on a prefix,
stream or queue of its own that is deleted afterwards. A server that is not running has its rows
skipped with a note.

One round: a consumer thread waits for events while the main thread publishes N of them; the
round is timed from the first publish to the last acknowledgement.
- ours: the broker of services.events (two broker objects on the same queue, as a `hyp serve`
  and a `hyp worker` would have): `declare` once, then `publish(new_event(...))` per event
  (durable on return); the consumer `fetch`es up to 10 at a time and `ack`s each.
- raw: the client library doing the same durable work on two connections:
  SQLite: sqlite3 in WAL mode, one INSERT per publish committed with synchronous=FULL; per fetch
  a SELECT of up to 10 due rows and an UPDATE of their lease in one transaction, per ack a DELETE
  (synchronous=NORMAL), polling every SqliteBroker.POLL seconds when nothing is due, as ours.
  Redis: XADD; XREADGROUP COUNT 10 BLOCK; XACK (redis-py).
  NATS: JetStream publish awaiting its PubAck into a file stream with interest retention; a
  durable pull consumer's fetch(10); ack (nats-py, on an event loop per side).
  RabbitMQ: persistent publish with publisher confirms into a durable quorum queue; a consumer
  with prefetch 10; ack (aio-pika, on an event loop per side).
- full stack: a HypnoScript program calling `Publish` in a loop (compiled by the engine and run
  in this process, in a temporary project whose configuration names the broker and a consumer
  group for the topic) and a `hyp worker` subprocess whose handler does nothing, timed until the
  worker's /metrics counts every event acknowledged. It has no raw twin: it shows what the
  engine, `Publish` and the worker add to the broker.

Rounds alternate ours and raw. Prints events per second of the best round of each side, their
ratio ours/raw, the median of the rounds' own ratios, the publish rate alone (first to last
publish) and the CPU time of this process per event. Goals: the embedded queue handles at least
5,000 events/s end to end (ours), and each broker reaches at least 0.7 of its raw client loop;
with `--check` the exit status is 1 when one is missed. The machine's other work moves single
rounds by tens of percent: compare best rounds, and run it more than once.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from hypnoscript.runtime import infrastructure  # noqa: E402
from hypnoscript.services.infrastructure import for_project, resolve  # noqa: E402
from hypnoscript.services.events.broker import BrokerError, new_event  # noqa: E402
from hypnoscript.services.events.brokers import open_broker  # noqa: E402
from hypnoscript.services.events.sqlite_broker import SqliteBroker  # noqa: E402
from hypnoscript.syntax.source import Source  # noqa: E402

GOAL_EMBEDDED = 5000.0  # events/s of the embedded queue, ours
GOAL_RATIO = 0.7  # ours / raw, per broker
BATCH = 10
LEASE = 30.0
GROUP = "bench"
PAYLOAD = {"invoice": 1042, "customer": "ACME", "gross": 119.0, "lines": [{"sku": "w-1", "qty": 2}]}
STALL = 30.0  # seconds without an event before a round gives up

REDIS_URL = os.environ.get("HYP_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
NATS_URL = os.environ.get("HYP_BENCH_NATS_URL", "nats://127.0.0.1:4222")
AMQP_URL = os.environ.get("HYP_BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
HYP = os.path.join(ROOT, ".venv", "bin", "hyp")


def listening(url: str, default_port: int) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=1):
            return True
    except OSError:
        return False


class Stalled(Exception):
    pass


# --- one round: a consumer thread, the producer in this thread ------------------------------------

class Round:
    def __init__(self, events: int, seconds: float, publish_seconds: float, cpu: float) -> None:
        self.rate = events / seconds
        self.publish_rate = events / publish_seconds
        self.cpu_per_event = cpu / events


def run_round(side, n: int) -> Round:
    """`side.consume(n)` in a thread (returns the time of the last ack) while this thread runs
    `side.produce(n)`."""
    finished: list = []
    waiting = threading.Event()

    def consumer() -> None:
        try:
            finished.append(side.consume(n, waiting))
        except BaseException as error:  # noqa: BLE001 - re-raised in the main thread
            finished.append(error)

    thread = threading.Thread(target=consumer, name="bench-consumer")
    thread.start()
    waiting.wait(10)
    time.sleep(0.05)  # the consumer is inside its first fetch
    cpu0 = time.process_time()
    start = time.perf_counter()
    side.produce(n)
    published = time.perf_counter()
    thread.join()
    cpu = time.process_time() - cpu0
    if isinstance(finished[0], BaseException):
        raise finished[0]
    return Round(n, finished[0] - start, published - start, cpu)


# --- ours -----------------------------------------------------------------------------------------

class Ours:
    """Two broker objects on one queue: the producer's and the consumer's."""

    def __init__(self, open_one, topic: str) -> None:
        self.producer = open_one()
        self.consumer = open_one()
        self.topic = topic
        self.producer.declare(topic, [GROUP])
        self.consumer.declare(topic, [GROUP])

    def produce(self, n: int) -> None:
        publish, topic = self.producer.publish, self.topic
        for i in range(n):
            publish(new_event(topic, {**PAYLOAD, "n": i}))

    def consume(self, n: int, waiting: threading.Event) -> float:
        fetch, ack, topic = self.consumer.fetch, self.consumer.ack, self.topic
        got = 0
        last_seen = time.monotonic()
        waiting.set()
        while got < n:
            batch = fetch(topic, GROUP, "bench-c1", BATCH, LEASE, 1.0)
            for delivery in batch:
                ack(delivery)
            got += len(batch)
            if batch:
                last_seen = time.monotonic()
            elif time.monotonic() - last_seen > STALL:
                raise Stalled(f"ours: {got} of {n} events arrived")
        return time.perf_counter()

    def close(self) -> None:
        if hasattr(self.consumer, "destroy"):
            self.consumer.destroy()
        self.producer.close()
        self.consumer.close()


# --- raw twins ------------------------------------------------------------------------------------

class RawSqlite:
    def __init__(self, path: str) -> None:
        def connect(sync: str):
            conn = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={sync}")
            return conn

        self.pub = connect("FULL")
        self.con = connect("NORMAL")
        self.pub.execute("CREATE TABLE IF NOT EXISTS q (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL, "
                         "visible_at REAL NOT NULL, attempt INTEGER NOT NULL DEFAULT 0, consumer TEXT)")
        self.pub.execute("CREATE INDEX IF NOT EXISTS q_due ON q (visible_at, seq)")

    def produce(self, n: int) -> None:
        execute = self.pub.execute
        for i in range(n):
            body = json.dumps({**PAYLOAD, "n": i}, separators=(",", ":"))
            execute("BEGIN IMMEDIATE")
            execute("INSERT INTO q (body, visible_at) VALUES (?, ?)", (body, time.time()))
            execute("COMMIT")

    def consume(self, n: int, waiting: threading.Event) -> float:
        conn = self.con
        got = 0
        last_seen = time.monotonic()
        waiting.set()
        while got < n:
            now = time.time()
            conn.execute("BEGIN IMMEDIATE")
            rows = conn.execute("SELECT seq, attempt, body FROM q WHERE visible_at <= ? ORDER BY visible_at, seq "
                                "LIMIT ?", (now, BATCH)).fetchall()
            if rows:
                conn.executemany("UPDATE q SET visible_at = ?, attempt = attempt + 1, consumer = ? WHERE seq = ?",
                                 [(now + LEASE, "bench-c1", seq) for seq, _, _ in rows])
            conn.execute("COMMIT")
            if not rows:
                if time.monotonic() - last_seen > STALL:
                    raise Stalled(f"raw: {got} of {n} events arrived")
                time.sleep(SqliteBroker.POLL)
                continue
            last_seen = time.monotonic()
            for seq, _, body in rows:
                json.loads(body)
                conn.execute("DELETE FROM q WHERE seq = ?", (seq,))
            got += len(rows)
        return time.perf_counter()

    def close(self) -> None:
        self.pub.close()
        self.con.close()


class RawRedis:
    def __init__(self, prefix: str) -> None:
        import redis

        self.pub = redis.Redis.from_url(REDIS_URL, socket_timeout=10)
        self.con = redis.Redis.from_url(REDIS_URL, socket_timeout=10)
        self.stream = prefix + "raw"
        self.pub.xgroup_create(self.stream, GROUP, id="$", mkstream=True)

    def produce(self, n: int) -> None:
        xadd, stream = self.pub.xadd, self.stream
        for i in range(n):
            xadd(stream, {"e": json.dumps({**PAYLOAD, "n": i}, separators=(",", ":"))})

    def consume(self, n: int, waiting: threading.Event) -> float:
        read, xack, stream = self.con.xreadgroup, self.con.xack, self.stream
        got = 0
        waiting.set()
        while got < n:
            answer = read(GROUP, "bench-c1", {stream: ">"}, count=BATCH, block=int(STALL * 1000))
            if not answer:
                raise Stalled(f"raw: {got} of {n} events arrived")
            for entry_id, fields in answer[0][1]:
                json.loads(fields[b"e"])
                xack(stream, GROUP, entry_id)
                got += 1
        return time.perf_counter()

    def close(self) -> None:
        self.pub.delete(self.stream)
        self.pub.close()
        self.con.close()


class LoopThread:
    """An event loop in a thread of its own; `run` waits for a coroutine on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float = 600):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


class RawNats:
    def __init__(self, prefix: str) -> None:
        self.sides = LoopThread(), LoopThread()  # producer, consumer
        self.stream = f"{prefix}-raw"
        self.subject = f"{prefix}.raw"
        self.pub_nc = self.con_nc = self.psub = None
        self.sides[0].run(self._setup_producer())
        self.sides[1].run(self._setup_consumer())

    async def _setup_producer(self) -> None:
        import nats
        from nats.js.api import RetentionPolicy, StorageType, StreamConfig

        self.pub_nc = await nats.connect(NATS_URL)
        self.pub_js = self.pub_nc.jetstream()
        await self.pub_js.add_stream(StreamConfig(name=self.stream, subjects=[self.subject],
                                                  storage=StorageType.FILE, retention=RetentionPolicy.INTEREST,
                                                  num_replicas=1))

    async def _setup_consumer(self) -> None:
        import nats
        from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

        self.con_nc = await nats.connect(NATS_URL)
        js = self.con_nc.jetstream()
        self.psub = await js.pull_subscribe(
            self.subject, durable=GROUP, stream=self.stream,
            config=ConsumerConfig(durable_name=GROUP, ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.NEW,
                                  ack_wait=LEASE, max_deliver=-1, max_ack_pending=-1))

    def produce(self, n: int) -> None:
        async def run() -> None:
            publish, subject = self.pub_js.publish, self.subject
            for i in range(n):
                await publish(subject, json.dumps({**PAYLOAD, "n": i}, separators=(",", ":")).encode())
        self.sides[0].run(run())

    def consume(self, n: int, waiting: threading.Event) -> float:
        import nats.errors

        async def run() -> float:
            got = 0
            last_seen = time.monotonic()
            waiting.set()
            while got < n:
                try:
                    messages = await self.psub.fetch(BATCH, timeout=1.0)
                except nats.errors.TimeoutError:
                    if time.monotonic() - last_seen > STALL:
                        raise Stalled(f"raw: {got} of {n} events arrived") from None
                    continue
                last_seen = time.monotonic()
                for message in messages:
                    json.loads(message.data)
                    await message.ack()
                got += len(messages)
            return time.perf_counter()
        return self.sides[1].run(run())

    def close(self) -> None:
        async def drop() -> None:
            await self.pub_js.delete_stream(self.stream)
            await self.pub_nc.close()
        self.sides[1].run(self.con_nc.close())
        self.sides[0].run(drop())
        for side in self.sides:
            side.stop()


class RawAmqp:
    def __init__(self, prefix: str) -> None:
        self.sides = LoopThread(), LoopThread()
        self.queue_name = prefix + ".raw"
        self.sides[0].run(self._setup_producer())
        self.sides[1].run(self._setup_consumer())

    async def _setup_producer(self) -> None:
        import aio_pika

        self.pub_conn = await aio_pika.connect(AMQP_URL)
        self.pub_channel = await self.pub_conn.channel(publisher_confirms=True)
        self.pub_queue = await self.pub_channel.declare_queue(self.queue_name, durable=True,
                                                              arguments={"x-queue-type": "quorum"})

    async def _setup_consumer(self) -> None:
        import aio_pika

        self.con_conn = await aio_pika.connect(AMQP_URL)
        self.con_channel = await self.con_conn.channel()
        await self.con_channel.set_qos(prefetch_count=BATCH)
        self.con_queue = await self.con_channel.declare_queue(self.queue_name, durable=True,
                                                              arguments={"x-queue-type": "quorum"})

    def produce(self, n: int) -> None:
        import aio_pika

        async def run() -> None:
            publish, key = self.pub_channel.default_exchange.publish, self.queue_name
            for i in range(n):
                body = json.dumps({**PAYLOAD, "n": i}, separators=(",", ":")).encode()
                await publish(aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                                               content_type="application/json"), routing_key=key)
        self.sides[0].run(run())

    def consume(self, n: int, waiting: threading.Event) -> float:
        async def run() -> float:
            got = 0
            async with self.con_queue.iterator() as messages:
                waiting.set()
                while got < n:
                    try:
                        message = await asyncio.wait_for(messages.__anext__(), STALL)
                    except asyncio.TimeoutError:
                        raise Stalled(f"raw: {got} of {n} events arrived") from None
                    json.loads(message.body)
                    await message.ack()
                    got += 1
            return time.perf_counter()
        return self.sides[1].run(run())

    def close(self) -> None:
        async def drop() -> None:
            await self.pub_queue.delete(if_unused=False, if_empty=False)
            await self.pub_conn.close()
        self.sides[1].run(self.con_conn.close())
        self.sides[0].run(drop())
        for side in self.sides:
            side.stop()


# --- the full stack: Publish in a HypnoScript program, `hyp worker` ---------------------------------

SINK = """Focus {
    // handles an event by doing nothing, so the worker's own cost shows
    suggestion onEvent(event) {
        awaken true;
    }
} Relax
"""


def publish_program(topic: str, n: int) -> str:
    return ("Focus {\n"
            f"    loop (induce i = 0; i < {n}; i = i + 1) {{\n"
            f'        Publish("{topic}", {{ invoice: 1042, customer: "ACME", gross: 119.0, '
            f'lines: [{{ sku: "w-1", qty: 2 }}], n: i }});\n'
            "    }\n"
            "} Relax\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_project(folder: str, url: str, prefix: str, topic: str) -> None:
    os.makedirs(os.path.join(folder, "config"))
    os.makedirs(os.path.join(folder, "modules"))
    with open(os.path.join(folder, "trance.json"), "w") as fh:
        json.dump({"ritualName": "eventbench", "mantra": "1.0.0", "intent": "service"}, fh)
    with open(os.path.join(folder, "modules", "sink.hyp"), "w") as fh:
        fh.write(SINK)
    with open(os.path.join(folder, "config", "hypnoscript.config.json"), "w") as fh:
        json.dump({"infrastructure": {"messaging": {"url": url, "prefix": prefix}},
                   "observability": {"logging": {"level": "warning"}},
                   "services": {"sink": {"module": "modules/sink.hyp",
                                         "events": [{"topic": topic, "handler": "onEvent", "group": GROUP}]}}},
                  fh, indent=2)


class Program:
    """A .hyp program of the project compiled once by the engine; each call runs its main function."""

    def __init__(self, project: str, name: str, text: str) -> None:
        from hypnoscript.project.modules import ModuleLoader
        from hypnoscript.runtime.context import RuntimeContext

        path = os.path.join(project, name)
        with open(path, "w") as fh:
            fh.write(text)
        self.program = ModuleLoader().load_main(Source(text, path))
        self.ctx = RuntimeContext(stdout=io.StringIO(), stderr=io.StringIO(), script_path=path)

    def __call__(self) -> None:
        from hypnoscript.runtime.context import activate, deactivate

        token = activate(self.ctx)
        try:
            self.program.main_function(self.ctx)()
        except Exception as exc:  # noqa: BLE001 - reported as the program's own error
            raise SystemExit(f"{self.program.source.path}: {self.program.run_error(exc).error.message}") from None
        finally:
            deactivate(token)


class WorkerProcess:
    def __init__(self, project: str) -> None:
        self.port = free_port()
        self.log = open(os.path.join(project, "worker.log"), "w")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HYP_", "PROMETHEUS_", "OTEL_"))}
        self.proc = subprocess.Popen([HYP, "worker", "--port", str(self.port)], cwd=project, env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"hyp worker exited with {self.proc.returncode}:\n{self.output(project)}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"hyp worker did not become ready:\n{self.output(project)}")
            time.sleep(0.05)

    @staticmethod
    def output(project: str) -> str:
        with open(os.path.join(project, "worker.log")) as fh:
            return fh.read()[-3000:]

    def acked(self) -> int:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as answer:
            text = answer.read().decode()
        return int(sum(float(m.group(1)) for m in
                       re.finditer(r'^hyp_events_handled_total\{[^}]*outcome="acked"[^}]*\} (\S+)$', text, re.M)))

    def wait_acked(self, total: int, poll: float = 0.01) -> float:
        """The time the worker's /metrics first counted `total` acknowledged events."""
        last, last_change = -1, time.monotonic()
        while True:
            now = self.acked()
            if now >= total:
                return time.perf_counter()
            if now != last:
                last, last_change = now, time.monotonic()
            elif time.monotonic() - last_change > STALL:
                raise Stalled(f"full stack: the worker acknowledged {now} of {total} events")
            time.sleep(poll)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()


def full_stack(name: str, url: str, prefix: str, n: int, rounds: int) -> list[Round]:
    topic = "bench.full"
    project = tempfile.mkdtemp(prefix=f"hyp-events-bench-{name}-")
    worker = None
    try:
        make_project(project, url, prefix, topic)
        warm = Program(project, "warm.hyp", publish_program(topic, 20))
        program = Program(project, "publish.hyp", publish_program(topic, n))
        worker = WorkerProcess(project)
        warm()  # opens the broker and declares the group from this process too
        total = 20
        worker.wait_acked(total)
        results = []
        for _ in range(rounds):
            cpu0 = time.process_time()
            start = time.perf_counter()
            program()
            published = time.perf_counter()
            total += n
            done = worker.wait_acked(total)
            results.append(Round(n, done - start, published - start, time.process_time() - cpu0))
        return results
    finally:
        if worker is not None:
            worker.stop()
        infra = for_project(project)
        broker = infra.events_broker_if_open()
        if broker is not None and hasattr(broker, "destroy"):
            broker.destroy()
        infra.close()
        shutil.rmtree(project, ignore_errors=True)


# --- the table ------------------------------------------------------------------------------------

class Row:
    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.ours: list[Round] = []
        self.raw: list[Round] = []
        self.full: list[Round] = []

    @staticmethod
    def best(rounds: list[Round]) -> Round:
        return max(rounds, key=lambda r: r.rate)

    @property
    def ratio(self) -> float:
        return self.best(self.ours).rate / self.best(self.raw).rate

    @property
    def paired(self) -> float:
        return statistics.median(o.rate / r.rate for o, r in zip(self.ours, self.raw))


def bench_backend(name: str, open_one, raw_factory, args, row: Row) -> None:
    topic = f"bench.{uuid.uuid4().hex[:8]}"
    ours = Ours(open_one, topic)
    raw = raw_factory()
    try:
        run_round(ours, min(args.events, 100))  # warm-up: connections open, statements prepared
        run_round(raw, min(args.events, 100))
        for k in range(args.rounds):
            first, second = (ours, raw) if k % 2 == 0 else (raw, ours)
            for side in (first, second):
                (row.ours if side is ours else row.raw).append(run_round(side, args.events))
    finally:
        ours.close()
        raw.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, help="events per round (default 2000, 300 with --quick)")
    parser.add_argument("--rounds", type=int, help="measured rounds per side (default 3, 1 with --quick)")
    parser.add_argument("--quick", action="store_true", help="a short run")
    parser.add_argument("--check", action="store_true",
                        help=f"exit 1 when the embedded queue is below {GOAL_EMBEDDED:.0f} events/s or a ratio "
                             f"below {GOAL_RATIO}")
    parser.add_argument("--only", action="append", choices=("sqlite", "redis", "nats", "amqp"),
                        help="run only this broker (repeatable)")
    parser.add_argument("--no-full-stack", dest="full_stack", action="store_false",
                        help="leave out the Publish + hyp worker rounds")
    args = parser.parse_args(argv)
    args.events = args.events or (300 if args.quick else 2000)
    args.rounds = args.rounds or (1 if args.quick else 3)
    full_events = max(args.events // 4, 50)
    for name in [k for k in os.environ if k.startswith("HYP_INFRASTRUCTURE__")] + ["HYP_PROFILE"]:
        os.environ.pop(name, None)  # the temporary projects' configuration is what counts
    infrastructure.register(resolve)

    load_before = os.getloadavg()[0]
    folder = tempfile.mkdtemp(prefix="hyp-events-bench-")
    token = uuid.uuid4().hex[:10]
    backends = {
        "sqlite": (f"sqlite:///{os.path.join(folder, 'queue.db')}", None,
                   lambda: RawSqlite(os.path.join(folder, "raw.db"))),
        "redis": (REDIS_URL, 6379, lambda: RawRedis(f"hyp_bench_{token}:")),
        "nats": (NATS_URL, 4222, lambda: RawNats(f"hyp_bench_{token}")),
        "amqp": (AMQP_URL, 5672, lambda: RawAmqp(f"hyp_bench_{token}")),
    }
    rows: list[Row] = []
    notes: list[str] = []
    try:
        for name, (url, port, raw_factory) in backends.items():
            if args.only and name not in args.only:
                continue
            if port is not None and not listening(url, port):
                notes.append(f"{name} skipped: nothing listens at {url}")
                continue
            prefix = f"hyp_bench_{token}_{name}"
            row = Row(name)
            try:
                bench_backend(name, lambda: open_broker(url, folder, prefix=prefix), raw_factory, args, row)
                if args.full_stack:
                    row.full = full_stack(name, url if name != "sqlite" else "sqlite:///data/queue.db",
                                          prefix + "_full", full_events, args.rounds)
            except BrokerError as error:
                notes.append(f"{name} skipped: {error}")
                continue
            rows.append(row)
            print(f"{name}: done", file=sys.stderr)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    print(f"load average (1 min) at the start {load_before:.2f}, at the end {os.getloadavg()[0]:.2f}, "
          f"on {os.cpu_count()} cores")
    print(f"{args.events} events x {args.rounds} rounds per side (ours and raw alternating), one producer and one "
          f"consumer, fetch {BATCH}, each acked; full stack {full_events} events x {args.rounds}")
    print(f"{'broker':<8}{'raw ev/s':>10}{'ours ev/s':>11}{'ratio':>7}{'paired':>8}"
          f"{'publish ev/s raw/ours':>23}{'CPU us/ev raw/ours':>20}{'full stack ev/s':>17}{'(publish)':>11}")
    failed = []
    for row in rows:
        raw, ours = Row.best(row.raw), Row.best(row.ours)
        full = f"{Row.best(row.full).rate:>17.0f}{Row.best(row.full).publish_rate:>11.0f}" if row.full else ""
        publish = f"{max(r.publish_rate for r in row.raw):.0f} / {max(r.publish_rate for r in row.ours):.0f}"
        cpu = f"{min(r.cpu_per_event for r in row.raw) * 1e6:.0f} / {min(r.cpu_per_event for r in row.ours) * 1e6:.0f}"
        print(f"{row.backend:<8}{raw.rate:>10.0f}{ours.rate:>11.0f}{row.ratio:>7.2f}{row.paired:>8.2f}"
              f"{publish:>23}{cpu:>20}{full}")
        if row.ratio < GOAL_RATIO:
            failed.append(f"{row.backend}: ours/raw {row.ratio:.2f} is below {GOAL_RATIO}")
        if row.backend == "sqlite" and ours.rate < GOAL_EMBEDDED:
            failed.append(f"sqlite: {ours.rate:.0f} events/s is below {GOAL_EMBEDDED:.0f}")
    print("ev/s: events published and acknowledged per second, best round (first publish to last ack); ratio: "
          "ours/raw of the best rounds;\npaired: median of the rounds' own ratios; publish ev/s: the publishing "
          "alone; CPU us/ev: this process's CPU time per event (least of the rounds);\nfull stack: Publish in a "
          "HypnoScript program and a `hyp worker` subprocess (its CPU not counted), best round")
    for row in rows:
        def rates(rounds):
            return " ".join(f"{r.rate:.0f}" for r in rounds)
        print(f"  {row.backend} rounds ev/s: raw {rates(row.raw)}; ours {rates(row.ours)}"
              + (f"; full stack {rates(row.full)}" if row.full else ""))
    print(f"goals: embedded queue (ours) >= {GOAL_EMBEDDED:.0f} events/s; each broker >= {GOAL_RATIO} of its raw "
          "client: " + ("not measured" if not rows else "met" if not failed else "missed"))
    for problem in failed:
        print("  missed: " + problem)
    for note in notes:
        print("note: " + note)
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
