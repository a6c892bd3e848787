"""OpenID Connect bearer tokens (`security.auth.oidc`): the provider's discovery document names its
issuer and its JWKS; tokens are then verified like `jwt` tokens, by the same `JwtVerifier`.

The discovery document is fetched at start-up and again after an hour. A provider that cannot be
reached does not stop `hyp serve`: requests with a bearer token get a 401 saying so, and a later
request tries again (at most every `retry_interval` seconds). Once known, the document keeps being
used while a refresh fails. Key rotation is the verifier's, as for `jwt` with `jwksUrl`: a token
whose `kid` is not in the cached JWKS makes it fetch the set again.
"""

from __future__ import annotations

import threading
import time

from hypnoscript.services.security.identity import AuthFailure
from hypnoscript.services.security.jwt_auth import BearerAuthenticator, JwtVerifier

UNREACHABLE = "the identity provider cannot be reached"
UNUSABLE = "the identity provider's discovery document is not usable"
DISCOVERY = "/.well-known/openid-configuration"


class OidcAuthenticator(BearerAuthenticator):
    method = "oidc"
    blocking = True  # discovery and key fetches go over the network
    discovery_ttl = 3600.0
    retry_interval = 5.0
    timeout = 5.0

    def __init__(self, settings: dict, root: str) -> None:
        self.issuer = str(settings["issuer"])
        self.audience = settings.get("audience") or settings.get("clientId")
        self.algorithms = list(settings.get("algorithms") or ["RS256"])
        self.roles_claim = settings.get("rolesClaim", "roles")
        self.leeway = float(settings.get("leeway", 30))
        self._known: JwtVerifier | None = None
        self._source: tuple[str, str] | None = None  # (issuer, jwks_uri) the verifier checks against
        self._fetched = 0.0  # monotonic time of the last discovery that succeeded
        self._attempted: float | None = None
        self._failure = UNREACHABLE
        self._lock = threading.Lock()
        with self._lock:
            self._refresh(time.monotonic())

    def _verifier(self) -> JwtVerifier:
        now = time.monotonic()
        verifier = self._known
        if verifier is not None and now - self._fetched < self.discovery_ttl:
            return verifier
        # with a document to fall back on, nobody waits for another thread's refresh
        if self._lock.acquire(blocking=verifier is None):
            try:
                fresh = self._known is not None and now - self._fetched < self.discovery_ttl
                due = self._attempted is None or now - self._attempted >= self.retry_interval
                if not fresh and due:
                    self._refresh(now)
            finally:
                self._lock.release()
        if self._known is None:
            raise AuthFailure(self._failure)
        return self._known

    def _refresh(self, now: float) -> None:
        """Fetch the discovery document (the lock held); on failure keep what there is."""
        self._attempted = now
        try:
            source = self._discover()
        except AuthFailure as failure:
            self._failure = failure.message
            return
        if source != self._source:
            issuer, jwks_uri = source
            self._known = JwtVerifier(algorithms=self.algorithms, jwks_url=jwks_uri, issuer=issuer,
                                         audience=self.audience, leeway=self.leeway, roles_claim=self.roles_claim,
                                         method=self.method)
            self._source = source
        self._fetched = now

    def _discover(self) -> tuple[str, str]:
        """(issuer, jwks_uri) from the provider; AuthFailure when it cannot be had."""
        import httpx

        try:
            response = httpx.get(self.issuer.rstrip("/") + DISCOVERY, timeout=self.timeout)
        except httpx.HTTPError:
            raise AuthFailure(UNREACHABLE) from None
        if response.status_code != 200:
            raise AuthFailure(UNREACHABLE)
        try:
            document = response.json()
        except ValueError:
            raise AuthFailure(UNUSABLE) from None
        if not isinstance(document, dict):
            raise AuthFailure(UNUSABLE)
        issuer = document.get("issuer")
        jwks_uri = document.get("jwks_uri")
        # the document must be the configured issuer's own (OpenID Connect Discovery 1.0, 4.3)
        if not isinstance(issuer, str) or issuer.rstrip("/") != self.issuer.rstrip("/"):
            raise AuthFailure(UNUSABLE)
        if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
            raise AuthFailure(UNUSABLE)
        return issuer, jwks_uri
