"""`hyp backup create / verify / restore` on each database: round trips, damaged archives,
credentials kept out of the archive, missing tools and silent servers as diagnostics."""

from __future__ import annotations

import gzip
import io
import json
import os
import sys
import tarfile

import pytest
import sqlalchemy

from hypnoscript.cli.main import main
from hypnoscript.services.data.database import create_engine

ROWS = [
    (1, "Grüße 🌙 日本語", None, '{"k": [1, null, "ü"], "s": "a\\"b"}'),
    (2, "it's (a),(b); \\ back\nslash", "note ✓", None),
    (3, "", None, "[]"),
]
DUMPS = {"sqlite": "database/database.sqlite3", "postgresql": "database/database.pgdump",
         "mysql": "database/database.sql"}


class Project:
    def __init__(self, root, url: str, monkeypatch, capsys) -> None:
        self.root = root
        self.url = url
        self.monkeypatch = monkeypatch
        self.capsys = capsys
        self.backend = {"sqlite": "sqlite", "postgresql": "postgresql", "mysql": "mysql"}[url.split(":", 1)[0]]

    def hyp(self, *args: str) -> tuple[int, str, str]:
        self.monkeypatch.chdir(self.root)
        self.capsys.readouterr()
        code = main(["backup", *args])
        out = self.capsys.readouterr()
        return code, out.out, out.err

    def sql(self, *statements: str, params: list | None = None) -> None:
        engine = create_engine(self.url, str(self.root))
        try:
            with engine.begin() as conn:
                for statement in statements:
                    conn.execute(sqlalchemy.text(statement), params or {})
        finally:
            engine.dispose()

    def rows(self) -> list[tuple]:
        engine = create_engine(self.url, str(self.root))
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.exec_driver_sql("SELECT id, name, note, doc FROM items ORDER BY id")]
        finally:
            engine.dispose()

    def count(self, table: str) -> int:
        engine = create_engine(self.url, str(self.root))
        try:
            with engine.connect() as conn:
                return conn.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar()
        finally:
            engine.dispose()

    def file(self, rel: str) -> bytes:
        with open(os.path.join(self.root, rel), "rb") as fh:
            return fh.read()

    def write(self, rel: str, content: bytes) -> None:
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(content)


@pytest.fixture
def project(tmp_path, database_url, monkeypatch, capsys):
    for name in list(os.environ):
        if name.startswith("HYP_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NO_COLOR", "1")
    root = tmp_path / "proj"
    root.mkdir()
    (root / "trance.json").write_text(json.dumps({"ritualName": "shop", "mantra": "0.1.0", "intent": "library"}))
    # SQLite lives in data/, where the backup must leave its live files out
    url = "sqlite:///data/app.db" if database_url.startswith("sqlite") else database_url
    monkeypatch.setenv("HYP_INFRASTRUCTURE__DATABASE__URL", url)
    p = Project(root, url, monkeypatch, capsys)
    p.sql("CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(200) NOT NULL, note VARCHAR(200), doc TEXT)",
          "CREATE TABLE audit (id INTEGER PRIMARY KEY)")
    for row in ROWS:
        p.sql("INSERT INTO items (id, name, note, doc) VALUES (:id, :name, :note, :doc)",
              params=dict(zip(("id", "name", "note", "doc"), row)))
    p.write("data/uploads/a.txt", "first version ✓\n".encode())
    p.write("data/b.bin", bytes(range(256)))
    p.write("config/extra.json", b'{"x": 1}\n')
    return p


def _archive(p: Project) -> str:
    code, out, err = p.hyp("create", "--output", "out/shop.tar.gz")
    assert (code, err) == (0, "")
    assert out.startswith("✅ Backed up shop (")
    return str(p.root / "out" / "shop.tar.gz")


def _members(path: str) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar}


def _rewrite(path: str, members: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))


def test_round_trip_brings_back_rows_and_files(project):
    p = project
    archive = _archive(p)
    manifest = json.loads(_members(archive)["manifest.json"])
    assert manifest["format"] == "hypnoscript-backup" and manifest["version"] == 1
    assert manifest["project"] == "shop"
    assert manifest["database"]["backend"] == p.backend
    assert manifest["database"]["tables"] == {"audit": 0, "items": 3}
    assert sorted(manifest["members"]) == sorted([DUMPS[p.backend], "config/extra.json", "data/b.bin",
                                                  "data/uploads/a.txt"])
    assert manifest["members"]["data/b.bin"]["size"] == 256
    assert sorted(_members(archive)) == sorted([*manifest["members"], "manifest.json"])

    code, out, err = p.hyp("verify", "out/shop.tar.gz")
    assert (code, err) == (0, "")
    assert out == (f"✅ out/shop.tar.gz: 4 members and 2 tables (3 rows, {p.backend}) match the manifest "
                   f"of {manifest['created']}\n")

    original = p.rows()
    assert [r[1:] for r in original] == [r[1:] for r in ROWS]
    p.sql("UPDATE items SET name = 'changed', note = 'x' WHERE id = 1", "DELETE FROM items WHERE id = 2",
          "INSERT INTO items (id, name) VALUES (9, 'new')", "INSERT INTO audit (id) VALUES (1)")
    p.write("data/uploads/a.txt", b"second version\n")
    os.unlink(p.root / "data" / "b.bin")
    p.write("config/extra.json", b'{"x": 2}\n')

    code, out, err = p.hyp("restore", "out/shop.tar.gz", "--yes")
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == (f"✅ Restored {p.backend} database (2 tables, 3 rows) and 2 files "
                                    "from out/shop.tar.gz")
    assert p.rows() == original
    assert p.count("audit") == 0
    assert p.file("data/uploads/a.txt") == "first version ✓\n".encode()
    assert p.file("data/b.bin") == bytes(range(256))
    assert p.file("config/extra.json") == b'{"x": 2}\n'  # config/ only on request

    code, _, err = p.hyp("restore", "out/shop.tar.gz", "--yes", "--with-config")
    assert (code, err) == (0, "")
    assert p.file("config/extra.json") == b'{"x": 1}\n'
    assert p.rows() == original


def _expect_rejected(p: Project, message: str) -> None:
    code, out, err = p.hyp("verify", "out/shop.tar.gz")
    assert (code, out) == (1, "")
    assert f"error[HYP5090]: {message}\n  --> out/shop.tar.gz" in err
    assert "Traceback" not in err
    # a restore from it changes nothing
    p.sql("DELETE FROM items WHERE id = 3")
    code, _, err = p.hyp("restore", "out/shop.tar.gz", "--yes")
    assert code == 1 and message in err
    assert [r[0] for r in p.rows()] == [1, 2]


def test_flipped_byte_in_the_dump_is_rejected(project):
    archive = _archive(project)
    members = _members(archive)
    dump = DUMPS[project.backend]
    body = bytearray(members[dump])
    body[len(body) // 2] ^= 0x01
    members[dump] = bytes(body)
    _rewrite(archive, members)
    _expect_rejected(project, f'member "{dump}" does not match its sha256 in the manifest (altered)')


def test_removed_and_added_members_are_named(project):
    archive = _archive(project)
    members = _members(archive)
    del members["data/b.bin"]
    members["data/intruder.txt"] = b"hello"
    _rewrite(archive, members)
    code, _, err = project.hyp("verify", "out/shop.tar.gz")
    assert code == 1
    assert 'error[HYP5090]: member "data/b.bin" is missing' in err
    assert 'error[HYP5090]: member "data/intruder.txt" is not in the manifest (added)' in err


def test_edited_manifest_is_rejected(project):
    archive = _archive(project)
    members = _members(archive)
    manifest = json.loads(members["manifest.json"])
    manifest["database"]["tables"]["items"] = 4
    members["manifest.json"] = json.dumps(manifest).encode()
    _rewrite(archive, members)
    _expect_rejected(project, 'table "items" has 3 rows after restoring, the manifest says 4')


def test_manifest_that_is_not_valid_is_rejected(project):
    archive = _archive(project)
    members = _members(archive)
    original = members["manifest.json"]
    members["manifest.json"] = original[:-20]
    _rewrite(archive, members)
    code, _, err = project.hyp("verify", "out/shop.tar.gz")
    assert code == 1 and "error[HYP5090]: the manifest of the archive is not valid JSON: " in err
    manifest = json.loads(original)
    manifest["members"]["../../etc/passwd"] = manifest["members"].pop("data/b.bin")
    members["manifest.json"] = json.dumps(manifest).encode()
    _rewrite(archive, members)
    code, _, err = project.hyp("verify", "out/shop.tar.gz")
    assert code == 1
    assert ('error[HYP5090]: the manifest of the archive is not valid: member name "../../etc/passwd" '
            "is outside database/, data/ and config/") in err


def test_restore_asks_first(project, monkeypatch):
    _archive(project)
    project.sql("DELETE FROM items")
    code, out, err = project.hyp("restore", "out/shop.tar.gz")
    assert (code, out) == (1, "")
    assert "error[HYP5093]: restore replaces the project's database: pass --yes to confirm" in err

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal("n\n"))
    code, out, err = project.hyp("restore", "out/shop.tar.gz")
    assert code == 1 and "error[HYP5093]: restore cancelled: nothing was changed" in err
    assert "with this backup? [y/N] " in out
    assert project.rows() == []
    monkeypatch.setattr(sys, "stdin", Terminal("y\n"))
    code, out, err = project.hyp("restore", "out/shop.tar.gz")
    assert (code, err) == (0, "")
    assert len(project.rows()) == 3


def test_default_name_is_under_backups(project):
    code, out, err = project.hyp("create")
    assert (code, err) == (0, "")
    names = os.listdir(project.root / "backups")
    assert len(names) == 1 and names[0].startswith("shop-2") and names[0].endswith("Z.tar.gz")
    assert f"to backups/{names[0]} (" in out


# --- credentials -----------------------------------------------------------------------------------

def _trust_url(url: str, password: str) -> str:
    return url.replace("postgresql://root@", f"postgresql://root:{password}@", 1)


def test_password_of_the_url_stays_out_of_the_archive(postgres_url, tmp_path, monkeypatch, capsys):
    for name in list(os.environ):
        if name.startswith("HYP_"):
            monkeypatch.delenv(name)
    secret = "S3cret-pw-x9"
    url = _trust_url(postgres_url, secret)  # the trust-auth server accepts any password
    root = tmp_path / "proj"
    (root / "config").mkdir(parents=True)
    (root / "trance.json").write_text('{"ritualName": "shop", "mantra": "0.1.0", "intent": "library"}')
    monkeypatch.setenv("HYP_INFRASTRUCTURE__DATABASE__URL", url)
    p = Project(root, url, monkeypatch, capsys)
    p.sql("CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(200), note VARCHAR(200), doc TEXT)")
    archive = _archive(p)
    with open(archive, "rb") as fh:
        raw = gzip.decompress(fh.read())
    assert secret.encode() not in raw
    manifest = json.loads(_members(archive)["manifest.json"])
    assert manifest["database"]["url"] == _trust_url(postgres_url, "****")
    code, _, err = p.hyp("verify", "out/shop.tar.gz")
    assert (code, err) == (0, "")

    # a configuration file spelling the password out would carry it: refused
    monkeypatch.delenv("HYP_INFRASTRUCTURE__DATABASE__URL")
    p.write("config/hypnoscript.config.json", json.dumps({"infrastructure": {"database": {"url": url}}}).encode())
    code, out, err = p.hyp("create", "--output", "out/two.tar.gz")
    assert (code, out) == (1, "")
    assert ("error[HYP5094]: config/hypnoscript.config.json holds the database password in clear; "
            "a backup must not carry it") in err
    assert not os.path.exists(root / "out" / "two.tar.gz")


# --- tools and servers -----------------------------------------------------------------------------

@pytest.mark.parametrize("server, tool", [("postgres_url", "pg_dump"), ("mariadb_url", "mariadb-dump or mysqldump")])
def test_missing_tools_are_a_diagnostic(server, tool, request, tmp_path, monkeypatch, capsys):
    url = request.getfixturevalue(server)
    root = tmp_path / "proj"
    root.mkdir()
    (root / "trance.json").write_text('{"ritualName": "shop", "mantra": "0.1.0", "intent": "library"}')
    monkeypatch.setenv("HYP_INFRASTRUCTURE__DATABASE__URL", url)
    monkeypatch.setenv("PATH", "")
    p = Project(root, url, monkeypatch, capsys)
    code, out, err = p.hyp("create")
    assert (code, out) == (1, "")
    assert err.startswith(f"error[HYP5091]: {tool} is not installed (or not on PATH)\n")
    assert "Traceback" not in err


@pytest.mark.parametrize("url, message", [
    ("postgresql://root@127.0.0.1:1/nowhere", "error[HYP5092]: postgresql: "),
    ("mysql://root@127.0.0.1:1/nowhere", "error[HYP5092]: mysql: (2003) "),
])
def test_database_that_does_not_answer(url, message, tmp_path, monkeypatch, capsys):
    root = tmp_path / "proj"
    root.mkdir()
    (root / "trance.json").write_text('{"ritualName": "shop", "mantra": "0.1.0", "intent": "library"}')
    monkeypatch.setenv("HYP_INFRASTRUCTURE__DATABASE__URL", url)
    code, out, err = Project(root, url, monkeypatch, capsys).hyp("create")
    assert (code, out) == (1, "")
    assert err.startswith(message)
    assert "(database " + url + ")" in err


def test_a_failing_tool_reports_its_stderr(postgres_url, tmp_path, monkeypatch, capsys):
    root = tmp_path / "proj"
    root.mkdir()
    (root / "trance.json").write_text('{"ritualName": "shop", "mantra": "0.1.0", "intent": "library"}')
    monkeypatch.setenv("HYP_INFRASTRUCTURE__DATABASE__URL", postgres_url)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump: error: server version mismatch' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    code, out, err = Project(root, postgres_url, monkeypatch, capsys).hyp("create")
    assert (code, out) == (1, "")
    assert err.startswith(f"error[HYP5091]: pg_dump failed (exit status 1) on database {postgres_url}: "
                          "pg_dump: error: server version mismatch\n")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_restore_waits_for_a_writer_then_gives_up(project, monkeypatch):
    import sqlite3

    _archive(project)
    project.sql("DELETE FROM items WHERE id = 1")
    monkeypatch.setenv("HYP_INFRASTRUCTURE__DATABASE__TIMEOUT", "1")
    writer = sqlite3.connect(project.root / "data" / "app.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        code, _, err = project.hyp("restore", "out/shop.tar.gz", "--yes")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert code == 1
    assert "error[HYP5092]: sqlite: database is locked\n  --> data/app.db\n" in err
    assert [r[0] for r in project.rows()] == [2, 3]
    code, _, err = project.hyp("restore", "out/shop.tar.gz", "--yes")
    assert (code, err) == (0, "")
    assert [r[0] for r in project.rows()] == [1, 2, 3]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_files_that_are_no_backup_are_named(project):
    project.write("junk.tar.gz", b"not an archive")
    code, _, err = project.hyp("verify", "junk.tar.gz")
    assert code == 1 and err.startswith("error[HYP5090]: not a readable backup archive: not a gzip file\n"
                                        "  --> junk.tar.gz\n")
    _rewrite(str(project.root / "bare.tar.gz"), {"data/b.bin": b"x"})
    code, _, err = project.hyp("verify", "bare.tar.gz")
    assert code == 1 and err.startswith("error[HYP5090]: the archive has no manifest.json\n")
    code, _, err = project.hyp("verify", "absent.tar.gz")
    assert code == 1 and err.startswith("error[HYP5090]: no archive at absent.tar.gz\n")
