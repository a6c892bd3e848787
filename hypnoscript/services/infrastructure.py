"""What a project's HypnoScript code reaches beyond itself: its database and cache (services.data),
its broker for `Publish` (services.events) and the key `JwtSign` signs with (services.security),
each built from the configuration on first use.

One `Infrastructure` per project and configuration per process, so every program and handler of
a project shares one connection pool, one memory cache and one broker connection.
`resolve(ctx)` is what the `hyp` command registers with `runtime.infrastructure` for programs it
runs; `hyp serve` and `hyp worker` make their own, with metrics and traces attached.
"""

from __future__ import annotations

import os
import re
import threading

from hypnoscript.runtime.errors import HypDatabaseError, HypError

_instances: dict[tuple[str, str], Infrastructure] = {}  # (root, its settings as JSON) -> shared
_resolved: dict[tuple, Infrastructure] = {}  # (root, profile, config file stamp, environment) -> shared
_instances_lock = threading.Lock()


class Infrastructure:
    def __init__(self, root: str, settings: dict, *, name: str | None = None, observer=None,
                 topics: dict | None = None, security: dict | None = None) -> None:
        self.root = root
        self.settings = settings  # the configuration's `infrastructure` section, defaults applied
        self.name = name or os.path.basename(os.path.abspath(root)) or "hyp"
        self.observer = observer
        self.topics = topics or {}  # topic -> the consumer groups the configuration declares
        self.security = security or {}  # the configuration's `security` section (JwtSign's key)
        self._signer = None
        self._database = None
        self._cache = None
        self._events = None
        self.migrated = False  # autoMigrate has run
        self._lock = threading.Lock()

    @property
    def database_url(self) -> str:
        return self.settings.get("database", {}).get("url", "sqlite:///data/app.db")

    @property
    def cache_url(self) -> str:
        return self.settings.get("cache", {}).get("url", "memory://")

    def database(self):
        if self._database is None:
            with self._lock:
                if self._database is None:
                    database = self._open_database()
                    if self.settings.get("database", {}).get("autoMigrate") and not self.migrated:
                        self._auto_migrate(database)
                    self._database = database
        return self._database

    def _open_database(self):
        from hypnoscript.services.data.database import Database

        db = self.settings.get("database", {})
        return Database(self.database_url, self.root, pool_size=db.get("poolSize", 5), timeout=db.get("timeout", 10),
                        retries=db.get("retries", 3), observer=self.observer)

    def migrate(self) -> list:
        """Apply the project's pending migrations (none without a migrations folder); raises
        DiagnosticError like `hyp db migrate`."""
        if not os.path.isdir(os.path.join(self.root, "migrations")):
            return []
        from hypnoscript.services.data.migrations import migrate

        with self._lock:
            if self._database is None:
                self._database = self._open_database()
            done = migrate(self._database.engine, self.root)
            self.migrated = True
        return done

    def _auto_migrate(self, database) -> None:
        """`autoMigrate`: pending migrations are applied when the database is first used."""
        if not os.path.isdir(os.path.join(self.root, "migrations")):
            return
        from hypnoscript.services.data.migrations import migrate
        from hypnoscript.syntax.diagnostics import DiagnosticError

        try:
            migrate(database.engine, self.root)
        except DiagnosticError as error:
            database.dispose()
            first = error.diagnostics[0]
            where = f" ({os.path.relpath(first.path, self.root)})" if first.path else ""
            raise HypDatabaseError(f"migrations could not be applied{where}: {first.message}",
                                   help="see `hyp db status`") from None
        self.migrated = True

    def cache(self):
        if self._cache is None:
            with self._lock:
                if self._cache is None:
                    from hypnoscript.services.data.cache import default_prefix, open_cache

                    cache = self.settings.get("cache", {})
                    prefix = cache.get("prefix")
                    if prefix is None:
                        prefix = default_prefix(self.name)
                    self._cache = open_cache(self.cache_url, prefix=prefix, default_ttl=cache.get("defaultTtl", 300),
                                             max_entries=cache.get("maxEntries", 10000),
                                             timeout=cache.get("timeout", 5), observer=self.observer)
        return self._cache

    def events(self):
        """Publishing on the configured broker (services.events.publisher)."""
        if self._events is None:
            with self._lock:
                if self._events is None:
                    from hypnoscript.services.events.publisher import Events

                    messaging = self.settings.get("messaging", {})
                    prefix = messaging.get("prefix") or "hyp_" + re.sub(r"[^A-Za-z0-9_-]", "_", self.name)
                    self._events = Events(self, self.messaging_url, self.topics, prefix=prefix,
                                          timeout=messaging.get("timeout", 10), observer=self.observer)
        return self._events

    def signer(self):
        """`JwtSign`'s signer, from `security.auth.jwt`."""
        if self._signer is None:
            jwt_settings = (self.security.get("auth") or {}).get("jwt")
            if jwt_settings is None:
                raise HypError("JwtSign needs security.auth.jwt in the project configuration (a secret, or a "
                               "signingKeyFile)")
            from hypnoscript.services.security.jwt_auth import JwtSigner

            try:
                self._signer = JwtSigner(jwt_settings, self.root)
            except OSError as error:
                raise HypError(f"JwtSign cannot read security.auth.jwt.signingKeyFile: {error.strerror}") from None
        return self._signer

    @property
    def messaging_url(self) -> str:
        return self.settings.get("messaging", {}).get("url", "sqlite:///data/queue.db")

    def events_broker_if_open(self):
        return None if self._events is None else self._events._broker

    def database_if_open(self):
        return self._database

    def database_exists(self) -> bool:
        """Whether there is a database to look into without creating one (an embedded SQLite file
        that was never written is not there)."""
        if self._database is not None:
            return True
        from hypnoscript.services.data.database import engine_url, is_memory

        target = engine_url(self.database_url, self.root)
        if target.get_backend_name() != "sqlite":
            return True
        return not is_memory(target) and bool(target.database) and os.path.exists(target.database)

    def opened(self) -> tuple[bool, bool]:
        """Whether the database and the cache have been used yet."""
        return self._database is not None, self._cache is not None

    def close(self) -> None:
        if self._events is not None:
            self._events.close()
        if self._database is not None:
            self._database.dispose()
        if self._cache is not None:
            self._cache.close()


def for_project(root: str, profile: str | None = None, env=None) -> Infrastructure:
    """The shared infrastructure of the project at `root` (or of a folder without a project)."""
    from hypnoscript.project.config import CONFIG_FILE, ConfigError, load_config

    import json

    env = os.environ if env is None else env
    root = os.path.abspath(root)
    # what the effective configuration depends on: validating it again costs milliseconds
    try:
        stat = os.stat(os.path.join(root, CONFIG_FILE))
        stamp = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        stamp = None
    seen = (root, profile, stamp, hash(frozenset(env.items())))  # ${env:...} may name any variable
    infra = _resolved.get(seen)
    if infra is not None:
        return infra
    try:
        config = load_config(root, profile, env)
    except ConfigError as error:
        first = error.diagnostics[0]
        where = f" ({first.path})" if first.path else ""
        raise HypError(f"the project configuration is invalid{where}: {first.message}") from None
    settings = config.get("infrastructure", {})
    key = (root, json.dumps([settings, config.get("security", {}), config.get("services", {})], sort_keys=True))
    with _instances_lock:
        infra = _instances.get(key)
        if infra is None:
            from hypnoscript.services.events.publisher import consumer_groups

            infra = _instances[key] = Infrastructure(root, settings, name=project_name(root),
                                                     topics=consumer_groups(config.get("services", {})),
                                                     security=config.get("security", {}))
        _resolved[seen] = infra
    return infra


def close_all() -> None:
    """Close every shared infrastructure (its pools and connections)."""
    with _instances_lock:
        for infra in _instances.values():
            infra.close()
        _instances.clear()
        _resolved.clear()


def project_name(root: str) -> str:
    from hypnoscript.project.manifest import MANIFEST

    try:
        import json

        with open(os.path.join(root, MANIFEST), encoding="utf-8") as fh:
            data = json.load(fh)
        name = data.get("ritualName") or data.get("name")
        if isinstance(name, str) and name:
            return name
    except (OSError, ValueError, AttributeError):
        pass
    return os.path.basename(os.path.abspath(root))


def resolve(ctx) -> Infrastructure:
    """The infrastructure of a program run by `hyp`: its project's (found from the program's file
    upwards), or the current folder's when the program is in no project."""
    from hypnoscript.project.manifest import find_root

    start = os.path.dirname(os.path.abspath(ctx.script_path)) if ctx.script_path and ctx.script_path != "-" \
        else os.getcwd()
    root = find_root(start) or os.getcwd()
    return for_project(root)
