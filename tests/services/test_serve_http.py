"""`hyp serve` over HTTP: every status path, parameters, bodies, health, OpenAPI."""

import threading
import time

from serve_helpers import serving, write_project


def test_value_is_sent_as_json_with_status_200(server):
    r = server.client.get("/hello/world")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"message": "Hallo world", "query": {}, "body": None}


def test_route_parameters_and_query_strings(server):
    r = server.client.get("/hello/%C3%BCmit", params=[("tag", "a"), ("tag", "b"), ("q", "x y"), ("empty", "")])
    assert r.json() == {"message": "Hallo ümit", "query": {"tag": ["a", "b"], "q": "x y", "empty": ""}, "body": None}
    r = server.client.get("/items/21")
    assert r.json() == {"id": 21, "double": 42}
    assert server.client.get("/items/abc").status_code == 404  # {id:int} does not match


def test_json_body_with_unicode(server):
    body = {"name": "Zoë 🌙", "lines": [1, 2.5, {"nested": True}], "nothing": None}
    r = server.client.post("/hello/über", json=body)
    assert r.status_code == 200
    assert r.json() == {"message": "Hallo über", "query": {}, "body": body}
    raw = server.client.post("/hello/x", content='{"text": "日本語"}'.encode())  # no content type: JSON
    assert raw.json()["body"] == {"text": "日本語"}


def test_response_value_sets_status_headers_and_body(server):
    r = server.client.post("/created", json={"name": "widget"})
    assert r.status_code == 201
    assert r.headers["x-created"] == "yes"
    assert r.json() == {"id": 7, "name": "widget"}
    r = server.client.delete("/things/3")
    assert r.status_code == 204 and r.content == b""


def test_fail_ends_the_request_with_a_4xx(server):
    r = server.client.get("/invoices/17", headers={"X-Request-ID": "req-fail-1"})
    assert r.status_code == 404
    assert r.json() == {"status": 404, "error": "Not Found", "message": "no such invoice: 17",
                        "request_id": "req-fail-1"}


def test_malformed_json_body_is_a_400(server):
    r = server.client.post("/hello/x", content=b'{"a": ', headers={"content-type": "application/json"})
    assert r.status_code == 400
    body = r.json()
    assert body["status"] == 400 and body["message"].startswith("malformed JSON body")
    assert body["request_id"] == r.headers["x-request-id"]
    assert server.client.post("/hello/x", content=b"NaN", headers={"content-type": "application/json"}).status_code == 400
    assert server.client.post("/hello/x", content=b"\xff\xfe{", headers={"content-type": "application/json"}).status_code == 400


def test_unknown_route_is_a_json_404_and_wrong_method_a_405(server):
    r = server.client.get("/nowhere")
    assert r.status_code == 404
    assert r.json()["message"] == "GET /nowhere: Not Found"
    r = server.client.put("/hello/x")
    assert r.status_code == 405
    assert set(r.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}
    assert r.json()["status"] == 405


def test_runtime_error_is_a_500_with_the_request_id_and_the_stack_in_the_log(server):
    r = server.client.get("/boom")
    assert r.status_code == 500
    body = r.json()
    assert body["message"] == "type error: Cannot access member 'deeper' on value 'null'"
    assert body["code"] == "HYP4001"
    assert body["request_id"] == r.headers["x-request-id"]
    assert "Traceback" not in r.text
    (record,) = server.records(event="handler error")
    assert record["request_id"] == body["request_id"]
    assert "api.hyp:" in record["hyp_stack"] and "request.nothing.deeper" in record["hyp_stack"]
    assert record["frames"][0].startswith("helper at ") and record["frames"][1].startswith("boom at ")
    assert server.client.get("/hello/again").status_code == 200  # still serving


def test_results_without_a_json_form_and_exit_are_500s(server):
    r = server.client.get("/function")
    assert r.status_code == 500
    assert r.json()["message"] == "type error: the handler's result cannot be sent as JSON: it holds a function"
    r = server.client.get("/quit")
    assert r.status_code == 500 and r.json()["message"] == "Exit(3) called in a route handler"
    assert server.client.get("/healthz").status_code == 200


def test_deep_recursion_works_and_runaway_recursion_is_a_500(server):
    assert server.client.get("/deep", params={"n": "10000"}).json() == 10000
    r = server.client.get("/deep", params={"n": "10000000"})
    assert r.status_code == 500 and "recursion" in r.json()["message"]
    assert server.client.get("/deep", params={"n": "3"}).json() == 3


def test_handler_past_its_timeout_is_a_504_and_is_stopped(project):
    with serving(project, threads=1) as server:
        started = time.monotonic()
        r = server.client.get("/spin")
        assert r.status_code == 504
        assert 0.3 <= time.monotonic() - started < 2
        assert r.json()["message"] == "the handler did not finish within 0.3 s"
        # the runaway loop was stopped: the counter it bumps stands still, the one thread is free
        first = server.client.get("/spins").json()
        time.sleep(0.2)
        assert server.client.get("/spins").json() == first
        assert server.client.get("/healthz").status_code == 200
        assert server.client.get("/hello/after").status_code == 200


def test_slow_handler_does_not_hold_up_other_requests(project):
    with serving(project, threads=2) as server:
        slow = threading.Thread(target=lambda: results.append(server.client.get("/nap", params={"ms": "1500"})))
        results = []
        slow.start()
        time.sleep(0.2)
        started = time.monotonic()
        # a handler that needs a thread (it recurses) is served by the other one
        assert server.client.get("/deep", params={"n": "3"}).json() == 3
        assert time.monotonic() - started < 1.0
        slow.join()
        assert results[0].status_code == 200 and results[0].json() == "rested"


def test_blocked_handler_past_its_deadline_is_a_504_and_its_thread_is_replaced(project):
    with serving(project, threads=1) as server:
        blocked = threading.Thread(target=lambda: results.append(server.client.get("/short-nap",
                                                                                   params={"ms": "3000"})))
        results = []
        blocked.start()
        time.sleep(0.1)
        started = time.monotonic()
        # the only thread sleeps inside Drift; once its deadline passed, another thread takes over
        assert server.client.get("/deep", params={"n": "3"}).json() == 3
        assert time.monotonic() - started < 1.5
        blocked.join()
        assert results[0].status_code == 504


def test_body_over_the_limit_is_a_413(tmp_path):
    root = write_project(tmp_path, config={"security": {"limits": {"maxBodyBytes": 16}}})
    with serving(root) as server:
        r = server.client.post("/hello/x", json={"text": "x" * 100})
        assert r.status_code == 413
        assert r.json()["status"] == 413


def test_route_requiring_authentication_is_refused(server):
    r = server.client.get("/me")
    assert r.status_code == 401
    assert "jwt" in r.json()["message"]


def test_healthz_and_readyz(server):
    r = server.client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "alive"}
    r = server.client.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"status": "ready", "services": ["api"],
                        "checks": {"config": "ok", "modules": "ok", "database": "ok", "cache": "ok", "broker": "ok"}}


def test_readyz_reports_a_failing_check(server):
    async def broker():
        return "connection refused"

    server.app.state.health.add_check("broker", broker)
    r = server.client.get("/readyz")
    assert r.status_code == 503
    assert r.json()["status"] == "unavailable" and r.json()["checks"]["broker"] == "connection refused"


def test_openapi_document_from_the_routes(server):
    doc = server.client.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert doc["info"] == {"title": "serve-test", "version": "1.2.3"}
    item = doc["paths"]["/items/{id}"]["get"]
    assert item["operationId"] == "api.item"
    assert item["parameters"] == [{"name": "id", "in": "path", "required": True,
                                   "schema": {"type": "integer", "minimum": 0}}]
    assert set(doc["paths"]["/hello/{name}"]) == {"get", "post"}
    assert "requestBody" in doc["paths"]["/hello/{name}"]["post"]
    assert doc["paths"]["/me"]["get"]["security"] == [{"jwt": []}]
    assert "504" in doc["paths"]["/spin"]["get"]["responses"]


def test_head_request_has_no_body(server):
    r = server.client.head("/hello/x")
    assert r.status_code == 200 and r.content == b""
    assert int(r.headers["content-length"]) > 0


def test_only_the_named_services_are_mounted(tmp_path):
    root = write_project(tmp_path)
    import json
    import os

    path = os.path.join(root, "config", "hypnoscript.config.json")
    with open(path) as fh:
        data = json.load(fh)
    data["services"]["other"] = {"module": "modules/api/api.hyp",
                                 "routes": [{"method": "GET", "path": "/other/{name}", "handler": "hello"}]}
    with open(path, "w") as fh:
        json.dump(data, fh)
    with serving(root, services=["other"]) as server:
        assert server.client.get("/other/x").status_code == 200
        assert server.client.get("/hello/x").status_code == 404
        assert server.client.get("/readyz").json()["services"] == ["other"]
    with serving(root) as server:  # no SERVICE: every service in one process
        assert server.client.get("/other/x").status_code == 200
        assert server.client.get("/hello/x").status_code == 200
