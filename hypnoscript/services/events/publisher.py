"""Publishing: `Publish` straight to the broker, or through the transactional outbox when a
`DbTransaction` is running on the thread.

The outbox is a table `hyp_outbox` in the project's database. An event published inside a
transaction is a row written on the transaction's own connection, so it exists if and only if the
transaction commits. Right after the commit the publishing thread relays its rows to the broker
and deletes them; rows left behind (the process died, the broker was away) are relayed by the
`Relay` that `hyp worker` and `hyp serve` run. Delivery is therefore at least once: a row relayed
twice (a crash between publishing and deleting it) is an event delivered twice with one id.
"""

from __future__ import annotations

import json
import logging
import threading
import time

from hypnoscript.runtime.errors import HypError
from hypnoscript.services.events.broker import BrokerError, event_text, new_event

log = logging.getLogger("hypnoscript.events")

OUTBOX = "hyp_outbox"
_OUTBOX_DDL = (f"CREATE TABLE IF NOT EXISTS {OUTBOX} (id VARCHAR(32) PRIMARY KEY, topic VARCHAR(255) NOT NULL, "
               "body TEXT NOT NULL, delay_seconds DOUBLE PRECISION NOT NULL, created_at DOUBLE PRECISION NOT NULL)")


class HypEventError(HypError):
    code = "HYP4032"
    kind = "event error"


def consumer_groups(services: dict) -> dict[str, list[str]]:
    """topic -> the consumer groups the configuration declares for it (a consumer's group defaults
    to its service's name)."""
    topics: dict[str, list[str]] = {}
    for name, service in (services or {}).items():
        for consumer in service.get("events") or []:
            group = consumer.get("group") or name
            groups = topics.setdefault(consumer["topic"], [])
            if group not in groups:
                groups.append(group)
    return topics


class Events:
    """The project's broker (opened on first use) and its consumer groups, for publishing."""

    def __init__(self, infrastructure, url: str, topics: dict[str, list[str]], *, prefix: str,
                 timeout: float = 10.0, observer=None) -> None:
        self.infrastructure = infrastructure
        self.url = url
        self.topics = topics
        self.prefix = prefix
        self.timeout = timeout
        self.observer = observer
        self._broker = None
        self._declared: set[str] = set()
        self._outbox_ready: set[int] = set()
        self._lock = threading.Lock()

    @property
    def backend(self) -> str:
        return self.url.split("://", 1)[0].lower()

    def broker(self):
        if self._broker is None:
            with self._lock:
                if self._broker is None:
                    from hypnoscript.services.events.brokers import open_broker

                    try:
                        self._broker = open_broker(self.url, self.infrastructure.root, prefix=self.prefix,
                                                   timeout=self.timeout)
                    except BrokerError as error:
                        raise HypEventError(str(error)) from None
        return self._broker

    def declared(self, topic: str):
        """The broker, with the configured groups of `topic` declared."""
        broker = self.broker()
        if topic not in self._declared:
            broker.declare(topic, self.topics.get(topic, ()))
            self._declared.add(topic)
        return broker

    # publishing

    def publish(self, topic: str, payload: object, *, key=None, headers=None, delay: float = 0.0) -> str:
        headers = dict(headers or {})
        if self.observer is not None:
            headers.update(self.observer.trace_headers())
        event = new_event(topic, payload, headers=headers, key=key)
        database = self._database_in_transaction()
        if database is not None:
            self._to_outbox(database, event, delay)
        elif self.observer is None:
            self._send(event, delay)
        else:
            self.observer.observe("events", self.backend, "publish", topic, self._send, (event, delay))
        return event["id"]

    def _send(self, event: dict, delay: float) -> None:
        try:
            self.declared(event["topic"]).publish(event, delay)
        except BrokerError as error:
            raise HypEventError(str(error)) from None

    def _database_in_transaction(self):
        database = self.infrastructure.database_if_open()
        if database is None or database.active_connection() is None:
            return None
        return database

    # the outbox

    def _ensure_outbox(self, database, conn) -> None:
        if id(database) in self._outbox_ready:
            return
        if database.backend == "sqlite":
            # another connection would wait for the write lock this transaction may hold; the
            # table exists for good once the transaction that made it commits
            conn.exec_driver_sql(_OUTBOX_DDL)
            database.after_commit(lambda: self._outbox_ready.add(id(database)))
        else:
            # on MariaDB DDL would commit the caller's transaction; on PostgreSQL it would race
            # with other transactions creating it
            with database.engine.begin() as other:
                other.exec_driver_sql(_OUTBOX_DDL)
            self._outbox_ready.add(id(database))

    def _to_outbox(self, database, event: dict, delay: float) -> None:
        import sqlalchemy

        from hypnoscript.services.data.database import database_error

        conn = database.active_connection()
        body = event_text(event)
        try:
            self._ensure_outbox(database, conn)
            conn.execute(sqlalchemy.text(f"INSERT INTO {OUTBOX} (id, topic, body, delay_seconds, created_at) "
                                         "VALUES (:id, :topic, :body, :delay, :created)"),
                         {"id": event["id"], "topic": event["topic"], "body": body, "delay": delay,
                          "created": time.time()})
        except sqlalchemy.exc.SQLAlchemyError as error:
            raise database_error(error, database.backend) from None
        database.after_commit(lambda: self._relay_committed(database, event["id"]))

    def _relay_committed(self, database, event_id: str) -> None:
        """Right after the commit: send this transaction's event now rather than at the next sweep."""
        try:
            relay_rows(self, database, [event_id])
        except Exception as error:  # noqa: BLE001 - the row stays; the Relay sends it later
            log.warning("outbox event %s stays for the relay: %s", event_id, error)

    def close(self) -> None:
        if self._broker is not None:
            self._broker.close()


def relay_rows(events: Events, database, ids: list[str] | None = None, older_than: float = 0.0,
               limit: int = 500) -> int:
    """Send outbox rows to the broker and delete them; returns how many were sent. With `ids`, just
    those; otherwise the oldest rows written more than `older_than` seconds ago."""
    import sqlalchemy

    sent = 0
    with database.engine.begin() as conn:
        if ids is not None:
            rows = conn.execute(sqlalchemy.text(f"SELECT id, topic, body, delay_seconds, created_at FROM {OUTBOX} "
                                                "WHERE id IN :ids").bindparams(
                sqlalchemy.bindparam("ids", expanding=True)), {"ids": ids}).fetchall()
        else:
            lock = "" if database.backend == "sqlite" else " FOR UPDATE SKIP LOCKED"
            rows = conn.execute(sqlalchemy.text(f"SELECT id, topic, body, delay_seconds, created_at FROM {OUTBOX} "
                                                f"WHERE created_at < :before ORDER BY created_at LIMIT {int(limit)}"
                                                f"{lock}"), {"before": time.time() - older_than}).fetchall()
        now = time.time()
        for event_id, topic, body, delay, created in rows:
            event = json.loads(body)
            events.declared(topic).publish(event, max(0.0, float(delay) - (now - float(created))))
            conn.execute(sqlalchemy.text(f"DELETE FROM {OUTBOX} WHERE id = :id"), {"id": event_id})
            sent += 1
    return sent


class Relay:
    """Sends what the outbox holds (events whose publisher could not relay them at commit), once a
    second, in `hyp worker` and `hyp serve`. Several relays may run: rows are locked with SKIP
    LOCKED on PostgreSQL and MariaDB, and SQLite lets one writer at a time."""

    INTERVAL = 1.0
    GRACE = 2.0  # seconds a fresh row is left to the publisher's own relay

    def __init__(self, events: Events) -> None:
        self.events = events
        self._stop = threading.Event()
        self._thread = None
        self._seen_outbox = False

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="hyp-outbox-relay", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.INTERVAL):
            self.sweep()

    def sweep(self) -> int:
        infrastructure = self.events.infrastructure
        try:
            if not infrastructure.database_exists():
                return 0
            database = infrastructure.database()
            if not self._has_outbox(database):
                return 0
            return relay_rows(self.events, database, older_than=self.GRACE)
        except Exception as error:  # noqa: BLE001 - a broker or database away now; next round
            log.warning("outbox relay: %s", error)
            return 0

    def _has_outbox(self, database) -> bool:
        if not self._seen_outbox:
            import sqlalchemy

            self._seen_outbox = sqlalchemy.inspect(database.engine).has_table(OUTBOX)
        return self._seen_outbox

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
