"""Helpers for the `hyp serve` tests: small projects in tmp_path, and a real uvicorn server on a
free loopback port (in a thread for most tests, as a `hyp serve` subprocess where processes and
signals are the point), driven with httpx."""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time

import httpx

MODULE = """Focus {
    induce spins = 0;

    suggestion hello(request) {
        awaken { message: "Hallo " + request.params.name, query: request.query, body: request.body };
    }
    suggestion item(request) {
        awaken { id: request.params.id, double: request.params.id * 2 };
    }
    suggestion created(request) {
        awaken Response(201, { id: 7, name: request.body?.name }, { "X-Created": "yes" });
    }
    suggestion noContent(request) {
        awaken Response(204);
    }
    suggestion missing(request) {
        Fail(404, "no such invoice: " + request.params.id);
    }
    suggestion boom(request) {
        awaken helper(request);
    }
    suggestion helper(request) {
        induce x = request.nothing.deeper;
        awaken x;
    }
    suggestion spin(request) {
        while (true) { spins = spins + 1; }
    }
    suggestion spinCount() {
        awaken spins;
    }
    suggestion nap(request) {
        Drift(ToNumber(request.query.ms ?? "800"));
        awaken "rested";
    }
    suggestion chatty(request) {
        observe "observed " + request.path;
        LogEvent("info", "order placed", { orderId: 5, customer: "Zoë" });
        awaken true;
    }
    suggestion whoami(request) {
        awaken request.user;
    }
    suggestion giveFunction(request) {
        awaken [1, hello];
    }
    suggestion quit(request) {
        Exit(3);
    }
    suggestion depth(n) {
        if (n <= 0) { awaken 0; }
        awaken 1 + depth(n - 1);
    }
    suggestion deep(request) {
        awaken depth(ToNumber(request.query.n));
    }
} Relax
"""

JWT_SECRET = "serve-test-secret-of-enough-length-for-hs256"

ROUTES = [
    {"method": "GET", "path": "/hello/{name}", "handler": "hello"},
    {"method": "POST", "path": "/hello/{name}", "handler": "hello"},
    {"method": "GET", "path": "/items/{id:int}", "handler": "item"},
    {"method": "POST", "path": "/created", "handler": "created"},
    {"method": "DELETE", "path": "/things/{id}", "handler": "noContent"},
    {"method": "GET", "path": "/invoices/{id}", "handler": "missing"},
    {"method": "GET", "path": "/boom", "handler": "boom"},
    {"method": "GET", "path": "/spin", "handler": "spin", "timeout": 0.3},
    {"method": "GET", "path": "/spins", "handler": "spinCount"},
    {"method": "GET", "path": "/nap", "handler": "nap", "timeout": 5},
    {"method": "GET", "path": "/short-nap", "handler": "nap", "timeout": 0.3},
    {"method": "GET", "path": "/chatty", "handler": "chatty"},
    {"method": "GET", "path": "/me", "handler": "whoami", "auth": "jwt"},
    {"method": "GET", "path": "/function", "handler": "giveFunction"},
    {"method": "GET", "path": "/quit", "handler": "quit"},
    {"method": "GET", "path": "/deep", "handler": "deep"},
]


def write_project(root, *, module: str = MODULE, routes: list | None = None, config: dict | None = None) -> str:
    """A project with one service `api` (modules/api/api.hyp) and the given routes."""
    root = str(root)
    os.makedirs(os.path.join(root, "modules", "api"), exist_ok=True)
    os.makedirs(os.path.join(root, "config"), exist_ok=True)
    with open(os.path.join(root, "trance.json"), "w", encoding="utf-8") as fh:
        json.dump({"ritualName": "serve-test", "mantra": "1.2.3", "intent": "service"}, fh)
    with open(os.path.join(root, "modules", "api", "api.hyp"), "w", encoding="utf-8") as fh:
        fh.write(module)
    data = {"services": {"api": {"module": "modules/api/api.hyp", "routes": ROUTES if routes is None else routes}}}
    for key, value in (config or {}).items():
        data[key] = value
    data.setdefault("security", {}).setdefault("auth", {"jwt": {"secret": JWT_SECRET}})
    with open(os.path.join(root, "config", "hypnoscript.config.json"), "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
    return root


class LogLines(io.StringIO):
    """The server's stdout: JSON lines, parsed."""

    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.getvalue().splitlines() if line.strip()]


class Running:
    def __init__(self, app, client: httpx.Client, logs: LogLines) -> None:
        self.app = app
        self.client = client
        self.logs = logs

    def records(self, **match) -> list[dict]:
        """Log records with the given field values (after flushing the batched lines)."""
        self.app.observer.logs.writer.flush()
        return [r for r in self.logs.records() if all(r.get(k) == v for k, v in match.items())]


@contextlib.contextmanager
def serving(root, *, tracer_provider=None, threads: int | None = None, services=()):
    """Build the app for the project at `root` and serve it with uvicorn on a free port."""
    import uvicorn

    from hypnoscript.services.app import build_app
    from hypnoscript.services.observability.logging import Logs
    from hypnoscript.services.observability.tracing import Tracing
    from hypnoscript.services.settings import load_settings

    settings = load_settings(str(root), None, list(services), env={})
    logs = LogLines()
    app = build_app(settings, logs=Logs(settings.log_level, settings.log_format, logs),
                    tracing=Tracing(tracer_provider) if tracer_provider else None, threads=threads)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, access_log=False,
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not server.started:
        if time.time() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        try:
            yield Running(app, client, logs)
        finally:
            server.should_exit = True
            thread.join(10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hyp_serve(root, *args: str, port: int) -> subprocess.Popen:
    """`hyp serve` as a subprocess; its stdout (JSON log lines) goes to root/serve.log."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HYP_", "PROMETHEUS_"))}
    with open(os.path.join(str(root), "serve.log"), "w") as log:  # the child keeps its own handle
        return subprocess.Popen([sys.executable, "-m", "hypnoscript", "serve", "--port", str(port), *args],
                                cwd=str(root), stdout=log, stderr=subprocess.PIPE, text=True, env=env)


def wait_ready(port: int, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"hyp serve exited with {proc.returncode}: {proc.stderr.read()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError("hyp serve did not become ready")
