"""HTTP Basic credentials checked against an LDAP directory (`security.auth.ldap`), with ldap3.

The password is verified by a simple bind as the user: either at the DN `userDnTemplate` gives
(the user name escaped for a DN), or, with `bindDn`/`bindPassword`, at the DN a search under
`baseDn` finds with `userFilter` (the user name escaped for a filter). User names with characters
that have no place in a login name are refused before anything reaches the server, and so are
empty passwords (an empty password is an anonymous bind on many servers, which "succeeds").
The user's groups (`groupFilter` under `baseDn`, `{dn}` being the escaped user DN) become roles,
their `groupAttribute` values. Successes are cached for `cacheSeconds`, keyed by a salted SHA-256
of user and password, so the password itself is never kept.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import math
import secrets
import ssl
import threading
import time

from hypnoscript.services.security.identity import Authenticator, AuthFailure, Identity
from hypnoscript.services.security.jwt_auth import config_problem

log = logging.getLogger("hypnoscript.security")

MAX_HEADER = 8192
MAX_USER = 256
MAX_PASSWORD = 1024
MAX_CACHED = 10000
# DN and filter syntax, wildcards and control characters: none belongs in a login name
FORBIDDEN = set(',=+<>#;\\"*()') | {chr(c) for c in range(32)} | {"\x7f"}
INVALID_CREDENTIALS = 49

WRONG = "the user name or password is wrong"
UNREACHABLE = "the directory server cannot be reached now; try again later"


def basic_credentials(headers: dict[str, str]) -> tuple[str, str] | None:
    """(user, password) of an `Authorization: Basic` header, None without one, AuthFailure for a
    malformed one."""
    value = headers.get("authorization")
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    token = token.strip()
    if not token or len(token) > MAX_HEADER:
        raise AuthFailure("the Basic credentials are malformed")
    try:
        decoded = base64.b64decode(token, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise AuthFailure("the Basic credentials are malformed") from None
    user, colon, password = decoded.partition(":")
    if not colon:
        raise AuthFailure("the Basic credentials are malformed")
    return user, password


def check_user(user: str) -> None:
    if not user:
        raise AuthFailure("the user name is empty")
    if len(user) > MAX_USER:
        raise AuthFailure("the user name is too long")
    if user != user.strip() or any(ch in FORBIDDEN for ch in user):
        raise AuthFailure("the user name contains characters that are not allowed")


def _problem(root: str, key: str, message: str):
    return config_problem(root, key, message, method="ldap")


class Unreachable(Exception):
    pass


def _close(conn) -> None:
    from ldap3.core.exceptions import LDAPException

    try:
        conn.unbind()
    except (LDAPException, OSError):
        pass  # the connection is already broken: nothing left to close


class LdapAuthenticator(Authenticator):
    method = "ldap"
    blocking = True  # binds and searches go over the network

    def __init__(self, settings: dict, root: str) -> None:
        import ldap3
        from ldap3.core.exceptions import LDAPException

        self._ldap3 = ldap3
        self.url = settings["url"]
        self.template = settings.get("userDnTemplate")
        self.bind_dn = settings.get("bindDn")
        self.bind_password = settings.get("bindPassword")
        self.base_dn = settings.get("baseDn")
        self.user_filter = settings.get("userFilter", "(uid={user})")
        self.group_filter = settings.get("groupFilter", "(member={dn})")
        self.group_attribute = settings.get("groupAttribute", "cn")
        self.start_tls = bool(settings.get("startTls", False))
        self.cache_seconds = float(settings.get("cacheSeconds", 60))
        self.timeout = float(settings.get("timeout", 5))
        self.receive_timeout = max(1, math.ceil(self.timeout))  # ldap3 packs it as whole seconds
        if self.bind_dn is not None:
            if self.bind_password is None:
                raise _problem(root, "bindDn", "bindDn needs bindPassword too")
            if not self.base_dn:
                raise _problem(root, "bindDn", "bindDn needs baseDn, where the user is searched")
            if "{user}" not in self.user_filter:
                raise _problem(root, "userFilter", "userFilter must contain {user}")
        elif self.template is None:
            raise _problem(root, "url", "set userDnTemplate (e.g. uid={user},ou=people,dc=example,dc=org), "
                                        "or bindDn and bindPassword to search for the user")
        elif "{user}" not in self.template:
            raise _problem(root, "userDnTemplate", "userDnTemplate must contain {user}")
        from ldap3.operation.search import parse_filter

        for key, value, example in (("userFilter", self.user_filter, "(uid={user})"),
                                    ("groupFilter", self.group_filter, "(member={dn})")):
            try:
                parse_filter(value.replace("{user}", "x").replace("{dn}", "x"), None, False, False, None, False)
            except LDAPException:
                raise _problem(root, key, f"{key} is not a valid LDAP filter such as {example}") from None
        tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, version=ssl.PROTOCOL_TLS_CLIENT)
        try:
            self.server = ldap3.Server(self.url, connect_timeout=self.timeout, get_info=ldap3.NONE, tls=tls)
        except LDAPException as error:
            raise _problem(root, "url", f"the LDAP URL is not usable: {error}") from None
        self._salt = secrets.token_bytes(16)
        self._cache: dict[bytes, tuple[float, Identity]] = {}
        self._lock = threading.Lock()
        self._down = False  # the outage is logged once, not on every request

    def challenge(self) -> str:
        return 'Basic realm="hyp"'

    def authenticate(self, headers: dict[str, str]) -> Identity | None:
        credentials = basic_credentials(headers)
        if credentials is None:
            return None
        user, password = credentials
        check_user(user)
        if not password:
            raise AuthFailure("the password is empty")
        if len(password) > MAX_PASSWORD:
            raise AuthFailure("the password is too long")
        key = hashlib.sha256(self._salt + user.encode() + b"\0" + password.encode()).digest()
        now = time.monotonic()
        if self.cache_seconds > 0:
            with self._lock:
                hit = self._cache.get(key)
            if hit is not None and hit[0] > now:
                return hit[1]
        from ldap3.core.exceptions import LDAPException

        try:
            identity = self._verify(user, password)
        except Unreachable as error:
            if not self._down:
                self._down = True
                log.warning("the LDAP server %s cannot be reached: %s", self.url, error)
            raise AuthFailure(UNREACHABLE) from None
        except AuthFailure:
            self._down = False  # the server answered
            raise
        except LDAPException as error:  # anything else the library raises: a 401, never a 500
            log.warning("the LDAP server %s could not check credentials: %s", self.url, error)
            raise AuthFailure("the directory server could not check the credentials") from None
        self._down = False
        if self.cache_seconds > 0:
            with self._lock:
                if len(self._cache) >= MAX_CACHED:
                    self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
                    if len(self._cache) >= MAX_CACHED:
                        self._cache.clear()
                self._cache[key] = (now + self.cache_seconds, identity)
        return identity

    def _connection(self, dn: str, password: str):
        """A connection bound as `dn`, or None when the server refuses the credentials."""
        ldap3 = self._ldap3
        from ldap3.core.exceptions import LDAPCommunicationError, LDAPResponseTimeoutError, LDAPStartTLSError

        conn = ldap3.Connection(self.server, user=dn, password=password, authentication=ldap3.SIMPLE,
                                read_only=True, receive_timeout=self.receive_timeout, raise_exceptions=False,
                                auto_referrals=False)
        try:
            conn.open()
            if self.start_tls and not conn.start_tls():
                raise Unreachable(f"StartTLS failed: {conn.result.get('description')}")
            if conn.bind():
                return conn
            code = conn.result.get("result")
        except (LDAPCommunicationError, LDAPResponseTimeoutError, LDAPStartTLSError, OSError) as error:
            _close(conn)
            raise Unreachable(str(error) or type(error).__name__) from None
        _close(conn)
        if code == INVALID_CREDENTIALS:
            return None
        raise AuthFailure("the directory server refused the sign-in")

    def _search(self, conn, base: str, search_filter: str, attributes: list[str], scope=None) -> list[dict]:
        from ldap3.core.exceptions import LDAPCommunicationError, LDAPResponseTimeoutError

        try:
            conn.search(base, search_filter, search_scope=scope or self._ldap3.SUBTREE, attributes=attributes,
                        time_limit=self.receive_timeout)
        except (LDAPCommunicationError, LDAPResponseTimeoutError, OSError) as error:
            raise Unreachable(str(error) or type(error).__name__) from None
        return [entry for entry in conn.response or () if entry.get("type") == "searchResEntry"]

    def _verify(self, user: str, password: str) -> Identity:
        from ldap3.utils.conv import escape_filter_chars
        from ldap3.utils.dn import escape_rdn

        service = None
        try:
            if self.bind_dn is not None:
                service = self._connection(self.bind_dn, self.bind_password)
                if service is None:
                    log.warning("the LDAP server %s refuses the configured bindDn", self.url)
                    raise AuthFailure("the directory server refused the sign-in")
                user_filter = self.user_filter.replace("{user}", escape_filter_chars(user))
                found = self._search(service, self.base_dn, user_filter, ["1.1"])
                if len(found) != 1:  # none, or an ambiguous name
                    raise AuthFailure(WRONG)
                user_dn = found[0]["dn"]
            else:
                user_dn = self.template.replace("{user}", escape_rdn(user))
            conn = self._connection(user_dn, password)
            if conn is None:
                raise AuthFailure(WRONG)
            try:
                if service is None:
                    user_dn = self._stored_dn(conn, user_dn)
                roles = self._roles(service or conn, user_dn)
            finally:
                _close(conn)
        finally:
            if service is not None:
                _close(service)
        return Identity(user_dn, user, roles, {"dn": user_dn}, self.method)

    def _stored_dn(self, conn, user_dn: str) -> str:
        """The DN as the directory spells it: servers match `uid=ADA` or `uid=\\ ada` to the entry
        of `uid=ada`, and `sub` must be the same whatever the caller typed."""
        found = self._search(conn, user_dn, "(objectClass=*)", ["1.1"], self._ldap3.BASE)
        return found[0]["dn"] if found else user_dn  # the entry may not be readable by its own user

    def _roles(self, conn, user_dn: str) -> list[str]:
        from ldap3.utils.conv import escape_filter_chars

        if not self.base_dn:
            return []
        search_filter = self.group_filter.replace("{dn}", escape_filter_chars(user_dn))
        roles = []
        for entry in self._search(conn, self.base_dn, search_filter, [self.group_attribute]):
            for raw in (entry.get("raw_attributes") or {}).get(self.group_attribute, ()):
                role = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
                if role not in roles:
                    roles.append(role)
        return sorted(roles)
