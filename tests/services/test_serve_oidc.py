"""OpenID Connect: a real `hyp serve` verifying tokens of a real identity provider on loopback (a
Starlette app serving the discovery document and the JWKS, keys generated here)."""

import base64
import contextlib
import hashlib
import hmac
import json
import threading
import time

import httpx
import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from serve_helpers import JWT_SECRET, free_port, hyp_serve, serving, wait_ready, write_project
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from hypnoscript.services.security import apikeys
from hypnoscript.services.security.oidc import OidcAuthenticator

AUDIENCE = "hyp-api"
ROUTES = [
    {"method": "GET", "path": "/me", "handler": "whoami", "auth": "oidc"},
    {"method": "GET", "path": "/admin", "handler": "whoami", "auth": "oidc", "roles": ["admin"]},
    {"method": "GET", "path": "/any", "handler": "whoami", "auth": "any"},
]


class Provider:
    """An identity provider: its keys can be rotated, its discovery requests are counted."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.announced_issuer = self.issuer
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.discoveries = 0
        self.jwks_fetches = 0
        self.add_key("k1")

    def add_key(self, kid: str) -> None:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def token(self, kid: str = "k1", **claims) -> str:
        now = int(time.time())
        body = {"iss": self.issuer, "aud": AUDIENCE, "sub": "u-42", "name": "Grace", "groups": ["admin", "ops"],
                "iat": now, "exp": now + 300, **claims}
        key = self.keys[kid] if kid in self.keys else rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid})

    def public_pem(self, kid: str = "k1") -> bytes:
        return self.keys[kid].public_key().public_bytes(serialization.Encoding.PEM,
                                                        serialization.PublicFormat.SubjectPublicKeyInfo)

    def app(self) -> Starlette:
        async def discovery(request):
            self.discoveries += 1
            return JSONResponse({"issuer": self.announced_issuer, "jwks_uri": f"{self.issuer}/jwks",
                                 "id_token_signing_alg_values_supported": ["RS256"]})

        async def jwks(request):
            self.jwks_fetches += 1
            keys = []
            for kid, key in self.keys.items():
                jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
                keys.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
            return JSONResponse({"keys": keys})

        return Starlette(routes=[Route("/.well-known/openid-configuration", discovery), Route("/jwks", jwks)])

    @contextlib.contextmanager
    def running(self):
        server = uvicorn.Server(uvicorn.Config(self.app(), host="127.0.0.1", port=self.port, log_config=None,
                                               access_log=False, lifespan="off"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.time() + 10
        while not server.started:
            assert time.time() < deadline and thread.is_alive(), "the identity provider did not start"
            time.sleep(0.01)
        try:
            yield self
        finally:
            server.should_exit = True
            thread.join(10)


def project_for(tmp_path, provider: Provider, auth: dict | None = None) -> str:
    oidc = {"issuer": provider.issuer, "audience": AUDIENCE, "rolesClaim": "groups", "leeway": 5}
    return write_project(tmp_path, routes=ROUTES, config={"security": {"auth": auth or {"oidc": oidc}}})


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def refused(server, token: str, message: str) -> None:
    r = server.client.get("/me", headers=bearer(token))
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"] == 'Bearer realm="hyp"'
    assert r.json()["message"] == message
    assert "Traceback" not in r.text and "BEGIN" not in r.text


@pytest.fixture
def provider():
    with Provider().running() as running:
        yield running


@pytest.fixture
def short_retry(monkeypatch):
    """Discovery retried after a fraction of a second instead of 5 seconds."""
    monkeypatch.setattr(OidcAuthenticator, "retry_interval", 0.2)


def test_a_valid_token_is_accepted_with_its_roles(tmp_path, provider):
    with serving(project_for(tmp_path, provider)) as server:
        for _ in range(3):
            r = server.client.get("/me", headers=bearer(provider.token(team="core")))
            assert r.status_code == 200, r.text
            user = r.json()
            assert (user["sub"], user["name"], user["roles"], user["method"]) == ("u-42", "Grace", ["admin", "ops"],
                                                                                 "oidc")
            assert user["claims"]["team"] == "core"
        assert server.client.get("/admin", headers=bearer(provider.token())).status_code == 200
        r = server.client.get("/admin", headers=bearer(provider.token(groups=["ops"])))
        assert (r.status_code, r.json()["message"]) == (403, "this route requires the role admin")
    assert (provider.discoveries, provider.jwks_fetches) == (1, 1)  # both cached


def test_client_id_is_the_audience_when_no_audience_is_set(tmp_path, provider):
    root = project_for(tmp_path, provider, {"oidc": {"issuer": provider.issuer, "clientId": "web-app"}})
    with serving(root) as server:
        assert server.client.get("/me", headers=bearer(provider.token(aud="web-app"))).status_code == 200
        refused(server, provider.token(), "the token's audience is not accepted")


def test_bad_tokens_are_refused(tmp_path, provider):
    with serving(project_for(tmp_path, provider)) as server:
        refused(server, provider.token(iss="http://127.0.0.1:1/elsewhere"), "the token's issuer is not accepted")
        refused(server, provider.token(aud="another-api"), "the token's audience is not accepted")
        refused(server, provider.token(exp=int(time.time()) - 60), "the token has expired")
        refused(server, provider.token(kid="stranger"), "the token's signing key is unknown")
        none_token = jwt.encode({"iss": provider.issuer, "aud": AUDIENCE, "sub": "x", "exp": int(time.time()) + 60},
                                None, algorithm="none")
        refused(server, none_token, "the token's algorithm is not accepted")
        refused(server, hs256_signed_with(provider.public_pem(), {"iss": provider.issuer, "aud": AUDIENCE,
                                                                  "sub": "x", "exp": int(time.time()) + 60}),
                "the token's algorithm is not accepted")
        forged = provider.token().rsplit(".", 1)[0] + "." + provider.token(sub="other").rsplit(".", 1)[1]
        refused(server, forged, "the token's signature does not verify")
        refused(server, "not-a-token", "the bearer token is malformed")
        r = server.client.get("/me")
        assert (r.status_code, r.json()["message"]) == (401, "this route requires authentication (oidc)")


def hs256_signed_with(secret: bytes, claims: dict) -> str:
    """An HS256 token whose HMAC key is the provider's public key: the algorithm confusion attack."""
    def part(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    signing_input = part(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode()) + "." + \
        part(json.dumps(claims).encode())
    return signing_input + "." + part(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())


def test_a_rotated_key_is_fetched_when_a_token_names_it(tmp_path, provider):
    with serving(project_for(tmp_path, provider)) as server:
        withdrawn = provider.token("k1")
        assert server.client.get("/me", headers=bearer(withdrawn)).status_code == 200
        provider.add_key("k2")
        del provider.keys["k1"]
        r = server.client.get("/me", headers=bearer(provider.token("k2")))
        assert r.status_code == 200, r.text
        refused(server, withdrawn, "the token's signing key is unknown")
    assert provider.jwks_fetches == 2 and provider.discoveries == 1


def test_a_provider_down_at_start_is_tried_again_later(tmp_path, short_retry):
    provider = Provider()
    with serving(project_for(tmp_path, provider)) as server:
        assert server.client.get("/healthz").status_code == 200
        for _ in range(2):
            refused(server, provider.token(), "the identity provider cannot be reached")
        with provider.running():
            time.sleep(0.3)  # past the retry interval
            r = server.client.get("/me", headers=bearer(provider.token()))
            assert r.status_code == 200, r.text
            assert provider.discoveries == 1
        # once known, the provider's document and keys stay in use while it is away
        assert server.client.get("/me", headers=bearer(provider.token())).status_code == 200


def test_retries_are_rate_limited(tmp_path, provider):
    provider.announced_issuer = "http://127.0.0.1:1/impostor"
    with serving(project_for(tmp_path, provider)) as server:
        for _ in range(5):
            refused(server, provider.token(), "the identity provider's discovery document is not usable")
    assert provider.discoveries == 1  # at start-up; the requests came within the retry interval


def test_any_accepts_api_keys_jwt_and_oidc(tmp_path, provider):
    key = apikeys.new_key("ci")
    auth = {"oidc": {"issuer": provider.issuer, "audience": AUDIENCE, "rolesClaim": "groups"},
            "jwt": {"secret": JWT_SECRET},
            "apikeys": {"keys": [{"name": "ci", "hash": apikeys.hash_key(key), "roles": ["deploy"]}]}}
    now = int(time.time())
    local = jwt.encode({"sub": "local", "roles": ["x"], "exp": now + 60}, JWT_SECRET, algorithm="HS256")
    with serving(project_for(tmp_path, provider, auth)) as server:
        def who(headers: dict):
            r = server.client.get("/any", headers=headers)
            assert r.status_code == 200, r.text
            return r.json()["sub"], r.json()["method"]

        assert who(bearer(provider.token())) == ("u-42", "oidc")
        assert who(bearer(local)) == ("local", "jwt")
        assert who({"X-API-Key": key}) == ("ci", "apikey")
        r = server.client.get("/any")
        assert (r.status_code, r.json()["message"]) == (401, "this route requires authentication (jwt or apikey "
                                                             "or oidc)")
        assert r.headers["www-authenticate"] == ('Bearer realm="hyp", ApiKey realm="hyp", header="X-API-Key", '
                                                 'Bearer realm="hyp"')
        assert server.client.get("/any", headers=bearer(provider.token(exp=now - 120))).status_code == 401


def test_hyp_serve_starts_while_the_provider_is_down(tmp_path):
    provider = Provider()
    root = project_for(tmp_path, provider)
    port = free_port()
    proc = hyp_serve(root, port=port)
    try:
        wait_ready(port, proc)
        r = httpx.get(f"http://127.0.0.1:{port}/me", headers=bearer(provider.token()), timeout=10)
        assert (r.status_code, r.json()["message"]) == (401, "the identity provider cannot be reached")
        assert r.headers["www-authenticate"] == 'Bearer realm="hyp"'
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert "Traceback" not in err
