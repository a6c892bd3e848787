"""A project's data in its commands: `hyp test` on a scratch database and cache of the configured
kinds (migrated, dropped afterwards, the project's own data untouched), and autoMigrate."""

import json
import os
import subprocess
import sys

import sqlalchemy

from hypnoscript.services.data.database import create_engine

HYP = os.path.join(os.path.dirname(sys.executable), "hyp")

MIGRATION = "CREATE TABLE notes (id INTEGER PRIMARY KEY, body VARCHAR(100) NOT NULL);\n"
TEST = """Focus {
    suggestion testStoresNotes() {
        DbExecute("INSERT INTO notes (id, body) VALUES (:id, :body)", {"id": 1, "body": "kept"});
        assert DbQueryOne("SELECT body FROM notes WHERE id = 1").body == "kept";
        CacheSet("seen", true);
        assert CacheGet("seen");
    }
    suggestion testSeesTheSameScratchDatabase() {
        assert DbQueryOne("SELECT COUNT(*) AS n FROM notes").n == 1 "one run shares one scratch database";
    }
} Relax
"""


def project(root, database: dict | None = None, cache: dict | None = None, migrations=(MIGRATION,)):
    (root / "tests").mkdir(parents=True)
    (root / "scripts").mkdir()
    (root / "config").mkdir()
    (root / "trance.json").write_text(json.dumps({"ritualName": "notes", "mantra": "1.0.0", "intent": "service"}))
    infrastructure = {}
    if database:
        infrastructure["database"] = database
    if cache:
        infrastructure["cache"] = cache
    (root / "config" / "hypnoscript.config.json").write_text(json.dumps({"infrastructure": infrastructure}))
    if migrations:
        (root / "migrations").mkdir()
        for i, text in enumerate(migrations, 1):
            (root / "migrations" / f"{i:04d}_step{i}.sql").write_text(text)
    (root / "tests" / "notes.hyp").write_text(TEST)
    return root


def hyp(*args, cwd):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYP_")}
    env["NO_COLOR"] = "1"
    return subprocess.run([HYP, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def tables(url, root) -> set[str]:
    engine = create_engine(url, str(root))
    try:
        return set(sqlalchemy.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_hyp_test_runs_on_a_scratch_sqlite_database(tmp_path):
    root = project(tmp_path / "p")
    result = hyp("test", cwd=root)
    assert result.stdout.splitlines()[-1] == "3 passed, 0 failed", result.stdout + result.stderr
    assert not (root / "data").exists(), "the project's own database is never created by its tests"


def test_hyp_test_on_postgresql_and_redis_uses_and_drops_its_own(tmp_path, postgres_url, redis_cache):
    url, prefix = redis_cache
    root = project(tmp_path / "p", {"url": postgres_url}, {"url": url, "prefix": prefix})
    import psycopg

    admin = postgres_url.rsplit("/", 1)[0] + "/test"
    name = postgres_url.rsplit("/", 1)[1]

    def scratch_databases():
        with psycopg.connect(admin, autocommit=True) as conn:
            rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (name + "_test_%",))
            return [r[0] for r in rows]

    result = hyp("test", cwd=root)
    assert result.stdout.splitlines()[-1] == "3 passed, 0 failed", result.stdout + result.stderr
    assert tables(postgres_url, root) == set(), "the configured database is untouched"
    assert scratch_databases() == []
    import redis

    client = redis.Redis.from_url(url)
    assert list(client.scan_iter(match=prefix + "*")) == []
    client.close()


def test_auto_migrate_applies_pending_migrations_on_first_use(tmp_path):
    root = project(tmp_path / "p", {"url": "sqlite:///data/app.db", "autoMigrate": True},
                   migrations=(MIGRATION, "ALTER TABLE notes ADD COLUMN author VARCHAR(50);\n"))
    (root / "scripts" / "add.hyp").write_text(
        'Focus { DbExecute("INSERT INTO notes (id, body, author) VALUES (1, \'x\', \'ada\')");'
        ' observe DbQuery("SELECT author FROM notes"); } Relax')
    result = hyp("exec", "scripts/add.hyp", cwd=root)
    assert (result.returncode, result.stdout, result.stderr) == (0, "[{author: ada}]\n", "")
    status = hyp("db", "status", "--json", cwd=root)
    assert [row["state"] for row in json.loads(status.stdout)] == ["applied", "applied"]


def test_without_auto_migrate_nothing_is_applied(tmp_path):
    root = project(tmp_path / "p", {"url": "sqlite:///data/app.db"})
    (root / "scripts" / "read.hyp").write_text('Focus { DbQuery("SELECT * FROM notes"); } Relax')
    result = hyp("exec", "scripts/read.hyp", cwd=root)
    assert result.returncode == 1
    assert "no such table: notes" in result.stderr


def test_a_failing_auto_migration_is_an_error_naming_the_file(tmp_path):
    root = project(tmp_path / "p", {"url": "sqlite:///data/app.db", "autoMigrate": True},
                   migrations=(MIGRATION, "ALTER TABLE nothing ADD COLUMN x INTEGER;\n"))
    (root / "scripts" / "read.hyp").write_text('Focus {\n  DbQuery("SELECT * FROM notes");\n} Relax')
    result = hyp("exec", "scripts/read.hyp", cwd=root)
    assert result.returncode == 1
    first = result.stderr.splitlines()[0]
    assert first.startswith("error[HYP4030]: database error: migrations could not be applied")
    assert "0002_step2.sql" in first
    assert "read.hyp:2:3" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_with_a_failing_auto_migration_does_not_start(tmp_path):
    root = project(tmp_path / "p", {"url": "sqlite:///data/app.db", "autoMigrate": True},
                   migrations=("CREATE TABLE broken (;\n",))
    (root / "modules").mkdir()
    (root / "modules" / "api.hyp").write_text('Focus { suggestion ping(request) { awaken "pong"; } } Relax')
    (root / "config" / "hypnoscript.config.json").write_text(json.dumps({
        "services": {"api": {"module": "modules/api.hyp",
                             "routes": [{"method": "GET", "path": "/ping", "handler": "ping"}]}},
        "infrastructure": {"database": {"url": "sqlite:///data/app.db", "autoMigrate": True}}}))
    result = hyp("serve", "--port", "0", cwd=root)
    assert result.returncode == 1
    assert "0001_step1.sql" in result.stderr
    assert "Traceback" not in result.stderr
