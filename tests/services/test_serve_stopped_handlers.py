"""A handler stopped at its deadline leaves the process as it was."""

from __future__ import annotations

from serve_helpers import serving, write_project

MODULE = """Focus {
    suggestion spin(request) {
        induce n = 0;
        while (true) { n = n + 1; }
    }
    suggestion twice(x) { awaken x * 2; }
    suggestion profiled(request) {
        StartProfiling("work");
        induce total = 0;
        induce i = 0;
        while (i < 5) { total = total + twice(i); i = i + 1; }
        induce data = StopProfiling("work");
        awaken { total: total, calls: data.functionCalls };
    }
} Relax
"""

ROUTES = [
    {"method": "GET", "path": "/spin", "handler": "spin", "timeout": 0.3},
    {"method": "GET", "path": "/profiled", "handler": "profiled", "timeout": 5},
]


def test_profiling_works_after_a_handler_was_stopped(tmp_path):
    # Dropping an undelivered stop the wrong way left CPython's "asynchronous exception pending"
    # signal on, and the next thread with a profile hook spun at its first call.
    with serving(write_project(tmp_path, module=MODULE, routes=ROUTES), threads=1) as server:
        assert server.client.get("/profiled").json() == {"total": 20, "calls": 5}
        for _ in range(3):
            assert server.client.get("/spin").status_code == 504
        r = server.client.get("/profiled")
        assert r.status_code == 200 and r.json() == {"total": 20, "calls": 5}
