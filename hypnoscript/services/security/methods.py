"""The authentication methods a project configures (`security.auth`), built once per process."""

from __future__ import annotations

from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError

# route `auth` value -> (key under security.auth, module, class)
METHODS = {
    "jwt": ("jwt", "hypnoscript.services.security.jwt_auth", "JwtAuthenticator"),
    "apikey": ("apikeys", "hypnoscript.services.security.apikeys", "ApiKeyAuthenticator"),
    "oidc": ("oidc", "hypnoscript.services.security.oidc", "OidcAuthenticator"),
    "ldap": ("ldap", "hypnoscript.services.security.ldap_auth", "LdapAuthenticator"),
}


def configured(security: dict) -> list[str]:
    """The route `auth` values whose method `security.auth` configures, in a fixed order."""
    auth = security.get("auth") or {}
    return [method for method, (key, _, _) in METHODS.items() if auth.get(key) is not None]


def build(security: dict, root: str) -> dict:
    """method -> Authenticator, for every configured method; DiagnosticError for one that cannot
    be set up (a key file missing, a malformed key)."""
    import importlib

    auth = security.get("auth") or {}
    built = {}
    for method in configured(security):
        key, module, name = METHODS[method]
        cls = getattr(importlib.import_module(module), name)
        built[method] = cls(auth[key], root)
    return built


def for_route(auth: str, authenticators: dict, where) -> list:
    """The authenticators a route's `auth` asks for; DiagnosticError (at `where`) when the
    configuration does not set its method up, so no route is ever served open by mistake."""
    if auth == "any":
        if not authenticators:
            raise DiagnosticError([where("auth \"any\" needs at least one method under security.auth "
                                         "(jwt, apikeys, oidc, ldap)")])
        return list(authenticators.values())
    found = authenticators.get(auth)
    if found is None:
        key = METHODS[auth][0]
        raise DiagnosticError([where(f"this route requires {auth} authentication, but security.auth.{key} "
                                     "is not configured")])
    return [found]


def problem(config, path: tuple, message: str) -> Diagnostic:
    from hypnoscript.project import jsonfile
    from hypnoscript.project.config import CODE_INVALID

    if config.exists:
        return jsonfile.read(config.path, "the configuration file").diagnostic(CODE_INVALID, path, message)
    return Diagnostic(CODE_INVALID, f"{jsonfile.json_path(path)}: {message}", path=config.path)
