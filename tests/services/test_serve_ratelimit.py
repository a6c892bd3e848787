"""Rate limits of routes in hyp serve: 429 with Retry-After over the limit, the X-RateLimit headers
on every response of a limited route, keys per client address, user and API key, the window
passing, a limit shared through Redis by several server processes, and misconfigurations
stopping start-up."""

import json
import math
import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import jwt
import pytest
from serve_helpers import JWT_SECRET, free_port, hyp_serve, serving, wait_ready, write_project

from hypnoscript.services.security.apikeys import hash_key, new_key
from hypnoscript.syntax.diagnostics import DiagnosticError

PLAIN = {"method": "GET", "path": "/items/{id:int}", "handler": "item"}


def token(sub: str) -> str:
    now = int(time.time())
    return jwt.encode({"sub": sub, "iat": now, "exp": now + 60}, JWT_SECRET, algorithm="HS256")


def limited(path: str = "/hello/{name}", rate: str = "3/minute", **route) -> dict:
    return {"method": "GET", "path": path, "handler": route.pop("handler", "hello"), "rateLimit": rate, **route}


def limit_headers(r: httpx.Response) -> tuple:
    return r.headers.get("x-ratelimit-limit"), r.headers.get("x-ratelimit-remaining")


def test_over_the_limit_is_429_with_retry_after_and_every_response_has_the_headers(tmp_path):
    with serving(write_project(tmp_path, routes=[limited(), PLAIN])) as server:
        first = time.time()
        answers = [server.client.get("/hello/Ada") for _ in range(3)]
        assert [r.status_code for r in answers] == [200, 200, 200]
        assert [r.json()["message"] for r in answers] == ["Hallo Ada"] * 3
        assert [limit_headers(r) for r in answers] == [("3", "2"), ("3", "1"), ("3", "0")]
        # the window frees its oldest request a minute after it was let through
        for r in answers:
            assert math.ceil(first + 60) <= int(r.headers["x-ratelimit-reset"]) <= math.ceil(time.time() + 60)
        refused = server.client.get("/hello/Ada")
        assert refused.status_code == 429
        body = refused.json()
        assert {k: body[k] for k in ("status", "error")} == {"status": 429, "error": "Too Many Requests"}
        wait = int(refused.headers["retry-after"])
        assert body["message"] == f"too many requests: at most 3 per minute; try again in {wait} s"
        assert math.ceil(first + 60 - time.time()) - 1 <= wait <= 60
        assert limit_headers(refused) == ("3", "0")
        assert refused.headers["x-ratelimit-reset"] == answers[0].headers["x-ratelimit-reset"]
        assert refused.headers["x-request-id"] == body["request_id"]
        # refused requests do not count: the same wait is announced again
        assert int(server.client.get("/hello/Ada").headers["retry-after"]) in (wait, wait - 1)
        other = server.client.get("/items/4")
        assert other.status_code == 200
        assert "x-ratelimit-limit" not in other.headers and "retry-after" not in other.headers
        # uvicorn trusts X-Forwarded-For from 127.0.0.1 only: here it names another client
        elsewhere = server.client.get("/hello/Bob", headers={"X-Forwarded-For": "203.0.113.9"})
        assert elsewhere.status_code == 200
        assert limit_headers(elsewhere) == ("3", "2")


def test_the_window_passing_lets_requests_through_again(tmp_path):
    with serving(write_project(tmp_path, routes=[limited(rate="2/second")])) as server:
        assert [server.client.get("/hello/x").status_code for _ in range(2)] == [200, 200]
        refused = server.client.get("/hello/x")
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "1"
        time.sleep(max(0.0, int(refused.headers["x-ratelimit-reset"]) - time.time()) + 0.05)
        again = server.client.get("/hello/x")
        assert again.status_code == 200
        assert limit_headers(again) == ("2", "1")


def test_a_limit_per_user_counts_each_caller_apart_after_authentication(tmp_path):
    route = limited("/me", rate="2/minute", handler="whoami", auth="jwt", rateLimitKey="user")
    with serving(write_project(tmp_path, routes=[route])) as server:
        def ask(sub: str | None) -> httpx.Response:
            headers = {"Authorization": f"Bearer {token(sub)}"} if sub else {}
            return server.client.get("/me", headers=headers)

        for _ in range(3):  # unauthenticated requests are refused before the limit and use none of it
            r = ask(None)
            assert r.status_code == 401 and "x-ratelimit-limit" not in r.headers
        assert [ask("u1").status_code for _ in range(3)] == [200, 200, 429]
        r = ask("u2")
        assert r.status_code == 200
        assert r.json()["sub"] == "u2"
        assert limit_headers(r) == ("2", "1")


def test_a_limit_per_address_is_checked_before_authentication(tmp_path):
    route = limited("/me", rate="2/minute", handler="whoami", auth="jwt")
    with serving(write_project(tmp_path, routes=[route])) as server:
        bad = {"Authorization": "Bearer not.a.token"}
        attempts = [server.client.get("/me", headers=bad) for _ in range(2)]
        assert [r.status_code for r in attempts] == [401, 401]
        assert [limit_headers(r) for r in attempts] == [("2", "1"), ("2", "0")]
        # guessing stops here, and so does the right token from the same address
        r = server.client.get("/me", headers={"Authorization": f"Bearer {token('u1')}"})
        assert r.status_code == 429
        assert "www-authenticate" not in r.headers


def test_a_limit_per_api_key_uses_the_key_name_and_the_address_for_others(tmp_path):
    keys = {name: new_key(name) for name in ("alpha", "beta")}
    config = {"security": {"auth": {"apikeys": {"keys": [{"name": n, "hash": hash_key(k)} for n, k in keys.items()]},
                                    "jwt": {"secret": JWT_SECRET}}}}
    route = limited("/me", rate="1/minute", handler="whoami", auth="any", rateLimitKey="apikey")
    with serving(write_project(tmp_path, routes=[route], config=config)) as server:
        def ask(headers: dict) -> int:
            return server.client.get("/me", headers=headers).status_code

        assert [ask({"X-API-Key": keys["alpha"]}) for _ in range(2)] == [200, 429]
        assert [ask({"X-API-Key": keys["beta"]}) for _ in range(2)] == [200, 429]
        # a JWT caller is counted by address; 127.0.0.1 has not used its one request yet
        assert [ask({"Authorization": f"Bearer {token('u1')}"}) for _ in range(2)] == [200, 429]
        assert ask({"Authorization": f"Bearer {token('u2')}"}) == 429


def test_a_limit_per_user_on_an_open_route_does_not_start(tmp_path):
    root = write_project(tmp_path, routes=[PLAIN, limited(rateLimitKey="user")])
    with pytest.raises(DiagnosticError) as error:
        with serving(root):
            pass
    assert [d.message for d in error.value.diagnostics] == [
        "$.services.api.routes[1].rateLimitKey: a limit per user needs an authenticated route (set \"auth\"), "
        "or use \"ip\""]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYP_")}
    done = subprocess.run([sys.executable, "-m", "hypnoscript", "serve", "--port", str(free_port())], cwd=root,
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 1
    assert "$.services.api.routes[1].rateLimitKey: a limit per user needs an authenticated route" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unreachable_redis_refuses_with_503_and_leaks_nothing(tmp_path):
    config = {"infrastructure": {"cache": {"url": f"redis://:s3cret-pass@127.0.0.1:{free_port()}/0", "timeout": 1}}}
    with serving(write_project(tmp_path, routes=[limited(), PLAIN], config=config)) as server:
        r = server.client.get("/hello/x")
        assert r.status_code == 503
        assert r.json()["message"] == "the rate limit cannot be checked now"
        assert "s3cret" not in r.text and "Traceback" not in r.text
        assert server.client.get("/items/1").status_code == 200
        assert server.records(event="rate limit store unavailable")[0]["backend"] == "redis"


@pytest.mark.slow
def test_redis_holds_one_limit_across_two_servers_of_two_workers(tmp_path, redis_cache):
    url, prefix = redis_cache
    config = {"infrastructure": {"cache": {"url": url, "prefix": prefix}}}
    root = write_project(tmp_path, routes=[limited(rate="25/minute"), PLAIN], config=config)
    ports = [free_port(), free_port()]
    procs = [hyp_serve(root, "--workers", "2", port=port) for port in ports]
    try:
        for port, proc in zip(ports, procs):
            wait_ready(port, proc)
        statuses: list[int] = []
        remaining: list[int] = []
        lock = threading.Lock()

        def hammer(port: int) -> None:
            for _ in range(20):  # a new connection each time, so both workers of the server answer
                r = httpx.get(f"http://127.0.0.1:{port}/hello/x", headers={"Connection": "close"}, timeout=10)
                with lock:
                    statuses.append(r.status_code)
                    if r.status_code == 200:
                        remaining.append(int(r.headers["x-ratelimit-remaining"]))

        threads = [threading.Thread(target=hammer, args=(port,)) for port in ports for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses.count(200) == 25
        assert statuses.count(429) == 80 - 25
        assert min(remaining) == 0
        import redis

        client = redis.Redis.from_url(url)
        assert [k.decode() for k in client.scan_iter(match=prefix + "ratelimit:*")] != []
        client.close()
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            assert proc.wait(30) == 0


def test_the_enterprise_template_limits_login_attempts_per_address(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYP_")}
    done = subprocess.run([sys.executable, "-m", "hypnoscript", "init", "--template", "enterprise", "--name", "acme"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    port = free_port()
    proc = hyp_serve(tmp_path, port=port)
    try:
        wait_ready(port, proc)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            guesses = [client.post("/auth/login", json={"username": "ada", "password": f"guess{i}"}) for i in range(5)]
            assert [r.status_code for r in guesses] == [401] * 5
            assert [limit_headers(r) for r in guesses] == [("5", str(4 - i)) for i in range(5)]
            r = client.post("/auth/login", json={"username": "ada", "password": "lovelace"})
            assert r.status_code == 429
            assert "token" not in r.json()
            assert 1 <= int(r.headers["retry-after"]) <= 60
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
