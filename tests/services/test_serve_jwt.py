"""Attacks on the `jwt` route method of a real `hyp serve`: unsigned, forged, expired and
not-yet-valid tokens, wrong issuer or audience, algorithm confusion, oversized and injected
headers; keys from a JWKS URL (with rotation) or file. Each is a 401 with a challenge whose body
says what is wrong and leaks neither the token nor key material nor a stack."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import socket
import threading
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from serve_helpers import MODULE, serving, write_project

from hypnoscript.syntax.diagnostics import DiagnosticError

SECRET = "jwt-attack-test-secret-of-enough-length-for-hs256"
ISSUER = "https://issuer.example"
AUDIENCE = "hyp-api"
LEEWAY = 10
ROUTES = [{"method": "GET", "path": "/me", "handler": "whoami", "auth": "jwt"},
          {"method": "GET", "path": "/admin", "handler": "whoami", "auth": "jwt", "roles": ["admin"]}]
CHALLENGE = 'Bearer realm="hyp"'


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(**extra) -> dict:
    now = int(time.time())
    return {"sub": "u1", "name": "Ada", "roles": ["admin"], "iss": ISSUER, "aud": AUDIENCE, "iat": now,
            "exp": now + 300, **extra}


def hs256(secret: str = SECRET, **extra) -> str:
    return jwt.encode(claims(**extra), secret, algorithm="HS256")


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


def public_jwk(key, kid: str) -> dict:
    algorithm = jwt.algorithms.RSAAlgorithm if isinstance(key, rsa.RSAPrivateKey) else jwt.algorithms.ECAlgorithm
    return {**algorithm.to_jwk(key.public_key(), as_dict=True), "kid": kid, "use": "sig"}


def public_pem(key) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def assert_refused(r, message: str, *, leaks=()) -> None:
    """A 401 with the Bearer challenge, saying `message`, and none of `leaks` in the body."""
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"] == CHALLENGE
    body = r.json()
    assert (body["status"], body["error"], body["message"]) == (401, "Unauthorized", message)
    for secret in (SECRET, "Traceback", 'File "', "BEGIN", *leaks):
        assert secret not in r.text


def project(tmp_path, **jwt_settings) -> str:
    settings = {"secret": SECRET, "issuer": ISSUER, "audience": AUDIENCE, "leeway": LEEWAY, **jwt_settings}
    settings = {k: v for k, v in settings.items() if v is not None}
    return write_project(tmp_path, module=MODULE, routes=ROUTES, config={"security": {"auth": {"jwt": settings}}})


@pytest.fixture(scope="module")
def hs_server(tmp_path_factory):
    with serving(project(tmp_path_factory.mktemp("jwt-hs"))) as server:
        yield server


def get(server, token: str | None, path: str = "/me", scheme: str = "Bearer"):
    headers = {} if token is None else {"Authorization": f"{scheme} {token}"}
    return server.client.get(path, headers=headers)


# --- HS256 with issuer, audience and leeway ---------------------------------------------------------

def test_a_valid_token_passes_with_its_claims(hs_server):
    r = get(hs_server, hs256(team="core"))
    assert r.status_code == 200, r.text
    user = r.json()
    assert (user["sub"], user["name"], user["roles"], user["method"]) == ("u1", "Ada", ["admin"], "jwt")
    assert (user["claims"]["team"], user["claims"]["iss"], user["claims"]["aud"]) == ("core", ISSUER, AUDIENCE)


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_unsigned_tokens_are_refused(hs_server, alg):
    head = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = b64(json.dumps(claims()).encode())
    for token in (f"{head}.{body}.", f"{head}.{body}.{b64(b'anything')}", f"{head}.{body}"):
        message = "the bearer token is malformed" if token.count(".") == 1 else "the token's algorithm is not accepted"
        assert_refused(get(hs_server, token), message, leaks=[token, body])


def test_forged_signatures_are_refused(hs_server):
    other = hs256("another-secret-that-is-long-enough-for-hs256!")
    head, body, sig = hs256().split(".")
    flipped = f"{head}.{body}.{sig[:-2]}{'A' if sig[-2] != 'A' else 'B'}{sig[-1]}"
    escalated = f"{head}.{b64(json.dumps(claims(roles=['admin', 'root'])).encode())}.{sig}"
    for token in (other, flipped, escalated):
        assert_refused(get(hs_server, token), "the token's signature does not verify", leaks=[token])


def test_expired_and_not_yet_valid_tokens_are_refused(hs_server):
    now = int(time.time())
    assert_refused(get(hs_server, hs256(exp=now - LEEWAY - 30)), "the token has expired")
    assert_refused(get(hs_server, hs256(nbf=now + LEEWAY + 60)), "the token is not valid yet")
    no_exp = claims()
    del no_exp["exp"]
    assert_refused(get(hs_server, jwt.encode(no_exp, SECRET, algorithm="HS256")), 'the token has no "exp" claim')


def test_leeway_is_honoured(hs_server):
    now = int(time.time())
    assert get(hs_server, hs256(exp=now - LEEWAY // 2)).status_code == 200
    assert get(hs_server, hs256(nbf=now + LEEWAY // 2)).status_code == 200
    assert_refused(get(hs_server, hs256(exp=now - LEEWAY - 5)), "the token has expired")


def test_wrong_issuer_or_audience_is_refused(hs_server):
    assert_refused(get(hs_server, hs256(iss="https://evil.example")), "the token's issuer is not accepted")
    assert_refused(get(hs_server, hs256(aud="another-api")), "the token's audience is not accepted")
    assert_refused(get(hs_server, hs256(aud=["another-api", "third"])), "the token's audience is not accepted")
    assert get(hs_server, hs256(aud=["another-api", AUDIENCE])).status_code == 200
    bare = claims()
    del bare["iss"]
    assert_refused(get(hs_server, jwt.encode(bare, SECRET, algorithm="HS256")), 'the token has no "iss" claim')


def test_an_rs256_token_is_refused_when_only_hs256_is_allowed(hs_server):
    token = jwt.encode(claims(), rsa_key(), algorithm="RS256")
    assert_refused(get(hs_server, token), "the token's algorithm is not accepted", leaks=[token])


def test_a_huge_token_is_refused_before_parsing(hs_server):
    token = hs256(padding="x" * 9000)
    assert len(token) > 8192
    assert_refused(get(hs_server, token), "the bearer token is too large", leaks=["xxxxxxxxxx"])
    assert_refused(get(hs_server, "a" * 300_000), "the bearer token is too large", leaks=["aaaaaaaaaa"])


def test_header_tricks_are_refused(hs_server):
    good = hs256()
    # two Authorization headers arrive joined with a comma: never one of them picked
    r = hs_server.client.get("/me", headers=[("Authorization", f"Bearer {good}"), ("Authorization", f"Bearer {good}")])
    assert_refused(r, "the bearer token is malformed", leaks=[good])
    assert_refused(hs_server.client.get("/me", headers={"Authorization": "Bearer"}), "the bearer token is empty")
    assert_refused(get(hs_server, f"{good} extra"), "the bearer token is malformed", leaks=[good])
    assert_refused(get(hs_server, good, scheme="Basic"), "this route requires authentication (jwt)")
    assert_refused(get(hs_server, good, scheme="Bearer:"), "this route requires authentication (jwt)")
    # the scheme is case-insensitive (RFC 9110): a valid token still counts, a forged one does not
    assert get(hs_server, good, scheme="bearer").status_code == 200
    assert_refused(get(hs_server, hs256("another-secret-that-is-long-enough-for-hs256!"), scheme="bearer"),
                   "the token's signature does not verify")


def raw_request(server, head: bytes) -> bytes:
    host, port = server.client.base_url.host, server.client.base_url.port
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(head)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer


@pytest.mark.parametrize("value", [b"Bearer TOKEN\rX-Roles: admin", b"Bearer TOKEN\nX-Roles: admin",
                                   b"Bearer\r\n TOKEN"])
def test_cr_and_lf_in_the_authorization_value_never_authenticate(hs_server, value):
    token = hs256().encode()
    head = b"GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: " + value.replace(b"TOKEN", token) + \
           b"\r\nConnection: close\r\n\r\n"
    answer = raw_request(hs_server, head)
    # the HTTP parser refuses the request before any route sees it
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n"), answer
    assert token not in answer


def test_roles_as_a_space_separated_string(hs_server):
    r = get(hs_server, hs256(roles="billing admin"), path="/admin")
    assert r.status_code == 200, r.text
    assert r.json()["roles"] == ["billing", "admin"]
    r = get(hs_server, hs256(roles="billing"), path="/admin")
    assert r.status_code == 403
    assert r.json()["message"] == "this route requires the role admin"
    assert_refused(get(hs_server, hs256(roles={"admin": True}), path="/admin"),
                   'the token\'s "roles" claim is not a list of names')


def test_a_custom_roles_claim(tmp_path):
    with serving(project(tmp_path, rolesClaim="groups")) as server:
        r = get(server, hs256(roles=[], groups=["admin"]), path="/admin")
        assert r.status_code == 200, r.text
        assert r.json()["roles"] == ["admin"]
        assert get(server, hs256(roles=["admin"]), path="/admin").status_code == 403


def test_a_secret_too_short_for_hs256_stops_start_up(tmp_path):
    with pytest.raises(DiagnosticError) as error:
        with serving(project(tmp_path, secret="short")):
            pass
    found = error.value.diagnostics[0]
    assert found.message == "$.security.auth.jwt.secret: the secret has 5 bytes; HMAC tokens need at least 32"
    assert found.path.endswith("hypnoscript.config.json") and found.span is not None


# --- public keys: JWKS file and URL ------------------------------------------------------------------

def signed(key, kid: str | None, algorithm: str, **extra) -> str:
    return jwt.encode(claims(**extra), key, algorithm=algorithm, headers=None if kid is None else {"kid": kid})


def test_jwks_file_with_rs256_and_es256(tmp_path):
    rsa_private, ec_private = rsa_key(), ec_key()
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "jwks.json").write_text(json.dumps(
        {"keys": [public_jwk(rsa_private, "r1"), public_jwk(ec_private, "e1")]}))
    root = project(tmp_path, secret=None, algorithms=["RS256", "ES256"], jwksFile="config/jwks.json")
    with serving(root) as server:
        assert get(server, signed(rsa_private, "r1", "RS256")).json()["sub"] == "u1"
        assert get(server, signed(ec_private, "e1", "ES256")).json()["sub"] == "u1"
        assert_refused(get(server, signed(rsa_key(), "r1", "RS256")), "the token's signature does not verify")
        assert_refused(get(server, signed(rsa_private, "r9", "RS256")), "the token's signing key is unknown")
        # an EC token naming the RSA key's kid: the key type must fit the algorithm
        assert_refused(get(server, signed(ec_private, "r1", "ES256")), "the token's signing key is unknown")
        # with no kid, the one key of the algorithm's type is used
        assert get(server, signed(ec_private, None, "ES256")).status_code == 200
        assert_refused(get(server, hs256()), "the token's algorithm is not accepted")


def test_algorithm_confusion_hs256_signed_with_the_public_key(tmp_path):
    rsa_private = rsa_key()
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "jwks.json").write_text(json.dumps({"keys": [public_jwk(rsa_private, "r1")]}))
    pem = public_pem(rsa_private)

    def confused(kid="r1") -> str:
        head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
        body = b64(json.dumps(claims(roles=["admin"])).encode())
        sig = b64(hmac.new(pem, f"{head}.{body}".encode(), hashlib.sha256).digest())
        return f"{head}.{body}.{sig}"

    root = project(tmp_path, secret=None, algorithms=["RS256"], jwksFile="config/jwks.json")
    with serving(root) as server:
        assert get(server, signed(rsa_private, "r1", "RS256")).status_code == 200
        assert_refused(get(server, confused(), path="/admin"), "the token's algorithm is not accepted")
    # even with HS256 allowed next to RS256, an HMAC token is checked against the secret only
    root = project(tmp_path, algorithms=["RS256", "HS256"], jwksFile="config/jwks.json")
    with serving(root) as server:
        assert_refused(get(server, confused(), path="/admin"), "the token's signature does not verify")


def test_a_missing_or_unusable_jwks_file_stops_start_up(tmp_path):
    root = project(tmp_path, secret=None, algorithms=["RS256"], jwksFile="config/none.json")
    with pytest.raises(DiagnosticError) as error:
        with serving(root):
            pass
    assert error.value.diagnostics[0].message == \
        "$.security.auth.jwt.jwksFile: cannot read config/none.json: No such file or directory"
    (tmp_path / "config" / "none.json").write_text('{"keys": [{"kty": "XYZ"}]}')
    with pytest.raises(DiagnosticError) as error:
        with serving(root):
            pass
    assert error.value.diagnostics[0].message == \
        "$.security.auth.jwt.jwksFile: config/none.json: the JWKS document has no usable keys"


class KeyServer:
    """A JWKS endpoint on loopback (Starlette under uvicorn in a thread) whose keys can change."""

    def __init__(self) -> None:
        self.keys: list[dict] = []
        self.fetches = 0
        self.url = ""

    @contextlib.contextmanager
    def running(self):
        import uvicorn
        from starlette.applications import Starlette
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        async def jwks(request):
            self.fetches += 1
            return JSONResponse({"keys": self.keys})

        server = uvicorn.Server(uvicorn.Config(Starlette(routes=[Route("/jwks.json", jwks)]), host="127.0.0.1", port=0,
                                               log_config=None, access_log=False, lifespan="off"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.time() + 10
        while not server.started:
            assert time.time() < deadline and thread.is_alive(), "the JWKS server did not start"
            time.sleep(0.01)
        self.url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}/jwks.json"
        try:
            yield self
        finally:
            server.should_exit = True
            thread.join(10)


def test_jwks_url_and_key_rotation(tmp_path):
    old, new, ec_private = rsa_key(), rsa_key(), ec_key()
    keys = KeyServer()
    keys.keys = [public_jwk(old, "2026-01"), public_jwk(ec_private, "ec-1")]
    with keys.running():
        root = project(tmp_path, secret=None, algorithms=["RS256", "ES256"], jwksUrl=keys.url)
        with serving(root) as server:
            assert get(server, signed(old, "2026-01", "RS256")).status_code == 200
            assert get(server, signed(ec_private, "ec-1", "ES256")).status_code == 200
            assert keys.fetches == 1  # the key set is cached
            keys.keys = [public_jwk(new, "2026-02")]  # rotation: the old key is withdrawn
            r = get(server, signed(new, "2026-02", "RS256"))
            assert r.status_code == 200, r.text  # an unknown kid fetched the set again
            assert keys.fetches == 2
            assert_refused(get(server, signed(old, "2026-01", "RS256")), "the token's signing key is unknown")
            assert_refused(get(server, signed(ec_private, "ec-1", "ES256")), "the token's signing key is unknown")
            # made-up kids do not make the server hammer the key server
            for i in range(20):
                assert_refused(get(server, signed(new, f"made-up-{i}", "RS256")), "the token's signing key is unknown")
            assert keys.fetches == 2
            assert get(server, signed(new, "2026-02", "RS256")).status_code == 200


def test_an_unreachable_jwks_url_is_a_401(tmp_path):
    keys = KeyServer()
    with keys.running():
        url = keys.url
    private = rsa_key()
    root = project(tmp_path, secret=None, algorithms=["RS256"], jwksUrl=url)
    with serving(root) as server:
        assert_refused(get(server, signed(private, "k1", "RS256")), "the signing keys cannot be fetched now",
                       leaks=[url])
