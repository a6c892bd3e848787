"""The database behind `DbExecute`, `DbQuery`, `DbQueryOne` and `DbTransaction`: one layer on
SQLAlchemy 2 Core over SQLite (the default), PostgreSQL (psycopg 3) and MariaDB/MySQL (PyMySQL).

Statements are `text()` clauses with `:name` placeholders, compiled once per SQL text and bound by
the driver. A transaction's connection is held in a context variable, so the statements a
`DbTransaction` body runs (on its thread) join it, and a nested `DbTransaction` is a savepoint.
"""

from __future__ import annotations

import base64
import contextvars
import datetime
import decimal
import os
import random
import re
import time

import sqlalchemy
from sqlalchemy import event, exc
from sqlalchemy.engine import make_url

from hypnoscript.runtime.builtins.support import json_dumps, parse_json
from hypnoscript.runtime.errors import HypDatabaseError, HypTypeError
from hypnoscript.runtime.values import Record, type_name

DIALECTS = {
    "sqlite": "sqlite",
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mysql+pymysql",
    "mysql+pymysql": "mysql+pymysql",
    "mariadb+pymysql": "mysql+pymysql",
}
_STATEMENT_CACHE = 1024
_EXACT = 9007199254740992.0  # 2**53
# SQLSTATE / MySQL error numbers of failures that a transaction survives by running again
_RETRY_SQLSTATES = frozenset(("40001", "40P01"))
_RETRY_MYSQL = frozenset((1213, 1205))
_DDL = ("CREATE", "ALTER", "DROP", "RENAME")
_CAST_AFTER_PARAMETER = re.compile(r"(?<![:\w\\]):(\w+)::")


def engine_url(url: str, root: str) -> sqlalchemy.URL:
    """The SQLAlchemy URL for a configured one; a relative SQLite path is taken from `root`."""
    scheme = url.split("://", 1)[0].lower()
    driver = DIALECTS.get(scheme)
    if driver is None:
        raise HypDatabaseError(f"unsupported database URL scheme \"{scheme}://\" "
                               "(expected sqlite://, postgresql:// or mysql://)")
    parsed = make_url(driver + url[len(scheme):])
    if driver == "sqlite":
        path = parsed.database
        if path and path != ":memory:" and not path.startswith("file:"):
            parsed = parsed.set(database=os.path.join(root, path))
    elif driver == "mysql+pymysql" and "charset" not in parsed.query:
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    return parsed


def is_memory(url: sqlalchemy.URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def create_engine(url: str, root: str, *, pool_size: int = 5, timeout: float = 10.0) -> sqlalchemy.Engine:
    """An engine for `url` with the pool and timeouts of the configuration."""
    target = engine_url(url, root)
    backend = target.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(target, timeout)
    connect_args = {"connect_timeout": max(1, int(timeout))}
    return sqlalchemy.create_engine(target, pool_size=pool_size, max_overflow=pool_size, pool_timeout=timeout,
                                    pool_recycle=1800, connect_args=connect_args)


def _sqlite_engine(target: sqlalchemy.URL, timeout: float) -> sqlalchemy.Engine:
    import sqlite3

    _register_sqlite_types(sqlite3)
    memory = is_memory(target)
    if not memory and target.database:
        os.makedirs(os.path.dirname(os.path.abspath(target.database)), exist_ok=True)
    options: dict = {"connect_args": {"timeout": timeout, "check_same_thread": False,
                                      "detect_types": sqlite3.PARSE_DECLTYPES}}
    if memory:
        # one connection, or every checkout would see an empty database of its own
        options["poolclass"] = sqlalchemy.StaticPool
    engine = sqlalchemy.create_engine(target, **options)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        # the driver's own transaction handling breaks savepoints: BEGIN is sent by `_begin`
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN")

    return engine


_sqlite_types_registered = False


def _register_sqlite_types(sqlite3) -> None:
    """Columns declared BOOLEAN or JSON read back as booleans and values; dates stay text (the
    driver's own date converters fail on text they cannot parse)."""
    global _sqlite_types_registered
    if _sqlite_types_registered:
        return
    for name in ("BOOLEAN", "BOOL"):
        sqlite3.register_converter(name, _sqlite_bool)
    for name in ("JSON", "JSONB"):
        sqlite3.register_converter(name, _sqlite_json)
    for name in ("DATE", "TIMESTAMP", "DATETIME"):
        sqlite3.register_converter(name, _sqlite_text)
    _sqlite_types_registered = True


def _sqlite_bool(raw: bytes):
    try:
        return float(raw) != 0
    except ValueError:
        return raw.decode("utf-8", "replace")


def _sqlite_json(raw: bytes):
    try:
        return parse_json(raw)
    except (ValueError, RecursionError):
        return raw.decode("utf-8", "replace")


def _sqlite_text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


# --- values ---------------------------------------------------------------------------------------

def bind_value(value: object, name: str, key: str) -> object:
    """A HypnoScript value as a driver parameter."""
    t = type(value)
    if t is float:
        if value.is_integer() and -_EXACT < value < _EXACT:  # type: ignore[union-attr]
            return int(value)  # type: ignore[arg-type]
        return value
    if t is str or t is bool or value is None or t is int:
        return value
    if t is list or t is dict or t is Record:
        return json_dumps(value, name)
    raise HypTypeError(f"Builtin '{name}' cannot bind a {type_name(value)} to parameter :{key}")


def bind_params(params: dict, name: str) -> dict:
    bound = {}
    for k, v in params.items():
        t = type(v)
        if t is str or v is None or t is bool or t is int:
            bound[k] = v
        elif t is float and not (v.is_integer() and -_EXACT < v < _EXACT):
            bound[k] = v
        else:
            bound[k] = bind_value(v, name, k)
    return bound


def read_value(value: object) -> object:
    """A value the driver returned, as a HypnoScript value."""
    t = type(value)
    if t is str or t is float or t is bool or value is None:
        return value
    if t is int:
        return float(value)
    if t is decimal.Decimal:
        return float(value)  # type: ignore[arg-type]
    if t is list:
        return [read_value(v) for v in value]  # type: ignore[union-attr]
    if t is dict:
        return {str(k): read_value(v) for k, v in value.items()}  # type: ignore[union-attr]
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if t is datetime.timedelta:
        return value.total_seconds()  # type: ignore[union-attr]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return str(value)  # UUIDs, network addresses, ranges: their text


def _read_bool(value: object) -> object:
    return value if value is None else bool(value)


def _read_json(value: object) -> object:
    if type(value) is not str:
        return read_value(value)
    try:
        return parse_json(value)
    except (ValueError, RecursionError):
        return value


def _keys(result) -> list[str]:
    """The column names (from the cursor: cheaper than the result's key view)."""
    description = result.cursor.description if result.cursor is not None else None
    return [c[0] for c in description] if description else list(result.keys())


def _row(keys: list[str], row) -> dict:
    return {k: v if type(v) is str or v is None or type(v) is float else float(v) if type(v) is int else read_value(v)
            for k, v in zip(keys, row)}


def _rows(result) -> list[dict]:
    keys = _keys(result)
    return [_row(keys, row) for row in result]


# --- errors ---------------------------------------------------------------------------------------

def database_error(error: Exception, backend: str) -> HypDatabaseError:
    """A driver or pool failure as a HypnoScript error carrying the driver's message."""
    if isinstance(error, HypDatabaseError):
        return error
    if isinstance(error, exc.TimeoutError):
        return HypDatabaseError(f"{backend}: no database connection became free in time (pool timeout); "
                                "raise infrastructure.database.poolSize or timeout", retryable=False)
    if isinstance(error, exc.DBAPIError) and error.orig is not None:
        orig = error.orig
        message = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
        args = getattr(orig, "args", ())
        if backend == "mysql" and len(args) >= 2 and isinstance(args[0], int):
            message = f"({args[0]}) {args[1]}"
        retryable = (getattr(orig, "sqlstate", None) in _RETRY_SQLSTATES
                     or (backend == "mysql" and bool(args) and args[0] in _RETRY_MYSQL)
                     or (backend == "sqlite" and "database is locked" in message))
        lost = " (the connection was lost)" if error.connection_invalidated else ""
        return HypDatabaseError(f"{backend}: {message}{lost}", retryable=retryable)
    if isinstance(error, exc.StatementError):
        message = str(error.orig if error.orig is not None else error).splitlines()[0]
        if "A value is required for bind parameter" in message:
            name = message.rsplit("'", 2)[-2] if message.count("'") >= 2 else "?"
            return HypDatabaseError(f"{backend}: no value for parameter :{name}",
                                    help="pass it in the parameters dictionary")
        return HypDatabaseError(f"{backend}: {message}")
    if isinstance(error, exc.SQLAlchemyError):
        return HypDatabaseError(f"{backend}: {str(error).splitlines()[0]}")
    return HypDatabaseError(f"{backend}: {error}")


# --- the database ---------------------------------------------------------------------------------

class Database:
    """The database of a project: statements outside a transaction each take a pooled connection
    and commit on their own; `transaction` gives one connection to everything its function runs."""

    def __init__(self, url: str, root: str, *, pool_size: int = 5, timeout: float = 10.0, retries: int = 3,
                 observer=None) -> None:
        self.url = url
        self.engine = create_engine(url, root, pool_size=pool_size, timeout=timeout)
        self.backend = "mysql" if self.engine.dialect.name in ("mysql", "mariadb") else self.engine.dialect.name
        self.retries = retries
        self.observer = observer
        self._active: contextvars.ContextVar = contextvars.ContextVar(f"hyp_db_{id(self)}", default=None)
        self._texts: dict[str, sqlalchemy.TextClause] = {}
        self._mysql_json: dict[tuple[str, str], frozenset] = {}
        self._after_commit: contextvars.ContextVar = contextvars.ContextVar(f"hyp_db_hooks_{id(self)}", default=None)

    # statements

    def execute(self, sql: str, params: dict) -> float:
        return self._observed("execute", sql, self._execute, sql, params)

    def query(self, sql: str, params: dict) -> list[dict]:
        return self._observed("query", sql, self._query, sql, params, False)

    def query_one(self, sql: str, params: dict) -> dict | None:
        return self._observed("query", sql, self._query, sql, params, True)

    def transaction(self, fn):
        return self._observed("transaction", None, self._transaction, fn)

    def active_connection(self):
        """The connection of the DbTransaction running on this thread, or None."""
        return self._active.get()

    def after_commit(self, hook) -> None:
        """Call `hook()` once the outermost DbTransaction running on this thread has committed."""
        self._after_commit.get().append(hook)

    def ping(self) -> None:
        """Raise HypDatabaseError unless the database answers."""
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1").close()
        except Exception as error:  # noqa: BLE001 - every driver failure is the same answer
            raise database_error(error, self.backend) from None

    def dispose(self) -> None:
        self.engine.dispose()

    # internals

    def _observed(self, operation: str, sql: str | None, run, *args):
        if self.observer is None:
            return run(*args)
        return self.observer.observe("db", self.backend, operation, sql, run, args)

    def _text(self, sql: str) -> sqlalchemy.TextClause:
        clause = self._texts.get(sql)
        if clause is None:
            if len(self._texts) >= _STATEMENT_CACHE:
                self._texts.clear()
            # `:name::type` (a PostgreSQL cast of a parameter): the cast's colons are escaped, or
            # SQLAlchemy would not see the parameter
            clause = self._texts[sql] = sqlalchemy.text(_CAST_AFTER_PARAMETER.sub(r":\1\:\:", sql))
        return clause

    def _execute(self, sql: str, params: dict) -> float:
        bound = bind_params(params, "DbExecute")
        if self._mysql_json and sql.lstrip()[:6].upper().startswith(_DDL):
            self._mysql_json.clear()  # a table may have changed its columns
        conn = self._active.get()
        try:
            if conn is not None:
                result = conn.execute(self._text(sql), bound)
                count = result.rowcount
                result.close()
            else:
                with self.engine.begin() as conn:
                    result = conn.execute(self._text(sql), bound)
                    count = result.rowcount
                    result.close()
        except exc.SQLAlchemyError as error:
            raise database_error(error, self.backend) from None
        return float(max(count, 0))

    def _query(self, sql: str, params: dict, one: bool):
        name = "DbQueryOne" if one else "DbQuery"
        bound = bind_params(params, name)
        conn = self._active.get()
        if conn is not None:
            try:
                return self._fetch(conn, sql, bound, one)
            except exc.SQLAlchemyError as error:
                raise database_error(error, self.backend) from None
        for attempt in (0, 1):
            try:
                with self.engine.connect() as conn:
                    return self._fetch(conn, sql, bound, one)
            except exc.DBAPIError as error:
                # a pooled connection the server dropped: a read is safe to send once more
                if attempt == 0 and error.connection_invalidated:
                    continue
                raise database_error(error, self.backend) from None
            except exc.SQLAlchemyError as error:
                raise database_error(error, self.backend) from None
        raise AssertionError("unreachable")

    def _fetch(self, conn, sql: str, bound: dict, one: bool):
        result = conn.execute(self._text(sql), bound)
        if not result.returns_rows:
            result.close()
            return None if one else []
        if self.backend == "mysql":
            readers = self._mysql_readers(conn, result)
            if readers is not None:
                keys = _keys(result)
                rows = [{k: f(v) for k, f, v in zip(keys, readers, row)} for row in result]
                return (rows[0] if rows else None) if one else rows
        if one:
            keys = _keys(result)
            row = result.first()
            return None if row is None else _row(keys, row)
        return _rows(result)

    def _mysql_readers(self, conn, result):
        """MariaDB and MySQL do not say which columns hold booleans or JSON: BOOLEAN is TINYINT(1),
        and a MariaDB JSON column is LONGTEXT with a json_valid() check, looked up once per table."""
        fields = getattr(getattr(result.cursor, "_result", None), "fields", None)
        if not fields:
            return None
        readers = []
        special = False
        for field in fields:
            if field.type_code == 1 and field.length == 1:  # TINYINT(1)
                readers.append(_read_bool)
                special = True
            elif field.type_code in (245, 252) and field.org_table and (
                    field.type_code == 245 or field.org_name in self._json_columns(conn, field.db, field.org_table)):
                readers.append(_read_json)
                special = True
            else:
                readers.append(read_value)
        return readers if special else None

    def _json_columns(self, conn, schema: str, table: str) -> frozenset:
        key = (schema, table)
        columns = self._mysql_json.get(key)
        if columns is None:
            rows = conn.exec_driver_sql(
                "SELECT CONSTRAINT_NAME FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = %s "
                "AND TABLE_NAME = %s AND CHECK_CLAUSE LIKE 'json\\_valid(%%'", (schema, table)).fetchall()
            columns = self._mysql_json[key] = frozenset(r[0] for r in rows)
        return columns

    def _transaction(self, fn):
        conn = self._active.get()
        if conn is not None:
            try:
                savepoint = conn.begin_nested()
            except exc.SQLAlchemyError as error:
                raise database_error(error, self.backend) from None
            with savepoint:
                return fn()
        attempt = 0
        while True:
            try:
                return self._run_transaction(fn)
            except HypDatabaseError as error:
                if not error.retryable or attempt >= self.retries:
                    raise
            attempt += 1
            time.sleep(random.uniform(0.005, 0.02) * (2 ** attempt))

    def _run_transaction(self, fn):
        try:
            conn = self.engine.connect()
        except exc.SQLAlchemyError as error:
            raise database_error(error, self.backend) from None
        token = self._active.set(conn)
        hooks: list = []
        hooks_token = self._after_commit.set(hooks)
        try:
            try:
                tx = conn.begin()
            except exc.SQLAlchemyError as error:
                raise database_error(error, self.backend) from None
            try:
                result = fn()
            except BaseException:
                if tx.is_active:
                    try:
                        tx.rollback()
                    except exc.SQLAlchemyError:
                        pass  # the body's own error is the one to report
                raise
            try:
                tx.commit()
            except exc.SQLAlchemyError as error:
                raise database_error(error, self.backend) from None
        finally:
            self._after_commit.reset(hooks_token)
            self._active.reset(token)
            conn.close()
        for hook in hooks:
            hook()
        return result
