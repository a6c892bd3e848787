"""The verified caller of a request, and what authentication methods answer.

An authentication method (`jwt`, `apikey`, `oidc`, `ldap`) is an `Authenticator`: given the
request's headers it returns the caller's `Identity`, None when the request carries no credentials
of its kind, or raises `AuthFailure` when it carries credentials that do not verify. Handlers see
the identity as `request.user`: {sub, name, roles, claims, method}.
"""

from __future__ import annotations

import abc

from hypnoscript.runtime.builtins.support import from_json


class Identity:
    __slots__ = ("claims", "method", "name", "roles", "sub")

    def __init__(self, sub: str, name: str | None, roles, claims: dict | None, method: str) -> None:
        self.sub = sub
        self.name = name if name is not None else sub
        self.roles = [str(r) for r in roles or ()]
        self.claims = dict(claims or {})
        self.method = method

    def value(self) -> dict:
        """`request.user` for HypnoScript code."""
        return {"sub": self.sub, "name": self.name, "roles": list(self.roles), "claims": from_json(self.claims),
                "method": self.method}

    def has_roles(self, required) -> bool:
        return all(role in self.roles for role in required)


class AuthFailure(Exception):
    """Credentials were presented and do not verify. The message goes into the 401 body, so it
    says what is wrong in general terms and never echoes a secret."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Authenticator(abc.ABC):
    method = "?"
    # True when `authenticate` may block (network, slow hashing): it then runs off the event loop
    blocking = False

    @abc.abstractmethod
    def challenge(self) -> str:
        """The `WWW-Authenticate` value that asks for this method's credentials."""

    @abc.abstractmethod
    def authenticate(self, headers: dict[str, str]) -> Identity | None:
        """The caller, None without credentials of this kind, AuthFailure for bad ones. `headers`
        has lower-case names."""

    def close(self) -> None:
        pass
