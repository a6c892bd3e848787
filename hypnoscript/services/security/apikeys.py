"""API keys (`security.auth.apikeys`): a key in a request header, checked against Argon2 hashes.

Keys made by `hyp keys create` read `hyp_<name>_<secret>`, the secret 43 URL-safe characters
(32 random bytes). The name says which entry's hash to verify, so a request costs one Argon2
verification however many keys there are. Every presented key costs that same verification: a key
naming no entry is verified against a dummy hash, so a wrong secret and an unknown name take the
same time and get the same answer. A key that verified is remembered (by its SHA-256) for a short
while, so a busy client does not pay ~50 ms per request. The configuration holds only the hashes.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
import secrets
import threading
import time

from hypnoscript.services.security.identity import Authenticator, AuthFailure, Identity
from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError

PREFIX = "hyp_"
SECRET_BYTES = 32
SECRET_CHARS = 43  # secrets.token_urlsafe(32)
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
ROLE = re.compile(r"^[^\s,]+$")
MAX_KEY = 512  # characters: anything longer is not a key of ours, refused before hashing
CACHE_SECONDS = 60.0
CACHE_SIZE = 10_000
REFUSED = "the API key is not valid"  # one answer for every key that does not verify
CODE_KEYS = "HYP5116"


def parse(key: str) -> str | None:
    """The entry name a key of the `hyp_<name>_<secret>` form points at, else None."""
    if not key.startswith(PREFIX) or len(key) < len(PREFIX) + 2 + SECRET_CHARS:
        return None
    if key[-SECRET_CHARS - 1] != "_":
        return None
    name = key[len(PREFIX):-SECRET_CHARS - 1]
    return name if NAME.match(name) else None


class ApiKeyAuthenticator(Authenticator):
    method = "apikey"
    blocking = True  # Argon2 verification takes tens of milliseconds

    def __init__(self, settings: dict, root: str) -> None:
        from argon2 import PasswordHasher

        self._hasher = PasswordHasher()
        self.header = str(settings.get("header") or "X-API-Key")
        self._header = self.header.lower()
        self._entries = {str(e["name"]): e for e in settings.get("keys") or []}
        # made here, with the parameters `hyp keys create` uses, so unknown names cost the same
        self._dummy = self._hasher.hash(secrets.token_urlsafe(SECRET_BYTES))
        self._verified: dict[bytes, tuple[str, float]] = {}  # SHA-256 of a key -> (name, expiry)
        self._lock = threading.Lock()

    def challenge(self) -> str:
        return f'ApiKey realm="hyp", header="{self.header}"'

    def authenticate(self, headers: dict[str, str]) -> Identity | None:
        key = headers.get(self._header)
        if key is None:
            return None
        key = key.strip()
        if not key:
            raise AuthFailure("the API key is empty")
        if len(key) > MAX_KEY:
            raise AuthFailure(REFUSED)
        digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest()
        now = time.monotonic()
        with self._lock:
            cached = self._verified.get(digest)
        if cached is not None and cached[1] > now:
            return self._identity(cached[0])
        name = parse(key)
        entry = self._entries.get(name) if name is not None else None
        if not self._verify(entry["hash"] if entry is not None else self._dummy, key) or entry is None:
            raise AuthFailure(REFUSED)
        with self._lock:
            if len(self._verified) >= CACHE_SIZE:
                self._verified = {d: v for d, v in self._verified.items() if v[1] > now}
                if len(self._verified) >= CACHE_SIZE:
                    self._verified.clear()
            self._verified[digest] = (name, now + CACHE_SECONDS)
        return self._identity(name)

    def _verify(self, hashed: str, key: str) -> bool:
        from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

        try:
            return self._hasher.verify(hashed, key)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def _identity(self, name: str) -> Identity:
        entry = self._entries[name]
        return Identity(name, name, entry.get("roles") or [], {}, self.method)


# ---------------------------------------------------------------- `hyp keys`: editing the configuration


def hash_key(key: str) -> str:
    from argon2 import PasswordHasher

    return PasswordHasher().hash(key)


def new_key(name: str) -> str:
    return f"{PREFIX}{name}_{secrets.token_urlsafe(SECRET_BYTES)}"


def list_keys(root: str, profile: str | None = None) -> list[dict]:
    """The keys the (profile's) effective configuration accepts: name, roles, created; no hashes."""
    from hypnoscript.project.config import load_config

    effective = load_config(root, profile, require_env=False)
    keys = effective.lookup("security.auth.apikeys.keys") or []
    return [{"name": k["name"], "roles": list(k.get("roles") or []), "created": k.get("created")} for k in keys]


def create_key(root: str, name: str, roles: list[str], profile: str | None = None) -> tuple[str, str]:
    """Store the hash of a new key named `name`; (the key, where it went). The key itself is
    written nowhere."""
    problems = []
    if not NAME.match(name):
        problems.append(f"invalid key name \"{name}\": letters, digits, `_`, `.` and `-`, starting with a letter "
                        "or digit, at most 64 characters")
    for role in roles:
        if not ROLE.match(role):
            problems.append(f"invalid role \"{role}\": a role has no spaces or commas")
    if problems:
        from hypnoscript.project.config import CONFIG_FILE

        where = os.path.join(root, CONFIG_FILE)
        raise DiagnosticError([Diagnostic(CODE_KEYS, p, path=where) for p in problems])
    key = new_key(name)

    def add(keys: list, doc, path: tuple) -> None:
        for i, k in enumerate(keys):
            if isinstance(k, dict) and k.get("name") == name:
                raise DiagnosticError([_problem(doc, path + (i, "name"), f"an API key named \"{name}\" exists already",
                                                "revoke it first with `hyp keys revoke`, or choose another name")])
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        keys.append({"name": name, "hash": hash_key(key), "roles": list(roles), "created": created})

    return key, _edit(root, profile, add)


def revoke_key(root: str, name: str, profile: str | None = None) -> str:
    """Remove the key named `name`; where it was removed from."""

    def remove(keys: list, doc, path: tuple) -> None:
        for i, k in enumerate(keys):
            if isinstance(k, dict) and k.get("name") == name:
                del keys[i]
                return
        names = ", ".join(str(k.get("name")) for k in keys if isinstance(k, dict)) or "none"
        raise DiagnosticError([_problem(doc, path, f"no API key named \"{name}\" (keys: {names})")])

    return _edit(root, profile, remove)


def _problem(doc, path: tuple, message: str, help: str | None = None) -> Diagnostic:
    if doc is None:
        return Diagnostic(CODE_KEYS, message, help=help)
    return Diagnostic(CODE_KEYS, message, doc.span(path), help=help, path=doc.path)


def _edit(root: str, profile: str | None, change) -> str:
    """Apply `change(keys, doc, json_path)` to the key list of the base or of `profile`, and
    write the file back with everything else as it was."""
    from hypnoscript.project import config, jsonfile
    from hypnoscript.project.manifest import write_json

    path = os.path.join(root, config.CONFIG_FILE)
    doc = None
    data: dict = {}
    trailing = True
    if os.path.isfile(path):
        doc = jsonfile.read(path, "the configuration file")
        if not isinstance(doc.data, dict):
            raise DiagnosticError([doc.diagnostic(config.CODE_INVALID, (), "expected an object")])
        problems = config.check_structure(doc)
        if problems:
            raise DiagnosticError(problems)
        data = doc.data
        trailing = doc.source.text.endswith("\n")
    base_keys = _base_keys(data)
    prefix: tuple = ()
    target = data
    if profile:
        profiles = data.get("profiles") or {}
        if profile not in profiles:
            known = ", ".join(sorted(profiles)) or "none defined"
            raise DiagnosticError([_problem(doc, ("profiles",), f"unknown profile \"{profile}\" (profiles: {known})")])
        prefix = ("profiles", profile)
        target = profiles[profile]
    keys_path = prefix + ("security", "auth", "apikeys", "keys")
    node = target
    for part in ("security", "auth", "apikeys"):
        if not isinstance(node.get(part, {}), dict):
            raise DiagnosticError([_problem(doc, prefix + ("security",), f"{jsonfile.json_path(keys_path)} cannot be "
                                                                         "edited: its parent is not written as an object")])
        if part not in node:
            _insert(node, part, {})
        node = node[part]
    if "keys" not in node:
        # a profile's list replaces the base list: start it from the keys the profile accepts now
        node["keys"] = copy.deepcopy(base_keys) if profile else []
    if not isinstance(node["keys"], list):
        raise DiagnosticError([_problem(doc, keys_path, f"{jsonfile.json_path(keys_path)} cannot be edited: "
                                                        "it is not written as a list")])
    change(node["keys"], doc, keys_path)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_json(path, data, trailing_newline=trailing)
    except OSError as error:
        raise DiagnosticError([Diagnostic(CODE_KEYS, f"cannot write {config.CONFIG_FILE}: "
                                                     f"{error.strerror or error}", path=path)]) from None
    where = os.path.relpath(path)
    return f"profile {profile} of {where}" if profile else where


def _base_keys(data: dict) -> list:
    node: object = data
    for part in ("security", "auth", "apikeys", "keys"):
        if not isinstance(node, dict) or part not in node:
            return []
        node = node[part]
    return node if isinstance(node, list) else []


def _insert(obj: dict, key: str, value: object) -> None:
    """Add `key`, before `profiles` when there is one, so overrides stay last in the file."""
    if "profiles" not in obj:
        obj[key] = value
        return
    items = list(obj.items())
    obj.clear()
    for k, v in items:
        if k == "profiles":
            obj[key] = value
        obj[k] = v
