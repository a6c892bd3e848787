"""The guard in front of a route that requires authentication: it asks the route's methods (one,
or every configured one for `any`) for the caller, answers 401 with `WWW-Authenticate` when none
verifies, 403 when the caller lacks a required role, and otherwise passes the identity on to the
handler as `request.user`."""

from __future__ import annotations

import asyncio

from hypnoscript.services.handlers import error_outcome, respond
from hypnoscript.services.security.identity import AuthFailure, Identity


class Denied(Exception):
    def __init__(self, status: int, message: str, challenges: list[str], identity: Identity | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.challenges = challenges
        self.identity = identity  # the caller a 403 refused (for the audit log)


class RouteGuard:
    def __init__(self, authenticators: list, roles: list[str], audit=None) -> None:
        self.authenticators = authenticators
        self.roles = list(roles)
        self.audit = audit

    async def identify(self, headers: dict[str, str]) -> Identity:
        """The caller of a request, or Denied."""
        failures: list[str] = []
        for authenticator in self.authenticators:
            try:
                if authenticator.blocking:
                    identity = await asyncio.to_thread(authenticator.authenticate, headers)
                else:
                    identity = authenticator.authenticate(headers)
            except AuthFailure as error:
                failures.append(error.message)
                continue
            if identity is not None:
                if not identity.has_roles(self.roles):
                    missing = [r for r in self.roles if r not in identity.roles]
                    raise Denied(403, f"this route requires the role{'s' if len(missing) > 1 else ''} "
                                      f"{', '.join(missing)}", [], identity)
                return identity
        challenges = [a.challenge() for a in self.authenticators]
        if len(set(failures)) == 1:
            raise Denied(401, failures[0], challenges)
        if failures:
            # several methods read the same credentials (a bearer token for jwt and oidc): no
            # single method's reason is the one that applies
            raise Denied(401, "the credentials are not valid for any method this route accepts", challenges)
        methods = " or ".join(a.method for a in self.authenticators)
        raise Denied(401, f"this route requires authentication ({methods})", challenges)


def request_headers(scope: dict) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1")
        value = raw_value.decode("latin-1")
        headers[name] = headers[name] + ", " + value if name in headers else value
    return headers


class GuardedEndpoint:
    """A route's endpoint behind its guard."""

    def __init__(self, guard: RouteGuard, endpoint, on_denied=None) -> None:
        self.guard = guard
        self.endpoint = endpoint
        self.on_denied = on_denied  # (scope, Denied) -> None: the audit log of denials

    async def __call__(self, scope, receive, send) -> None:
        try:
            identity = await self.guard.identify(request_headers(scope))
        except Denied as denied:
            if self.on_denied is not None:
                self.on_denied(scope, denied)
            info = scope["hyp.request"]
            outcome = error_outcome(denied.status, denied.message, info.request_id)
            if denied.challenges:
                outcome.headers.append((b"www-authenticate", ", ".join(denied.challenges).encode("latin-1")))
            await respond(scope, info, outcome)
            return
        scope["hyp.user"] = identity
        await self.endpoint(scope, receive, send)
