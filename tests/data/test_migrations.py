"""`hyp db migrate / status / new` and the migrations API on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import sqlalchemy

from hypnoscript.cli.main import main
from hypnoscript.services.data import migrations
from hypnoscript.services.data.database import create_engine

HYP = os.path.join(os.path.dirname(sys.executable), "hyp")
USERS = "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL);\n"
SEED = ("-- the first users; a comment with a ; in it\n"
        "INSERT INTO users (id, name) VALUES (1, 'it''s; 50%');\n"
        "/* block comment ; */ INSERT INTO users (id, name) VALUES (2, 'b');\n")
NOTES = "CREATE TABLE notes (id INTEGER PRIMARY KEY, body VARCHAR(200));\n"


@pytest.fixture
def project(tmp_path, database_url, monkeypatch):
    """A project whose configured database is the test's database, as the current directory."""
    for name in list(os.environ):
        if name.startswith("HYP_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("HYP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HYP_INFRASTRUCTURE__DATABASE__URL", database_url)
    root = tmp_path / "app"
    (root / "migrations").mkdir(parents=True)
    (root / "trance.json").write_text(json.dumps({"ritualName": "app", "mantra": "0.1.0", "intent": "library"}))
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def hyp(capsys):
    def run(*args):
        capsys.readouterr()
        code = main(["db", *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def db(project, database_url):
    """query(sql) -> rows as tuples, on the project's database."""
    engine = create_engine(database_url, str(project))

    def query(sql):
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sqlalchemy.text(sql))]

    yield query
    engine.dispose()


def write(root, name, text):
    (root / "migrations" / name).write_text(text, encoding="utf-8")


def tables(project, database_url):
    engine = create_engine(database_url, str(project))
    try:
        return set(sqlalchemy.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrate_applies_pending_in_order_once(project, hyp, db, database_url):
    write(project, "0001_create_users.sql", USERS)
    write(project, "0002_seed_users.sql", SEED)
    assert hyp("status") == (0, "0001_create_users.sql  pending\n0002_seed_users.sql    pending\n", "")

    assert hyp("migrate") == (0, "Applied 0001_create_users.sql\nApplied 0002_seed_users.sql\n", "")
    assert db("SELECT id, name FROM users ORDER BY id") == [(1, "it's; 50%"), (2, "b")]
    rows = db("SELECT version, name, checksum FROM hyp_migrations ORDER BY version")
    assert [(r[0], r[1], r[2].strip()) for r in rows] == [(m.version, m.name, m.checksum)
                                                         for m in migrations.discover(str(project))]

    code, out, err = hyp("status")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert [line.split()[:2] for line in lines] == [["0001_create_users.sql", "applied"],
                                                   ["0002_seed_users.sql", "applied"]]
    assert all(line.split()[2].endswith("Z") for line in lines)

    assert hyp("migrate") == (0, "Nothing to apply: the database is up to date\n", "")
    assert db("SELECT COUNT(*) FROM users") == [(2,)]
    assert db("SELECT COUNT(*) FROM hyp_migrations") == [(2,)]


def test_status_json_and_api(project, hyp, database_url):
    write(project, "0001_create_users.sql", USERS)
    write(project, "0002_create_notes.sql", NOTES)
    engine = create_engine(database_url, str(project))
    try:
        assert [m.label for m in migrations.migrate(engine, str(project), target=1)] == ["0001_create_users"]
        assert [(m.version, state) for m, state in migrations.status(engine, str(project))] == [
            (1, "applied"), (2, "pending")]
    finally:
        engine.dispose()
    code, out, _ = hyp("status", "--json")
    data = json.loads(out)
    assert code == 0
    assert [(d["version"], d["name"], d["file"], d["state"]) for d in data] == [
        (1, "create_users", "0001_create_users.sql", "applied"),
        (2, "create_notes", "0002_create_notes.sql", "pending")]
    assert data[0]["appliedAt"] is not None and data[1]["appliedAt"] is None


def test_migrate_to_version(project, hyp, database_url):
    write(project, "0001_create_users.sql", USERS)
    write(project, "0002_create_notes.sql", NOTES)
    write(project, "0003_seed_users.sql", SEED)
    assert hyp("migrate", "--to", "2") == (0, "Applied 0001_create_users.sql\nApplied 0002_create_notes.sql\n", "")
    assert "users" in tables(project, database_url)
    assert [line.split()[1] for line in hyp("status")[1].splitlines()] == ["applied", "applied", "pending"]
    code, out, err = hyp("migrate", "--to", "7")
    assert (code, out) == (1, "")
    assert "error[HYP5055]: no migration with version 7 (versions: 1, 2, 3)" in err
    assert hyp("migrate") == (0, "Applied 0003_seed_users.sql\n", "")


def test_edited_applied_migration_stops_before_anything_runs(project, hyp, database_url):
    write(project, "0001_create_users.sql", USERS)
    assert hyp("migrate")[0] == 0
    write(project, "0001_create_users.sql", USERS + "-- one more line\n")
    write(project, "0002_create_notes.sql", NOTES)
    code, out, err = hyp("migrate")
    assert (code, out) == (1, "")
    assert "error[HYP5051]: migration 0001_create_users.sql was changed after it was applied" in err
    assert os.path.join("migrations", "0001_create_users.sql") in err
    assert "notes" not in tables(project, database_url)
    assert [line.split()[:2] for line in hyp("status")[1].splitlines()] == [
        ["0001_create_users.sql", "changed"], ["0002_create_notes.sql", "pending"]]


def test_applied_migration_without_file_is_an_error(project, hyp, database_url):
    write(project, "0001_create_users.sql", USERS)
    write(project, "0002_create_notes.sql", NOTES)
    assert hyp("migrate")[0] == 0
    os.remove(project / "migrations" / "0002_create_notes.sql")
    write(project, "0003_seed_users.sql", SEED)
    code, out, err = hyp("migrate")
    assert (code, out) == (1, "")
    assert "error[HYP5052]: migration 0002_create_notes.sql was applied" in err
    assert "but its file is gone" in err
    assert [line.split()[:2] for line in hyp("status")[1].splitlines()] == [
        ["0001_create_users.sql", "applied"], ["0002_create_notes.sql", "missing"], ["0003_seed_users.sql", "pending"]]


def test_failing_migration_is_rolled_back_and_reported_with_its_line(project, hyp, db, database_url):
    write(project, "0001_create_users.sql", USERS)
    write(project, "0002_broken.sql", "-- notes, then a mistake\n" + NOTES
          + "INSERT INTO users (id, name) VALUES (3, 'c');\n\nSELECT missing_column\n  FROM users;\n")
    write(project, "0003_seed_users.sql", SEED)
    code, out, err = hyp("migrate")
    assert (code, out) == (1, "Applied 0001_create_users.sql\n")
    assert "error[HYP5053]: migration 0002_broken.sql failed and was rolled back: " in err
    assert "missing_column" in err.split("\n", 1)[0]
    location = os.path.join("migrations", "0002_broken.sql") + ":5:"
    assert location in err
    assert "5 | SELECT missing_column" in err
    assert db("SELECT COUNT(*) FROM users") == [(0,)]
    assert db("SELECT version FROM hyp_migrations") == [(1,)]
    if database_url.startswith("mysql"):
        assert "notes" in tables(project, database_url)  # MariaDB commits CREATE TABLE at once
        assert "schema changes this file made before the failing statement stay" in err
    else:
        assert "notes" not in tables(project, database_url)
    assert [line.split()[1] for line in hyp("status")[1].splitlines()] == ["applied", "pending", "pending"]


def test_bad_file_names_are_diagnostics(project, hyp, database_url):
    write(project, "0001_create_users.sql", USERS)
    write(project, "1_short.sql", USERS)
    write(project, "0002_Upper.sql", USERS)
    code, out, err = hyp("migrate")
    assert (code, out) == (1, "")
    assert 'error[HYP5050]: migration file name "0002_Upper.sql" is not NNNN_name.sql' in err
    assert 'error[HYP5050]: migration file name "1_short.sql" is not NNNN_name.sql' in err
    assert "users" not in tables(project, database_url)


def test_db_new_numbers_the_files(tmp_path, monkeypatch, hyp):
    (tmp_path / "trance.json").write_text(json.dumps({"ritualName": "app", "mantra": "0.1.0", "intent": "library"}))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    assert hyp("new", "create_users") == (0, f"Created {os.path.join('migrations', '0001_create_users.sql')}\n", "")
    assert hyp("new", "add_email") == (0, f"Created {os.path.join('migrations', '0002_add_email.sql')}\n", "")
    header = (tmp_path / "migrations" / "0002_add_email.sql").read_text()
    assert header.startswith("-- Migration 0002: add_email (created ")
    assert all(line.startswith("--") for line in header.splitlines() if line)
    (tmp_path / "migrations" / "0041_jump.sql").write_text("")
    assert hyp("new", "after_jump")[1] == f"Created {os.path.join('migrations', '0042_after_jump.sql')}\n"
    code, out, err = hyp("new", "Add-Email")
    assert (code, out) == (1, "")
    assert 'error[HYP5055]: bad migration name "Add-Email"' in err
    assert sorted(os.listdir(tmp_path / "migrations")) == [
        "0001_create_users.sql", "0002_add_email.sql", "0041_jump.sql", "0042_after_jump.sql"]


def test_db_outside_a_project(tmp_path, monkeypatch, hyp):
    monkeypatch.chdir(tmp_path)
    code, out, err = hyp("status")
    assert (code, out) == (1, "")
    assert "error[HYP5013]: no trance.json found" in err


def test_statements_keep_comments_strings_and_bodies():
    text = ("-- header; with a semicolon\n"
            "CREATE TABLE a (note TEXT DEFAULT 'x;y');\n"
            "CREATE FUNCTION f() RETURNS trigger AS $$\nBEGIN\n  NEW.x := 1; RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\n"
            "CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; SELECT 2; END;\n"
            "-- trailing comment\n")
    statements = migrations._statements(text)
    assert [s.sql for s in statements] == [
        "CREATE TABLE a (note TEXT DEFAULT 'x;y')",
        "CREATE FUNCTION f() RETURNS trigger AS $$\nBEGIN\n  NEW.x := 1; RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql",
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; SELECT 2; END",
    ]
    assert [text.count("\n", 0, s.offset) + 1 for s in statements] == [2, 3, 8]


def test_postgresql_function_bodies_survive(postgres_url, tmp_path):
    root = tmp_path / "app"
    (root / "migrations").mkdir(parents=True)
    write(root, "0001_function.sql",
          "CREATE TABLE t (x INTEGER);\n"
          "CREATE FUNCTION bump() RETURNS trigger AS $body$\nBEGIN\n  NEW.x := NEW.x + 1;\n  RETURN NEW;\nEND;\n"
          "$body$ LANGUAGE plpgsql;\n"
          "CREATE TRIGGER bump BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION bump();\n"
          "INSERT INTO t VALUES (41);\n")
    engine = create_engine(postgres_url, str(root))
    try:
        assert [m.version for m in migrations.migrate(engine, str(root))] == [1]
        with engine.connect() as conn:
            assert conn.execute(sqlalchemy.text("SELECT x FROM t")).scalar() == 42
    finally:
        engine.dispose()


SLOW = {
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) SELECT COUNT(*) FROM c",
    "postgresql": "SELECT pg_sleep(0.3)",
    "mysql": "SELECT SLEEP(0.3)",
}


def test_two_processes_migrating_at_once_apply_each_migration_once(project, db, database_url):
    slow = SLOW[database_url.split(":", 1)[0]]
    write(project, "0001_create_log.sql", f"CREATE TABLE log (note VARCHAR(20));\n{slow};\n")
    write(project, "0002_first.sql", f"INSERT INTO log (note) VALUES ('first');\n{slow};\n")
    write(project, "0003_second.sql", f"INSERT INTO log (note) VALUES ('second');\n{slow};\n")
    runs = [subprocess.Popen([HYP, "db", "migrate"], cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]
    results = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in runs]
    for p in runs:
        p.stdout.close()
        p.stderr.close()
    assert [(code, err) for code, _, err in results] == [(0, ""), (0, "")]
    applied = sorted(line for _, out, _ in results for line in out.splitlines() if line.startswith("Applied"))
    assert applied == ["Applied 0001_create_log.sql", "Applied 0002_first.sql", "Applied 0003_second.sql"]
    assert sorted(db("SELECT note FROM log")) == [("first",), ("second",)]
    assert db("SELECT version FROM hyp_migrations ORDER BY version") == [(1,), (2,), (3,)]
