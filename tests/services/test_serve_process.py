"""`hyp serve` as a process: SIGTERM with a request in flight, `--workers`, `--reload`, start-up
diagnostics, and the enterprise template served out of the box."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from serve_helpers import free_port, hyp_serve, serving, wait_ready, write_project


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _log_records(root) -> list[dict]:
    with open(os.path.join(str(root), "serve.log"), encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def test_sigterm_lets_the_request_in_flight_finish_then_exits_0(project):
    port = free_port()
    proc = hyp_serve(project, "--grace-period", "10", port=port)
    try:
        wait_ready(port, proc)
        result = {}

        def slow_request():
            result["response"] = httpx.get(f"http://127.0.0.1:{port}/nap", params={"ms": "1200"}, timeout=10)

        t = threading.Thread(target=slow_request)
        t.start()
        time.sleep(0.4)
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        with pytest.raises(httpx.ConnectError):  # no longer accepting
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
        t.join(10)
        assert result["response"].status_code == 200
        assert result["response"].json() == "rested"
        assert proc.wait(15) == 0
        stderr = proc.stderr.read()
        assert "Traceback" not in stderr
    finally:
        _stop(proc)
    events = [r["event"] for r in _log_records(project)]
    assert events.index("stopped") > max(i for i, r in enumerate(_log_records(project)) if r.get("route") == "/nap")


def _hello_totals(text: str) -> tuple[float, float]:
    """(requests counted, durations observed) of the /hello/{name} route, over every worker."""
    requests = durations = 0.0
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.labels.get("route") != "/hello/{name}":
                continue
            if s.name == "hyp_http_requests_total":
                requests += s.value
            elif s.name == "hyp_http_request_duration_seconds_count":
                durations += s.value
    return requests, durations


def test_workers_serve_and_metrics_add_up_across_processes(project):
    port = free_port()
    proc = hyp_serve(project, "--workers", "2", port=port)
    try:
        wait_ready(port, proc)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            for i in range(20):
                client.get(f"/hello/w{i}", headers={"Connection": "close"}).raise_for_status()
            deadline = time.time() + 5  # each worker publishes its counts at least once a second
            while True:
                totals = _hello_totals(client.get("/metrics", headers={"Connection": "close"}).text)
                if totals == (20, 20) or time.time() > deadline:
                    break
                time.sleep(0.2)
        assert totals == (20, 20)
    finally:
        _stop(proc)
    assert proc.returncode == 0
    pids = {r["pid"] for r in _log_records(project) if r.get("event") == "serving"}
    assert len(pids) == 2


def test_reload_picks_up_a_changed_module(tmp_path):
    root = write_project(tmp_path, routes=[{"method": "GET", "path": "/v", "handler": "version"}],
                         module='Focus { suggestion version(request) { awaken "one"; } } Relax\n')
    port = free_port()
    proc = hyp_serve(root, "--reload", port=port)
    try:
        wait_ready(port, proc)
        assert httpx.get(f"http://127.0.0.1:{port}/v").json() == "one"
        time.sleep(0.5)
        with open(os.path.join(root, "modules", "api", "api.hyp"), "w") as fh:
            fh.write('Focus { suggestion version(request) { awaken "two"; } } Relax\n')
        deadline = time.time() + 20
        seen = None
        while time.time() < deadline and seen != "two":
            try:
                seen = httpx.get(f"http://127.0.0.1:{port}/v", timeout=1).json()
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        assert seen == "two"
    finally:
        _stop(proc)


def _serve_once(root, *args):
    return subprocess.run([sys.executable, "-m", "hypnoscript", "serve", "--port", "0", *args], cwd=str(root),
                          capture_output=True, text=True, timeout=60, check=False)


def test_a_handler_missing_from_the_module_is_a_diagnostic(tmp_path):
    root = write_project(tmp_path, routes=[{"method": "GET", "path": "/x", "handler": "nothere"}])
    done = _serve_once(root)
    assert done.returncode == 1
    assert "error[HYP5030]" in done.stderr and "$.services.api.routes[0].handler" in done.stderr
    assert "\"nothere\" is not a top-level suggestion" in done.stderr
    assert "Traceback" not in done.stderr


def test_bad_configuration_and_source_errors_are_diagnostics(tmp_path):
    root = write_project(tmp_path, routes=[{"method": "FETCH", "path": "x", "handler": "hello"}])
    done = _serve_once(root)
    assert done.returncode == 1 and "error[" in done.stderr and "Traceback" not in done.stderr
    assert "$.services.api.routes[0].method" in done.stderr

    root = write_project(tmp_path / "two", routes=[{"method": "GET", "path": "/a/{x:nope}", "handler": "hello"},
                                                   {"method": "GET", "path": "/healthz", "handler": "hello"}])
    done = _serve_once(root)
    assert done.returncode == 1
    assert "invalid path template" in done.stderr and "/healthz is served by the server itself" in done.stderr

    root = write_project(tmp_path / "three", module="Focus { suggestion hello(request) { awaken ; } Relax")
    done = _serve_once(root, "--workers", "2")
    assert done.returncode == 1 and "error[" in done.stderr and "api.hyp" in done.stderr
    assert "Traceback" not in done.stderr

    done = _serve_once(write_project(tmp_path / "four"), "nosuchservice")
    assert done.returncode == 1 and "no service named \"nosuchservice\"" in done.stderr


def test_outside_a_project_is_a_usage_error(tmp_path):
    done = _serve_once(tmp_path)
    assert done.returncode == 2 and "no trance.json" in done.stderr


def test_enterprise_template_is_served_out_of_the_box(tmp_path):
    from hypnoscript.project import templates

    templates.create(str(tmp_path), "demo", "enterprise")
    with serving(tmp_path) as server:
        r = server.client.post("/auth/login", json={"username": "ada", "password": "lovelace"})
        assert r.status_code == 200 and r.json()["user"] == "ada"
        assert server.client.get("/readyz").json()["services"] == ["auth", "billing", "reporting"]
        assert server.client.get("/auth/me").status_code == 401  # authentication is required, never skipped
        paths = server.client.get("/openapi.json").json()["paths"]
        assert {"/auth/login", "/invoices", "/invoices/{id}/pay", "/reports/revenue"} <= set(paths)
