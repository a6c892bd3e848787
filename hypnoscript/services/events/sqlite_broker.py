"""The embedded queue: topics in one SQLite file (`sqlite:///data/queue.db` by default), shared by
every process of the project on the machine.

Tables: `hyp_events` (one row per stored event, with the number of groups yet to acknowledge it;
dead letters are events of `<topic>.dlq`), `hyp_groups` (the groups declared per topic) and
`hyp_deliveries` (one row per event and group until the group acknowledges it: when it may be
fetched next, its attempts, its lease holder). Deliveries are kept in the order fetches read them
(topic, group, when due), so that one B-tree serves both the fetch and the acknowledgement, whose
handle carries the lease's end: each commit writes as few pages as the work allows. Triggers fan
a stored event out to its groups and drop it once the last group is done with it, so a publish or
an acknowledgement is one statement: SQLite's write lock is then never held across a step of
Python code, which would have to wait for the GIL.
Publishing commits with `synchronous=FULL` (synced to disk before `publish` returns); fetches,
acks and retries commit with `synchronous=NORMAL`, since losing one of them on a power cut only
delivers an event again. WAL lets readers and one writer work at once.
"""

from __future__ import annotations

import json
import os
import threading
import time

from hypnoscript.services.events.broker import Broker, BrokerError, Delivery, dlq_topic, event_text, now_text

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS hyp_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL,
        topic TEXT NOT NULL,
        body TEXT NOT NULL,
        waiting INTEGER NOT NULL DEFAULT 0,
        due REAL
    )""",
    # only dead letters are looked up by topic, so only they are indexed by it (one index entry
    # fewer to write per publish and per ack); their queries repeat the condition (_DEAD)
    "CREATE INDEX IF NOT EXISTS hyp_events_dead ON hyp_events (topic, seq) WHERE topic LIKE '%.dlq'",
    """CREATE TABLE IF NOT EXISTS hyp_groups (
        topic TEXT NOT NULL,
        grp TEXT NOT NULL,
        PRIMARY KEY (topic, grp)
    )""",
    """CREATE TABLE IF NOT EXISTS hyp_deliveries (
        topic TEXT NOT NULL,
        grp TEXT NOT NULL,
        visible_at REAL NOT NULL,
        seq INTEGER NOT NULL,
        attempt INTEGER NOT NULL DEFAULT 0,
        consumer TEXT,
        PRIMARY KEY (topic, grp, visible_at, seq)
    ) WITHOUT ROWID""",
    """CREATE TRIGGER IF NOT EXISTS hyp_events_stored AFTER INSERT ON hyp_events BEGIN
        INSERT INTO hyp_deliveries (topic, grp, visible_at, seq)
        SELECT topic, grp, NEW.due, NEW.seq FROM hyp_groups WHERE topic = NEW.topic;
    END""",
    # dead letters stay until replayed or purged
    """CREATE TRIGGER IF NOT EXISTS hyp_deliveries_done AFTER DELETE ON hyp_deliveries BEGIN
        DELETE FROM hyp_events WHERE seq = OLD.seq AND waiting <= 1 AND topic NOT LIKE '%.dlq';
        UPDATE hyp_events SET waiting = waiting - 1 WHERE seq = OLD.seq;
    END""",
)
_DEAD = "topic LIKE '%.dlq'"
# an event of a topic nobody consumes is not kept (nothing would fetch it), a dead letter is
_STORE = ("INSERT INTO hyp_events (id, topic, body, waiting, due) SELECT ?, ?, ?, n, ? "
          "FROM (SELECT COUNT(*) AS n FROM hyp_groups WHERE topic = ?) WHERE n OR ?")

# Queue files made before events counted their waiting groups: deliveries move into the new
# layout, and each event learns how many groups still wait for it.
_UPGRADE = (
    "ALTER TABLE hyp_deliveries RENAME TO hyp_deliveries_before",
    _SCHEMA[3],
    "INSERT INTO hyp_deliveries (topic, grp, visible_at, seq, attempt, consumer) "
    "SELECT topic, grp, visible_at, seq, attempt, consumer FROM hyp_deliveries_before",
    "DROP TABLE hyp_deliveries_before",
    "ALTER TABLE hyp_events ADD COLUMN waiting INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE hyp_events ADD COLUMN due REAL",
    "CREATE TEMP TABLE hyp_waiting (seq INTEGER PRIMARY KEY, n INTEGER NOT NULL)",
    "INSERT INTO hyp_waiting SELECT seq, COUNT(*) FROM hyp_deliveries GROUP BY seq",
    "UPDATE hyp_events SET waiting = (SELECT n FROM hyp_waiting w WHERE w.seq = hyp_events.seq) "
    "WHERE seq IN (SELECT seq FROM hyp_waiting)",
    "DROP TABLE hyp_waiting",
    "DROP INDEX IF EXISTS hyp_events_topic",
)


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
        with self._write(durable=True) as db:
            columns = {row[1] for row in db.execute("PRAGMA table_info(hyp_events)")}
            for statement in (_UPGRADE if columns and "waiting" not in columns else ()) + _SCHEMA:
                db.execute(statement)

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

    def _execute(self, durable: bool, sql: str, parameters: tuple):
        """One statement, its own transaction; `durable` commits it with FULL sync."""
        import sqlite3

        conn = self._connection()
        try:
            if self._local.durable != durable:
                conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
                self._local.durable = durable
            return conn.execute(sql, parameters)
        except sqlite3.Error as error:
            raise BrokerError(f"sqlite queue {self.path}: {error}") from None

    def _read(self, sql: str, parameters: tuple) -> list:
        """The rows of one query, outside any transaction."""
        import sqlite3

        try:
            return self._connection().execute(sql, parameters).fetchall()
        except sqlite3.Error as error:
            raise BrokerError(f"sqlite queue {self.path}: {error}") from None

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
        body = event_text(event)
        due = time.time() + max(delay, 0.0)
        self._execute(True, _STORE, self._stored(event["topic"], event["id"], body, due))
        self._wake()

    @staticmethod
    def _stored(topic: str, event_id: str, body: str, due: float) -> tuple:
        return event_id, topic, body, due, topic, topic.endswith(".dlq")

    def _wake(self) -> None:
        with self._published:
            self._published.notify_all()

    def fetch(self, topic: str, group: str, consumer: str, count: int, lease: float, wait: float) -> list[Delivery]:
        deadline = time.monotonic() + wait
        while True:
            now = time.time()
            until = now + lease
            with self._write(durable=False) as db:
                rows = db.execute(
                    "SELECT d.visible_at, d.seq, d.attempt, e.body FROM hyp_deliveries d "
                    "JOIN hyp_events e ON e.seq = d.seq WHERE d.topic = ? AND d.grp = ? AND d.visible_at <= ? "
                    "ORDER BY d.visible_at, d.seq LIMIT ?", (topic, group, now, count)).fetchall()
                if rows:
                    db.executemany("UPDATE hyp_deliveries SET visible_at = ?, attempt = attempt + 1, consumer = ? "
                                   "WHERE topic = ? AND grp = ? AND visible_at = ? AND seq = ?",
                                   [(until, consumer, topic, group, due, seq) for due, seq, _, _ in rows])
            if rows:
                # the handle finds the delivery while this lease holds: (seq, attempt, lease end, due)
                return [Delivery(topic, group, json.loads(body), attempt + 1, (seq, attempt + 1, until, due))
                        for due, seq, attempt, body in rows]
            left = deadline - time.monotonic()
            if left <= 0 or self._closed:
                return []
            with self._published:
                self._published.wait(min(left, self.POLL))

    # Each of these finds the delivery by its lease: once the lease ran out and another consumer
    # fetched the event, the old handle matches nothing.
    _LEASED = "WHERE topic = ? AND grp = ? AND visible_at = ? AND seq = ? AND attempt = ?"

    @staticmethod
    def _leased(delivery: Delivery) -> tuple:
        seq, attempt, until, _ = delivery.handle
        return delivery.topic, delivery.group, until, seq, attempt

    def ack(self, delivery: Delivery) -> None:
        self._execute(False, "DELETE FROM hyp_deliveries " + self._LEASED, self._leased(delivery))

    def retry(self, delivery: Delivery, delay: float) -> None:
        self._execute(False, "UPDATE hyp_deliveries SET visible_at = ?, consumer = NULL " + self._LEASED,
                      (time.time() + max(delay, 0.0), *self._leased(delivery)))

    def release(self, delivery: Delivery) -> None:
        """Back where it was before the fetch, due as then and with the attempt not counted."""
        self._execute(False, "UPDATE hyp_deliveries SET visible_at = ?, attempt = attempt - 1, consumer = NULL "
                      + self._LEASED, (delivery.handle[3], *self._leased(delivery)))
        self._wake()

    def dead_letter(self, delivery: Delivery, error: str) -> None:
        event = dict(delivery.event)
        event["headers"] = {**(event.get("headers") or {}), "x-error": error, "x-attempts": str(delivery.attempt),
                            "x-group": delivery.group, "x-failed-at": now_text(), "x-topic": delivery.topic}
        event["topic"] = dlq_topic(delivery.topic)
        body = event_text(event)
        with self._write(durable=True) as db:
            if db.execute("DELETE FROM hyp_deliveries " + self._LEASED, self._leased(delivery)).rowcount:
                db.execute(_STORE, self._stored(event["topic"], event["id"], body, time.time()))

    def stats(self, topics) -> list[dict]:
        now = time.time()
        out = []
        for topic in topics:
            (pending, in_flight), = self._read(
                "SELECT COALESCE(SUM(consumer IS NULL OR visible_at <= ?), 0), "
                "COALESCE(SUM(consumer IS NOT NULL AND visible_at > ?), 0) FROM hyp_deliveries WHERE topic = ?",
                (now, now, topic))
            (dead,), = self._read("SELECT COUNT(*) FROM hyp_events WHERE topic = ? AND " + _DEAD,
                                  (dlq_topic(topic),))
            out.append({"topic": topic, "pending": int(pending), "inFlight": int(in_flight), "deadLetter": int(dead)})
        return out

    def dead_letters(self, topic: str, limit: int = 100) -> list[dict]:
        rows = self._read("SELECT body FROM hyp_events WHERE topic = ? AND " + _DEAD + " ORDER BY seq LIMIT ?",
                          (dlq_topic(topic), limit))
        return [json.loads(body) for (body,) in rows]

    def waiting(self, topic: str, group: str, limit: int = 100) -> list[dict]:
        rows = self._read("SELECT e.body FROM hyp_deliveries d JOIN hyp_events e ON e.seq = d.seq "
                          "WHERE d.topic = ? AND d.grp = ? ORDER BY d.seq LIMIT ?", (topic, group, limit))
        return [json.loads(body) for (body,) in rows]

    def replay(self, topic: str, ids=None) -> int:
        wanted = None if ids is None else set(ids)
        dead = dlq_topic(topic)
        moved = 0
        with self._write(durable=True) as db:
            rows = db.execute("SELECT seq, body FROM hyp_events WHERE topic = ? AND " + _DEAD + " ORDER BY seq",
                              (dead,)).fetchall()
            now = time.time()
            for seq, body in rows:
                event = json.loads(body)
                if wanted is not None and event["id"] not in wanted:
                    continue
                event["topic"] = topic
                event["headers"] = {k: v for k, v in (event.get("headers") or {}).items() if not k.startswith("x-")}
                db.execute(_STORE, self._stored(topic, event["id"], event_text(event), now))
                db.execute("DELETE FROM hyp_deliveries WHERE topic = ? AND seq = ?", (dead, seq))
                db.execute("DELETE FROM hyp_events WHERE seq = ?", (seq,))
                moved += 1
        if moved:
            self._wake()
        return moved

    def purge_dead_letters(self, topic: str) -> int:
        with self._write(durable=True) as db:
            db.execute("DELETE FROM hyp_deliveries WHERE topic = ?", (dlq_topic(topic),))
            return db.execute("DELETE FROM hyp_events WHERE topic = ? AND " + _DEAD, (dlq_topic(topic),)).rowcount

    def ping(self) -> None:
        self._read("SELECT 1", ())

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

