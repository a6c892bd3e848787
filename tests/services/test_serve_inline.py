"""Quick handlers run on the event loop, everything else on the handler threads."""

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
    suggestion heavy(request) {
        awaken Length(ToUpper(big));
    }
} Relax
"""

ROUTES = [
    {"method": "GET", "path": "/quick/{name}", "handler": "quick"},
    {"method": "GET", "path": "/nap", "handler": "nap", "timeout": 10},
    {"method": "GET", "path": "/heavy", "handler": "heavy"},
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
