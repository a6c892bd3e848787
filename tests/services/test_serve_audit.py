"""The audit log of hyp serve: authenticated state-changing requests and denials recorded with their
fields and no credentials, `hyp audit verify` and `tail`, tampering found at the first bad entry, and
several processes extending one chain (file and database sinks)."""

import concurrent.futures
import json
import os
import signal
import time

import jwt
import pytest
import sqlalchemy
from serve_helpers import JWT_SECRET, free_port, hyp_serve, serving, wait_ready, write_project

from hypnoscript.cli.main import main
from hypnoscript.services.security import audit

ROUTES = [
    {"method": "POST", "path": "/created", "handler": "created", "auth": "jwt"},
    {"method": "DELETE", "path": "/things/{id}", "handler": "noContent", "auth": "jwt", "roles": ["admin"]},
    {"method": "GET", "path": "/me", "handler": "whoami", "auth": "jwt"},
    {"method": "POST", "path": "/hello/{name}", "handler": "hello"},
]


def token(sub="u1", roles=("billing",)) -> str:
    now = int(time.time())
    return jwt.encode({"sub": sub, "roles": list(roles), "iat": now, "exp": now + 300}, JWT_SECRET, algorithm="HS256")


def bearer(**claims) -> dict:
    return {"Authorization": f"Bearer {token(**claims)}"}


@pytest.fixture
def hyp(capsys, monkeypatch):
    def run(*args, cwd):
        monkeypatch.chdir(cwd)
        for name in list(os.environ):
            if name.startswith("HYP_"):
                monkeypatch.delenv(name)
        capsys.readouterr()
        code = main([str(a) for a in args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def project_with(tmp_path, sink: str, database: str | None = None) -> str:
    config = {"security": {"auth": {"jwt": {"secret": JWT_SECRET}}, "audit": {"sink": sink}}}
    if database:
        config["infrastructure"] = {"database": {"url": database}}
    return write_project(tmp_path, routes=ROUTES, config=config)


def exercise(client) -> None:
    """Two allowed state-changing requests, three denials, and requests that are not audited."""
    assert client.post("/created", json={"name": "x"}, headers={**bearer(), "X-Request-ID": "req-1"}).status_code == 201
    assert client.post("/created", headers={"X-Request-ID": "req-2"}).status_code == 401
    assert client.post("/created", headers={"Authorization": "Bearer not.a.token",
                                            "X-Request-ID": "req-3"}).status_code == 401
    assert client.delete("/things/5", headers={**bearer(), "X-Request-ID": "req-4"}).status_code == 403
    assert client.delete("/things/5", headers={**bearer(sub="boss", roles=["admin"]),
                                               "X-Request-ID": "req-5"}).status_code == 204
    assert client.get("/me", headers=bearer()).status_code == 200
    assert client.post("/hello/open").status_code == 200


def summary(entries: list[dict]) -> list[tuple]:
    return [(e["seq"], e["event"], e["method"], e["path"], e["route"], e["service"], e["status"], e.get("subject"),
             e["auth"], e["request_id"], e.get("reason")) for e in entries]


EXPECTED = [
    (1, "request", "POST", "/created", "/created", "api", 201, "u1", "jwt", "req-1", None),
    (2, "denied", "POST", "/created", "/created", "api", 401, None, "jwt", "req-2", "this route requires authentication (jwt)"),
    (3, "denied", "POST", "/created", "/created", "api", 401, None, "jwt", "req-3", "the bearer token is malformed"),
    (4, "denied", "DELETE", "/things/5", "/things/{id}", "api", 403, "u1", "jwt", "req-4",
     "this route requires the role admin"),
    (5, "request", "DELETE", "/things/5", "/things/{id}", "api", 204, "boss", "jwt", "req-5", None),
]


def check_entries(entries: list[dict], raw: str) -> None:
    assert summary(entries) == EXPECTED
    assert all(e["client"] == "127.0.0.1" and e["time"].endswith("Z") for e in entries)
    assert entries[0]["prev"] == audit.GENESIS
    assert [e["prev"] for e in entries[1:]] == [e["hash"] for e in entries[:-1]]
    assert "not.a.token" not in raw and JWT_SECRET not in raw and "Bearer" not in raw


def test_file_sink_records_requests_and_denials_and_verify_finds_tampering(tmp_path, hyp):
    root = project_with(tmp_path, "file:logs/audit.jsonl")
    with serving(root) as server:
        exercise(server.client)
    path = os.path.join(root, "logs", "audit.jsonl")
    with open(path, encoding="utf-8") as fh:
        raw = fh.read()
    lines = raw.splitlines()
    check_entries([json.loads(line) for line in lines], raw)

    assert hyp("audit", "verify", cwd=root) == (0, "✅ 5 entries, chain intact\n", "")
    code, out, _ = hyp("audit", "tail", "-n", "2", "--json", cwd=root)
    assert (code, out.splitlines()) == (0, lines[3:])
    code, out, _ = hyp("audit", "tail", "-n", "1", cwd=root)
    assert out.startswith("     5  ") and "request  DELETE /things/5 -> 204" in out and "subject=boss" in out

    def verify_with(changed: list[str]):
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("\n".join(changed) + "\n")
        return hyp("audit", "verify", cwd=root)

    edited = json.loads(lines[1])
    edited["status"] = 200
    assert verify_with([lines[0], json.dumps(edited), *lines[2:]]) == (
        1, "❌ audit log: entry 2 was edited: its hash does not match its fields (line 2)\n", "")
    assert verify_with([*lines[:2], *lines[3:]]) == (
        1, "❌ audit log: entry 3 is missing: removed before entry 4 (line 3)\n", "")
    assert verify_with([lines[0], lines[2], lines[1], *lines[3:]]) == (
        1, "❌ audit log: entry 3 is out of order: it comes before entry 2 (line 2)\n", "")
    rehashed = dict(edited)
    rehashed["hash"] = audit.entry_hash(rehashed)
    assert verify_with([lines[0], json.dumps(rehashed), *lines[2:]]) == (
        1, "❌ audit log: entry 3 does not follow entry 2: its previous hash differs, so entry 2 was replaced "
           "(line 3)\n", "")
    assert verify_with(lines) == (0, "✅ 5 entries, chain intact\n", "")


def rows(url: str) -> list[tuple[int, str]]:
    engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg://")
                                      .replace("mariadb://", "mysql+pymysql://").replace("mysql://", "mysql+pymysql://"))
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql("SELECT seq, entry FROM hyp_audit ORDER BY seq")]
    finally:
        engine.dispose()


def change(url: str, *statements: tuple[str, dict]) -> None:
    engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg://")
                                      .replace("mariadb://", "mysql+pymysql://").replace("mysql://", "mysql+pymysql://"))
    try:
        with engine.begin() as conn:
            for sql, params in statements:
                conn.execute(sqlalchemy.text(sql), params)
    finally:
        engine.dispose()


def test_database_sink_records_and_verify_finds_tampering(tmp_path, hyp, database_url):
    root = project_with(tmp_path, "database", database_url)
    with serving(root) as server:
        exercise(server.client)
    stored = rows(database_url)
    assert [seq for seq, _ in stored] == [1, 2, 3, 4, 5]
    check_entries([json.loads(entry) for _, entry in stored], "".join(entry for _, entry in stored))
    assert hyp("audit", "verify", cwd=root) == (0, "✅ 5 entries, chain intact\n", "")

    second = json.loads(stored[1][1])
    edited = json.dumps({**second, "reason": "nothing to see"})
    change(database_url, ("UPDATE hyp_audit SET entry = :e WHERE seq = 2", {"e": edited}))
    assert hyp("audit", "verify", cwd=root) == (
        1, "❌ audit log: entry 2 was edited: its hash does not match its fields (row 2)\n", "")
    change(database_url, ("UPDATE hyp_audit SET entry = :e WHERE seq = 2", {"e": stored[1][1]}))
    # swap the contents of rows 3 and 4
    change(database_url, ("UPDATE hyp_audit SET entry = :e WHERE seq = 3", {"e": stored[3][1]}),
           ("UPDATE hyp_audit SET entry = :e WHERE seq = 4", {"e": stored[2][1]}))
    assert hyp("audit", "verify", cwd=root) == (
        1, "❌ audit log: entry 4 is out of order: it comes before entry 3 (row 3)\n", "")
    change(database_url, ("UPDATE hyp_audit SET entry = :e WHERE seq = 3", {"e": stored[2][1]}),
           ("UPDATE hyp_audit SET entry = :e WHERE seq = 4", {"e": stored[3][1]}))
    assert hyp("audit", "verify", cwd=root)[0] == 0
    change(database_url, ("DELETE FROM hyp_audit WHERE seq = 3", {}))
    assert hyp("audit", "verify", cwd=root) == (
        1, "❌ audit log: entry 3 is missing: removed before entry 4 (row 4)\n", "")
    change(database_url, ("INSERT INTO hyp_audit (seq, entry) VALUES (3, :e)", {"e": stored[2][1]}),
           ("DELETE FROM hyp_audit WHERE seq >= 4", {}))
    assert hyp("audit", "verify", cwd=root) == (
        1, "❌ audit log: entries 4 to 5 were removed from the end (the head records entry 5)\n", "")


def test_stdout_sink_writes_whole_audit_lines_into_the_log(tmp_path, hyp):
    root = project_with(tmp_path, "stdout")
    with serving(root) as server:
        exercise(server.client)
    entries = [r for r in server.logs.records() if r.get("log") == "audit"]
    check_entries(entries, server.logs.getvalue().split('"event":"serving"')[-1])
    assert {e["chain"] for e in entries} == {entries[0]["chain"]}
    code, _, err = hyp("audit", "verify", cwd=root)
    assert code == 1 and "the audit log goes to stdout, which hyp cannot read back" in err


def test_without_an_audit_section_nothing_is_recorded(tmp_path, hyp):
    root = write_project(tmp_path, routes=ROUTES)
    with serving(root) as server:
        exercise(server.client)
    assert not os.path.exists(os.path.join(root, "data", "app.db"))
    code, _, err = hyp("audit", "verify", cwd=root)
    assert code == 1 and "error[HYP5180]: the project keeps no audit log" in err and "Traceback" not in err


def test_record_appends_a_security_event_from_outside_the_server(tmp_path, hyp):
    root = project_with(tmp_path, "file:audit.jsonl")
    assert audit.record({"event": "key created", "name": "ci", "roles": ["deploy"]}, root=root) is True
    assert audit.record({"event": "key created", "name": "ops", "roles": []}, root=root) is True
    with open(os.path.join(root, "audit.jsonl"), encoding="utf-8") as fh:
        entries = [json.loads(line) for line in fh]
    assert [(e["seq"], e["event"], e["name"], e["roles"]) for e in entries] == [
        (1, "key created", "ci", ["deploy"]), (2, "key created", "ops", [])]
    assert hyp("audit", "verify", cwd=root) == (0, "✅ 2 entries, chain intact\n", "")
    assert audit.record({"event": "key created", "name": "x"}, root=write_project(tmp_path / "other")) is False


def stop(proc) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        assert proc.wait(20) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def hammer(ports: list[int], per_port: int) -> None:
    import httpx

    headers = bearer()
    with httpx.Client(timeout=20, limits=httpx.Limits(max_connections=16)) as client:
        def post(i: int) -> int:
            return client.post(f"http://127.0.0.1:{ports[i % len(ports)]}/created", headers=headers).status_code

        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(post, range(per_port * len(ports))))
    assert statuses == [201] * (per_port * len(ports))


@pytest.mark.slow
@pytest.mark.parametrize("sink", ["file", "sqlite", "postgresql", "mariadb"])
def test_two_server_processes_extend_one_chain(tmp_path, hyp, sink, request):
    database = None if sink == "file" else request.getfixturevalue(f"{sink.replace('postgresql', 'postgres')}_url")
    root = project_with(tmp_path, "file:logs/audit.jsonl" if sink == "file" else "database", database)
    ports = [free_port(), free_port()]
    procs = []
    try:
        for port in ports:
            procs.append(hyp_serve(root, port=port))
            wait_ready(port, procs[-1])
        hammer(ports, 500)
    finally:
        for proc in procs:
            stop(proc)
    assert hyp("audit", "verify", cwd=root) == (0, "✅ 1000 entries, chain intact\n", "")
