"""Schema migrations: numbered SQL files in `migrations/`, applied once each, in version order.

A migration is `migrations/NNNN_name.sql`. The versions applied to a database are rows of the
table `hyp_migrations` (version, name, sha256 of the file, time applied), created on first use.
Each migration runs in one transaction together with its row, so a failing statement leaves
neither behind (MariaDB/MySQL commit DDL implicitly: schema changes made before the failing
statement stay). Runs are serialised per database: `pg_advisory_lock` on PostgreSQL, `GET_LOCK` on
MariaDB, one write transaction (`BEGIN IMMEDIATE`, a savepoint per migration) on SQLite.

Statements go to the driver's cursor as written (no parameter markers), one by one, split by
sqlparse, which keeps comments, quoted strings and `$$` bodies whole.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import re
import time
from dataclasses import dataclass

from hypnoscript.project.schema import BOOKKEEPING_TABLE as TABLE
from hypnoscript.project.schema import FOLDER
from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError
from hypnoscript.syntax.source import Span

CODE_FILE = "HYP5050"  # a .sql file that is not NNNN_name.sql, or two files with one version
CODE_CHANGED = "HYP5051"  # an applied migration's file was edited
CODE_MISSING = "HYP5052"  # an applied migration's file is gone
CODE_FAILED = "HYP5053"  # a statement failed
CODE_DATABASE = "HYP5054"  # the database cannot be reached or locked
CODE_USAGE = "HYP5055"  # a bad name for `new`, an unknown --to version

APPLIED, PENDING, CHANGED, MISSING = "applied", "pending", "changed", "missing"

_FILE = re.compile(r"^(\d{4,})_([a-z0-9_]+)\.sql$")
_NAME = re.compile(r"^[a-z0-9_]+$")
_SAVEPOINT = "hyp_migration"
# one advisory lock key for every PostgreSQL database (the key space is per database)
_PG_KEY = int.from_bytes(hashlib.sha256(TABLE.encode()).digest()[:8], "big", signed=True)


@dataclass
class Migration:
    version: int
    name: str
    path: str  # where the file is (or was, for a missing one)
    checksum: str  # sha256 of the file bytes (as recorded, for a missing one)
    applied_at: str | None = None  # filled in by `status` for applied versions

    @property
    def filename(self) -> str:
        return os.path.basename(self.path)

    @property
    def label(self) -> str:
        return f"{self.version:04d}_{self.name}"


# --- files ----------------------------------------------------------------------------------------

def discover(root: str) -> list[Migration]:
    """The migration files of the project at `root`, in version order; raises DiagnosticError for a
    `.sql` file named otherwise and for two files with one version."""
    folder = os.path.join(root, FOLDER)
    try:
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        return []
    except OSError as error:
        problem = Diagnostic(CODE_FILE, f"cannot read {FOLDER}/: {error.strerror}", path=folder)
        raise DiagnosticError([problem]) from None
    found: dict[int, Migration] = {}
    problems: list[Diagnostic] = []
    for name in names:
        path = os.path.join(folder, name)
        if not name.endswith(".sql") or not os.path.isfile(path):
            continue
        match = _FILE.match(name)
        if match is None:
            problems.append(Diagnostic(CODE_FILE, f"migration file name \"{name}\" is not NNNN_name.sql", path=path,
                                       help="a zero-padded version of 4 or more digits, `_`, then lowercase "
                                            "letters, digits and `_` (e.g. 0001_create_users.sql)"))
            continue
        version = int(match.group(1))
        if version in found:
            problems.append(Diagnostic(CODE_FILE, f"two migrations with version {version}: "
                                                  f"{found[version].filename} and {name}", path=path,
                                       help="give one of them the next free number"))
            continue
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as error:
            problems.append(Diagnostic(CODE_FILE, f"cannot read {name}: {error.strerror}", path=path))
            continue
        found[version] = Migration(version, match.group(2), path, hashlib.sha256(data).hexdigest())
    if problems:
        raise DiagnosticError(problems)
    return [found[v] for v in sorted(found)]


def new(root: str, name: str) -> str:
    """Create the next numbered, empty migration `migrations/NNNN_name.sql`; returns its path."""
    if not _NAME.match(name):
        raise DiagnosticError([Diagnostic(CODE_USAGE, f"bad migration name \"{name}\"", path=os.path.join(root, FOLDER),
                                          help="use lowercase letters, digits and `_` (e.g. add_users_email)")])
    existing = discover(root)
    version = existing[-1].version + 1 if existing else 1
    folder = os.path.join(root, FOLDER)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{version:04d}_{name}.sql")
    today = datetime.date.today().isoformat()
    header = (f"-- Migration {version:04d}: {name} (created {today})\n"
              "-- Statements end with `;`. The file runs in one transaction; never edit it once applied.\n\n")
    with open(path, "x", encoding="utf-8") as fh:
        fh.write(header)
    return path


@dataclass
class _Statement:
    sql: str  # as sent: comments before it and the final `;` left out
    offset: int  # where `sql` starts in the file text


def _statements(text: str) -> list[_Statement]:
    import sqlparse
    from sqlparse import tokens

    out: list[_Statement] = []
    offset = 0
    for statement in sqlparse.parse(text):
        first = last = None
        position = offset
        for token in statement.flatten():
            end = position + len(token.value)
            if not token.is_whitespace and token.ttype not in tokens.Comment:
                if first is None:
                    first = position
                last = position if token.match(tokens.Punctuation, ";") else end
            position = end
        offset = position
        if first is not None:
            sql = text[first:last].rstrip()
            if sql:
                out.append(_Statement(sql, first))
    return out


# --- the database ---------------------------------------------------------------------------------

class _Session:
    """One connection of `engine` used through its driver, and what differs between databases."""

    def __init__(self, engine) -> None:
        from hypnoscript.services.data.database import database_error

        self.backend = "mysql" if engine.dialect.name in ("mysql", "mariadb") else engine.dialect.name
        self.driver_error = engine.dialect.loaded_dbapi.Error
        self.mark = "?" if self.backend == "sqlite" else "%s"
        try:
            self.conn = engine.raw_connection()
        except Exception as error:  # noqa: BLE001 - every connect failure is the same answer
            raise _database_problem(database_error(error, self.backend).message) from None
        self._busy: int | None = None

    def run(self, sql: str, params: tuple | None = None) -> list[tuple]:
        cursor = self.conn.cursor()
        try:
            if params is None:
                cursor.execute(sql)
            else:
                cursor.execute(sql, params)
            return list(cursor.fetchall()) if cursor.description else []
        finally:
            cursor.close()

    def message(self, error: Exception) -> str:
        import sqlalchemy

        from hypnoscript.services.data.database import database_error

        return database_error(sqlalchemy.exc.DBAPIError(None, None, error), self.backend).message

    def has_table(self) -> bool:
        if self.backend == "sqlite":
            query = f"SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '{TABLE}'"
        elif self.backend == "postgresql":
            query = f"SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = '{TABLE}'"
        else:
            query = ("SELECT 1 FROM information_schema.tables "
                     f"WHERE table_schema = DATABASE() AND table_name = '{TABLE}'")
        found = bool(self.run(query))
        self.end(commit=False)
        return found

    def applied(self) -> dict[int, tuple[str, str, str]]:
        """version -> (name, checksum, applied_at)."""
        rows = self.run(f"SELECT version, name, checksum, applied_at FROM {TABLE} ORDER BY version")
        return {int(v): (str(n), str(c).strip(), str(a)) for v, n, c, a in rows}

    def create_table(self) -> None:
        self.run(f"CREATE TABLE IF NOT EXISTS {TABLE} (version BIGINT NOT NULL PRIMARY KEY, "
                 "name VARCHAR(255) NOT NULL, checksum CHAR(64) NOT NULL, applied_at VARCHAR(32) NOT NULL)")

    # transactions: on SQLite the lock is the one write transaction, and a migration a savepoint

    def lock(self, timeout: float) -> None:
        try:
            if self.backend == "sqlite":
                self._busy = int(self.run("PRAGMA busy_timeout")[0][0])
                self.run(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
                self.run("BEGIN IMMEDIATE")
                return
            if self.backend == "postgresql":
                deadline = time.monotonic() + timeout
                while not self.run("SELECT pg_try_advisory_lock(%s)", (_PG_KEY,))[0][0]:
                    self.end(commit=False)
                    if time.monotonic() >= deadline:
                        raise _lock_timeout(timeout)
                    time.sleep(0.1)
            else:
                got = self.run(f"SELECT GET_LOCK(CONCAT('{TABLE}_', MD5(DATABASE())), %s)", (int(max(1, timeout)),))
                if got[0][0] != 1:
                    self.end(commit=False)
                    raise _lock_timeout(timeout)
            self.end(commit=True)
        except self.driver_error as error:
            message = self.message(error)
            if self.backend == "sqlite" and self._busy is not None:
                self.run(f"PRAGMA busy_timeout = {self._busy}")
                if "locked" in message:
                    raise _lock_timeout(timeout) from None
            raise _database_problem(message) from None

    def unlock(self) -> None:
        if self.backend == "sqlite":
            self.run("COMMIT")
            if self._busy is not None:
                self.run(f"PRAGMA busy_timeout = {self._busy}")
            return
        self.end(commit=False)
        if self.backend == "postgresql":
            self.run("SELECT pg_advisory_unlock(%s)", (_PG_KEY,))
        else:
            self.run(f"SELECT RELEASE_LOCK(CONCAT('{TABLE}_', MD5(DATABASE())))")
        self.end(commit=True)

    def begin(self) -> None:
        if self.backend == "sqlite":
            self.run(f"SAVEPOINT {_SAVEPOINT}")

    def commit(self) -> None:
        if self.backend == "sqlite":
            self.run(f"RELEASE {_SAVEPOINT}")
        else:
            self.conn.commit()

    def rollback(self) -> None:
        if self.backend == "sqlite":
            self.run(f"ROLLBACK TO {_SAVEPOINT}")
            self.run(f"RELEASE {_SAVEPOINT}")
        else:
            self.conn.rollback()

    def end(self, commit: bool) -> None:
        if self.backend != "sqlite":
            self.conn.commit() if commit else self.conn.rollback()

    def close(self) -> None:
        try:
            self.conn.close()
        except self.driver_error:
            pass  # a broken connection is dropped by the pool


def _database_problem(message: str) -> DiagnosticError:
    return DiagnosticError([Diagnostic(CODE_DATABASE, message)])


def _lock_timeout(timeout: float) -> DiagnosticError:
    return DiagnosticError([Diagnostic(CODE_DATABASE, f"another migration run held the lock for {timeout:g} s",
                                       help="wait for it to finish, then run `hyp db migrate` again")])


def status(engine, root: str) -> list[tuple[Migration, str]]:
    """(migration, state) for every migration file and every applied version, in version order;
    state is "applied", "pending", "changed" (the file differs from what was applied) or "missing"
    (applied, but its file is gone)."""
    files = discover(root)
    session = _Session(engine)
    try:
        try:
            applied = session.applied() if session.has_table() else {}
            session.end(commit=False)
        except session.driver_error as error:
            raise _database_problem(session.message(error)) from None
    finally:
        session.close()
    return _states(root, files, applied)


def _states(root: str, files: list[Migration], applied: dict[int, tuple[str, str, str]]) -> list[tuple[Migration, str]]:
    by_version = {m.version: m for m in files}
    rows: list[tuple[Migration, str]] = []
    for version in sorted(set(by_version) | set(applied)):
        migration = by_version.get(version)
        record = applied.get(version)
        if record is None:
            rows.append((by_version[version], PENDING))
            continue
        name, checksum, applied_at = record
        if migration is None:
            path = os.path.join(root, FOLDER, f"{version:04d}_{name}.sql")
            rows.append((Migration(version, name, path, checksum, applied_at), MISSING))
            continue
        migration.applied_at = applied_at
        rows.append((migration, APPLIED if migration.checksum == checksum else CHANGED))
    return rows


def migrate(engine, root: str, target: int | None = None, *, lock_timeout: float = 60.0,
            on_applied=None) -> list[Migration]:
    """Apply the pending migrations (up to version `target`) in version order; returns those applied.

    Raises DiagnosticError before anything runs when an applied migration's file was edited or
    removed, and after the rollback of a migration whose statement failed (earlier ones stay).
    `on_applied(migration)` is called as each one commits."""
    files = discover(root)
    if target is not None and target not in {m.version for m in files}:
        known = ", ".join(str(m.version) for m in files) or "none"
        raise DiagnosticError([Diagnostic(CODE_USAGE, f"no migration with version {target} (versions: {known})",
                                          path=os.path.join(root, FOLDER))])
    session = _Session(engine)
    try:
        session.lock(lock_timeout)
        try:
            done = _apply(session, root, files, target, on_applied)
        except BaseException:
            try:
                session.unlock()
            except session.driver_error:
                pass  # the connection broke: the server drops its lock with it
            raise
        try:
            session.unlock()  # on SQLite this commits the run
        except session.driver_error as error:
            raise _database_problem(session.message(error)) from None
        return done
    finally:
        session.close()


def _apply(session: _Session, root: str, files: list[Migration], target: int | None, on_applied) -> list[Migration]:
    try:
        session.create_table()
        session.end(commit=True)
        applied = session.applied()
        session.end(commit=False)
    except session.driver_error as error:
        raise _database_problem(session.message(error)) from None
    problems = []
    for migration, state in _states(root, files, applied):
        if state == CHANGED:
            problems.append(Diagnostic(
                CODE_CHANGED, f"migration {migration.filename} was changed after it was applied "
                              f"(on {migration.applied_at})", path=migration.path,
                help="restore the file as it was applied and put the change in a new migration (`hyp db new`)"))
        elif state == MISSING:
            problems.append(Diagnostic(
                CODE_MISSING, f"migration {migration.filename} was applied (on {migration.applied_at}) "
                              f"but its file is gone", path=migration.path,
                help="restore the file; applied migrations stay in migrations/"))
    if problems:
        raise DiagnosticError(problems)
    done: list[Migration] = []
    for migration in files:
        if migration.version in applied or (target is not None and migration.version > target):
            continue
        _apply_one(session, migration)
        done.append(migration)
        if on_applied is not None:
            on_applied(migration)
    return done


def _apply_one(session: _Session, migration: Migration) -> None:
    try:
        with open(migration.path, "rb") as fh:
            data = fh.read()
    except OSError as error:
        raise DiagnosticError([Diagnostic(CODE_FILE, f"cannot read {migration.filename}: {error.strerror}",
                                          path=migration.path)]) from None
    if hashlib.sha256(data).hexdigest() != migration.checksum:
        raise DiagnosticError([Diagnostic(CODE_FILE, f"{migration.filename} changed while migrating",
                                          path=migration.path)])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DiagnosticError([Diagnostic(CODE_FILE, f"{migration.filename} is not UTF-8 text "
                                                     f"(byte {error.start})", path=migration.path)]) from None
    statement = None
    try:
        session.begin()
        for statement in _statements(text):
            session.run(statement.sql)
        statement = None
        applied_at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        m = session.mark
        session.run(f"INSERT INTO {TABLE} (version, name, checksum, applied_at) VALUES ({m}, {m}, {m}, {m})",
                    (migration.version, migration.name, migration.checksum, applied_at))
        session.commit()
    except session.driver_error as error:
        message = session.message(error)
        try:
            session.rollback()
        except session.driver_error:
            pass  # the statement's error is the one to report
        raise DiagnosticError([_failure(session.backend, migration, text, statement, error, message)]) from None


def _failure(backend: str, migration: Migration, text: str, statement: _Statement | None, error: Exception,
             message: str) -> Diagnostic:
    notes = []
    if backend == "mysql":
        notes.append("MariaDB/MySQL commit each CREATE/ALTER/DROP at once: schema changes this file made "
                     "before the failing statement stay")
    if statement is None:
        return Diagnostic(CODE_FAILED, f"migration {migration.filename} could not be recorded: {message}",
                          path=migration.path, notes=notes)
    start = statement.offset
    end = start + len(statement.sql.split("\n", 1)[0])
    # PostgreSQL says where in the statement it failed
    position = getattr(getattr(error, "diag", None), "statement_position", None)
    if position and str(position).isdigit() and 0 < int(position) <= len(statement.sql):
        start = statement.offset + int(position) - 1
        end = start + 1
    return Diagnostic(CODE_FAILED, f"migration {migration.filename} failed and was rolled back: {message}",
                      _span(text, start, end), path=migration.path, notes=notes)


def _span(text: str, start: int, end: int) -> Span:
    line = text.count("\n", 0, start) + 1
    col = start - (text.rfind("\n", 0, start) + 1) + 1
    end_line = text.count("\n", 0, end) + 1
    end_col = end - (text.rfind("\n", 0, end) + 1) + 1
    return Span(start, end, line, col, end_line, end_col)
