"""JWT bearer tokens (`security.auth.jwt`), verified with PyJWT, and signed by `JwtSign`.

Keys: a shared `secret` for HS256/384/512 (at least as long as the hash, RFC 7518 3.2); for RS*,
ES* and EdDSA the public keys of a JWKS document (`jwksUrl`, fetched and cached, or `jwksFile`).
Only the configured `algorithms` are accepted, and the key's type must match the token's algorithm,
so `alg: none` and algorithm confusion (an HS256 token "signed" with an RSA public key) are
refused. `exp` is required; `exp`, `nbf`, `iat`, `iss` and `aud` are checked with `leeway` seconds
of clock skew; roles come from the `rolesClaim` claim (a list, or a space-separated string).
"""

from __future__ import annotations

import abc
import json
import os
import re
import threading
import time

from hypnoscript.services.security.identity import Authenticator, AuthFailure, Identity

HMAC = {"HS256": 32, "HS384": 48, "HS512": 64}  # algorithm -> the shortest secret, in bytes
KEY_TYPES = {"RS": "RSA", "ES": "EC", "Ed": "OKP"}  # algorithm prefix -> the JWK kty it needs
MAX_TOKEN = 8192  # bytes: a bigger header is an attack or a mistake, refused before parsing
COMPACT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")  # header.payload.signature
# an unknown `kid` fetches the JWKS again (a rotated key) at most this often, so tokens with made-up
# kids cannot turn the server into a flood of requests to the key server
JWKS_REFRESH_PAUSE = 5.0


def bearer_token(headers: dict[str, str]) -> str | None:
    value = headers.get("authorization")
    if value is None:
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer":  # auth schemes are case-insensitive (RFC 9110 11.1)
        return None
    token = token.strip()
    if not token:
        raise AuthFailure("the bearer token is empty")
    if len(token) > MAX_TOKEN:
        raise AuthFailure("the bearer token is too large")
    if not COMPACT.fullmatch(token):  # also two Authorization headers, joined with a comma
        raise AuthFailure("the bearer token is malformed")
    return token


class KeySetError(Exception):
    """A JWKS document that cannot be used (no usable keys, not JSON)."""


def _key_set(document) -> list:
    import jwt

    if not isinstance(document, dict):
        raise KeySetError("a JWKS document is a JSON object with \"keys\"")
    try:
        keys = jwt.PyJWKSet.from_dict(document).keys
    except jwt.PyJWTError:
        raise KeySetError("the JWKS document has no usable keys") from None
    return [k for k in keys if k.public_key_use in ("sig", None)]


class JwtVerifier:
    """Verifies tokens against the configured keys; shared by the `jwt` and `oidc` methods."""

    def __init__(self, *, algorithms, secret: str | None = None, jwks_url: str | None = None,
                 jwks_file: str | None = None, issuer: str | None = None, audience: str | None = None,
                 leeway: float = 30.0, roles_claim: str = "roles", method: str = "jwt") -> None:
        """Raises KeySetError for an unusable `jwks_file`, OSError for an unreadable one."""
        import jwt

        self._jwt = jwt
        self.algorithms = list(algorithms)
        self.secret = secret
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.roles_claim = roles_claim
        self.method = method
        # only the whole set is cached (for 5 minutes): a per-kid cache would keep a removed key
        self._jwks_client = jwt.PyJWKClient(jwks_url, cache_keys=False, lifespan=300, timeout=5) if jwks_url else None
        self._refreshed = float("-inf")
        self._refresh_lock = threading.Lock()
        self._file_keys = None
        if jwks_file:
            with open(jwks_file, encoding="utf-8") as fh:
                try:
                    document = json.load(fh)
                except ValueError:
                    raise KeySetError("the JWKS file is not valid JSON") from None
            self._file_keys = _key_set(document)

    @staticmethod
    def _matching(keys: list, kid, algorithm: str) -> list:
        kty = KEY_TYPES.get(algorithm[:2])
        return [k for k in keys
                if (kid is None or k.key_id == kid) and k.key_type == kty
                and k._jwk_data.get("alg", algorithm) == algorithm]

    def _fetched_keys(self, refresh: bool) -> list:
        jwt = self._jwt
        try:
            return self._jwks_client.get_signing_keys(refresh=refresh)
        except (jwt.PyJWTError, ValueError):
            raise AuthFailure("the signing keys cannot be fetched now") from None

    def _public_key(self, header: dict, algorithm: str):
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise AuthFailure("the bearer token is malformed")
        if self._file_keys is not None:
            keys = self._matching(self._file_keys, kid, algorithm)
        elif self._jwks_client is not None:
            keys = self._matching(self._fetched_keys(False), kid, algorithm)
            if not keys and kid is not None:
                with self._refresh_lock:
                    if time.monotonic() - self._refreshed >= JWKS_REFRESH_PAUSE:
                        self._refreshed = time.monotonic()
                        keys = self._matching(self._fetched_keys(True), kid, algorithm)
                    else:  # another request may have refreshed meanwhile
                        keys = self._matching(self._fetched_keys(False), kid, algorithm)
        else:
            raise AuthFailure("the token's algorithm is not accepted")
        if not keys:
            raise AuthFailure("the token's signing key is unknown")
        if len(keys) > 1 and kid is None:
            raise AuthFailure("the token names no signing key (kid)")
        return keys[0].key

    def verify(self, token: str) -> Identity:
        jwt = self._jwt
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise AuthFailure("the bearer token is malformed") from None
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in self.algorithms:
            raise AuthFailure("the token's algorithm is not accepted")
        if algorithm in HMAC:
            if self.secret is None:
                raise AuthFailure("the token's algorithm is not accepted")
            key = self.secret
        else:
            key = self._public_key(header, algorithm)
        options = {"require": ["exp"], "verify_aud": self.audience is not None}
        try:
            claims = jwt.decode(token, key, algorithms=[algorithm], issuer=self.issuer, audience=self.audience,
                                leeway=self.leeway, options=options)
        except jwt.ExpiredSignatureError:
            raise AuthFailure("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise AuthFailure("the token is not valid yet") from None
        except jwt.InvalidIssuerError:
            raise AuthFailure("the token's issuer is not accepted") from None
        except jwt.InvalidAudienceError:
            raise AuthFailure("the token's audience is not accepted") from None
        except jwt.MissingRequiredClaimError as error:
            raise AuthFailure(f"the token has no \"{error.claim}\" claim") from None
        except jwt.InvalidSignatureError:
            raise AuthFailure("the token's signature does not verify") from None
        except (jwt.InvalidTokenError, ValueError, TypeError):
            raise AuthFailure("the bearer token is not valid") from None
        roles = claims.get(self.roles_claim) or []
        if isinstance(roles, str):
            roles = roles.split()
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise AuthFailure(f"the token's \"{self.roles_claim}\" claim is not a list of names")
        sub = str(claims.get("sub") or "")
        name = claims.get("name") or claims.get("preferred_username") or sub
        return Identity(sub, str(name), roles, claims, self.method)


def config_problem(root: str, key: str, message: str, method: str = "jwt"):
    """A DiagnosticError at security.auth.<method>.<key> in the project's configuration file."""
    from hypnoscript.project import jsonfile
    from hypnoscript.project.config import CODE_INVALID, CONFIG_FILE
    from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError

    path = ("security", "auth", method, key)
    config = os.path.join(root, CONFIG_FILE)
    try:
        found = jsonfile.read(config, "the configuration file").diagnostic(CODE_INVALID, path, message)
    except DiagnosticError:
        found = Diagnostic(CODE_INVALID, f"{jsonfile.json_path(path)}: {message}", path=config)
    return DiagnosticError([found])


def short_secret(settings: dict) -> str | None:
    """What is wrong with the configured secret, when it is too short for an accepted HMAC algorithm."""
    secret = settings.get("secret")
    need = max((HMAC[a] for a in settings.get("algorithms", ["HS256"]) if a in HMAC), default=0)
    if secret is not None and len(secret.encode("utf-8")) < need:
        return f"the secret has {len(secret.encode('utf-8'))} bytes; HMAC tokens need at least {need}"
    return None


class BearerAuthenticator(Authenticator):
    """A method whose credentials are bearer tokens, checked by the verifier `_verifier()` returns."""

    @abc.abstractmethod
    def _verifier(self) -> JwtVerifier:
        """The verifier for the next token; AuthFailure when there is none now."""

    def challenge(self) -> str:
        return 'Bearer realm="hyp"'

    def authenticate(self, headers: dict[str, str]) -> Identity | None:
        token = bearer_token(headers)
        if token is None:
            return None
        return self._verifier().verify(token)


class JwtAuthenticator(BearerAuthenticator):
    method = "jwt"

    def __init__(self, settings: dict, root: str) -> None:
        problem = short_secret(settings)
        if problem:
            raise config_problem(root, "secret", problem)
        jwks_file = settings.get("jwksFile")
        try:
            self.verifier = JwtVerifier(algorithms=settings.get("algorithms", ["HS256"]), secret=settings.get("secret"),
                                        jwks_url=settings.get("jwksUrl"),
                                        jwks_file=None if jwks_file is None else os.path.join(root, jwks_file),
                                        issuer=settings.get("issuer"), audience=settings.get("audience"),
                                        leeway=float(settings.get("leeway", 30)),
                                        roles_claim=settings.get("rolesClaim", "roles"))
        except OSError as error:
            raise config_problem(root, "jwksFile", f"cannot read {jwks_file}: {error.strerror}") from None
        except KeySetError as error:
            raise config_problem(root, "jwksFile", f"{jwks_file}: {error}") from None
        self.blocking = settings.get("jwksUrl") is not None  # a key fetch may go over the network

    def _verifier(self) -> JwtVerifier:
        return self.verifier


class JwtSigner:
    """`JwtSign(claims, options?)`: tokens this project's `jwt` method accepts. The constructor
    raises OSError for an unreadable signingKeyFile; `sign` raises ValueError for a missing or
    unusable key."""

    def __init__(self, settings: dict, root: str) -> None:
        self.algorithm = settings.get("algorithms", ["HS256"])[0]
        self.issuer = settings.get("issuer")
        self.audience = settings.get("audience")
        self.ttl = float(settings.get("ttl", 3600))
        self.key = None
        self.problem = None
        if self.algorithm in HMAC:
            self.key = settings.get("secret")
            short = short_secret(settings)
            if not self.key:
                self.problem = f"security.auth.jwt has no secret to sign {self.algorithm} tokens with"
            elif short:
                self.problem = f"security.auth.jwt.secret is too short: {short}"
            return
        key_file = settings.get("signingKeyFile")
        if key_file is None:
            self.problem = f"security.auth.jwt has no signingKeyFile to sign {self.algorithm} tokens with"
            return
        with open(os.path.join(root, key_file), "rb") as fh:
            pem = fh.read()
        self.key = self._private_key(pem, key_file)

    def _private_key(self, pem: bytes, key_file: str):
        from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        try:
            key = load_pem_private_key(pem, password=None)
        except (ValueError, TypeError):
            self.problem = f"security.auth.jwt.signingKeyFile ({key_file}) is not an unencrypted PEM private key"
            return None
        wanted = {"RS": (rsa.RSAPrivateKey,), "ES": (ec.EllipticCurvePrivateKey,),
                  "Ed": (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)}[self.algorithm[:2]]
        if not isinstance(key, wanted):
            self.problem = f"security.auth.jwt.signingKeyFile ({key_file}) holds no key for {self.algorithm}"
            return None
        return key

    def sign(self, claims: dict, ttl: float | None = None, kid: str | None = None) -> str:
        import jwt

        if self.problem:
            raise ValueError(self.problem)
        now = int(time.time())
        body = {"iat": now, "exp": now + max(1, round(self.ttl if ttl is None else ttl))}
        if self.issuer is not None:
            body["iss"] = self.issuer
        if self.audience is not None:
            body["aud"] = self.audience
        body.update(claims)
        headers = {"kid": kid} if kid else None
        try:
            return jwt.encode(body, self.key, algorithm=self.algorithm, headers=headers)
        except (jwt.PyJWTError, ValueError, TypeError) as error:
            raise ValueError(f"the token cannot be signed with {self.algorithm}: {error}") from None
