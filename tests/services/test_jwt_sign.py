"""`JwtSign` run by `hyp exec` in a project: tokens the project's own `jwt` method accepts (HS256
secret or RS256/ES256 signingKeyFile, ttl, kid, iss and aud from the configuration), and errors a
program can catch, reported with the .hyp line when uncaught."""

from __future__ import annotations

import json
import os

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from hypnoscript.cli.main import main
from hypnoscript.services.security.jwt_auth import JwtAuthenticator

SECRET = "sign-test-secret-that-is-long-enough-for-hs256"


@pytest.fixture(autouse=True)
def _isolated(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("HYP_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "hypcache"))
    for name in list(os.environ):
        if name.startswith("HYP_") and name != "HYP_CACHE_DIR":
            monkeypatch.delenv(name)
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture
def run(tmp_path, capsys, monkeypatch):
    """run(program, jwt_settings) -> (exit code, stdout lines, stderr) of `hyp exec main.hyp`."""

    def run(body: str, jwt_settings: dict | None) -> tuple[int, list[str], str]:
        (tmp_path / "trance.json").write_text(json.dumps({"ritualName": "signer", "mantra": "0.1.0",
                                                          "intent": "service"}))
        (tmp_path / "config").mkdir(exist_ok=True)
        config = {} if jwt_settings is None else {"security": {"auth": {"jwt": jwt_settings}}}
        (tmp_path / "config" / "hypnoscript.config.json").write_text(json.dumps(config))
        (tmp_path / "main.hyp").write_text("Focus {\n" + body + "\n} Relax\n")
        monkeypatch.chdir(tmp_path)
        capsys.readouterr()
        code = main(["exec", "main.hyp"])
        captured = capsys.readouterr()
        return code, captured.out.splitlines(), captured.err

    return run


def verified(settings: dict, root, token: str):
    """The identity the project's `jwt` route method makes of the token."""
    return JwtAuthenticator(settings, str(root)).authenticate({"authorization": f"Bearer {token}"})


def test_an_hs256_token_verifies_with_the_same_settings(run, tmp_path):
    settings = {"secret": SECRET, "issuer": "shop", "audience": "shop-api", "ttl": 600}
    code, out, err = run('observe JwtSign({ sub: "ada", name: "Ada", roles: ["billing", "finance"] });', settings)
    assert code == 0, err
    token = out[0]
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], issuer="shop", audience="shop-api")
    assert (claims["sub"], claims["name"], claims["roles"], claims["iss"], claims["aud"]) == \
        ("ada", "Ada", ["billing", "finance"], "shop", "shop-api")
    assert claims["exp"] - claims["iat"] == 600
    user = verified(settings, tmp_path, token)
    assert (user.sub, user.name, user.roles) == ("ada", "Ada", ["billing", "finance"])


def test_ttl_seconds_and_kid(run):
    code, out, err = run('observe JwtSign({ sub: "bob" }, { ttlSeconds: 90, kid: "hs-1" });', {"secret": SECRET})
    assert code == 0, err
    assert jwt.get_unverified_header(out[0])["kid"] == "hs-1"
    claims = jwt.decode(out[0], SECRET, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 90
    assert "iss" not in claims and "aud" not in claims


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_a_signing_key_file_with_its_jwks(run, tmp_path, algorithm):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048) if algorithm == "RS256" \
        else ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "signing.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    family = jwt.algorithms.RSAAlgorithm if algorithm == "RS256" else jwt.algorithms.ECAlgorithm
    jwk = {**family.to_jwk(key.public_key(), as_dict=True), "kid": "k1"}
    (tmp_path / "keys" / "jwks.json").write_text(json.dumps({"keys": [jwk]}))
    settings = {"algorithms": [algorithm], "signingKeyFile": "keys/signing.pem", "jwksFile": "keys/jwks.json",
                "issuer": "shop"}
    code, out, err = run('observe JwtSign({ sub: "ada", roles: "finance" }, { kid: "k1" });', settings)
    assert code == 0, err
    assert jwt.get_unverified_header(out[0]) == {"alg": algorithm, "typ": "JWT", "kid": "k1"}
    user = verified(settings, tmp_path, out[0])
    assert (user.sub, user.roles, user.claims["iss"]) == ("ada", ["finance"], "shop")


CAUGHT = """
try {
    JwtSign(%s);
    observe "signed";
} catch (e) {
    observe "caught: " + e;
}
JwtSign(%s);
"""


@pytest.mark.parametrize("args, settings, message", [
    ('{ sub: "a" }', None,
     "JwtSign needs security.auth.jwt in the project configuration (a secret, or a signingKeyFile)"),
    ('{ sub: "a" }', {"algorithms": ["RS256"], "signingKeyFile": "keys/missing.pem"},
     "JwtSign cannot read security.auth.jwt.signingKeyFile: No such file or directory"),
    ('{ sub: "a" }', {"algorithms": ["RS256"], "jwksFile": "keys/jwks.json"},
     "JwtSign: security.auth.jwt has no signingKeyFile to sign RS256 tokens with"),
    ('{ sub: "a" }', {"algorithms": ["RS256"], "signingKeyFile": "trance.json"},
     "JwtSign: security.auth.jwt.signingKeyFile (trance.json) is not an unencrypted PEM private key"),
    ('{ sub: "a" }', {"secret": "too-short"},
     "JwtSign: security.auth.jwt.secret is too short: the secret has 9 bytes; HMAC tokens need at least 32"),
    ('{ sub: "a" }, { ttl: 5 }', {"secret": SECRET},
     'Builtin \'JwtSign\' has no option "ttl" (options: ttlSeconds, kid)'),
    ('{ sub: "a" }, { ttlSeconds: 0 }', {"secret": SECRET},
     "Builtin 'JwtSign' expected ttlSeconds above 0 and at most a year, got 0"),
])
def test_errors_are_catchable_and_name_the_line(run, args, settings, message):
    code, out, err = run(CAUGHT % (args, args), settings)
    assert out == [f"caught: {message}"]
    assert code == 1
    assert message in err
    assert "main.hyp:9:" in err  # the uncaught second call
    assert "Traceback" not in err


def test_an_ec_key_file_for_rs256_is_refused(run, tmp_path):
    (tmp_path / "ec.pem").write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    code, out, err = run('JwtSign({ sub: "a" });', {"algorithms": ["RS256"], "signingKeyFile": "ec.pem"})
    assert code == 1
    assert "JwtSign: security.auth.jwt.signingKeyFile (ec.pem) holds no key for RS256" in err
    assert "main.hyp:2:" in err
