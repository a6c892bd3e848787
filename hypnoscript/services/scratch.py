"""Throwaway databases and caches for `hyp test`: of the configured kind, migrated, and gone after.

Tests never touch the project's own data: a SQLite project gets a temporary file, a PostgreSQL or
MariaDB project a database of its own on the same server (`<name>_test_<random>`, dropped at the
end), the cache a fresh memory cache or a Redis key prefix of its own (deleted at the end), and the
events a temporary embedded queue or a broker prefix of their own (deleted at the end).
"""

from __future__ import annotations

import contextlib
import copy
import os
import secrets
import shutil
import tempfile

from hypnoscript.services.infrastructure import Infrastructure
from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError

CODE_SCRATCH = "HYP5060"


class ScratchInfrastructure(Infrastructure):
    """Makes its database on first use: a project whose tests store nothing creates none."""

    def __init__(self, root: str, settings: dict, folder: str, token: str, name: str | None = None,
                 topics: dict | None = None, security: dict | None = None) -> None:
        super().__init__(root, settings, name=name, topics=topics, security=security)
        self.folder = folder
        self.token = token
        self.drop = None

    def _open_database(self):
        database = self.settings["database"]
        database["url"], self.drop = _scratch_database(self.database_url, self.root, self.folder, self.token)
        return super()._open_database()


@contextlib.contextmanager
def scratch_infrastructure(root: str, settings: dict, name: str | None = None, topics: dict | None = None,
                           security: dict | None = None):
    """An Infrastructure like the configured one, on a scratch database and cache."""
    settings = copy.deepcopy(settings)
    settings.setdefault("database", {})
    cache = settings.setdefault("cache", {})
    token = secrets.token_hex(4)
    folder = tempfile.mkdtemp(prefix="hyp-test-")
    if not cache.get("url", "memory://").startswith("memory:"):
        cache["prefix"] = f"{cache.get('prefix') or 'hyp:'}test:{token}:"
    messaging = settings.setdefault("messaging", {})
    if messaging.get("url", "sqlite:///data/queue.db").startswith("sqlite:"):
        messaging["url"] = f"sqlite:///{os.path.join(folder, 'queue.db')}"
    else:
        messaging["prefix"] = f"{messaging.get('prefix') or 'hyp'}_test_{token}"
    infra = ScratchInfrastructure(root, settings, folder, token, name=name, topics=topics, security=security)
    try:
        infra.migrate()
        yield infra
    finally:
        try:
            if infra.opened()[1] and not cache.get("url", "memory://").startswith("memory:"):
                _delete_prefix(infra.cache(), cache["prefix"])
            broker = infra.events_broker_if_open()
            if broker is not None and hasattr(broker, "destroy"):
                broker.destroy()  # the streams, keys or queues under the run's own prefix
            infra.close()
        finally:
            if infra.drop is not None:
                infra.drop()
            shutil.rmtree(folder, ignore_errors=True)


def _scratch_database(url: str, root: str, folder: str, token: str):
    """(url of a new empty database of the kind `url` names, its drop function or None)."""
    import sqlalchemy

    from hypnoscript.services.data.database import create_engine, engine_url

    target = engine_url(url, root)
    backend = target.get_backend_name()
    if backend == "sqlite":
        return f"sqlite:///{os.path.join(folder, 'test.db')}", None
    name = f"{target.database or 'hyp'}_test_{token}"[:63]
    quote = '"' if backend == "postgresql" else "`"
    admin = create_engine(url, root, pool_size=1)
    autocommit = admin.execution_options(isolation_level="AUTOCOMMIT")
    try:
        with autocommit.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {quote}{name}{quote}")
    except sqlalchemy.exc.SQLAlchemyError as error:
        admin.dispose()
        raise DiagnosticError([Diagnostic(CODE_SCRATCH, f"cannot create a test database on the {backend} server: "
                                          f"{str(getattr(error, 'orig', error)).strip().splitlines()[0]}",
                                          help="the configured user needs the right to create databases")]) from None

    def drop() -> None:
        force = " WITH (FORCE)" if backend == "postgresql" else ""
        try:
            with autocommit.connect() as conn:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote}{name}{quote}{force}")
        finally:
            admin.dispose()

    scheme = url.split("://", 1)[0]
    scratch = target.set(database=name).render_as_string(hide_password=False)
    return scheme + scratch[scratch.index("://"):], drop


def _delete_prefix(cache, prefix: str) -> None:
    client = getattr(cache.backend, "client", None)
    if client is None:
        return
    keys = list(client.scan_iter(match=prefix.replace("*", r"\*") + "*", count=1000))
    if keys:
        client.delete(*keys)
