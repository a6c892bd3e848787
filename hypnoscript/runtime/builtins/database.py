"""Database builtins: `DbExecute`, `DbQuery`, `DbQueryOne` and `DbTransaction`, on the project's
configured database (`infrastructure.database.url`; SQLite in `data/app.db` by default).

Parameters are a dictionary for `:name` placeholders, always bound by the driver. Errors are
`HypDatabaseError`s, catchable with `try`/`catch`.
"""

from __future__ import annotations

from hypnoscript.runtime import infrastructure
from hypnoscript.runtime.builtins.args import as_function, as_object, as_string
from hypnoscript.runtime.builtins.registry import builtin
from hypnoscript.runtime.context import current


def _database():
    return infrastructure.of(current()).database()


def _params(params, name: str) -> dict:
    return {} if params is None else as_object(params, name, 2)


@builtin(
    "database",
    "DbExecute(sql: string, params?: object) -> number",
    "Run one SQL statement (INSERT, UPDATE, DELETE, DDL) with :name parameters bound from params; "
    "returns the number of rows affected",
    pure=False,
)
def _db_execute(sql, params=None):
    sql = as_string(sql, "DbExecute", 1)
    params = _params(params, "DbExecute")
    return _database().execute(sql, params)


@builtin(
    "database",
    "DbQuery(sql: string, params?: object) -> object[]",
    "Run a query with :name parameters bound from params; returns its rows as dictionaries "
    "(column name -> value)",
    pure=False,
)
def _db_query(sql, params=None):
    sql = as_string(sql, "DbQuery", 1)
    params = _params(params, "DbQuery")
    return _database().query(sql, params)


@builtin(
    "database",
    "DbQueryOne(sql: string, params?: object) -> object",
    "Run a query with :name parameters bound from params; returns its first row as a dictionary, "
    "or null when there is none",
    pure=False,
)
def _db_query_one(sql, params=None):
    sql = as_string(sql, "DbQueryOne", 1)
    params = _params(params, "DbQueryOne")
    return _database().query_one(sql, params)


@builtin(
    "database",
    "DbTransaction(fn: function) -> any",
    "Call fn in one transaction: commit when it returns (its result is the result), roll back when "
    "it throws or calls Fail, then rethrow; nested calls use savepoints, and serialization failures "
    "and deadlocks run fn again (infrastructure.database.retries times)",
    pure=False,
)
def _db_transaction(fn):
    fn = as_function(fn, "DbTransaction", 1)
    return _database().transaction(fn)
