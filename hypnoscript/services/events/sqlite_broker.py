"""The embedded queue: topics in one SQLite file (`sqlite:///data/queue.db` by default), shared by
every process of the project on the machine.

Tables: `hyp_events` (one row per stored event; dead letters are events of `<topic>.dlq`),
`hyp_groups` (the groups declared per topic) and `hyp_deliveries` (one row per event and group
until the group acknowledges it: when it may be fetched next, its attempts, its lease holder).
Publishing commits with `synchronous=FULL` (synced to disk before `publish` returns); fetches,
acks and retries commit with `synchronous=NORMAL`, since losing one of them on a power cut only
delivers an event again. WAL lets readers and one writer work at once.
"""

from __future__ import annotations

import json
import os
import threading
import time

from hypnoscript.services.events.broker import Broker, BrokerError, Delivery, dlq_topic, now_text

_SCHEMA = """
CREATE TABLE IF NOT EXISTS hyp_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    topic TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS hyp_events_topic ON hyp_events (topic, seq);
CREATE TABLE IF NOT EXISTS hyp_groups (
    topic TEXT NOT NULL,
    grp TEXT NOT NULL,
    PRIMARY KEY (topic, grp)
);
CREATE TABLE IF NOT EXISTS hyp_deliveries (
    grp TEXT NOT NULL,
    seq INTEGER NOT NULL,
    topic TEXT NOT NULL,
    visible_at REAL NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0,
    consumer TEXT,
    PRIMARY KEY (grp, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS hyp_deliveries_due ON hyp_deliveries (topic, grp, visible_at, seq);
"""


class SqliteBroker(Broker):
    backend = "sqlite"
    POLL = 0.05  # seconds between looks for new events while a fetch waits

    def __init__(self, path: str, timeout: float = 10.0) -> None:
        if path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)) or ".", exist_ok=True)
        self.path = path
        self.timeout = timeout
        self._local = threading.local()
        self._groups: dict[str, tuple[str, ...]] = {}
        self._published = threading.Condition()  # wakes waiting fetches of this process
        self._closed = False
        conn = self._connection()
        try:
            conn.executescript("BEGIN IMMEDIATE;" + _SCHEMA + "COMMIT;")
        except Exception as error:  # noqa: BLE001 - sqlite3 errors carry the reason
            raise BrokerError(f"sqlite queue {self.path}: {error}") from None

    # connections: one per thread, autocommit, BEGIN IMMEDIATE around each change

    def _connection(self):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            import sqlite3

            try:
                conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None,
                                       check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.Error as error:
                raise BrokerError(f"sqlite queue {self.path}: {error}") from None
            self._local.conn = conn
            self._local.durable = False
        return conn

    def _write(self, durable: bool):
        return _Transaction(self, durable)

    # the interface

    def declare(self, topic: str, groups) -> None:
        groups = tuple(sorted(set(groups)))
        if self._groups.get(topic) is not None and set(groups) <= set(self._groups[topic]):
            return
        with self._write(durable=True) as db:
            db.executemany("INSERT OR IGNORE INTO hyp_groups (topic, grp) VALUES (?, ?)",
                           [(topic, g) for g in groups])
            known = tuple(r[0] for r in db.execute("SELECT grp FROM hyp_groups WHERE topic = ?", (topic,)))
        self._groups[topic] = known

    def publish(self, event: dict, delay: float = 0.0) -> None:
        body = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        due = time.time() + max(delay, 0.0)
        with self._write(durable=True) as db:
            self._store(db, event["topic"], event["id"], body, due)
        self._wake()

    def _store(self, db, topic: str, event_id: str, body: str, due: float) -> None:
        # two statements, as each one is a trip through the GIL while holding the write lock; an
        # event of a topic nobody consumes is not kept (nothing would fetch it), a dead letter is
        stored = db.execute("INSERT INTO hyp_events (id, topic, body) SELECT ?, ?, ? "
                            "WHERE ? OR EXISTS (SELECT 1 FROM hyp_groups WHERE topic = ?)",
                            (event_id, topic, body, topic.endswith(".dlq"), topic))
        if stored.rowcount:
            db.execute("INSERT INTO hyp_deliveries (grp, seq, topic, visible_at) "
                       "SELECT grp, ?, topic, ? FROM hyp_groups WHERE topic = ?", (stored.lastrowid, due, topic))

    def _wake(self) -> None:
        with self._published:
            self._published.notify_all()

    def fetch(self, topic: str, group: str, consumer: str, count: int, lease: float, wait: float) -> list[Delivery]:
        deadline = time.monotonic() + wait
        while True:
            now = time.time()
            with self._write(durable=False) as db:
                rows = db.execute(
                    "SELECT d.seq, d.attempt, e.body FROM hyp_deliveries d JOIN hyp_events e ON e.seq = d.seq "
                    "WHERE d.topic = ? AND d.grp = ? AND d.visible_at <= ? ORDER BY d.visible_at, d.seq LIMIT ?",
                    (topic, group, now, count)).fetchall()
                if rows:
                    db.executemany("UPDATE hyp_deliveries SET visible_at = ?, attempt = attempt + 1, consumer = ? "
                                   "WHERE grp = ? AND seq = ?",
                                   [(now + lease, consumer, group, seq) for seq, _, _ in rows])
            if rows:
                return [Delivery(topic, group, json.loads(body), attempt + 1, (seq, attempt + 1))
                        for seq, attempt, body in rows]
            left = deadline - time.monotonic()
            if left <= 0 or self._closed:
                return []
            with self._published:
                self._published.wait(min(left, self.POLL))

    def ack(self, delivery: Delivery) -> None:
        seq, attempt = delivery.handle
        with self._write(durable=False) as db:
            done = db.execute("DELETE FROM hyp_deliveries WHERE grp = ? AND seq = ? AND attempt = ?",
                              (delivery.group, seq, attempt)).rowcount
            if done:
                self._forget(db, seq)

    def _forget(self, db, seq: int) -> None:
        """Drop an event no group waits for any more (dead letters stay until replayed or purged)."""
        # through the topic's groups, so the primary key of hyp_deliveries finds the rows: a
        # lookup by seq alone would scan every waiting delivery on each ack
        db.execute("DELETE FROM hyp_events WHERE seq = ? AND topic NOT LIKE '%.dlq' AND NOT EXISTS "
                   "(SELECT 1 FROM hyp_groups g JOIN hyp_deliveries d ON d.grp = g.grp AND d.seq = ? "
                   "WHERE g.topic = hyp_events.topic)", (seq, seq))

    def retry(self, delivery: Delivery, delay: float) -> None:
        seq, attempt = delivery.handle
        with self._write(durable=False) as db:
            db.execute("UPDATE hyp_deliveries SET visible_at = ?, consumer = NULL "
                       "WHERE grp = ? AND seq = ? AND attempt = ?",
                       (time.time() + max(delay, 0.0), delivery.group, seq, attempt))

    def dead_letter(self, delivery: Delivery, error: str) -> None:
        seq, attempt = delivery.handle
        event = dict(delivery.event)
        event["headers"] = {**(event.get("headers") or {}), "x-error": error, "x-attempts": str(delivery.attempt),
                            "x-group": delivery.group, "x-failed-at": now_text(), "x-topic": delivery.topic}
        event["topic"] = dlq_topic(delivery.topic)
        body = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        with self._write(durable=True) as db:
            done = db.execute("DELETE FROM hyp_deliveries WHERE grp = ? AND seq = ? AND attempt = ?",
                              (delivery.group, seq, attempt)).rowcount
            if done:
                self._store(db, event["topic"], event["id"], body, time.time())
                self._forget(db, seq)

    def stats(self, topics) -> list[dict]:
        now = time.time()
        db = self._connection()
        out = []
        for topic in topics:
            pending, in_flight = db.execute(
                "SELECT COALESCE(SUM(consumer IS NULL OR visible_at <= ?), 0), "
                "COALESCE(SUM(consumer IS NOT NULL AND visible_at > ?), 0) FROM hyp_deliveries WHERE topic = ?",
                (now, now, topic)).fetchone()
            dead = db.execute("SELECT COUNT(*) FROM hyp_events WHERE topic = ?", (dlq_topic(topic),)).fetchone()[0]
            out.append({"topic": topic, "pending": int(pending), "inFlight": int(in_flight), "deadLetter": int(dead)})
        return out

    def dead_letters(self, topic: str, limit: int = 100) -> list[dict]:
        rows = self._connection().execute("SELECT body FROM hyp_events WHERE topic = ? ORDER BY seq LIMIT ?",
                                          (dlq_topic(topic), limit)).fetchall()
        return [json.loads(body) for (body,) in rows]

    def waiting(self, topic: str, group: str, limit: int = 100) -> list[dict]:
        rows = self._connection().execute(
            "SELECT e.body FROM hyp_deliveries d JOIN hyp_events e ON e.seq = d.seq "
            "WHERE d.topic = ? AND d.grp = ? ORDER BY d.seq LIMIT ?", (topic, group, limit)).fetchall()
        return [json.loads(body) for (body,) in rows]

    def replay(self, topic: str, ids=None) -> int:
        wanted = None if ids is None else set(ids)
        moved = 0
        with self._write(durable=True) as db:
            rows = db.execute("SELECT seq, body FROM hyp_events WHERE topic = ? ORDER BY seq",
                              (dlq_topic(topic),)).fetchall()
            now = time.time()
            for seq, body in rows:
                event = json.loads(body)
                if wanted is not None and event["id"] not in wanted:
                    continue
                event["topic"] = topic
                event["headers"] = {k: v for k, v in (event.get("headers") or {}).items() if not k.startswith("x-")}
                self._store(db, topic, event["id"], json.dumps(event, ensure_ascii=False, separators=(",", ":")), now)
                db.execute("DELETE FROM hyp_deliveries WHERE seq = ?", (seq,))
                db.execute("DELETE FROM hyp_events WHERE seq = ?", (seq,))
                moved += 1
        if moved:
            self._wake()
        return moved

    def purge_dead_letters(self, topic: str) -> int:
        with self._write(durable=True) as db:
            db.execute("DELETE FROM hyp_deliveries WHERE topic = ?", (dlq_topic(topic),))
            return db.execute("DELETE FROM hyp_events WHERE topic = ?", (dlq_topic(topic),)).rowcount

    def ping(self) -> None:
        try:
            self._connection().execute("SELECT 1").fetchone()
        except Exception as error:  # noqa: BLE001 - sqlite3 errors carry the reason
            raise BrokerError(f"sqlite queue {self.path}: {error}") from None

    def close(self) -> None:
        self._closed = True
        self._wake()
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT on the thread's connection; `durable` commits with FULL sync."""

    def __init__(self, broker: SqliteBroker, durable: bool) -> None:
        self.broker = broker
        self.durable = durable

    def __enter__(self):
        import sqlite3

        conn = self.broker._connection()
        try:
            if self.broker._local.durable != self.durable:
                conn.execute(f"PRAGMA synchronous={'FULL' if self.durable else 'NORMAL'}")
                self.broker._local.durable = self.durable
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise BrokerError(f"sqlite queue {self.broker.path}: {error}") from None
        self.conn = conn
        return conn

    def __exit__(self, kind, error, _tb) -> None:
        import sqlite3

        try:
            self.conn.execute("COMMIT" if kind is None else "ROLLBACK")
        except sqlite3.Error as failure:
            if kind is None:
                raise BrokerError(f"sqlite queue {self.broker.path}: {failure}") from None
        if isinstance(error, sqlite3.Error):
            raise BrokerError(f"sqlite queue {self.broker.path}: {error}") from None

