"""Serving a request leaves nothing for the garbage collector: everything it allocates is freed by
reference counting. (A cycle per request makes the collector run all the time on a busy server.)"""

from __future__ import annotations

import asyncio
import gc
import io

from serve_helpers import write_project

from hypnoscript.services.app import build_app
from hypnoscript.services.observability.logging import Logs
from hypnoscript.services.settings import load_settings


class ServerCycle:
    """Like uvicorn's request-response cycle: the object whose `send` the app gets holds the scope."""

    def __init__(self, scope: dict) -> None:
        self.scope = scope
        self.status = None

    async def receive(self) -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(self, message: dict) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]


def scope_for(method: str, path: str, query: bytes) -> dict:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "scheme": "http",
            "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 50000), "root_path": "",
            "method": method, "path": path, "raw_path": path.encode(), "query_string": query,
            "headers": [(b"host", b"127.0.0.1:8000"), (b"x-request-id", b"abc-123")]}


def test_requests_leave_no_reference_cycles(tmp_path):
    app = build_app(load_settings(write_project(tmp_path)), logs=Logs(stream=io.StringIO()))
    # handlers run inline and on the handler threads (`deep` recurses), failures, router answers
    requests = [("GET", "/items/42", 200), ("GET", "/hello/zo%C3%AB", 200), ("GET", "/invoices/9", 404),
                ("GET", "/deep", 200), ("GET", "/boom", 500), ("GET", "/nowhere", 404), ("PUT", "/items/1", 405),
                ("GET", "/healthz", 200)]

    async def serve_all() -> list[int | None]:
        statuses = []
        for method, path, _ in requests * 20:
            cycle = ServerCycle(scope_for(method, path, b"n=3&a=1"))
            await app(cycle.scope, cycle.receive, cycle.send)
            statuses.append(cycle.status)
        return statuses

    async def main() -> tuple[list, int]:
        async with app.router.lifespan_context(app):
            await serve_all()  # first calls fill caches
            gc.collect()
            gc.disable()
            try:
                statuses = await serve_all()
                return statuses, gc.collect()
            finally:
                gc.enable()

    statuses, unreachable = asyncio.run(main())
    assert statuses == [status for _, _, status in requests] * 20
    assert unreachable == 0
