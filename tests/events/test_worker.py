"""`hyp worker` end to end: projects in tmp_path, events published with `hyp exec` or the broker
API, workers as subprocesses on loopback, and what the handlers recorded in data/app.db counted
exactly."""

import datetime
import json
import signal
import time
import uuid

import httpx
import pytest
from conftest import BACKENDS
from worker_helpers import (
    SERVICE, Worker, consumer, hyp, hyp_exec, open_project_broker, rows, setup_sql, wait_until, write_project,
)

TOPIC = "orders.created"
NOW_SECONDS = "(julianday('now') - 2440587.5) * 86400.0"  # SQLite's clock, in Unix seconds


@pytest.fixture(params=[b for b in ("sqlite", "redis") if b in BACKENDS])
def messaging(request):
    """The project's `infrastructure.messaging`: the embedded queue, or Redis under a fresh prefix
    (its keys deleted afterwards)."""
    if request.param == "sqlite":
        yield {}
        return
    import servers

    servers.require(servers.REDIS)
    settings = {"url": f"redis://{servers.REDIS[1]}:{servers.REDIS[2]}/0", "prefix": "wt" + uuid.uuid4().hex[:10]}
    yield settings
    broker = open_project_broker("/nonexistent", settings)
    broker.destroy()
    broker.close()


@pytest.fixture
def workers():
    """Workers a test started; any still running at its end is killed."""
    started = []

    def start(root, *args, name=None, command="worker"):
        worker = Worker(root, *args, name=name or f"worker{len(started) + 1}", command=command)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.kill()


def published_ids(output: str) -> list[str]:
    return [line for line in output.splitlines() if len(line) == 32]


# 1. round trip

RECORDER = """Focus {
    suggestion onOrder(event) {
        DbExecute("INSERT INTO handled (event_id, topic, n, attempt, headers, published_at, event_key) "
                  + "VALUES (:id, :topic, :n, :attempt, :headers, :published, :key)",
                  { id: event.id, topic: event.topic, n: event.payload.n, attempt: event.attempt,
                    headers: event.headers, published: event.publishedAt, key: event.key });
    }
} Relax
"""
HANDLED = ("CREATE TABLE handled (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT, topic TEXT, n INTEGER, "
           "attempt INTEGER, headers TEXT, published_at TEXT, event_key TEXT)")


def test_published_events_are_handled_once_each_in_order(tmp_path, messaging, workers):
    root = write_project(tmp_path, RECORDER, messaging=messaging,
                         events=[consumer(TOPIC, "onOrder", prefetch=4, concurrency=1)])
    setup_sql(root, HANDLED)
    before = datetime.datetime.now(datetime.timezone.utc)
    ids = published_ids(hyp_exec(root, 'loop (induce i = 1; i <= 12; i = i + 1) { '
                                       f'observe Publish("{TOPIC}", {{ n: i }}, '
                                       '{ key: "customer-" + (i % 3), headers: { source: "test", n: "" + i } }); }'))
    after = datetime.datetime.now(datetime.timezone.utc)
    assert len(ids) == 12
    worker = workers(root)
    worker.wait_up()
    wait_until(lambda: rows(root, "SELECT COUNT(*) FROM handled")[0][0] >= 12, message="12 events handled")
    time.sleep(0.5)  # nothing more arrives
    assert worker.stop() == 0
    handled = rows(root, "SELECT event_id, topic, n, attempt, headers, published_at, event_key FROM handled "
                         "ORDER BY seq")
    assert [h[0] for h in handled] == ids
    assert [h[2] for h in handled] == list(range(1, 13))
    for event_id, topic, n, attempt, headers, published, key in handled:
        assert topic == TOPIC and attempt == 1
        assert json.loads(headers) == {"source": "test", "n": str(n)}
        assert key == f"customer-{n % 3}"
        stamp = datetime.datetime.fromisoformat(published.replace("Z", "+00:00"))
        assert published.endswith("Z") and before - datetime.timedelta(seconds=1) <= stamp <= after
    broker = open_project_broker(root, messaging)
    try:
        assert broker.stats([TOPIC]) == [{"topic": TOPIC, "pending": 0, "inFlight": 0, "deadLetter": 0}]
    finally:
        broker.close()


# 2. retries, dead letters, replay

FLAKY = f"""Focus {{
    suggestion onOrder(event) {{
        DbExecute("INSERT INTO attempts (event_id, n, attempt, at) VALUES (:id, :n, :attempt, {NOW_SECONDS})",
                  {{ id: event.id, n: event.payload.n, attempt: event.attempt }});
        if (event.payload.broken && DbQueryOne("SELECT 1 AS one FROM fixed") == null) {{
            throw "order " + event.payload.n + " is broken";
        }}
        DbExecute("INSERT INTO handled (event_id, n, attempt) VALUES (:id, :n, :attempt)",
                  {{ id: event.id, n: event.payload.n, attempt: event.attempt }});
    }}
}} Relax
"""


def test_failures_retry_with_back_off_then_dead_letter_and_replay(tmp_path, messaging, workers):
    root = write_project(tmp_path, FLAKY, messaging=messaging,
                         events=[consumer(TOPIC, "onOrder", attempts=3, prefetch=1,
                                          backoff={"initial": 0.6, "multiplier": 2, "max": 5})])
    setup_sql(root, "CREATE TABLE attempts (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT, n INTEGER, "
                    "attempt INTEGER, at REAL)",
              "CREATE TABLE handled (event_id TEXT, n INTEGER, attempt INTEGER)", "CREATE TABLE fixed (one INTEGER)")
    ids = published_ids(hyp_exec(root, f'observe Publish("{TOPIC}", {{ n: 1 }}); '
                                       f'observe Publish("{TOPIC}", {{ n: 2, broken: true }}); '
                                       f'observe Publish("{TOPIC}", {{ n: 3 }});'))
    worker = workers(root)
    worker.wait_up()
    broker = open_project_broker(root, messaging)
    try:
        dead = wait_until(lambda: broker.dead_letters(TOPIC), timeout=20, message="a dead letter")
        assert [d["id"] for d in dead] == [ids[1]]
        assert dead[0]["payload"] == {"n": 2, "broken": True}
        headers = dead[0]["headers"]
        assert headers["x-attempts"] == "3" and headers["x-group"] == SERVICE
        assert "order 2 is broken" in headers["x-error"]
        assert broker.stats([TOPIC])[0]["deadLetter"] == 1
        tries = rows(root, "SELECT attempt, at FROM attempts WHERE n = 2 ORDER BY seq")
        assert [t[0] for t in tries] == [1, 2, 3]
        gaps = [b[1] - a[1] for a, b in zip(tries, tries[1:])]
        assert 0.55 <= gaps[0] < 0.6 + 3 and 1.15 <= gaps[1] < 1.2 + 3, gaps
        assert sorted(rows(root, "SELECT n, attempt FROM handled")) == [(1, 1), (3, 1)]
        assert worker.records(event="event dead-lettered")[0]["event_id"] == ids[1]

        setup_sql(root, "INSERT INTO fixed VALUES (1)")
        assert broker.replay(TOPIC) == 1
        wait_until(lambda: rows(root, "SELECT n FROM handled WHERE n = 2"), message="the replayed event handled")
        assert broker.dead_letters(TOPIC) == []
    finally:
        broker.close()
    assert worker.stop() == 0
    assert rows(root, "SELECT event_id, n, attempt FROM handled WHERE n = 2") == [(ids[1], 2, 1)]
    assert rows(root, "SELECT COUNT(*) FROM attempts WHERE n = 2")[0][0] == 4


# 3. an idempotent handler and duplicates

IDEMPOTENT = """Focus {
    suggestion onOrder(event) {
        DbExecute("INSERT INTO deliveries (event_id) VALUES (:id)", { id: event.id });
        try {
            DbTransaction(suggestion() {
                DbExecute("INSERT INTO processed (event_id) VALUES (:id)", { id: event.id });
                DbExecute("UPDATE totals SET amount = amount + :amount", { amount: event.payload.amount });
            });
        } catch (e) {
            if (!Contains(e, "UNIQUE")) { throw e; }
            DbExecute("INSERT INTO duplicates (event_id) VALUES (:id)", { id: event.id });
        }
    }
} Relax
"""


def test_an_idempotent_handler_applies_a_duplicate_once_and_counts_it(tmp_path, workers):
    root = write_project(tmp_path, IDEMPOTENT, events=[consumer(TOPIC, "onOrder", prefetch=10)])
    setup_sql(root, "CREATE TABLE deliveries (event_id TEXT)", "CREATE TABLE processed (event_id TEXT PRIMARY KEY)",
              "CREATE TABLE totals (amount INTEGER)", "INSERT INTO totals VALUES (0)",
              "CREATE TABLE duplicates (event_id TEXT)")
    ids = published_ids(hyp_exec(root, f'observe Publish("{TOPIC}", {{ amount: 5 }}); '
                                       f'observe Publish("{TOPIC}", {{ amount: 7 }}); '
                                       f'observe Publish("{TOPIC}", {{ amount: 11 }});'))
    broker = open_project_broker(root)
    try:
        waiting = broker.waiting(TOPIC, SERVICE)
        assert [e["id"] for e in waiting] == ids
        for event in (waiting[0], waiting[2], waiting[0]):
            broker.publish(dict(event))  # the same event again, with its id (as a relay run twice sends it)
    finally:
        broker.close()
    worker = workers(root)
    worker.wait_up()
    wait_until(lambda: rows(root, "SELECT COUNT(*) FROM deliveries")[0][0] >= 6, message="6 deliveries")
    time.sleep(0.3)
    assert worker.stop() == 0
    assert sorted(r[0] for r in rows(root, "SELECT event_id FROM deliveries")) == sorted(ids + [ids[0], ids[2], ids[0]])
    assert sorted(r[0] for r in rows(root, "SELECT event_id FROM processed")) == sorted(ids)
    assert rows(root, "SELECT amount FROM totals") == [(23,)]
    assert sorted(r[0] for r in rows(root, "SELECT event_id FROM duplicates")) == sorted([ids[0], ids[0], ids[2]])


# 4. the transactional outbox

def test_the_outbox_publishes_what_commits_and_the_relay_sends_rows_left_behind(tmp_path, workers):
    root = write_project(tmp_path, RECORDER, events=[consumer(TOPIC, "onOrder")])
    setup_sql(root, HANDLED, "CREATE TABLE notes (body TEXT)")
    out = hyp_exec(root, f"""
        try {{
            DbTransaction(suggestion() {{
                DbExecute("INSERT INTO notes (body) VALUES ('rolled back')");
                Publish("{TOPIC}", {{ n: 1 }});
                throw "changed my mind";
            }});
        }} catch (e) {{ observe "caught " + e; }}
        DbTransaction(suggestion() {{
            DbExecute("INSERT INTO notes (body) VALUES ('kept')");
            observe Publish("{TOPIC}", {{ n: 2 }});
            observe Publish("{TOPIC}", {{ n: 3 }});
        }});""")
    assert out.splitlines()[0] == "caught changed my mind"
    committed = published_ids(out)
    assert len(committed) == 2
    assert rows(root, "SELECT body FROM notes") == [("kept",)]
    assert rows(root, "SELECT COUNT(*) FROM hyp_outbox") == [(0,)]  # relayed right after the commit

    from hypnoscript.services.events.broker import new_event

    left = new_event(TOPIC, {"n": 4})
    # as the publisher writes it, left behind by a process that died before relaying it
    rows(root, "INSERT INTO hyp_outbox (id, topic, body, delay_seconds, created_at) VALUES (?, ?, ?, 0, ?)",
         (left["id"], TOPIC, json.dumps(left), time.time() - 5))

    worker = workers(root)
    worker.wait_up()
    wait_until(lambda: rows(root, "SELECT COUNT(*) FROM handled")[0][0] >= 3, message="3 events handled")
    wait_until(lambda: rows(root, "SELECT COUNT(*) FROM hyp_outbox") == [(0,)], message="the outbox emptied")
    time.sleep(1.2)  # one more relay round: nothing is sent twice
    assert worker.stop() == 0
    assert sorted(rows(root, "SELECT event_id, n FROM handled")) == sorted(
        [(committed[0], 2), (committed[1], 3), (left["id"], 4)])


# 5. SIGKILL in the middle of 10,000 events

COUNTER = """Focus {
    suggestion onOrder(event) {
        DbExecute("INSERT INTO handled (event_id) VALUES (:id)", { id: event.id });
    }
} Relax
"""


@pytest.mark.slow
def test_a_worker_killed_mid_stream_loses_nothing_after_a_restart(tmp_path, messaging, workers):
    from hypnoscript.services.events.broker import new_event

    total = 10_000
    root = write_project(tmp_path, COUNTER, messaging=messaging,
                         events=[consumer(TOPIC, "onOrder", prefetch=50, concurrency=4, visibilityTimeout=2)])
    setup_sql(root, "CREATE TABLE handled (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT)")
    broker = open_project_broker(root, messaging)
    try:
        broker.declare(TOPIC, [SERVICE])
        events = [new_event(TOPIC, {"i": i}) for i in range(total)]
        for event in events:
            broker.publish(event)
    finally:
        broker.close()
    published = {e["id"] for e in events}

    first = workers(root)
    first.wait_up()
    wait_until(lambda: rows(root, "SELECT COUNT(*) FROM handled")[0][0] >= 1500, timeout=20, interval=0.01,
               message="some events handled")
    first.proc.send_signal(signal.SIGKILL)
    assert first.proc.wait(10) == -signal.SIGKILL
    at_kill = rows(root, "SELECT COUNT(*) FROM handled")[0][0]
    assert 1500 <= at_kill < total

    second = workers(root)
    second.wait_up()
    wait_until(lambda: rows(root, "SELECT COUNT(DISTINCT event_id) FROM handled")[0][0] >= total, timeout=25,
               message="every event handled")
    assert second.stop() == 0
    handled = [r[0] for r in rows(root, "SELECT event_id FROM handled")]
    assert set(handled) == published
    duplicates = len(handled) - len(published)
    # only a delivery handled but not yet acknowledged when the process died comes again
    assert 0 <= duplicates <= 4
    print(f"\n{messaging.get('url', 'sqlite')}: {at_kill} handled before SIGKILL, {duplicates} delivered twice")
    broker = open_project_broker(root, messaging)
    try:
        assert broker.stats([TOPIC]) == [{"topic": TOPIC, "pending": 0, "inFlight": 0, "deadLetter": 0}]
    finally:
        broker.close()


# 6. SIGTERM drains

SLOW = """Focus {
    suggestion onOrder(event) {
        DbExecute("INSERT INTO started (event_id) VALUES (:id)", { id: event.id });
        Drift(event.payload.ms);
        DbExecute("INSERT INTO handled (event_id) VALUES (:id)", { id: event.id });
    }
} Relax
"""


def test_sigterm_lets_the_running_handler_finish_and_gives_back_the_rest(tmp_path, workers):
    root = write_project(tmp_path, SLOW, events=[consumer(TOPIC, "onOrder", prefetch=5, concurrency=1)])
    setup_sql(root, "CREATE TABLE started (event_id TEXT)", "CREATE TABLE handled (event_id TEXT)")
    ids = published_ids(hyp_exec(root, f'observe Publish("{TOPIC}", {{ ms: 1500 }}); '
                                       'loop (induce i = 0; i < 4; i = i + 1) { '
                                       f'observe Publish("{TOPIC}", {{ ms: 10 }}); }}'))
    first = workers(root)
    first.wait_up()
    wait_until(lambda: rows(root, "SELECT event_id FROM started"), message="the first handler started")
    first.signal(signal.SIGTERM)
    signalled = time.monotonic()
    assert rows(root, "SELECT event_id FROM handled") == []
    assert first.proc.wait(15) == 0
    assert time.monotonic() - signalled < 10
    assert rows(root, "SELECT event_id FROM started") == [(ids[0],)]
    assert rows(root, "SELECT event_id FROM handled") == [(ids[0],)]  # finished before the exit
    broker = open_project_broker(root)
    try:
        # the four fetched but not started went back, not to wait out their lease
        assert broker.stats([TOPIC]) == [{"topic": TOPIC, "pending": 4, "inFlight": 0, "deadLetter": 0}]
    finally:
        broker.close()

    second = workers(root)
    second.wait_up()
    wait_until(lambda: rows(root, "SELECT COUNT(*) FROM handled")[0][0] >= 5, message="the rest handled")
    assert second.stop() == 0
    assert [r[0] for r in rows(root, "SELECT event_id FROM handled")] == ids


# 7. two workers in one group

@pytest.mark.slow
def test_two_workers_of_one_group_share_the_events(tmp_path, workers):
    root = write_project(tmp_path, SLOW, events=[consumer(TOPIC, "onOrder", prefetch=2, concurrency=2)],
                         config={"observability": {"logging": {"level": "debug"}}})
    setup_sql(root, "CREATE TABLE started (event_id TEXT)", "CREATE TABLE handled (event_id TEXT)")
    one, two = workers(root), workers(root)
    one.wait_up()
    two.wait_up()
    ids = published_ids(hyp_exec(root, 'loop (induce i = 0; i < 60; i = i + 1) { '
                                       f'observe Publish("{TOPIC}", {{ ms: 20 }}); }}'))
    wait_until(lambda: rows(root, "SELECT COUNT(*) FROM handled")[0][0] >= 60, message="60 events handled")
    time.sleep(0.3)
    assert one.stop() == 0 and two.stop() == 0
    handled = [r[0] for r in rows(root, "SELECT event_id FROM handled")]
    assert sorted(handled) == sorted(ids)  # each once
    by_one = {r["event_id"] for r in one.records(event="event handled")}
    by_two = {r["event_id"] for r in two.records(event="event handled")}
    assert by_one and by_two and not by_one & by_two
    assert by_one | by_two == set(ids)
    assert all(r["group"] == SERVICE and r["attempt"] == 1 for r in one.records(event="event handled"))


# 8. schedules run once per slot

TICK = f"""Focus {{
    suggestion tick() {{
        DbExecute("INSERT INTO ticks (at) VALUES ({NOW_SECONDS})");
    }}
}} Relax
"""


@pytest.mark.slow
def test_a_schedule_runs_once_per_slot_with_two_workers(tmp_path, workers):
    root = write_project(tmp_path, TICK, schedules=[{"handler": "tick", "every": "1s"}])
    setup_sql(root, "CREATE TABLE ticks (at REAL)")
    one, two = workers(root), workers(root)
    one.wait_up()
    two.wait_up()
    both_up = time.time()
    time.sleep(4.5)
    assert one.stop() == 0 and two.stop() == 0
    runs = rows(root, "SELECT slot, outcome, worker FROM hyp_schedule_runs WHERE schedule = ? ORDER BY slot",
                (f"{SERVICE}.tick.0",))
    slots = [datetime.datetime.fromisoformat(r[0]).timestamp() for r in runs]
    assert all(r[1] == "ok" for r in runs)
    assert slots == [slots[0] + i for i in range(len(slots))]  # one run per second, none twice
    assert len([s for s in slots if s > both_up]) >= 3
    ticks = [r[0] for r in rows(root, "SELECT at FROM ticks ORDER BY at")]
    assert len(ticks) == len(runs)
    assert [int(t) for t in ticks] == [int(s) for s in slots]  # each tick in its own slot's second


# 9. one trace from the request that publishes to the handler that consumes

TRACED = """Focus {
    suggestion placeOrder(request) {
        awaken { id: Publish("orders.created", { n: 1 }) };
    }
    suggestion onOrder(event) {
        DbExecute("INSERT INTO handled (event_id, traceparent) VALUES (:id, :traceparent)",
                  { id: event.id, traceparent: event.headers.traceparent });
    }
} Relax
"""
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_the_consumer_span_continues_the_trace_of_the_request_that_published(tmp_path, workers):
    root = write_project(tmp_path, TRACED, events=[consumer(TOPIC, "onOrder")],
                         routes=[{"method": "POST", "path": "/orders", "handler": "placeOrder"}],
                         config={"observability": {"tracing": {"exporter": "console"}}})
    setup_sql(root, "CREATE TABLE handled (event_id TEXT, traceparent TEXT)")
    server = workers(root, name="serve", command="serve")
    server.wait_up()
    answer = httpx.post(server.url("/orders"), headers={"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"},
                        timeout=10)
    assert answer.status_code == 200
    event_id = answer.json()["id"]
    worker = workers(root)
    worker.wait_up()
    wait_until(lambda: rows(root, "SELECT COUNT(*) FROM handled")[0][0] >= 1, message="the event handled")
    assert server.stop() == 0 and worker.stop() == 0  # their spans are exported by now

    ((handled_id, traceparent),) = rows(root, "SELECT event_id, traceparent FROM handled")
    assert handled_id == event_id
    version, trace_id, parent, flags = traceparent.split("-")
    assert (version, trace_id, flags) == ("00", TRACE_ID, "01")
    serve_spans = [s for s in server.spans() if s["context"]["trace_id"] == "0x" + TRACE_ID]
    assert {s["kind"] for s in serve_spans} >= {"SpanKind.SERVER"}
    assert "0x" + parent in {s["context"]["span_id"] for s in serve_spans}  # the event's parent is a request span
    (consumed,) = [s for s in worker.spans() if s["kind"] == "SpanKind.CONSUMER"]
    assert consumed["name"] == f"event {SERVICE}.onOrder"
    assert consumed["context"]["trace_id"] == "0x" + TRACE_ID
    assert consumed["parent_id"] == "0x" + parent
    assert consumed["attributes"]["messaging.message.id"] == event_id
    assert consumed["attributes"]["messaging.destination.name"] == TOPIC


# 10. bad input

def test_a_handler_that_does_not_exist_stops_the_worker_with_a_diagnostic(tmp_path):
    root = write_project(tmp_path, COUNTER, events=[consumer(TOPIC, "onOrder"), consumer(TOPIC, "onOrdr")])
    done = hyp(root, "worker", "--port", "1")  # never bound: the project is checked first
    assert done.returncode == 1
    assert done.stderr.startswith('error[HYP5030]: $.services.orders.events[1].handler: "onOrdr" is not a '
                                  "top-level suggestion of modules/orders.hyp\n")
    assert "config/hypnoscript.config.json:" in done.stderr and "help: defined: onOrder" in done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr


def test_bad_publish_calls_are_catchable_errors(tmp_path):
    root = write_project(tmp_path, COUNTER, events=[consumer(TOPIC, "onOrder")])
    out = hyp_exec(root, f"""
        suggestion f() {{ awaken 1; }}
        try {{ Publish("{TOPIC}", f); }} catch (e) {{ observe e; }}
        try {{ Publish("{TOPIC}", {{ handler: f }}); }} catch (e) {{ observe e; }}
        try {{ Publish("bad topic", 1); }} catch (e) {{ observe e; }}
        try {{ Publish("{TOPIC}.dlq", 1); }} catch (e) {{ observe e; }}
        try {{ Publish(42, 1); }} catch (e) {{ observe e; }}
        try {{ Publish("{TOPIC}", 1, {{ priority: 1 }}); }} catch (e) {{ observe e; }}
        try {{ Publish("{TOPIC}", 1, {{ delaySeconds: -1 }}); }} catch (e) {{ observe e; }}
        observe "still running";""")
    topic_error = ("Builtin 'Publish' expected a topic name (letters, digits, '.', '_', '-'; not ending in .dlq), "
                   "got \"{}\"")
    lines = out.splitlines()
    assert lines[0] == lines[1] == "Builtin 'Publish' cannot convert a function to JSON"
    assert lines[2] == topic_error.format("bad topic")
    assert lines[3] == topic_error.format(TOPIC + ".dlq")
    assert lines[4].startswith("Builtin 'Publish' expected") and "string" in lines[4]
    assert lines[5:] == ["Builtin 'Publish' has no option \"priority\" (options: key, headers, delaySeconds)",
                         "Builtin 'Publish' expected delaySeconds from 0 up to a year, got -1", "still running"]
    broker = open_project_broker(root)
    try:
        assert broker.waiting(TOPIC, SERVICE) == []  # none of them published anything
    finally:
        broker.close()


def test_an_unreachable_broker_leaves_the_worker_alive_and_unready(tmp_path, workers):
    root = write_project(tmp_path, COUNTER, events=[consumer(TOPIC, "onOrder")],
                         messaging={"url": "redis://127.0.0.1:1/0"})
    worker = workers(root)
    worker.wait_up(status=503)
    answer = worker.get("/readyz")
    assert answer.json()["checks"]["broker"].startswith("redis broker: ")
    assert "127.0.0.1:1" in answer.json()["checks"]["broker"]
    assert worker.get("/healthz").status_code == 200
    time.sleep(2)
    assert worker.proc.poll() is None
    assert worker.get("/readyz").status_code == 503 and worker.get("/healthz").status_code == 200
    assert worker.records(event="broker unavailable")
    assert worker.stop() == 0
    assert "Traceback" not in worker.stderr()


def test_an_unreachable_database_leaves_the_schedules_waiting_and_the_worker_alive(tmp_path, workers):
    root = write_project(tmp_path, TICK, schedules=[{"handler": "tick", "every": "1s"}],
                         config={"infrastructure": {
                             "messaging": {"prefix": "wtest"},
                             "database": {"url": "postgresql://nobody@127.0.0.1:1/none", "timeout": 1}}})
    worker = workers(root)
    worker.wait_up(status=503)
    assert worker.get("/healthz").status_code == 200
    wait_until(lambda: worker.records(event="database unavailable for schedules"), message="the retry log line")
    assert worker.proc.poll() is None
    assert worker.stop() == 0
    assert "Traceback" not in worker.stderr()


def test_a_cron_expression_croniter_cannot_run_is_a_diagnostic(tmp_path):
    root = write_project(tmp_path, TICK, schedules=[{"handler": "tick", "cron": "99 * * * *"}])
    for command in (("validate",), ("worker", "--port", "0")):
        result = hyp(root, *command)
        assert result.returncode == 1
        assert 'schedules[0].cron: "99 * * * *" is not a valid cron expression' in result.stderr
        assert "Traceback" not in result.stderr
