"""`hyp backup`: one tar.gz archive of a project's database, `data/` and `config/`, checked
against its own manifest before anything is restored from it.

Layout of an archive:

    database/<dump>   SQLite: a copy made with the online backup API; PostgreSQL: `pg_dump -Fc`;
                      MariaDB/MySQL: `mariadb-dump` (or `mysqldump`) SQL
    data/...          the project's data/ folder, without the live SQLite files the dump covers
    config/...        the project's config/ folder
    manifest.json     format, creation time, project, backend, row count of every table, and the
                      sha256 and size of every other member

No credential is ever written: the manifest holds the database URL with its password masked, and
the dump tools get the password through PGPASSWORD / MYSQL_PWD, never on their command line.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
import uuid

from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError

FORMAT = "hypnoscript-backup"
VERSION = 1
MANIFEST = "manifest.json"
CODE_ARCHIVE = "HYP5090"  # the archive is unreadable, or does not match its manifest
CODE_TOOL = "HYP5091"  # a dump/restore tool is missing or failed
CODE_DATABASE = "HYP5092"  # the database does not answer or refused a statement
CODE_REFUSED = "HYP5093"  # restore without --yes and without a terminal, or answered no
CODE_SETUP = "HYP5094"  # nothing to back up, or a secret would end up in the archive
_BACKENDS = ("sqlite", "postgresql", "mysql")
_DUMPS = {"sqlite": "database/database.sqlite3", "postgresql": "database/database.pgdump",
          "mysql": "database/database.sql"}
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)([^@/\s]+)@")
_CHUNK = 1 << 20


class BackupError(DiagnosticError):
    pass


def backup_error(code: str, message: str, *, path: str, help: str | None = None,
           notes: list[str] | None = None) -> BackupError:
    return BackupError([Diagnostic(code, message, help=help, path=path, notes=notes)])


def mask_url(url: str) -> str:
    """The URL with its password replaced by `****`."""
    return _URL_PASSWORD.sub(lambda m: m.group(1) + "****@", url)


# --- the configured database -----------------------------------------------------------------------

@dataclasses.dataclass
class Target:
    """The project's database as the configuration names it."""

    root: str
    url: str
    timeout: float
    config: str  # where the URL is configured (shown in diagnostics)
    backend: str = ""
    sqlalchemy_url: object = None

    def __post_init__(self) -> None:
        from hypnoscript.runtime.errors import HypDatabaseError
        from hypnoscript.services.data.database import engine_url, is_memory

        try:
            self.sqlalchemy_url = engine_url(self.url, self.root)
        except HypDatabaseError as error:
            raise backup_error(CODE_SETUP, str(error), path=self.config) from None
        name = self.sqlalchemy_url.get_backend_name()
        self.backend = "mysql" if name in ("mysql", "mariadb") else name
        if is_memory(self.sqlalchemy_url):
            raise backup_error(CODE_SETUP, "the configured database is in memory: there is nothing to back up "
                               "or restore", path=self.config,
                               help="point infrastructure.database.url at a file, e.g. sqlite:///data/app.db")

    @property
    def masked(self) -> str:
        return mask_url(self.url)

    @property
    def sqlite_path(self) -> str:
        return os.path.abspath(self.sqlalchemy_url.database)

    def password(self) -> str | None:
        return self.sqlalchemy_url.password

    def connect_args(self) -> dict:
        u = self.sqlalchemy_url
        return {"host": u.host or None, "port": u.port, "user": u.username, "database": u.database}

    def with_database(self, name: str) -> Target:
        """The same server, another database (for a scratch restore)."""
        base, query = (self.url.split("?", 1) + [""])[:2]
        return dataclasses.replace(self, url=base.rsplit("/", 1)[0] + "/" + name + ("?" + query if query else ""))


def load_target(root: str, profile: str | None) -> Target:
    from hypnoscript.project.config import CONFIG_FILE, load_config

    config = load_config(root, profile)
    url = config.lookup("infrastructure.database.url", "sqlite:///data/app.db")
    timeout = config.lookup("infrastructure.database.timeout", 10)
    return Target(root, str(url), float(timeout), os.path.relpath(os.path.join(root, CONFIG_FILE)))


def project_name(root: str) -> str:
    from hypnoscript.project.manifest import MANIFEST as TRANCE

    try:
        with open(os.path.join(root, TRANCE), encoding="utf-8") as fh:
            name = json.load(fh).get("ritualName")
        if isinstance(name, str) and name:
            return name
    except (OSError, ValueError, AttributeError):
        pass
    return os.path.basename(os.path.abspath(root))


# --- SQL access through SQLAlchemy (row counts, scratch databases) ---------------------------------

class _Session:
    """One autocommit connection to a target; driver failures become diagnostics."""

    def __init__(self, target: Target) -> None:
        import sqlalchemy

        self.target = target
        connect_args = {"connect_timeout": max(1, int(target.timeout))}
        self.engine = sqlalchemy.create_engine(target.sqlalchemy_url, poolclass=sqlalchemy.NullPool,
                                               connect_args=connect_args, isolation_level="AUTOCOMMIT")
        self.conn = None
        self.conn = self._guard(self.engine.connect)

    def run(self, sql: str) -> list[tuple]:
        def execute():
            result = self.conn.exec_driver_sql(sql)
            return [tuple(row) for row in result] if result.returns_rows else []

        return self._guard(execute)

    def _guard(self, action):
        from sqlalchemy import exc

        from hypnoscript.services.data.database import database_error

        try:
            return action()
        except exc.SQLAlchemyError as error:
            self.close()
            problem = database_error(error, self.target.backend)
            raise backup_error(CODE_DATABASE, f"{problem} (database {self.target.masked})", path=self.target.config,
                               help="check that the database server runs, and infrastructure.database.url") from None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        self.engine.dispose()


def _quote(backend: str, name: str) -> str:
    if backend == "mysql":
        return "`" + name.replace("`", "``") + "`"
    return '"' + name.replace('"', '""') + '"'


def _server_counts(session: _Session) -> dict[str, int]:
    backend = session.target.backend
    if backend == "postgresql":
        rows = session.run("SELECT table_schema, table_name FROM information_schema.tables "
                           "WHERE table_type = 'BASE TABLE' "
                           "AND table_schema NOT IN ('pg_catalog', 'information_schema') "
                           "ORDER BY table_schema, table_name")
    else:
        rows = session.run("SELECT NULL, table_name FROM information_schema.tables "
                           "WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name")
    counts = {}
    for schema, table in rows:
        public = schema in (None, "public")
        q = _quote(backend, table) if public else _quote(backend, schema) + "." + _quote(backend, table)
        counts[table if public else f"{schema}.{table}"] = int(session.run(f"SELECT COUNT(*) FROM {q}")[0][0])
    return counts


_CREATE = re.compile(r"^CREATE TABLE `((?:[^`]|``)+)` \(", re.M)
_INSERT = re.compile(r"^INSERT INTO `((?:[^`]|``)+)` VALUES\b", re.M)


def _dump_counts(path: str) -> dict[str, int]:
    """The rows of each table in a mariadb-dump file: its base tables are the `CREATE TABLE` lines
    (views are commented), its rows the tuples of the `INSERT` statements, which may span lines."""
    counts: dict[str, int] = {}
    with open(path, encoding="utf-8", errors="surrogateescape") as fh:
        for line in fh:
            created = _CREATE.match(line)
            if created:
                counts.setdefault(created.group(1).replace("``", "`"), 0)
                continue
            insert = _INSERT.match(line)
            if insert:
                name = insert.group(1).replace("``", "`")
                counts[name] = counts.get(name, 0) + _tuples(line[insert.end():], fh)
    return counts


def _tuples(first: str, rest) -> int:
    """The top-level parenthesised tuples up to the `;` ending the statement (quotes and
    backslash escapes skipped, so parentheses, quotes or newlines in values never count)."""
    count = depth = 0
    quoted = escaped = False
    line = first
    while line:
        for ch in line:
            if quoted:
                if escaped:
                    escaped = False
                elif ch == "\\":
                    escaped = True
                elif ch == "'":
                    quoted = False
            elif ch == "'":
                quoted = True
            elif ch == "(":
                if depth == 0:
                    count += 1
                depth += 1
            elif ch == ")":
                depth -= 1
            elif ch == ";" and depth == 0:
                return count
        line = next(rest, "")
    return count


def _sqlite_counts(path: str) -> dict[str, int]:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                            "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {name: int(conn.execute(f"SELECT COUNT(*) FROM {_quote('sqlite', name)}").fetchone()[0])
                for name in names}
    finally:
        conn.close()


# --- external tools --------------------------------------------------------------------------------

def _tool(target: Target, *names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    alternatives = " or ".join(names)
    raise backup_error(CODE_TOOL, f"{alternatives} is not installed (or not on PATH)", path=target.config,
                       help="install the database's client tools; they are needed to dump and restore it")


def _tool_env(target: Target) -> dict:
    env = dict(os.environ)
    password = target.password()
    key = "PGPASSWORD" if target.backend == "postgresql" else "MYSQL_PWD"
    env.pop(key, None)
    if password:
        env[key] = password
    if target.backend == "postgresql":
        env["PGCONNECT_TIMEOUT"] = str(max(1, int(target.timeout)))
        sslmode = target.sqlalchemy_url.query.get("sslmode")
        if isinstance(sslmode, str):
            env["PGSSLMODE"] = sslmode
    return env


def _client_args(target: Target, user_flag: str) -> list[str]:
    """Host, port and user for a client tool; PostgreSQL's spell the user flag --username."""
    a = target.connect_args()
    given = (("--host", a["host"]), ("--port", a["port"]), (user_flag, a["user"]))
    return [f"{flag}={value}" for flag, value in given if value]


def _pg_args(target: Target) -> list[str]:
    return _client_args(target, "--username") + ["--no-password"]


def _my_args(target: Target) -> list[str]:
    return _client_args(target, "--user") + ["--default-character-set=utf8mb4"]


def _call(command: list[str], target: Target, stdin=None) -> None:
    name = os.path.basename(command[0])
    try:
        done = subprocess.run(command, env=_tool_env(target), stdin=stdin, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, check=False)
    except OSError as error:
        raise backup_error(CODE_TOOL, f"{name} could not be started: {error.strerror}", path=target.config) from None
    if done.returncode != 0:
        stderr = done.stderr.decode("utf-8", "replace").strip()
        password = target.password()
        if password:
            stderr = stderr.replace(password, "****")
        lines = stderr.splitlines()
        raise backup_error(CODE_TOOL, f"{name} failed (exit status {done.returncode}) on database {target.masked}"
                     + (f": {lines[0]}" if lines else ""), path=target.config, notes=lines[1:20])


def _dump(target: Target, dest: str) -> dict[str, int]:
    """Write the dump to `dest`; returns the row count of each table in it."""
    if target.backend == "sqlite":
        _sqlite_copy(target, dest)
        return _sqlite_counts(dest)
    if target.backend == "postgresql":
        tool = _tool(target, "pg_dump")
        session = _Session(target)
        try:
            # the counts and pg_dump read the same snapshot, so they agree while others write
            session.run("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            snapshot = session.run("SELECT pg_export_snapshot()")[0][0]
            counts = _server_counts(session)
            _call([tool, *_pg_args(target), "--format=custom", f"--snapshot={snapshot}", f"--file={dest}",
                   f"--dbname={target.connect_args()['database']}"], target)
            session.run("COMMIT")
        finally:
            session.close()
        return counts
    tool = _tool(target, "mariadb-dump", "mysqldump")
    _Session(target).close()  # a server that does not answer is reported before the tool runs
    _call([tool, *_my_args(target), "--single-transaction", "--routines", "--triggers", "--hex-blob",
           f"--result-file={dest}", target.connect_args()["database"]], target)
    return _dump_counts(dest)


def _load(target: Target, dump: str) -> None:
    """Load a dump into a server database (the configured one or a scratch one)."""
    if target.backend == "postgresql":
        tool = _tool(target, "pg_restore")
        _call([tool, *_pg_args(target), "--clean", "--if-exists", "--no-owner", "--single-transaction",
               f"--dbname={target.connect_args()['database']}", dump], target)
    else:
        tool = _tool(target, "mariadb", "mysql")
        with open(dump, "rb") as fh:
            _call([tool, *_my_args(target), "--batch", target.connect_args()["database"]], target, stdin=fh)


# --- SQLite ----------------------------------------------------------------------------------------

def _sqlite_copy(target: Target, dest: str) -> None:
    """A consistent copy of a database that may be in use (the online backup API)."""
    import sqlite3

    path = target.sqlite_path
    if not os.path.isfile(path):
        raise backup_error(CODE_SETUP, f"there is no database at {os.path.relpath(path, target.root)}",
                           path=target.config,
                     help="the configured SQLite database has not been created yet")
    try:
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=target.timeout)
        copy = sqlite3.connect(dest)
        try:
            source.backup(copy)
            # the copy stands alone: no -wal file beside it
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
            source.close()
    except sqlite3.Error as error:
        raise backup_error(CODE_DATABASE, f"sqlite: {error}", path=os.path.relpath(path)) from None


def _sqlite_check(path: str, archive: str) -> dict[str, int]:
    import sqlite3

    try:
        conn = sqlite3.connect(path)
        try:
            verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            conn.close()
        if verdict != "ok":
            raise backup_error(CODE_ARCHIVE, f"the SQLite dump is damaged: {verdict}", path=archive)
        return _sqlite_counts(path)
    except sqlite3.Error as error:
        raise backup_error(CODE_ARCHIVE, f"the SQLite dump cannot be read: {error}", path=archive) from None


def _sqlite_restore(target: Target, dump: str) -> None:
    """Replace the live database's pages with the dump's in one write transaction of SQLite's own,
    so a connection reading it sees either the old or the restored database, never a mix."""
    import sqlite3

    path = target.sqlite_path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    deadline = time.monotonic() + target.timeout

    def give_up(_status, _remaining, _total):
        if time.monotonic() > deadline:
            raise TimeoutError

    try:
        source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
        live = sqlite3.connect(path, timeout=target.timeout)
        try:
            # wait for the other writers (up to the configured timeout), then take the file
            live.execute("BEGIN IMMEDIATE")
            live.execute("ROLLBACK")
            source.backup(live, progress=give_up)
        finally:
            live.close()
            source.close()
    except TimeoutError:
        raise backup_error(CODE_DATABASE, "sqlite: the database stayed locked by another process",
                           path=os.path.relpath(path),
                     help="stop what is using the database (e.g. hyp serve), then restore again") from None
    except sqlite3.Error as error:
        raise backup_error(CODE_DATABASE, f"sqlite: {error}", path=os.path.relpath(path),
                     help="stop what is using the database (e.g. hyp serve), then restore again") from None


# --- create ----------------------------------------------------------------------------------------

@dataclasses.dataclass
class Created:
    path: str
    manifest: dict
    size: int


def _files(root: str, folder: str, skip: set[str]) -> list[tuple[str, str]]:
    """(member name, absolute path) of the regular files under root/folder, sorted."""
    base = os.path.join(root, folder)
    found = []
    for current, dirs, names in os.walk(base):
        dirs.sort()
        for name in sorted(names):
            full = os.path.join(current, name)
            if os.path.islink(full) or not os.path.isfile(full) or os.path.abspath(full) in skip:
                continue
            found.append((folder + "/" + os.path.relpath(full, base).replace(os.sep, "/"), full))
    return found


class _Hashing:
    """A file read through to the archive, hashed on the way."""

    def __init__(self, fh) -> None:
        self.fh = fh
        self.sha = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self.fh.read(size)
        self.sha.update(chunk)
        return chunk


def _guard_secret(target: Target, files: list[tuple[str, str]]) -> None:
    """Refuse to copy a config file that spells out the database password."""
    password = target.password()
    if not password:
        return
    raw = _URL_PASSWORD.search(target.url)
    forms = {password.encode(), raw.group(2).encode()} if raw else {password.encode()}
    for member, full in files:
        if not member.startswith("config/"):
            continue
        with open(full, "rb") as fh:
            content = fh.read()
        if any(form in content for form in forms):
            raise backup_error(CODE_SETUP, f"{member} holds the database password in clear; a backup must not "
                               "carry it", path=os.path.relpath(full),
                               help="write the URL as \"postgresql://user:${env:DB_PASSWORD}@host/db\" and "
                                         "set DB_PASSWORD in the environment")


def default_output(root: str, now: datetime.datetime) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", project_name(root)) or "project"
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    path = os.path.join(root, "backups", f"{name}-{stamp}.tar.gz")
    n = 2
    while os.path.exists(path):
        path = os.path.join(root, "backups", f"{name}-{stamp}-{n}.tar.gz")
        n += 1
    return path


def create(root: str, profile: str | None = None, output: str | None = None) -> Created:
    target = load_target(root, profile)
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    output = os.path.abspath(output) if output else default_output(root, now)
    skip = {os.path.abspath(output)}
    if target.backend == "sqlite":
        live = target.sqlite_path
        skip |= {live, live + "-wal", live + "-shm", live + "-journal"}
    files = _files(root, "data", skip) + _files(root, "config", skip)
    _guard_secret(target, files)
    try:
        os.makedirs(os.path.dirname(output), exist_ok=True)
    except OSError as error:
        raise _unwritable(output, error) from None
    with tempfile.TemporaryDirectory(prefix="hyp-backup-") as scratch:
        dump = os.path.join(scratch, "dump")
        tables = _dump(target, dump)
        manifest = {"format": FORMAT, "version": VERSION, "created": now.isoformat().replace("+00:00", "Z"),
                    "project": project_name(root),
                    "database": {"backend": target.backend, "url": target.masked, "dump": _DUMPS[target.backend],
                                 "tables": tables},
                    "members": {}}
        partial = output + f".{uuid.uuid4().hex[:8]}.part"
        try:
            with tarfile.open(partial, "w:gz") as tar:
                for member, full in [(_DUMPS[target.backend], dump), *files]:
                    manifest["members"][member] = _add(tar, member, full)
                body = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(body), int(now.timestamp()), 0o644
                tar.addfile(info, io.BytesIO(body))
            os.replace(partial, output)
        except OSError as error:
            raise _unwritable(output, error) from None
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
    return Created(output, manifest, os.path.getsize(output))


def _unwritable(output: str, error: OSError) -> BackupError:
    return backup_error(CODE_SETUP, f"cannot write the archive {os.path.relpath(output)}: {error.strerror}",
                        path=os.path.relpath(output), help="pass --output with a folder you can write to")


def _add(tar: tarfile.TarFile, member: str, full: str) -> dict:
    with open(full, "rb") as fh:
        stat = os.fstat(fh.fileno())
        info = tarfile.TarInfo(member)
        info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), 0o644
        reader = _Hashing(fh)
        try:
            tar.addfile(info, reader)
        except OSError:
            raise backup_error(CODE_SETUP, f"{member} changed while it was being backed up",
                               path=os.path.relpath(full),
                         help="run the backup again when nothing writes to it") from None
    return {"sha256": reader.sha.hexdigest(), "size": stat.st_size}


# --- verify ----------------------------------------------------------------------------------------

@dataclasses.dataclass
class Verified:
    archive: str
    manifest: dict
    staging: str  # the members, extracted and checked
    target: Target  # the project's database it was checked against
    rows: int = 0

    def summary(self) -> str:
        db = self.manifest["database"]
        tables = db["tables"]
        return (f"{os.path.relpath(self.archive)}: {len(self.manifest['members'])} members and "
                f"{len(tables)} tables ({self.rows} rows, {db['backend']}) match the manifest "
                f"of {self.manifest['created']}")


def _safe_name(name: str) -> bool:
    parts = name.split("/")
    return (parts[0] in ("data", "config", "database") and len(parts) > 1
            and all(p not in ("", ".", "..") for p in parts) and "\\" not in name)


def _check_manifest(data: object, path: str) -> dict:
    def bad(message: str) -> BackupError:
        return backup_error(CODE_ARCHIVE, f"the manifest of the archive is not valid: {message}", path=path)

    if not isinstance(data, dict):
        raise bad("expected a JSON object")
    if data.get("format") != FORMAT:
        raise bad(f"\"format\" is {json.dumps(data.get('format'))}, expected \"{FORMAT}\"")
    if data.get("version") != VERSION:
        raise bad(f"\"version\" is {json.dumps(data.get('version'))}; this hyp reads version {VERSION}")
    for key in ("created", "project"):
        if not isinstance(data.get(key), str):
            raise bad(f"\"{key}\" is missing or not a string")
    db = data.get("database")
    if not isinstance(db, dict) or db.get("backend") not in _BACKENDS:
        raise bad("\"database.backend\" is missing or unknown")
    if db.get("dump") != _DUMPS[db["backend"]]:
        raise bad(f"\"database.dump\" should be \"{_DUMPS[db['backend']]}\"")
    tables = db.get("tables")
    if not isinstance(tables, dict) or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
                                               for v in tables.values()):
        raise bad("\"database.tables\" must map table names to row counts")
    members = data.get("members")
    if not isinstance(members, dict) or db["dump"] not in members:
        raise bad("\"members\" is missing or does not list the database dump")
    for name, entry in members.items():
        if not _safe_name(name):
            raise bad(f"member name \"{name}\" is outside database/, data/ and config/")
        if (not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str)
                or not _SHA256.match(entry["sha256"]) or not isinstance(entry.get("size"), int)
                or isinstance(entry.get("size"), bool) or entry["size"] < 0):
            raise bad(f"the entry of \"{name}\" needs a sha256 (64 hex digits) and a size")
    return data


def _extract(archive: str, staging: str) -> tuple[dict | None, dict[str, tuple[str, int]], list[str]]:
    """Every member written under `staging`: (manifest bytes parsed, name -> (sha256, size), problems)."""
    manifest = None
    seen: dict[str, tuple[str, int]] = {}
    problems: list[str] = []
    with tarfile.open(archive, "r:gz") as tar:
        for info in tar:
            name = info.name
            if not info.isfile():
                problems.append(f"member \"{name}\" is not a regular file")
                continue
            if name in seen or (name == MANIFEST and manifest is not None):
                problems.append(f"member \"{name}\" appears twice")
                continue
            source = tar.extractfile(info)
            if name == MANIFEST:
                raw = source.read()
                try:
                    manifest = json.loads(raw.decode("utf-8"))
                except (UnicodeDecodeError, ValueError) as error:
                    raise backup_error(CODE_ARCHIVE, f"the manifest of the archive is not valid JSON: {error}",
                                       path=os.path.relpath(archive)) from None
                continue
            if not _safe_name(name):
                problems.append(f"member \"{name}\" is not in the manifest (added)")
                continue
            dest = os.path.join(staging, *name.split("/"))
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            sha = hashlib.sha256()
            size = 0
            with open(dest, "wb") as out:
                while chunk := source.read(_CHUNK):
                    sha.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            seen[name] = (sha.hexdigest(), size)
    return manifest, seen, problems


def verify(root: str, archive: str, profile: str | None = None, *, keep: bool = False) -> Verified:
    """Check the archive against its manifest and restore its dump into a scratch database.
    With `keep`, the extracted members stay in `Verified.staging` (the caller removes it)."""
    import zlib

    target = load_target(root, profile)
    archive = os.path.abspath(archive)
    shown = os.path.relpath(archive)
    if not os.path.isfile(archive):
        raise backup_error(CODE_ARCHIVE, f"no archive at {shown}", path=shown)
    staging = tempfile.mkdtemp(prefix="hyp-backup-")
    try:
        try:
            manifest, seen, problems = _extract(archive, staging)
        except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
            raise backup_error(CODE_ARCHIVE, f"not a readable backup archive: {error}", path=shown) from None
        if manifest is None:
            raise backup_error(CODE_ARCHIVE, f"the archive has no {MANIFEST}", path=shown)
        manifest = _check_manifest(manifest, shown)
        members = manifest["members"]
        for name, entry in members.items():
            if name not in seen:
                problems.append(f"member \"{name}\" is missing")
            elif seen[name][1] != entry["size"]:
                problems.append(f"member \"{name}\" is {seen[name][1]} bytes, the manifest says "
                                f"{entry['size']} (altered)")
            elif seen[name][0] != entry["sha256"]:
                problems.append(f"member \"{name}\" does not match its sha256 in the manifest (altered)")
        problems += [f"member \"{name}\" is not in the manifest (added)" for name in seen if name not in members]
        if problems:
            raise BackupError([Diagnostic(CODE_ARCHIVE, p, path=shown) for p in problems])
        db = manifest["database"]
        if db["backend"] != target.backend:
            raise backup_error(CODE_ARCHIVE, f"the archive holds a {db['backend']} database, but the project's "
                               f"database is {target.backend} ({target.masked})", path=shown)
        dump = os.path.join(staging, *db["dump"].split("/"))
        counts = _scratch_counts(target, dump, shown)
        expected = db["tables"]
        mismatches = [f"table \"{t}\" is missing from the restored dump" for t in expected if t not in counts]
        mismatches += [f"table \"{t}\" is in the restored dump but not in the manifest" for t in counts
                       if t not in expected]
        mismatches += [f"table \"{t}\" has {counts[t]} rows after restoring, the manifest says {expected[t]}"
                       for t in expected if t in counts and counts[t] != expected[t]]
        if mismatches:
            raise BackupError([Diagnostic(CODE_ARCHIVE, m, path=shown) for m in mismatches])
        result = Verified(archive, manifest, staging, target, rows=sum(counts.values()))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if not keep:
        shutil.rmtree(staging, ignore_errors=True)
    return result


def _scratch_counts(target: Target, dump: str, archive: str) -> dict[str, int]:
    if target.backend == "sqlite":
        return _sqlite_check(dump, archive)
    # the tools are checked before a scratch database is made on the server
    if target.backend == "postgresql":
        _tool(target, "pg_restore")
    else:
        _tool(target, "mariadb", "mysql")
    name = f"hyp_verify_{uuid.uuid4().hex[:12]}"
    scratch = target.with_database(name)
    session = _Session(target)
    q = _quote(target.backend, name)
    try:
        session.run(f"CREATE DATABASE {q}" + (" CHARACTER SET utf8mb4" if target.backend == "mysql" else ""))
        try:
            _load(scratch, dump)
            counted = _Session(scratch)
            try:
                return _server_counts(counted)
            finally:
                counted.close()
        finally:
            session.run(f"DROP DATABASE IF EXISTS {q}" + (" WITH (FORCE)" if target.backend == "postgresql" else ""))
    finally:
        session.close()


# --- restore ---------------------------------------------------------------------------------------

def restore(root: str, verified: Verified, *, with_config: bool = False) -> list[str]:
    """Put a verified archive back into the database it was verified against, then data/ and
    (optionally) config/. Returns the files written."""
    target = verified.target
    dump = os.path.join(verified.staging, *verified.manifest["database"]["dump"].split("/"))
    if target.backend == "sqlite":
        _sqlite_restore(target, dump)
    else:
        _load(target, dump)
    written = []
    for name in verified.manifest["members"]:
        folder = name.split("/", 1)[0]
        if folder == "data" or (folder == "config" and with_config):
            dest = os.path.join(root, *name.split("/"))
            partial = dest + f".{uuid.uuid4().hex[:8]}.part"
            try:
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                shutil.copyfile(os.path.join(verified.staging, *name.split("/")), partial)
                os.replace(partial, dest)
            except OSError as error:
                if os.path.exists(partial):
                    os.unlink(partial)
                raise backup_error(CODE_SETUP, f"cannot restore {name}: {error.strerror}",
                                   path=os.path.relpath(dest)) from None
            written.append(name)
    return written
