"""`JwtSign(claims, options?)`: a token the project's own `jwt` routes accept, signed with the key
of `security.auth.jwt` (its secret, or its signingKeyFile)."""

from __future__ import annotations

from hypnoscript.runtime import infrastructure
from hypnoscript.runtime.builtins.args import as_number, as_object, as_string
from hypnoscript.runtime.builtins.registry import builtin
from hypnoscript.runtime.builtins.support import to_json
from hypnoscript.runtime.context import current
from hypnoscript.runtime.errors import HypArgumentError, HypError
from hypnoscript.runtime.values import display

_OPTIONS = ("ttlSeconds", "kid")


@builtin(
    "security",
    "JwtSign(claims: object, options?: object) -> string",
    "A JWT with claims, signed with security.auth.jwt's key; sets iat, exp (now + ttl, default "
    "security.auth.jwt.ttl) and iss/aud from the configuration. Options: ttlSeconds, kid",
    pure=False,
)
def _jwt_sign(claims, options=None):
    body = to_json(as_object(claims, "JwtSign", 1), "JwtSign")
    opts = {} if options is None else as_object(options, "JwtSign", 2)
    for name in opts:
        if name not in _OPTIONS:
            raise HypArgumentError(f"Builtin 'JwtSign' has no option \"{name}\" (options: {', '.join(_OPTIONS)})")
    ttl = None
    if opts.get("ttlSeconds") is not None:
        ttl = as_number(opts["ttlSeconds"], "JwtSign", 2)
        if not 0 < ttl <= 366 * 86400:
            raise HypArgumentError(f"Builtin 'JwtSign' expected ttlSeconds above 0 and at most a year, got {display(ttl)}")
    kid = None if opts.get("kid") is None else as_string(opts["kid"], "JwtSign", 2)
    signer = infrastructure.of(current()).signer()
    try:
        return signer.sign(body, ttl, kid)
    except ValueError as error:
        raise HypError(f"JwtSign: {error}") from None
