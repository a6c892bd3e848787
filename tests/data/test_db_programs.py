"""The same HypnoScript programs give the same output on SQLite, PostgreSQL and MariaDB:
value mapping both ways, transactions (commit, rollback on throw and on Fail, savepoints) and
errors as catchable HypnoScript errors or diagnostics."""

import os
import pathlib
import subprocess
import sys

import pytest

PROGRAMS = pathlib.Path(__file__).parent / "programs"
HYP = os.path.join(os.path.dirname(sys.executable), "hyp")


def run_hyp(path, database_url, cwd):
    env = {**os.environ, "HYP_INFRASTRUCTURE__DATABASE__URL": database_url, "NO_COLOR": "1"}
    return subprocess.run([HYP, "exec", str(path)], capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


@pytest.mark.parametrize("name", ["values", "transactions"])
def test_program_output_is_the_same_on_every_database(name, database_url, tmp_path):
    result = run_hyp(PROGRAMS / f"{name}.hyp", database_url, tmp_path)
    assert result.stderr == ""
    assert result.returncode == 0
    assert result.stdout == (PROGRAMS / f"{name}.out").read_text()


def test_database_errors_are_catchable_and_end_uncaught_as_diagnostics(database_url, tmp_path):
    result = run_hyp(PROGRAMS / "errors.hyp", database_url, tmp_path)
    assert result.stdout == (PROGRAMS / "errors.out").read_text()
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error[HYP4030]: database error: ")
    assert any(word in lines[0] for word in ("UNIQUE", "unique", "Duplicate"))
    assert lines[1].endswith("errors.hyp:24:3")
    assert "Traceback" not in result.stderr


def test_the_default_database_is_a_sqlite_file_in_the_project(tmp_path):
    project = tmp_path / "shop"
    (project / "scripts").mkdir(parents=True)
    (project / "trance.json").write_text('{"name": "shop", "version": "1.0.0"}')
    script = project / "scripts" / "store.hyp"
    script.write_text('Focus { DbExecute("CREATE TABLE t (x INTEGER)"); observe DbExecute("INSERT INTO t VALUES (1)"); } Relax')
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYP_")}
    result = subprocess.run([HYP, "exec", str(script)], capture_output=True, text=True, env=env, cwd=tmp_path,
                            timeout=120)
    assert (result.returncode, result.stdout, result.stderr) == (0, "1\n", "")
    assert (project / "data" / "app.db").is_file()
    assert not (tmp_path / "data").exists()


def test_an_unreachable_database_is_a_diagnostic(tmp_path):
    script = tmp_path / "down.hyp"
    script.write_text('Focus {\n  try { DbQuery("SELECT 1"); } catch (e) { observe "caught"; }\n  DbQuery("SELECT 1");\n} Relax')
    env = {**os.environ, "HYP_INFRASTRUCTURE__DATABASE__URL": "postgresql://nobody@127.0.0.1:1/none",
           "HYP_INFRASTRUCTURE__DATABASE__TIMEOUT": "2"}
    result = subprocess.run([HYP, "exec", str(script)], capture_output=True, text=True, env=env, cwd=tmp_path,
                            timeout=120)
    assert result.returncode == 1
    assert result.stdout == "caught\n"
    assert result.stderr.startswith("error[HYP4030]: database error: postgresql: ")
    assert "down.hyp:3:3" in result.stderr
    assert "Traceback" not in result.stderr


def test_parameters_next_to_colons(database_url, tmp_path):
    script = tmp_path / "colons.hyp"
    script.write_text('Focus {\n  observe DbQueryOne("SELECT :a AS x, \'10:30\' AS t, \' \\\\:word\' AS w", {"a": 1});\n} Relax')
    result = run_hyp(script, database_url, tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "{x: 1, t: 10:30, w:  :word}\n", "")


def test_postgresql_casts_of_parameters(postgres_url, tmp_path):
    script = tmp_path / "casts.hyp"
    script.write_text('Focus {\n  observe DbQueryOne("SELECT :j::jsonb AS j, :n::int + 1 AS n", {"j": {"a": [1]}, "n": "41"});\n'
                      '} Relax')
    result = run_hyp(script, postgres_url, tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "{j: {a: [1]}, n: 42}\n", "")
