"""/openapi.json of hyp serve: security schemes for the configured methods routes use, and each
protected operation's security requirement (alternatives for `any`); open routes have none."""

from argon2 import PasswordHasher
from serve_helpers import JWT_SECRET, serving, write_project

ROUTES = [
    {"method": "GET", "path": "/hello/{name}", "handler": "hello"},
    {"method": "GET", "path": "/me", "handler": "whoami", "auth": "jwt"},
    {"method": "POST", "path": "/created", "handler": "created", "auth": "any", "roles": ["writer"]},
    {"method": "GET", "path": "/items/{id:int}", "handler": "item", "auth": "apikey"},
]
BEARER = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


def document(tmp_path, routes, auth) -> dict:
    with serving(write_project(tmp_path, routes=routes, config={"security": {"auth": auth}})) as server:
        r = server.client.get("/openapi.json")
        assert r.status_code == 200
        return r.json()


def test_schemes_and_requirements_follow_the_configured_methods(tmp_path):
    auth = {"jwt": {"secret": JWT_SECRET},
            "apikeys": {"header": "X-Service-Key", "keys": [{"name": "ci", "hash": PasswordHasher().hash("k" * 32)}]},
            "ldap": {"url": "ldap://127.0.0.1:1", "userDnTemplate": "uid={user},dc=example,dc=org"}}
    doc = document(tmp_path, ROUTES, auth)
    assert doc["components"]["securitySchemes"] == {
        "apikey": {"type": "apiKey", "in": "header", "name": "X-Service-Key"},
        "jwt": BEARER,
        "ldap": {"type": "http", "scheme": "basic"},
    }
    paths = doc["paths"]
    assert "security" not in paths["/hello/{name}"]["get"]
    assert "401" not in paths["/hello/{name}"]["get"]["responses"]
    assert paths["/me"]["get"]["security"] == [{"jwt": []}]
    assert paths["/items/{id}"]["get"]["security"] == [{"apikey": []}]
    created = paths["/created"]["post"]
    assert created["security"] == [{"jwt": ["writer"]}, {"apikey": ["writer"]}, {"ldap": ["writer"]}]
    assert set(created["responses"]) >= {"401", "403"}
    assert "403" not in paths["/me"]["get"]["responses"]


def test_a_configured_method_no_route_uses_is_not_listed(tmp_path):
    auth = {"jwt": {"secret": JWT_SECRET},
            "apikeys": {"keys": [{"name": "ci", "hash": PasswordHasher().hash("k" * 32)}]}}
    routes = [r for r in ROUTES if r.get("auth") in (None, "jwt")]
    doc = document(tmp_path, routes, auth)
    assert doc["components"]["securitySchemes"] == {"jwt": BEARER}
    assert doc["paths"]["/me"]["get"]["security"] == [{"jwt": []}]


def test_open_routes_alone_have_no_schemes(tmp_path):
    doc = document(tmp_path, ROUTES[:1], {"jwt": {"secret": JWT_SECRET}})
    assert "securitySchemes" not in doc["components"]
    assert "security" not in doc["paths"]["/hello/{name}"]["get"]
