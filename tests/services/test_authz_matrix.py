"""`hyp authz matrix`: per route the methods it accepts, its roles, the API keys that reach it and
its rate limit, sorted, from the configuration alone."""

import json
import os

import pytest
from serve_helpers import JWT_SECRET, write_project

from hypnoscript.cli.main import main

SECURITY = {
    "auth": {
        "jwt": {"secret": JWT_SECRET},
        "apikeys": {"header": "X-Service-Key", "keys": [
            {"name": "reporting", "hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", "roles": ["reader"]},
            {"name": "billing-bot", "hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
             "roles": ["writer", "reader"]},
        ]},
        "ldap": {"url": "ldap://127.0.0.1:389", "userDnTemplate": "uid={user},ou=people,dc=example,dc=org"},
    },
}
ROUTES = [
    {"method": "POST", "path": "/invoices", "handler": "created", "auth": "any", "roles": ["writer"],
     "rateLimit": "10/second", "rateLimitKey": "user"},
    {"method": "GET", "path": "/invoices/{id}", "handler": "missing", "auth": "apikey", "roles": ["reader"]},
    {"method": "GET", "path": "/hello/{name}", "handler": "hello"},
    {"method": "GET", "path": "/me", "handler": "whoami", "auth": "jwt"},
    {"method": "DELETE", "path": "/invoices/{id}", "handler": "noContent", "auth": "ldap", "roles": ["admin"]},
    {"method": "GET", "path": "/chatty", "handler": "chatty", "auth": "oidc", "rateLimit": "100 per minute"},
]


@pytest.fixture
def matrix(tmp_path, capsys, monkeypatch):
    root = write_project(tmp_path, routes=ROUTES, config={"security": SECURITY})
    monkeypatch.chdir(root)
    for name in list(os.environ):
        if name.startswith("HYP_"):
            monkeypatch.delenv(name)

    def run(*args):
        capsys.readouterr()
        code = main(["authz", "matrix", *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_the_matrix_table(matrix):
    code, out, err = matrix()
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "METHOD  PATH            SERVICE  HANDLER    AUTH                   ROLES   API KEYS                RATE LIMIT",
        "GET     /chatty         api      chatty     oidc (not configured)  -       -                       100 per minute per ip",
        "GET     /hello/{name}   api      hello      open                   -       -                       -",
        "POST    /invoices       api      created    jwt, apikey, ldap      writer  billing-bot             10/second per user",
        "DELETE  /invoices/{id}  api      noContent  ldap                   admin   -                       -",
        "GET     /invoices/{id}  api      missing    apikey                 reader  billing-bot, reporting  -",
        "GET     /me             api      whoami     jwt                    -       -                       -",
        "",
        "methods: jwt, apikey, ldap",
        "api key billing-bot: roles reader, writer",
        "api key reporting: roles reader",
    ]


def test_the_matrix_as_json(matrix):
    code, out, _ = matrix("--json")
    data = json.loads(out)
    assert code == 0
    assert data["methods"] == ["jwt", "apikey", "ldap"]
    assert data["apikeys"] == [{"name": "billing-bot", "roles": ["reader", "writer"]},
                               {"name": "reporting", "roles": ["reader"]}]
    assert [(r["method"], r["path"]) for r in data["routes"]] == [
        ("GET", "/chatty"), ("GET", "/hello/{name}"), ("POST", "/invoices"), ("DELETE", "/invoices/{id}"),
        ("GET", "/invoices/{id}"), ("GET", "/me")]
    post = data["routes"][2]
    assert post == {"method": "POST", "path": "/invoices", "service": "api", "handler": "created",
                    "auth": ["jwt", "apikey", "ldap"], "unconfigured": [], "roles": ["writer"],
                    "apikeys": ["billing-bot"], "rateLimit": "10/second per user"}
    assert data["routes"][0]["unconfigured"] == ["oidc"]
    assert "hash" not in out and "argon2" not in out


def test_an_invalid_configuration_is_a_diagnostic(matrix, tmp_path):
    path = os.path.join(str(tmp_path), "config", "hypnoscript.config.json")
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    data["services"]["api"]["routes"][0]["auth"] = "kerberos"
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    code, out, err = matrix()
    assert code == 1 and out == ""
    assert "HYP5030" in err and "Traceback" not in err


def test_a_profile_after_the_action_is_that_profile_s_matrix(tmp_path, capsys, monkeypatch):
    config = {"security": SECURITY, "profiles": {"prod": {"security": {"auth": {"oidc": {"issuer": "https://id"}}}}}}
    monkeypatch.chdir(write_project(tmp_path, routes=ROUTES, config=config))
    monkeypatch.delenv("HYP_PROFILE", raising=False)
    assert main(["authz", "matrix", "--json", "--profile", "prod"]) == 0
    assert json.loads(capsys.readouterr().out)["methods"] == ["jwt", "apikey", "oidc", "ldap"]
