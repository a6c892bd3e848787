"""Quick handlers run on the event loop, everything else on the handler threads; a handler gets
the parts of the request it reads, and a whole request when it uses it as a value."""

from __future__ import annotations

import threading
import time

from serve_helpers import serving, write_project

MODULE = """Focus {
    induce big = Repeat("a", 30000000);

    suggestion quick(request) {
        awaken { name: ToUpper(request.params.name), size: Length(request.params.name) };
    }
    suggestion nap(request) {
        Drift(ToNumber(request.query.ms));
        awaken "rested";
    }
    suggestion echo(request) {
        awaken request;
    }
    suggestion heavy(request) {
        awaken Length(ToUpper(big));
    }
} Relax
"""

ROUTES = [
    {"method": "GET", "path": "/quick/{name}", "handler": "quick"},
    {"method": "GET", "path": "/nap", "handler": "nap", "timeout": 10},
    {"method": "GET", "path": "/heavy", "handler": "heavy"},
    {"method": "POST", "path": "/quick/{name}", "handler": "quick"},
    {"method": "POST", "path": "/echo/{id:int}", "handler": "echo"},
]


def test_quick_handler_is_answered_while_every_handler_thread_is_busy(tmp_path):
    root = write_project(tmp_path, module=MODULE, routes=ROUTES)
    with serving(root, threads=1) as server:
        results = []
        napping = threading.Thread(target=lambda: results.append(server.client.get("/nap", params={"ms": "1500"})))
        napping.start()
        time.sleep(0.2)
        started = time.monotonic()
        r = server.client.get("/quick/zoë")
        assert r.status_code == 200 and r.json() == {"name": "ZOË", "size": 3}
        assert time.monotonic() - started < 1.0  # not queued behind the nap on the only thread
        napping.join()
        assert results[0].json() == "rested"


def test_quick_handler_that_overruns_its_budget_moves_to_the_handler_threads(tmp_path):
    root = write_project(tmp_path, module=MODULE, routes=ROUTES)
    with serving(root) as server:
        assert server.client.get("/heavy").json() == 30000000
        (moved,) = server.records(event="handler moved to the handler threads")
        assert moved["route"] == "/heavy" and moved["handler"] == "api.heavy" and moved["duration_ms"] > 5
        assert server.client.get("/heavy").json() == 30000000
        assert len(server.records(event="handler moved to the handler threads")) == 1
        assert server.records(event="handler moved to the handler threads", route="/quick/{name}") == []


def test_handler_reading_only_some_fields_still_rejects_a_malformed_body(tmp_path):
    root = write_project(tmp_path, module=MODULE, routes=ROUTES)
    with serving(root) as server:
        r = server.client.post("/quick/x", content=b"{not json", headers={"content-type": "application/json"})
        assert r.status_code == 400 and "malformed JSON body" in r.json()["message"]
        assert server.client.post("/quick/x", json={"a": 1}).json() == {"name": "X", "size": 1}


def test_handler_using_the_whole_request_gets_every_field(tmp_path):
    root = write_project(tmp_path, module=MODULE, routes=ROUTES)
    with serving(root) as server:
        r = server.client.post("/echo/7?a=1&a=2", json={"ü": True}, headers={"X-Request-ID": "echo-1"})
        request = r.json()
        assert list(request) == ["method", "path", "params", "query", "headers", "body", "user", "id"]
        assert request["params"] == {"id": 7} and request["query"] == {"a": ["1", "2"]}
        assert request["body"] == {"ü": True} and request["id"] == "echo-1"
        assert request["headers"]["content-type"] == "application/json"
