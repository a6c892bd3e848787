"""JWT bearer tokens (`security.auth.jwt`), verified with PyJWT, and signed by `JwtSign`.

Keys: a shared `secret` for HS256/384/512; for RS*, ES* and EdDSA the public keys of a JWKS
document (`jwksUrl`, fetched and cached with rotation handled by PyJWKClient, or `jwksFile`). Only
the configured `algorithms` are accepted, and the key's family must match the token's algorithm,
so `alg: none` and algorithm confusion (an HS256 token "signed" with an RSA public key) are
refused. `exp`, `nbf`, `iat`, `iss` and `aud` are checked with `leeway` seconds of clock skew;
roles come from the `rolesClaim` claim (a list, or a space-separated string).
"""

from __future__ import annotations

import json
import os
import time

from hypnoscript.services.security.identity import Authenticator, AuthFailure, Identity

HMAC = ("HS256", "HS384", "HS512")
MAX_TOKEN = 8192  # bytes: a bigger header is an attack or a mistake, refused before parsing


def bearer_token(headers: dict[str, str]) -> str | None:
    value = headers.get("authorization")
    if value is None:
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = token.strip()
    if not token:
        raise AuthFailure("the bearer token is empty")
    if len(token) > MAX_TOKEN:
        raise AuthFailure("the bearer token is too large")
    return token


class JwtVerifier:
    """Verifies tokens against the configured keys; shared by the `jwt` and `oidc` methods."""

    def __init__(self, *, algorithms, secret: str | None = None, jwks_url: str | None = None,
                 jwks_file: str | None = None, issuer: str | None = None, audience: str | None = None,
                 leeway: float = 30.0, roles_claim: str = "roles", method: str = "jwt") -> None:
        import jwt

        self._jwt = jwt
        self.algorithms = list(algorithms)
        self.secret = secret
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.roles_claim = roles_claim
        self.method = method
        self._jwks_client = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300, timeout=5) if jwks_url else None
        self._file_keys = None
        if jwks_file:
            with open(jwks_file, encoding="utf-8") as fh:
                self._file_keys = jwt.PyJWKSet.from_dict(json.load(fh))

    def _key(self, token: str, algorithm: str):
        jwt = self._jwt
        if algorithm in HMAC:
            if self.secret is None:
                raise AuthFailure("the token's algorithm is not accepted")
            return self.secret
        header = jwt.get_unverified_header(token)
        kid = header.get("kid")
        if self._file_keys is not None:
            keys = [k for k in self._file_keys.keys if kid is None or k.key_id == kid]
            if not keys:
                raise AuthFailure("the token's signing key is unknown")
            return keys[0]
        if self._jwks_client is not None:
            try:
                return self._jwks_client.get_signing_key_from_jwt(token)
            except jwt.PyJWKClientConnectionError:
                raise AuthFailure("the signing keys cannot be fetched now") from None
            except jwt.PyJWKClientError:
                raise AuthFailure("the token's signing key is unknown") from None
        raise AuthFailure("the token's algorithm is not accepted")

    def verify(self, token: str) -> Identity:
        jwt = self._jwt
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise AuthFailure("the bearer token is malformed") from None
        algorithm = header.get("alg")
        if algorithm not in self.algorithms:
            raise AuthFailure("the token's algorithm is not accepted")
        key = self._key(token, algorithm)
        key = getattr(key, "key", key)  # a PyJWK: its key object
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
        if not isinstance(roles, list):
            raise AuthFailure(f"the token's \"{self.roles_claim}\" claim is not a list")
        sub = str(claims.get("sub") or "")
        name = claims.get("name") or claims.get("preferred_username") or sub
        return Identity(sub, str(name), roles, claims, self.method)


class JwtAuthenticator(Authenticator):
    method = "jwt"

    def __init__(self, settings: dict, root: str) -> None:
        def path(key: str) -> str | None:
            value = settings.get(key)
            return None if value is None else os.path.join(root, value)

        self.verifier = JwtVerifier(algorithms=settings.get("algorithms", ["HS256"]), secret=settings.get("secret"),
                                    jwks_url=settings.get("jwksUrl"), jwks_file=path("jwksFile"),
                                    issuer=settings.get("issuer"), audience=settings.get("audience"),
                                    leeway=float(settings.get("leeway", 30)),
                                    roles_claim=settings.get("rolesClaim", "roles"))
        self.blocking = settings.get("jwksUrl") is not None  # a key fetch may go over the network

    def challenge(self) -> str:
        return 'Bearer realm="hyp"'

    def authenticate(self, headers: dict[str, str]) -> Identity | None:
        token = bearer_token(headers)
        if token is None:
            return None
        return self.verifier.verify(token)


class JwtSigner:
    """`JwtSign(claims, options?)`: tokens this project's `jwt` method accepts."""

    def __init__(self, settings: dict, root: str) -> None:
        algorithms = settings.get("algorithms", ["HS256"])
        self.algorithm = algorithms[0]
        self.issuer = settings.get("issuer")
        self.audience = settings.get("audience")
        self.ttl = float(settings.get("ttl", 3600))
        if self.algorithm in HMAC:
            self.key = settings.get("secret")
        else:
            key_file = settings.get("signingKeyFile")
            if key_file is None:
                self.key = None
            else:
                with open(os.path.join(root, key_file), encoding="utf-8") as fh:
                    self.key = fh.read()

    def sign(self, claims: dict, ttl: float | None = None, kid: str | None = None) -> str:
        import jwt

        if not self.key:
            raise ValueError("security.auth.jwt has no key to sign with (secret, or signingKeyFile for "
                             f"{self.algorithm})")
        now = int(time.time())
        body = {"iat": now, "exp": now + int(self.ttl if ttl is None else ttl)}
        if self.issuer is not None:
            body["iss"] = self.issuer
        if self.audience is not None:
            body["aud"] = self.audience
        body.update(claims)
        headers = {"kid": kid} if kid else None
        return jwt.encode(body, self.key, algorithm=self.algorithm, headers=headers)
