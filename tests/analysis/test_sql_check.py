"""The SQL of DbQuery / DbQueryOne / DbExecute checked against the schema migrations build."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from hypnoscript.analysis.sql_check import Schema, check_program, check_sql, dialect_of
from hypnoscript.cli.main import main
from hypnoscript.project import schema as project_schema
from hypnoscript.syntax.parser import parse
from hypnoscript.syntax.source import Source

POSTGRES_MIGRATIONS = [
    """
    CREATE TABLE customers (id SERIAL PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE,
                            data JSONB DEFAULT '{}');
    CREATE TABLE invoices (id BIGSERIAL PRIMARY KEY,
                           customer_id INT REFERENCES customers(id) ON DELETE CASCADE,
                           total NUMERIC(10, 2), created_at TIMESTAMPTZ DEFAULT now(), "Status" TEXT);
    CREATE INDEX invoices_customer ON invoices (customer_id);
    """,
    """
    CREATE TABLE lines (invoice_id BIGINT, pos INT, amount NUMERIC, PRIMARY KEY (invoice_id, pos));
    CREATE OR REPLACE FUNCTION touch() RETURNS trigger AS $$
    BEGIN NEW.created_at := now(); RETURN NEW; END; $$ LANGUAGE plpgsql;
    CREATE MATERIALIZED VIEW totals AS
        SELECT customer_id, sum(total) AS sum_total FROM invoices GROUP BY customer_id;
    """,
    """
    ALTER TABLE customers RENAME COLUMN email TO mail;
    ALTER TABLE lines RENAME TO invoice_lines;
    CREATE EXTENSION IF NOT EXISTS pgcrypto;
    DO $$ BEGIN RAISE NOTICE 'x'; END $$;
    """,
]


def build(migrations: list[str], dialect: str | None) -> Schema:
    return project_schema.build(migrations, dialect)


@pytest.fixture(scope="module")
def pg() -> Schema:
    return build(POSTGRES_MIGRATIONS, "postgres")


def problems(sql: str, schema: Schema) -> list[tuple[str, str, str, str | None]]:
    """(code, message, help, the flagged text) of each problem."""
    return [(p.code, p.message, p.help, sql[p.start:p.end] if p.start is not None else None)
            for p in check_sql(sql, schema)]


# building the schema


def test_schema_from_postgres_migrations(pg):
    assert pg.describe() == {
        "hyp_migrations": None,
        "customers": ["id", "name", "mail", "data"],
        "invoices": ["id", "customer_id", "total", "created_at", "Status"],
        "totals": ["customer_id", "sum_total"],
        "invoice_lines": ["invoice_id", "pos", "amount"],
    }


def test_schema_alter_add_drop_rename_and_drop_table():
    schema = build([
        "CREATE TABLE a (id INTEGER PRIMARY KEY, x TEXT, y TEXT);\nCREATE TABLE gone (id INT);",
        "ALTER TABLE a ADD COLUMN z REAL;\nALTER TABLE a DROP COLUMN x;\nALTER TABLE a RENAME COLUMN y TO why;",
        "DROP TABLE gone;\nALTER TABLE a RENAME TO b;\nCREATE TABLE IF NOT EXISTS b (other INT);",
    ], "sqlite")
    assert schema.describe() == {"hyp_migrations": None, "b": ["id", "why", "z"]}


def test_schema_views_create_as_and_like():
    schema = build([
        "CREATE TABLE t (id INT, name TEXT);",
        "CREATE VIEW v1 AS SELECT id AS key, upper(name) AS loud FROM t;\n"
        "CREATE VIEW v2 (a, b) AS SELECT 1, 2;\n"
        "CREATE VIEW v3 AS SELECT id, count(*) FROM t GROUP BY id;\n"
        "CREATE TABLE t2 AS SELECT * FROM t;\n"
        "CREATE TABLE t3 LIKE t;\n",
    ], "mysql")
    assert schema.describe() == {"hyp_migrations": None, "t": ["id", "name"], "v1": ["key", "loud"],
                                 "v2": ["a", "b"], "v3": None, "t2": ["id", "name"], "t3": ["id", "name"]}


def test_schema_mysql_change_column_and_rename_table():
    schema = build([
        "CREATE TABLE `users` (`id` INT AUTO_INCREMENT PRIMARY KEY, `nm` VARCHAR(50)) ENGINE=InnoDB;",
        "ALTER TABLE users CHANGE COLUMN nm name VARCHAR(80);\nALTER TABLE users MODIFY COLUMN id BIGINT;\n"
        "RENAME TABLE users TO people;",
    ], "mysql")
    assert schema.describe() == {"hyp_migrations": None, "people": ["id", "name"]}


def test_schema_statements_not_understood_leave_unknown_columns():
    schema = build([
        "CREATE TABLE t (id INT);\nCREATE VIRTUAL TABLE docs USING fts5(title, body);\n"
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET id = id WHERE id = NEW.id; END;\n"
        "ALTER TABLE t ADD CONSTRAINT c CHECK (id > 0);\n",
        "this is not sql at all;\nCREATE TABLE later (a INT);",
    ], "sqlite")
    assert schema.describe() == {"hyp_migrations": None, "t": ["id"], "docs": None, "later": ["a"]}
    assert check_sql("SELECT anything FROM docs", schema) == []


def test_schema_is_cached_by_contents():
    texts = ["CREATE TABLE c (id INT);"]
    first = build(texts, "sqlite")
    first.put("scribbled", None)
    assert build(list(texts), "sqlite").describe() == {"hyp_migrations": None, "c": ["id"]}


def test_dialects_of_urls():
    assert [dialect_of(u) for u in ("sqlite:///data/app.db", "postgresql+psycopg://h/db", "postgres://h/db",
                                    "mysql://h/db", "mariadb://h/db", "oracle://h/db", "")] == \
        ["sqlite", "postgres", "postgres", "mysql", "mysql", None, None]


# what is flagged


@pytest.mark.parametrize("sql, expected", [
    ("SELECT nam FROM customers",
     [("HYP3102", 'no column "nam" in table "customers"', 'did you mean "name"?', "nam")]),
    ("SELECT email FROM customers",
     [("HYP3102", 'no column "email" in table "customers"', 'did you mean "mail"?', "email")]),
    ("SELECT * FROM invoice WHERE id = :id",
     [("HYP3101", 'no table "invoice" in the schema the migrations build', 'did you mean "invoices"?', "invoice")]),
    ("SELECT * FROM lines",
     [("HYP3101", 'no table "lines" in the schema the migrations build', 'did you mean "invoices"?', "lines")]),
    ("SELECT * FROM zzz",
     [("HYP3101", 'no table "zzz" in the schema the migrations build',
       "create it in a migration (migrations/NNNN_name.sql)", "zzz")]),
    ("SELECT i.totl FROM invoices i",
     [("HYP3102", 'no column "totl" in table "invoices"', 'did you mean "total"?', "totl")]),
    ("SELECT c.name, i.qqq FROM customers c JOIN invoices i ON i.customer_id = c.id",
     [("HYP3102", 'no column "qqq" in table "invoices"',
       "the columns are: id, customer_id, total, created_at, Status", "qqq")]),
    ("SELECT zip FROM customers c JOIN invoices i ON i.customer_id = c.id",
     [("HYP3102", 'no column "zip" in tables "customers", "invoices"',
       "the columns are: id, name, mail, data, customer_id, total, created_at, Status", "zip")]),
    ("UPDATE customers SET nme = :n WHERE id = :id",
     [("HYP3102", 'no column "nme" in table "customers"', 'did you mean "name"?', "nme")]),
    ("INSERT INTO customers (nam, mail) VALUES (:n, :m)",
     [("HYP3102", 'no column "nam" in table "customers"', 'did you mean "name"?', "nam")]),
    ("DELETE FROM invoices WHERE custmer_id = 1 RETURNING idd",
     [("HYP3102", 'no column "custmer_id" in table "invoices"', 'did you mean "customer_id"?', "custmer_id"),
      ("HYP3102", 'no column "idd" in table "invoices"', 'did you mean "id"?', "idd")]),
    ("SELECT x.zz FROM (SELECT id FROM customers) x",
     [("HYP3102", 'no column "zz" in table "x"', "the columns are: id", "zz")]),
    ("WITH t AS (SELECT id FROM customers) SELECT nope FROM t",
     [("HYP3102", 'no column "nope" in table "t"', "the columns are: id", "nope")]),
    ("SELECT id FROM customers c WHERE EXISTS (SELECT 1 FROM invoices i WHERE i.customer_id = c.idx)",
     [("HYP3102", 'no column "idx" in table "customers"', 'did you mean "id"?', "idx")]),
    ("SELECT id FROM customers WHERE id IN (SELECT custome_id FROM invoices)",
     [("HYP3102", 'no column "custome_id" in table "invoices"', 'did you mean "customer_id"?', "custome_id")]),
    ("SELECT id, rank() OVER (PARTITION BY custmer_id ORDER BY totl) FROM invoices",
     [("HYP3102", 'no column "custmer_id" in table "invoices"', 'did you mean "customer_id"?', "custmer_id"),
      ("HYP3102", 'no column "totl" in table "invoices"', 'did you mean "total"?', "totl")]),
    ("SELECT id FROM customers ORDER BY nmae",
     [("HYP3102", 'no column "nmae" in table "customers"', 'did you mean "name"?', "nmae")]),
    ("SELEC * FROM customers",
     [("HYP3103", 'the SQL does not parse near "FROM"', "check the syntax of this PostgreSQL statement", "FROM")]),
    ("SELECT 'abc FROM customers",
     [("HYP3103", "the SQL does not parse: a string or quoted name is not closed",
       "check the quotes of this PostgreSQL statement", None)]),
])
def test_flagged(pg, sql, expected):
    assert problems(sql, pg) == expected


def test_syntax_problems_are_warnings_and_the_rest_errors(pg):
    assert [p.severity for p in check_sql("SELEC * FROM customers", pg)] == ["warning"]
    assert [p.severity for p in check_sql("SELECT nope FROM customers", pg)] == ["error"]


# what is not flagged

POSTGRES_CORRECT = [
    "SELECT c.id, c.name, c.mail, count(i.id) AS n, sum(i.total) AS spent FROM customers c "
    "LEFT JOIN invoices i ON i.customer_id = c.id GROUP BY c.id, c.name ORDER BY spent DESC NULLS LAST "
    "LIMIT :lim OFFSET :off",
    "SELECT data->>'city' AS city, data->'tags' FROM customers WHERE data @> :filter::jsonb AND data ? 'x'",
    "SELECT data #>> '{a,b}' FROM customers WHERE (data->>'age')::int > 3",
    "INSERT INTO customers (name, mail) VALUES (:n, :m) ON CONFLICT (mail) DO UPDATE SET name = EXCLUDED.name "
    "RETURNING id, name",
    "INSERT INTO customers (name, mail) VALUES (:n, :m) ON CONFLICT DO NOTHING",
    "INSERT INTO customers (name) SELECT name FROM customers WHERE id = :id RETURNING *",
    "UPDATE invoices i SET total = i.total + l.amount FROM invoice_lines l WHERE l.invoice_id = i.id",
    "DELETE FROM invoices WHERE created_at < now() - interval '30 days' RETURNING id",
    "DELETE FROM invoices USING customers c WHERE c.id = invoices.customer_id AND c.name = :n",
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT n FROM r",
    "WITH recent AS (SELECT * FROM invoices WHERE created_at > :since) "
    "SELECT recent.total, c.name FROM recent JOIN customers c ON c.id = recent.customer_id",
    'SELECT "Status", "status" FROM invoices',
    "SELECT ID, NAME FROM CUSTOMERS",
    "SELECT customer_id, sum_total FROM totals",
    "SELECT * FROM generate_series(1, 10) AS g(n) WHERE n > 3",
    "SELECT x FROM unnest(ARRAY[1, 2]) AS x",
    "SELECT id, row_number() OVER (PARTITION BY customer_id ORDER BY total) AS rn FROM invoices",
    "SELECT id, rank() OVER w FROM invoices WINDOW w AS (ORDER BY total)",
    "SELECT current_user, current_date, now(), coalesce(NULL, 1)",
    "SELECT t.n FROM (VALUES (1), (2)) AS t(n)",
    "SELECT EXISTS(SELECT 1 FROM invoices WHERE customer_id = :c) AS has",
    "SELECT id FROM customers WHERE id = ANY(:ids)",
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
    "SELECT * FROM pg_tables",
    "SELECT * FROM public.customers",
    "SELECT c.* FROM customers c",
    "SELECT i.id, sub.cnt FROM invoices i JOIN LATERAL "
    "(SELECT count(*) AS cnt FROM invoice_lines l WHERE l.invoice_id = i.id) sub ON true",
    "SELECT version, name FROM hyp_migrations",
    "SELECT DISTINCT ON (customer_id) customer_id, total FROM invoices ORDER BY customer_id, created_at DESC",
    "SELECT id FROM customers c WHERE NOT EXISTS (SELECT 1 FROM invoices WHERE customer_id = c.id)",
    "SELECT count(*) FILTER (WHERE total > 0) AS paid FROM invoices",
    "SELECT COALESCE(SUM(total), 0) AS total FROM invoices WHERE customer_id = :c",
    "SELECT extract(year FROM created_at) AS y, count(*) FROM invoices GROUP BY y ORDER BY 1",
    "SELECT id FROM customers JOIN invoices USING (id)",
    "TRUNCATE invoices",
    "BEGIN",
    "SET TIME ZONE 'UTC'",
    "SELECT pg_advisory_lock(1)",
    "SELECT CASE WHEN total > 10 THEN 'big' ELSE 'small' END AS size FROM invoices",
    "SELECT jsonb_agg(json_build_object('id', id)) AS items FROM invoices",
    "SELECT a.id FROM customers a, customers b WHERE a.id = b.id",
    "SELECT string_agg(name, ', ' ORDER BY name) AS names FROM customers",
    "SELECT id FROM invoices FOR UPDATE SKIP LOCKED",
    "SELECT x.id FROM (SELECT id FROM customers UNION SELECT id FROM invoices) x",
    "SELECT i.customer_id AS cid FROM invoices i ORDER BY cid",
    "SELECT id FROM customers UNION ALL SELECT id FROM invoices ORDER BY id",
    "SELECT ctid, xmin FROM invoices",
    "CREATE TEMP TABLE scratch AS SELECT id FROM invoices",
    "DROP TABLE IF EXISTS whatever",
]


@pytest.mark.parametrize("sql", POSTGRES_CORRECT)
def test_correct_postgres_sql_is_not_flagged(pg, sql):
    assert problems(sql, pg) == []


SQLITE_SCHEMA = ["CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, body TEXT, "
                 "tags TEXT, created_at TEXT DEFAULT CURRENT_TIMESTAMP);"]
SQLITE_CORRECT = [
    "SELECT rowid, id, title FROM notes",
    'SELECT "title" FROM notes WHERE body = "draft"',
    "SELECT j.value FROM notes, json_each(notes.tags) j WHERE notes.id = :id",
    "INSERT OR REPLACE INTO notes (id, title) VALUES (:id, :t)",
    "INSERT OR IGNORE INTO notes (title) VALUES (:t)",
    "INSERT INTO notes (id, title) VALUES (:id, :t) ON CONFLICT(id) DO UPDATE SET title = excluded.title",
    "INSERT INTO notes (title) VALUES (:t) RETURNING id, created_at",
    "SELECT strftime('%Y', created_at) AS year, count(*) AS n FROM notes GROUP BY year HAVING n > 1 ORDER BY n",
    "SELECT datetime('now'), last_insert_rowid()",
    "SELECT * FROM sqlite_master WHERE type = 'table'",
    "PRAGMA table_info(notes)",
    "SELECT Title FROM NOTES",
]


@pytest.mark.parametrize("sql", SQLITE_CORRECT)
def test_correct_sqlite_sql_is_not_flagged(sql):
    assert problems(sql, build(SQLITE_SCHEMA, "sqlite")) == []


MYSQL_SCHEMA = ["CREATE TABLE `orders` (`id` INT AUTO_INCREMENT PRIMARY KEY, `sku` VARCHAR(20), `qty` INT, "
                "`meta` JSON) ENGINE=InnoDB;", "CREATE TABLE stock (sku VARCHAR(20) PRIMARY KEY, qty INT);"]
MYSQL_CORRECT = [
    "SELECT `id`, `sku` FROM `orders` WHERE qty > :q LIMIT :n",
    "INSERT INTO stock (sku, qty) VALUES (:s, :q) ON DUPLICATE KEY UPDATE qty = qty + VALUES(qty)",
    "INSERT INTO stock (sku, qty) VALUES (:s, :q) AS new ON DUPLICATE KEY UPDATE qty = new.qty",
    "UPDATE orders o JOIN stock s ON s.sku = o.sku SET s.qty = s.qty - o.qty WHERE o.id = :id",
    "SELECT JSON_EXTRACT(meta, '$.colour') AS colour FROM orders ORDER BY colour",
    'SELECT id FROM orders WHERE sku = "ABC"',
    "SELECT 1 FROM DUAL",
]


@pytest.mark.parametrize("sql", MYSQL_CORRECT)
def test_correct_mysql_sql_is_not_flagged(sql):
    assert problems(sql, build(MYSQL_SCHEMA, "mysql")) == []


# positions in the .hyp file


def run_check(text: str, schema: Schema):
    program, diagnostics = parse(Source(text, "app.hyp"))
    assert diagnostics == []
    return [(d.code, d.severity, d.span.line, d.span.col, d.span.end_col, d.help)
            for d in check_program(program, Source(text, "app.hyp"), schema)]


def test_diagnostics_point_at_the_word_inside_the_literal():
    schema = build(SQLITE_SCHEMA, "sqlite")
    text = ('Focus {\n'
            '    induce who = "ann";\n'
            '    induce rows = DbQuery("SELECT id, titel FROM notes WHERE body = :b", {"b": who});\n'
            '    induce one = DbQueryOne("SELECT \\"id\\" FROM note");\n'
            '    DbExecute("UPDATE notes\n        SET bdy = 1");\n'
            '    induce sql = "SELECT nothing FROM nowhere";\n'
            '    DbQuery(sql);\n'
            '} Relax\n')
    assert run_check(text, schema) == [
        ("HYP3102", "error", 3, 39, 44, 'did you mean "title"?'),
        ("HYP3101", "error", 4, 49, 53, 'did you mean "notes"?'),
        ("HYP3102", "error", 6, 13, 16, 'did you mean "body"?'),
    ]


def test_tables_the_program_creates_count_as_existing():
    schema = build(SQLITE_SCHEMA, "sqlite")
    text = ('Focus {\n'
            '    DbExecute("INSERT INTO cache (k, v) VALUES (:k, :v)", {"k": 1, "v": 2});\n'
            '    DbExecute("CREATE TABLE IF NOT EXISTS cache (k TEXT PRIMARY KEY, v TEXT)");\n'
            '    DbExecute("ALTER TABLE notes ADD COLUMN pinned INTEGER");\n'
            '    DbQuery("SELECT k, v, w FROM cache");\n'
            '    DbQuery("SELECT pinned FROM notes");\n'
            '    DbExecute("DROP TABLE cache");\n'
            '} Relax\n')
    assert run_check(text, schema) == [("HYP3102", "error", 5, 27, 28, "the columns are: k, v")]
    assert "cache" not in schema.describe()


def test_a_table_the_program_drops_and_creates_in_one_literal_exists():
    schema = build(SQLITE_SCHEMA, "sqlite")
    text = ('Focus {\n'
            '    DbExecute("DROP TABLE IF EXISTS tmp; CREATE TABLE tmp (a INTEGER)");\n'
            '    DbQuery("SELECT a FROM tmp");\n'
            '} Relax\n')
    assert run_check(text, schema) == []


# `hyp check` in a project


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("HYP_CACHE_DIR", str(tmp_path / "cache"))
    for name in list(os.environ):
        if name.startswith("HYP_") and name != "HYP_CACHE_DIR":
            monkeypatch.delenv(name)
    monkeypatch.setenv("NO_COLOR", "1")
    root = tmp_path / "shop"
    (root / "migrations").mkdir(parents=True)
    (root / "src").mkdir()
    (root / "config").mkdir()
    (root / "trance.json").write_text(json.dumps({"name": "shop", "version": "0.1.0"}))
    (root / "config" / "hypnoscript.config.json").write_text(
        json.dumps({"infrastructure": {"database": {"url": "postgresql://127.0.0.1/shop"}}}))
    (root / "migrations" / "0001_invoices.sql").write_text(
        "CREATE TABLE invoices (id SERIAL PRIMARY KEY, customer TEXT NOT NULL, total NUMERIC, data JSONB);\n")
    (root / "migrations" / "0002_status.sql").write_text("ALTER TABLE invoices ADD COLUMN status TEXT;\n")
    monkeypatch.chdir(root)
    return root


def hyp_check(capsys, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["check", *args])
    return code, capsys.readouterr().out


def test_hyp_check_reports_sql_problems_in_a_project(project, capsys):
    (project / "src" / "main.hyp").write_text(
        'Focus {\n'
        '    induce who = "ann";\n'
        '    induce rows = DbQuery("SELECT id, totl FROM invoices WHERE customer = :c", {"c": who});\n'
        '    induce paid = DbQuery("SELECT data->>\'ref\' AS ref FROM invoices WHERE status = :s ORDER BY ref",'
        ' {"s": "paid"});\n'
        '    observe rows;\n'
        '    observe paid;\n'
        '} Relax\n')
    code, out = hyp_check(capsys, "src/main.hyp")
    assert code == 1
    assert out == (
        'error[HYP3102]: no column "totl" in table "invoices"\n'
        '  --> src/main.hyp:3:39\n'
        '  |\n'
        '3 |     induce rows = DbQuery("SELECT id, totl FROM invoices WHERE customer = :c", {"c": who});\n'
        '  |                                       ^^^^\n'
        '   = help: did you mean "total"?\n'
        '\n'
        'checked 1 file: 1 error\n')
    (project / "src" / "main.hyp").write_text('Focus {\n    observe DbQuery("SELECT status FROM invoices");\n} Relax\n')
    assert hyp_check(capsys, "src/main.hyp") == (0, "checked 1 file: no problems found\n")


def test_hyp_check_without_migrations_checks_no_sql(project, capsys):
    (project / "migrations" / "0001_invoices.sql").unlink()
    (project / "migrations" / "0002_status.sql").unlink()
    (project / "migrations").rmdir()
    (project / "src" / "main.hyp").write_text('Focus {\n    observe DbQuery("SELECT nothing FROM nowhere");\n} Relax\n')
    assert hyp_check(capsys, "src/main.hyp") == (0, "checked 1 file: no problems found\n")


def test_hyp_check_outside_a_project_does_not_load_sqlglot(tmp_path):
    path = tmp_path / "hello.hyp"
    path.write_text('Focus {\n    observe DbQuery("SELECT nothing FROM nowhere");\n} Relax\n')
    script = ("import sys\nfrom hypnoscript.cli.main import main\ncode = main(['check', sys.argv[1]])\n"
              "print(code, 'sqlglot' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, cwd=tmp_path)
    assert done.stdout.splitlines()[-1] == "0 False"
