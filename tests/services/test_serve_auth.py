"""Route authentication in hyp serve: the guard in front of handlers, `request.user`, and
configurations that would leave a protected route open refused at start-up."""

import time

import jwt
import pytest
from serve_helpers import JWT_SECRET, ROUTES, serving, write_project

from hypnoscript.syntax.diagnostics import DiagnosticError


def token(**claims) -> str:
    now = int(time.time())
    return jwt.encode({"sub": "u1", "name": "Ada", "roles": ["billing"], "iat": now, "exp": now + 60, **claims},
                      JWT_SECRET, algorithm="HS256")


def test_a_valid_token_reaches_the_handler_as_request_user(server):
    r = server.client.get("/me", headers={"Authorization": f"Bearer {token(team='core')}"})
    assert r.status_code == 200, r.text
    user = r.json()
    assert (user["sub"], user["name"], user["roles"], user["method"]) == ("u1", "Ada", ["billing"], "jwt")
    assert user["claims"]["team"] == "core"


def test_missing_and_bad_tokens_are_401_with_a_challenge(server):
    for headers in ({}, {"Authorization": "Bearer not.a.token"}, {"Authorization": f"Bearer {token(exp=1)}"},
                    {"Authorization": "Bearer " + jwt.encode({"sub": "x", "exp": int(time.time()) + 60}, "wrong-secret-"
                                                                "of-enough-length-for-hs256", algorithm="HS256")}):
        r = server.client.get("/me", headers=headers)
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == 'Bearer realm="hyp"'
        assert r.json()["status"] == 401
        assert JWT_SECRET not in r.text


def test_a_caller_without_the_role_is_403(tmp_path):
    routes = [dict(r) for r in ROUTES]
    for r in routes:
        if r["path"] == "/me":
            r["roles"] = ["finance"]
    with serving(write_project(tmp_path, routes=routes)) as server:
        r = server.client.get("/me", headers={"Authorization": f"Bearer {token()}"})
        assert r.status_code == 403
        assert "finance" in r.json()["message"]
        assert server.client.get("/me", headers={"Authorization": f"Bearer {token(roles=['finance'])}"}).status_code == 200


def test_a_route_whose_method_is_not_configured_does_not_start(tmp_path):
    root = write_project(tmp_path, config={"security": {"auth": {}}})
    with pytest.raises(DiagnosticError) as error:
        with serving(root):
            pass
    assert "security.auth.jwt is not configured" in error.value.diagnostics[0].message


def test_hyp_validate_refuses_what_serve_would_refuse(tmp_path, capsys, monkeypatch):
    from hypnoscript.cli.main import main

    routes = [{"method": "GET", "path": "/me", "handler": "whoami", "auth": "apikey"},
              {"method": "GET", "path": "/open", "handler": "whoami", "roles": ["admin"]}]
    root = write_project(tmp_path, routes=routes)
    monkeypatch.chdir(root)
    assert main(["validate"]) == 1
    err = capsys.readouterr().err
    assert "routes[0].auth: this route requires apikey authentication, but security.auth.apikeys is not configured" in err
    assert "routes[1].roles: roles need an authentication method" in err
    assert "Traceback" not in err
