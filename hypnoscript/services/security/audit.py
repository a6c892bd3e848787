"""The audit log (`security.audit.sink`): authenticated state-changing requests and security events
(denials, key creation), hash-chained so that an edited, removed or reordered entry shows.

Each entry holds `seq`, `prev` (the previous entry's hash; 64 zeros for the first) and `hash`, the
SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of every other field, `prev`
included. Sinks:

- `database`: the table `hyp_audit` (seq, entry) of the project's database, and `hyp_audit_head`,
  one row holding the last seq and hash: appends lock that row (`SELECT ... FOR UPDATE`; `BEGIN
  IMMEDIATE` on SQLite) so several processes extend one chain.
- `file:PATH`: JSON lines, PATH relative to the project root; appends hold an exclusive `flock`
  around reading the last line, writing and fsync.
- `stdout`: JSON lines (`"log": "audit"`) in the server's log stream; each process keeps a chain
  of its own (`chain`), since nothing can be read back from stdout.

In `hyp serve` entries are written by a background thread (the event loop never waits for a disk
or a database) and flushed when the server stops.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import threading
import time

GENESIS = "0" * 64
STATE_CHANGING = frozenset(("POST", "PUT", "PATCH", "DELETE"))
CODE_AUDIT = "HYP5180"
_CHAIN_FIELDS = ("seq", "prev", "hash")


def canonical(fields: dict) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


def entry_hash(entry: dict) -> str:
    return hashlib.sha256(canonical({k: v for k, v in entry.items() if k != "hash"})).hexdigest()


def now() -> str:
    stamp = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(stamp)) + f".{int(stamp % 1 * 1000):03d}Z"


def link(events: list[dict], seq: int, prev: str) -> list[dict]:
    """The entries of `events` following entry `seq` whose hash is `prev`."""
    entries = []
    for event in events:
        seq += 1
        entry = {"seq": seq, **{k: v for k, v in event.items() if k not in _CHAIN_FIELDS}, "prev": prev}
        prev = entry["hash"] = entry_hash(entry)
        entries.append(entry)
    return entries


class AuditError(Exception):
    """The sink cannot be written or read (its message is for the operator)."""


class FileSink:
    def __init__(self, path: str, shown: str) -> None:
        self.path = path
        self.shown = shown  # as configured, for messages

    def append(self, events: list[dict]) -> list[dict]:
        import fcntl

        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # released by the close
            seq, prev = 0, GENESIS
            last = _last_line(fd)
            if last:
                try:
                    entry = json.loads(last)
                    seq, prev = int(entry["seq"]), str(entry["hash"])
                except (ValueError, KeyError, TypeError):
                    raise AuditError(f"the last line of {self.shown} is not an audit entry") from None
            entries = link(events, seq, prev)
            os.write(fd, b"".join(canonical(e) + b"\n" for e in entries))
            os.fsync(fd)
            return entries
        finally:
            os.close(fd)

    def read(self) -> list[tuple[str, str]]:
        """(where, text) of every line."""
        try:
            with open(self.path, encoding="utf-8") as fh:
                return [(f"line {n}", line) for n, line in enumerate(fh, 1) if line.strip()]
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError) as error:
            raise AuditError(f"cannot read {self.shown}: {error.strerror if isinstance(error, OSError) else error}") \
                from None

    def head(self):
        return None


def _last_line(fd: int) -> bytes:
    end = os.lseek(fd, 0, os.SEEK_END)
    data = b""
    pos = end
    while pos > 0:
        step = min(8192, pos)
        pos -= step
        data = os.pread(fd, step, pos) + data
        stripped = data.rstrip(b"\n")
        cut = stripped.rfind(b"\n")
        if cut >= 0:
            return stripped[cut + 1:]
    return data.rstrip(b"\n")


class DatabaseSink:
    def __init__(self, engine) -> None:
        self._engine = engine  # a callable: the engine is opened on first use
        self._ready = False

    @property
    def engine(self):
        return self._engine()

    def _prepare(self) -> None:
        if self._ready:
            return
        import sqlalchemy

        engine = self.engine
        insert = {"mysql": "INSERT IGNORE INTO hyp_audit_head (id, seq, hash) VALUES (1, 0, :g)"}.get(
            engine.dialect.name, "INSERT INTO hyp_audit_head (id, seq, hash) VALUES (1, 0, :g) ON CONFLICT (id) DO NOTHING")
        for attempt in range(3):
            try:
                with engine.begin() as conn:
                    conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS hyp_audit (seq BIGINT PRIMARY KEY, "
                                         "entry TEXT NOT NULL)")
                    conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS hyp_audit_head (id INTEGER PRIMARY KEY, "
                                         "seq BIGINT NOT NULL, hash VARCHAR(64) NOT NULL)")
                with engine.begin() as conn:
                    conn.execute(sqlalchemy.text(insert), {"g": GENESIS})
                break
            except sqlalchemy.exc.IntegrityError:
                # PostgreSQL: two processes creating the same table at once; the other one won
                if attempt == 2:
                    raise
        self._ready = True

    def append(self, events: list[dict]) -> list[dict]:
        self._prepare()
        engine = self.engine
        if engine.dialect.name == "sqlite":
            return self._append_sqlite(engine, events)
        import sqlalchemy

        with engine.begin() as conn:
            seq, prev = conn.exec_driver_sql("SELECT seq, hash FROM hyp_audit_head WHERE id = 1 FOR UPDATE").one()
            entries = link(events, int(seq), prev)
            conn.execute(sqlalchemy.text("INSERT INTO hyp_audit (seq, entry) VALUES (:seq, :entry)"),
                         [{"seq": e["seq"], "entry": canonical(e).decode("utf-8")} for e in entries])
            conn.execute(sqlalchemy.text("UPDATE hyp_audit_head SET seq = :seq, hash = :hash WHERE id = 1"),
                         {"seq": entries[-1]["seq"], "hash": entries[-1]["hash"]})
        return entries

    @staticmethod
    def _append_sqlite(engine, events: list[dict]) -> list[dict]:
        # the engine's own BEGIN is deferred: IMMEDIATE takes the write lock before the head is read
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                seq, prev = cursor.execute("SELECT seq, hash FROM hyp_audit_head WHERE id = 1").fetchone()
                entries = link(events, int(seq), prev)
                cursor.executemany("INSERT INTO hyp_audit (seq, entry) VALUES (?, ?)",
                                   [(e["seq"], canonical(e).decode("utf-8")) for e in entries])
                cursor.execute("UPDATE hyp_audit_head SET seq = ?, hash = ? WHERE id = 1",
                               (entries[-1]["seq"], entries[-1]["hash"]))
                cursor.execute("COMMIT")
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            return entries
        finally:
            raw.close()

    def _exists(self, conn) -> bool:
        import sqlalchemy

        return sqlalchemy.inspect(conn).has_table("hyp_audit")

    def read(self) -> list[tuple[str, str]]:
        with self.engine.connect() as conn:
            if not self._exists(conn):
                return []
            rows = conn.exec_driver_sql("SELECT seq, entry FROM hyp_audit ORDER BY seq").all()
        return [(f"row {seq}", entry) for seq, entry in rows]

    def head(self) -> tuple[int, str] | None:
        with self.engine.connect() as conn:
            if not self._exists(conn):
                return None
            row = conn.exec_driver_sql("SELECT seq, hash FROM hyp_audit_head WHERE id = 1").first()
        return None if row is None else (int(row[0]), row[1])


class StdoutSink:
    def __init__(self, write) -> None:
        import socket

        self.write = write  # one whole line at a time
        self.chain = f"{socket.gethostname()}:{os.getpid()}:{int(time.time() * 1000)}"
        self.seq, self.prev = 0, GENESIS

    def append(self, events: list[dict]) -> list[dict]:
        entries = link([{"log": "audit", "chain": self.chain, **e} for e in events], self.seq, self.prev)
        for entry in entries:
            self.write(canonical(entry).decode("utf-8"))
        self.seq, self.prev = entries[-1]["seq"], entries[-1]["hash"]
        return entries


def open_sink(spec: str, root: str, database=None, write=None):
    """The sink `security.audit.sink` names; `database` returns the project's engine, `write` takes
    a stdout line."""
    if spec == "database":
        return DatabaseSink(database)
    if spec == "stdout":
        return StdoutSink(write or _print_line)
    path = spec[len("file:"):]
    return FileSink(os.path.normpath(os.path.join(root, path)), path)


def _print_line(line: str) -> None:
    import sys

    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class AuditLog:
    """The audit log of a running server: `record` queues an event (never blocks), a background
    thread appends queued events in batches; `close` writes what is left."""

    BATCH = 500

    def __init__(self, sink, on_error) -> None:
        self.sink = sink
        self.on_error = on_error  # (message, **fields): the server's error log
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._closing = threading.Event()
        self._lock = threading.Lock()

    def record(self, event: dict) -> None:
        self._queue.put({"time": now(), **event})
        if self._thread is None:
            with self._lock:
                if self._thread is None and not self._closing.is_set():
                    self._thread = threading.Thread(target=self._run, name="hyp-audit", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        pending: list[dict] = []
        stop = False  # close() has been called: write what is queued, then end
        delay = 0.2
        while True:
            if not pending and not stop:
                item = self._queue.get()
                stop = item is None
                pending += [] if stop else [item]
            while len(pending) < self.BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                stop = stop or item is None
                pending += [] if item is None else [item]
            if not pending:
                return
            try:
                self.sink.append(pending)
                pending = []
                delay = 0.2
            except Exception as error:  # noqa: BLE001 - the sink may be down: keep the entries, try again
                self.on_error("audit log append failed", error=f"{type(error).__name__}: {error}",
                              pending=len(pending))
                if stop:
                    self.on_error("audit entries not written", entries=pending)
                    pending = []
                else:
                    time.sleep(delay)
                    delay = min(delay * 2, 5.0)

    def record_request(self, scope: dict) -> None:
        """After a state-changing request on a route with authentication."""
        info = scope["hyp.request"]
        user = scope.get("hyp.user")
        self.record({"event": "request", "method": info.method, "path": info.path, "route": info.route,
                     "service": info.service, "status": info.status if info.responded else 500,
                     "subject": user.sub if user is not None else None,
                     "auth": user.method if user is not None else None,
                     "request_id": info.request_id, "client": _client(scope)})

    def record_denied(self, scope: dict, denied, route) -> None:
        """A request the guard refused (401 or 403): the reason, never the credentials."""
        info = scope["hyp.request"]
        caller = getattr(denied, "identity", None)
        self.record({"event": "denied", "method": info.method, "path": info.path, "route": route.path,
                     "service": route.service, "status": denied.status, "reason": denied.message,
                     "auth": route.auth if caller is None else caller.method,
                     "subject": None if caller is None else caller.sub,
                     "request_id": info.request_id, "client": _client(scope)})

    def on_denied(self, route):
        """The guard's hook for `route` (a RouteSpec)."""
        return lambda scope, denied: self.record_denied(scope, denied, route)

    def close(self, timeout: float = 30.0) -> None:
        global _server_log
        if _server_log is self:
            _server_log = None
        self._closing.set()
        with self._lock:
            thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)


def _client(scope: dict) -> str | None:
    client = scope.get("client")
    return client[0] if client else None


class AuditedEndpoint:
    """A guarded route's endpoint whose state-changing requests are recorded once answered."""

    def __init__(self, endpoint, audit: AuditLog) -> None:
        self.endpoint = endpoint
        self.audit = audit

    async def __call__(self, scope, receive, send) -> None:
        try:
            await self.endpoint(scope, receive, send)
        finally:
            self.audit.record_request(scope)


_server_log: AuditLog | None = None  # the running server's, so that `record` queues onto it


def serve_log(security: dict, root: str, database, logs) -> AuditLog | None:
    """The audit log of `hyp serve` (None when `security.audit` is not configured)."""
    global _server_log
    audit = security.get("audit")
    if audit is None:
        return None
    sink = open_sink(audit.get("sink", "database"), root, database, logs.writer.msg)
    _server_log = AuditLog(sink, lambda message, **fields: logs.event("error", message, **fields))
    return _server_log


def record(event: dict, root: str | None = None, profile: str | None = None) -> bool:
    """Append a security event (e.g. {"event": "key created", "name": ..., "roles": [...]}) to the
    audit log: queued in a running server, else written at once to the sink of the project at
    `root` (default: the current folder's). False when the project keeps no audit log; raises
    AuditError when the sink cannot be written."""
    if _server_log is not None and root is None:
        _server_log.record(event)
        return True
    sink = project_sink(root, profile)
    if sink is None:
        return False
    try:
        sink.append([{"time": now(), **event}])
    except AuditError:
        raise
    except Exception as error:  # noqa: BLE001 - a database error, in words for the operator
        raise AuditError(f"cannot append to the audit log: {type(error).__name__}: {error}") from None
    return True


def project_sink(root: str | None = None, profile: str | None = None):
    """The sink of a project's configuration, or None without `security.audit`."""
    from hypnoscript.project.config import load_config
    from hypnoscript.project.manifest import require_root

    root = root or require_root(os.getcwd())
    config = load_config(root, profile)
    audit = config.get("security", {}).get("audit")
    if audit is None:
        return None

    def engine():
        from hypnoscript.services.data.database import create_engine

        database = config.get("infrastructure", {}).get("database", {})
        return create_engine(database.get("url", "sqlite:///data/app.db"), root,
                             pool_size=database.get("poolSize", 5), timeout=database.get("timeout", 10))

    return open_sink(audit.get("sink", "database"), root, engine)


def parse(lines: list[tuple[str, str]]) -> list[tuple[str, dict | None]]:
    parsed = []
    for where, text in lines:
        try:
            entry = json.loads(text)
        except ValueError:
            entry = None
        parsed.append((where, entry if isinstance(entry, dict) else None))
    return parsed


def verify(lines: list[tuple[str, str]], head: tuple[int, str] | None = None) -> tuple[int, str | None]:
    """(entries, None) for an intact chain, else (entries, what is wrong with the first bad entry)."""
    entries = parse(lines)
    seqs = [e.get("seq") if e is not None else None for _, e in entries]
    expected, prev = 1, GENESIS
    for pos, (where, entry) in enumerate(entries):
        seq = seqs[pos]
        if entry is None or not isinstance(seq, int) or not isinstance(entry.get("hash"), str) \
                or "prev" not in entry:
            return len(entries), f"{where} is not an audit entry (entry {expected} expected)"
        if seq != expected:
            if seq < expected:
                return len(entries), f"entry {seq} is out of order: it comes after entry {expected - 1} ({where})"
            if expected in seqs[pos + 1:]:
                return len(entries), f"entry {seq} is out of order: it comes before entry {expected} ({where})"
            gone = f"entry {expected} is" if seq == expected + 1 else f"entries {expected} to {seq - 1} are"
            return len(entries), f"{gone} missing: removed before entry {seq} ({where})"
        if entry_hash(entry) != entry["hash"]:
            return len(entries), f"entry {seq} was edited: its hash does not match its fields ({where})"
        if entry["prev"] != prev:
            return len(entries), (f"entry {seq} does not follow entry {seq - 1}: its previous hash differs, so entry "
                                  f"{seq - 1} was replaced ({where})")
        prev = entry["hash"]
        expected += 1
    if head is not None:
        last = expected - 1
        if head[0] > last:
            gone = f"entry {head[0]} was" if head[0] == last + 1 else f"entries {last + 1} to {head[0]} were"
            return len(entries), f"{gone} removed from the end (the head records entry {head[0]})"
        if head[0] == last and last > 0 and head[1] != prev:
            return len(entries), f"entry {last} was replaced: its hash differs from the one the head records"
    return len(entries), None
