"""Helpers for the `hyp worker` tests: a project with consumers and schedules in tmp_path, `hyp`
subprocesses (one-shot commands and workers on a free loopback port), the project's broker through
the broker API, and the rows its handlers recorded in data/app.db."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import time

import httpx

HYP = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), ".venv", "bin", "hyp")
PREFIX = "wtest"
SERVICE = "orders"


def write_project(root, module: str, *, events: list | None = None, schedules: list | None = None,
                  routes: list | None = None, messaging: dict | None = None, config: dict | None = None) -> str:
    """A project `worker test` with one service `orders` (modules/orders.hyp)."""
    root = str(root)
    os.makedirs(os.path.join(root, "modules"), exist_ok=True)
    os.makedirs(os.path.join(root, "config"), exist_ok=True)
    with open(os.path.join(root, "trance.json"), "w", encoding="utf-8") as fh:
        json.dump({"ritualName": "worker test", "mantra": "1.0.0", "intent": "service"}, fh)
    with open(os.path.join(root, "modules", "orders.hyp"), "w", encoding="utf-8") as fh:
        fh.write(module)
    service = {"module": "modules/orders.hyp"}
    for key, value in (("events", events), ("schedules", schedules), ("routes", routes)):
        if value is not None:
            service[key] = value
    data = {"infrastructure": {"messaging": {"prefix": PREFIX, **(messaging or {})}},
            "services": {SERVICE: service}}
    data.update(config or {})
    with open(os.path.join(root, "config", "hypnoscript.config.json"), "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
    return root


def consumer(topic: str, handler: str, **settings) -> dict:
    return {"topic": topic, "handler": handler, **settings}


def env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith(("HYP_", "PROMETHEUS_", "OTEL_"))}


def hyp(root, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([HYP, *args], cwd=str(root), capture_output=True, text=True, timeout=timeout, env=env())


def hyp_exec(root, code: str) -> str:
    """Run HypnoScript in the project; its output, after checking it succeeded."""
    done = hyp(root, "exec", "-e", code)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Worker:
    """`hyp worker` (or `hyp serve`) as a subprocess; stdout (JSON log lines) and stderr go to files
    in the project."""

    def __init__(self, root, *args: str, name: str = "worker", command: str = "worker") -> None:
        self.root = str(root)
        self.command = command
        self.port = free_port()
        self.out_path = os.path.join(self.root, f"{name}.out")
        self.err_path = os.path.join(self.root, f"{name}.err")
        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:  # the child keeps its handles
            self.proc = subprocess.Popen([HYP, command, "--port", str(self.port), *args], cwd=self.root,
                                         stdout=out, stderr=err, env=env())

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url(path), timeout=5)

    def wait_up(self, timeout: float = 15.0, status: int = 200) -> None:
        """Until /readyz answers `status`."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"hyp {self.command} exited with {self.proc.returncode}: {self.stderr()}")
            try:
                if self.get("/readyz").status_code == status:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"hyp {self.command} did not answer /readyz {status}: {self.stderr()}")

    def signal(self, number: int) -> None:
        self.proc.send_signal(number)

    def stop(self, timeout: float = 20.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)

    def stdout(self) -> str:
        with open(self.out_path, encoding="utf-8") as fh:
            return fh.read()

    def stderr(self) -> str:
        with open(self.err_path, encoding="utf-8") as fh:
            return fh.read()

    def records(self, **match) -> list[dict]:
        return json_lines(self.stdout(), **match)

    def spans(self) -> list[dict]:
        """The spans the console exporter wrote to stderr."""
        return json_lines(self.stderr())


def json_lines(text: str, **match) -> list[dict]:
    """The lines of `text` that are JSON objects with the given field values."""
    out = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and all(record.get(k) == v for k, v in match.items()):
            out.append(record)
    return out


def open_project_broker(root, messaging: dict | None = None):
    """The broker the project's configuration names, under the same prefix."""
    from hypnoscript.services.events.brokers import open_broker

    messaging = messaging or {}
    return open_broker(messaging.get("url", "sqlite:///data/queue.db"), str(root),
                       prefix=messaging.get("prefix", PREFIX), timeout=10)


def database(root) -> sqlite3.Connection:
    os.makedirs(os.path.join(str(root), "data"), exist_ok=True)
    conn = sqlite3.connect(os.path.join(str(root), "data", "app.db"), timeout=10, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    return conn


def rows(root, sql: str, params=()) -> list[tuple]:
    conn = database(root)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def setup_sql(root, *statements: str) -> None:
    conn = database(root)
    try:
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()


def wait_until(condition, timeout: float = 20.0, interval: float = 0.05, message: str = "condition"):
    """Poll `condition()` until it returns something truthy (returned), or fail after `timeout`."""
    deadline = time.time() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        time.sleep(interval)
