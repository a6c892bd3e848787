"""Configured routes are dispatched ahead of Starlette's router with the router's choices."""

from __future__ import annotations

from serve_helpers import serving, write_project

MODULE = """Focus {
    suggestion byNumber(request) { awaken { by: "number", id: request.params.id }; }
    suggestion byName(request) { awaken { by: "name", id: request.params.id }; }
    suggestion anyPath(request) { awaken request.params.rest; }
} Relax
"""

ROUTES = [
    {"method": "GET", "path": "/things/{id:int}", "handler": "byNumber"},
    {"method": "POST", "path": "/things/{id}", "handler": "byName"},
    {"method": "GET", "path": "/files/{rest:path}", "handler": "anyPath"},
]


def test_the_first_route_matching_path_and_method_answers(tmp_path):
    with serving(write_project(tmp_path, module=MODULE, routes=ROUTES)) as server:
        assert server.client.get("/things/5").json() == {"by": "number", "id": 5}
        # the first path match lacks POST: a later route matching both answers, as in Starlette
        assert server.client.post("/things/5").json() == {"by": "name", "id": "5"}
        assert server.client.post("/things/abc").json() == {"by": "name", "id": "abc"}
        assert server.client.get("/files/a/b/c.txt").json() == "a/b/c.txt"
        assert server.client.head("/things/5").status_code == 200


def test_other_methods_missing_paths_and_trailing_slashes_go_through_the_router(tmp_path):
    with serving(write_project(tmp_path, module=MODULE, routes=ROUTES)) as server:
        r = server.client.delete("/things/5")
        assert r.status_code == 405 and set(r.headers["allow"].split(", ")) == {"GET", "HEAD"}  # the first match
        assert r.json()["status"] == 405
        assert server.client.get("/nothing/here").status_code == 404
        r = server.client.get("/things/5/", follow_redirects=False)
        assert r.status_code == 307 and r.headers["location"].endswith("/things/5")
        assert server.client.get("/healthz").json()["status"] == "alive"
        (labelled,) = server.records(event="request", path="/things/5", method="DELETE")
        assert labelled["route"] == "/things/{id:int}" and labelled["service"] == "api"
