"""`hyp init --template X`: each starter project validates and passes its own tests."""

from __future__ import annotations

import json
import os

import pytest

from hypnoscript.project import templates

from .helpers import run_cli, write


@pytest.mark.parametrize("template, files", [
    ("cli", ["trance.json", "src/commands.hyp", "src/main.hyp", "tests/smoke.hyp"]),
    ("library", ["trance.json", "src/lib.hyp", "tests/test.hyp"]),
    ("enterprise", ["trance.json", "config/hypnoscript.config.json", "migrations/0001_initial.sql",
                    "migrations/0002_demo_users.sql", "scripts/demo.hyp", "scripts/deploy.sh",
                    "shared/utils.hyp", "tests/auth.hyp", "tests/billing.hyp", "tests/reporting.hyp",
                    "tests/rules.hyp", "modules/auth/auth.hyp", "modules/billing/billing.hyp",
                    "modules/core/rules.hyp", "modules/reporting/reporting.hyp"]),
])
def test_template_validates_and_passes_its_tests(tmp_path, hyp, template, files):
    folder = tmp_path / "shop"
    folder.mkdir()
    r = hyp("init", "--template", template, cwd=folder)
    assert r.code == 0, r.err
    assert templates.files(template) == files
    for rel in files:
        assert (folder / rel).is_file(), rel
        assert "{{name}}" not in (folder / rel).read_text()
    assert json.loads((folder / "trance.json").read_text())["ritualName"] == "shop"
    v = hyp("validate")
    assert v.code == 0, v.err
    assert v.out.startswith("✅ Manifest is valid\n")
    t = hyp("test")
    assert t.code == 0, t.out
    assert t.out.splitlines()[-1].endswith(" passed, 0 failed")


def test_cli_template_reference_manifest(tmp_path, hyp):
    r = hyp("init", "-n", "tool", "-t", "cli", cwd=tmp_path)
    assert r.code == 0
    data = json.loads((tmp_path / "trance.json").read_text())
    assert data["intent"] == "cli"
    assert data["induction"] == {"description": "A HypnoScript CLI application: tool", "entryScript": "src/main.hyp",
                                 "keywords": ["hypnoscript", "cli"], "license": "MIT"}
    assert data["suggestions"] == {"focus": "hypnoscript exec src/main.hyp", "test": "hypnoscript exec tests/smoke.hyp"}
    assert data["channels"] == {"binary": "tool", "entry": "focus",
                                "targets": ["windows-x64", "linux-x64", "macos-universal"],
                                "telemetry": {"enabled": False, "endpoint": None}}


def test_library_template_reference_manifest(tmp_path, hyp):
    hyp("init", "-t", "library", "-n", "lib", cwd=tmp_path)
    data = json.loads((tmp_path / "trance.json").read_text())
    assert data["suggestions"] == {"test": "hypnoscript exec tests/test.hyp",
                                   "build": "hypnoscript compile-wasm src/lib.hyp"}
    assert data["induction"]["keywords"] == ["hypnoscript", "library"] and data["channels"] is None


def test_name_is_escaped_in_json(tmp_path, hyp):
    assert hyp("init", "-n", 'say "hi"', "-t", "enterprise", cwd=tmp_path).code == 0
    assert json.loads((tmp_path / "trance.json").read_text())["ritualName"] == 'say "hi"'
    config = json.loads((tmp_path / "config" / "hypnoscript.config.json").read_text())
    assert config["security"]["auth"]["jwt"]["issuer"] == 'say "hi"'


def test_init_never_overwrites(tmp_path, hyp):
    write(tmp_path / "tests" / "smoke.hyp", "mine")
    r = hyp("init", "-t", "cli", cwd=tmp_path)
    assert r.code == 1 and "tests/smoke.hyp" in r.err
    assert (tmp_path / "tests" / "smoke.hyp").read_text() == "mine"
    assert not (tmp_path / "trance.json").exists()


def test_unknown_template_is_a_usage_error(tmp_path, hyp):
    assert hyp("init", "-t", "website", cwd=tmp_path).code == 2


def test_enterprise_config_wires_the_modules(tmp_path, hyp):
    hyp("init", "-t", "enterprise", "-n", "acme", cwd=tmp_path)
    config = json.loads((tmp_path / "config" / "hypnoscript.config.json").read_text())
    for name, service in config["services"].items():
        module = (tmp_path / service["module"]).read_text()
        handlers = [r["handler"] for r in service.get("routes", [])] + \
                   [e["handler"] for e in service.get("events", [])] + \
                   [s["handler"] for s in service.get("schedules", [])]
        for handler in handlers:
            assert f"suggestion {handler}(" in module, (name, handler)
    assert config["services"]["reporting"]["events"][0]["topic"] == "invoice.created"
    assert os.access(tmp_path / "scripts" / "deploy.sh", os.X_OK)
    demo = hyp("run", "demo")
    assert demo.code == 0, demo.err
    assert "invoice issued: 309.39 EUR" in demo.out and "revenue so far: 309.39 EUR" in demo.out


def test_end_to_end_in_a_child_process(tmp_path):
    r = run_cli("init", "--template", "enterprise", "--name", "acme", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = run_cli("test", "--junit", "report.xml", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[-1] == "19 passed, 0 failed"
    assert (tmp_path / "report.xml").is_file()
    r = run_cli("validate", cwd=tmp_path)
    assert r.returncode == 0 and "✅ Configuration is valid (profiles: prod)" in r.stdout


def _serve(args: list[str], cwd, port: int):
    """A `hyp serve`/`hyp worker` child process, once its /readyz answers 200."""
    import subprocess
    import sys
    import time

    import httpx

    env = {k: v for k, v in os.environ.items() if not k.startswith("HYP_") and k != "JWT_SECRET"}
    log = open(os.path.join(cwd, f"{args[0]}.log"), "w")  # the child keeps its own handle
    proc = subprocess.Popen([sys.executable, "-m", "hypnoscript", *args, "--port", str(port)], cwd=cwd, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    log.close()
    deadline = time.time() + 30
    while time.time() < deadline:
        assert proc.poll() is None, open(os.path.join(cwd, f"{args[0]}.log")).read()
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"hyp {args[0]} did not become ready")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_enterprise_template_served_with_jwt_logins(tmp_path):
    import sqlite3
    import time

    import httpx

    assert run_cli("init", "--template", "enterprise", "--name", "acme", cwd=tmp_path).returncode == 0
    port = _free_port()
    server = _serve(["serve"], tmp_path, port)
    worker = None
    try:
        worker = _serve(["worker"], tmp_path, _free_port())
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            def login(name, password):
                r = client.post("/auth/login", json={"username": name, "password": password})
                assert r.status_code == 200, r.text
                body = r.json()
                assert (body["user"], body["roles"]) == (name, ["billing", "finance"] if name == "ada" else ["billing"])
                return {"Authorization": f"Bearer {body['token']}"}

            ada, bob = login("ada", "lovelace"), login("bob", "builder")
            assert client.post("/auth/login", json={"username": "ada", "password": "nope"}).status_code == 401
            assert client.get("/auth/me", headers=ada).json() == {"user": "ada", "roles": ["billing", "finance"]}
            r = client.post("/invoices", headers=ada, json={"customer": "ACME", "lines": [
                {"description": "Hypnosis session", "quantity": 2, "unitPrice": 120}]})
            assert r.status_code == 201, r.text
            invoice = r.json()["invoice"]
            assert (invoice["state"], invoice["totals"]["gross"]) == ("issued", 285.6)
            r = client.post(f"/invoices/{invoice['id']}/pay", headers=ada)
            assert (r.status_code, r.json()["invoice"]["state"]) == (200, "paid")
            # the worker counts invoice.created; the report is read once it has
            deadline = time.time() + 20
            while True:
                with sqlite3.connect(tmp_path / "data" / "app.db") as db:
                    if db.execute("SELECT gross FROM revenue WHERE customer = 'ACME'").fetchall():
                        break
                assert time.time() < deadline, "the worker did not handle invoice.created"
                time.sleep(0.1)
            r = client.get("/reports/revenue", headers=ada)
            assert r.status_code == 200, r.text
            assert r.json() == {"currency": "EUR", "customers": {"ACME": 285.6}, "total": 285.6}
            r = client.get("/reports/revenue", headers=bob)
            assert (r.status_code, r.json()["message"]) == (403, "this route requires the role finance")
            for path in ("/reports/revenue", "/auth/me"):
                r = client.get(path)
                assert r.status_code == 401 and r.headers["www-authenticate"] == 'Bearer realm="hyp"'
            assert client.post("/invoices", json={"customer": "ACME", "lines": []}).status_code == 401
    finally:
        for proc in (worker, server):
            if proc is not None:
                proc.terminate()
                proc.wait(30)
    for name in ("serve.log", "worker.log"):
        log = (tmp_path / name).read_text()
        assert "InsecureKeyLengthWarning" not in log and "Traceback" not in log
