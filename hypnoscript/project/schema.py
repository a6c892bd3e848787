"""The database schema a project's migrations build, for checking the SQL of its programs.

Migrations are `migrations/NNNN_name.sql`, applied in version order; each is read with sqlglot in
the dialect of `infrastructure.database.url` and its DDL applied to an empty schema (see
`hypnoscript.analysis.sql_check.Schema`). Statements that are not understood are skipped, and a
table changed in a way that is not understood keeps unknown columns, which nothing is checked
against. sqlglot is imported only when the project has a migrations folder.
"""

from __future__ import annotations

import os
import re

from hypnoscript.syntax.diagnostics import DiagnosticError

FOLDER = "migrations"
# the table the migration runner keeps its bookkeeping in
BOOKKEEPING_TABLE = "hyp_migrations"
DEFAULT_URL = "sqlite:///data/app.db"
_FILE = re.compile(r"^(\d+)_.+\.sql$", re.I)

_built: dict[tuple, object] = {}


def migrations_folder(root: str) -> str | None:
    folder = os.path.join(root, FOLDER)
    return folder if os.path.isdir(folder) else None


def migration_files(folder: str) -> list[str]:
    """The migration files of `folder` in version order (then by name, for equal versions)."""
    found = []
    for name in os.listdir(folder):
        m = _FILE.match(name)
        if m and os.path.isfile(os.path.join(folder, name)):
            found.append((int(m.group(1)), name))
    return [os.path.join(folder, name) for _, name in sorted(found)]


def database_url(root: str, profile: str | None = None) -> str:
    """The configured database URL; the default one when the configuration cannot be read (its
    problems are reported by the commands that need it, not by a source check)."""
    from hypnoscript.project.config import load_config

    try:
        url = load_config(root, profile, require_env=False).lookup("infrastructure.database.url")
    except DiagnosticError:
        return DEFAULT_URL
    return url if isinstance(url, str) else DEFAULT_URL


def build(texts: list[str], dialect: str | None):
    """The schema the migration texts build, applied in the order given. Cached by contents."""
    key = (dialect, tuple(texts))
    schema = _built.get(key)
    if schema is None:
        from hypnoscript.analysis.sql_check import Schema

        schema = Schema(dialect)
        schema.put(BOOKKEEPING_TABLE, None)
        for text in texts:
            schema.apply(text)
        _built.clear()
        _built[key] = schema
    return schema.copy()


def for_project(root: str, profile: str | None = None):
    """The schema of the project at `root`, or None when it has no migrations folder (or one
    that cannot be read)."""
    folder = migrations_folder(root)
    if folder is None:
        return None
    from hypnoscript.analysis.sql_check import dialect_of

    texts = []
    for path in migration_files(folder):
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                texts.append(f.read())
        except OSError:
            return None  # a schema without that file would flag correct SQL; the runner reports it
    return build(texts, dialect_of(database_url(root, profile)))
