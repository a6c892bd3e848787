"""The database layer under failure: pool timeouts, connections the server drops, deadlocks that
DbTransaction survives by running its function again, and values of the drivers' own types."""

import threading
import time

import pytest

from hypnoscript.runtime.errors import HypDatabaseError
from hypnoscript.services.data.database import Database


def open_db(url, tmp_path, **options):
    return Database(url, str(tmp_path), **options)


def test_a_pool_timeout_is_a_database_error(postgres_url, tmp_path):
    db = open_db(postgres_url, tmp_path, pool_size=1, timeout=0.5)
    held = threading.Event()
    release = threading.Event()

    def hold():
        db.transaction(lambda: (held.set(), release.wait(10)))

    # pool_size 1 plus as many again for bursts: two transactions hold every connection
    holders = [threading.Thread(target=hold) for _ in range(2)]
    for t in holders:
        t.start()
    held.wait(5)
    time.sleep(0.3)
    with pytest.raises(HypDatabaseError, match="no database connection became free in time"):
        db.query("SELECT 1 AS one", {})
    release.set()
    for t in holders:
        t.join()
    assert db.query_one("SELECT 1 AS one", {}) == {"one": 1.0}
    db.dispose()


def test_a_dropped_connection_is_replaced_for_the_next_query(postgres_url, tmp_path):
    db = open_db(postgres_url, tmp_path, pool_size=1)
    pid = db.query_one("SELECT pg_backend_pid() AS pid", {})["pid"]
    killer = open_db(postgres_url, tmp_path)
    assert killer.query_one("SELECT pg_terminate_backend(:pid) AS done", {"pid": pid}) == {"done": True}
    assert db.query_one("SELECT 2 AS two", {}) == {"two": 2.0}
    db.dispose()
    killer.dispose()


def test_a_connection_lost_inside_a_transaction_is_an_error(postgres_url, tmp_path):
    db = open_db(postgres_url, tmp_path, pool_size=1)
    killer = open_db(postgres_url, tmp_path)

    def body():
        pid = db.query_one("SELECT pg_backend_pid() AS pid", {})["pid"]
        killer.query_one("SELECT pg_terminate_backend(:pid) AS done", {"pid": pid})
        db.query("SELECT 1", {})

    with pytest.raises(HypDatabaseError, match="postgresql: .*connection was lost"):
        db.transaction(body)
    assert db.query_one("SELECT 3 AS three", {}) == {"three": 3.0}
    db.dispose()
    killer.dispose()


@pytest.mark.parametrize("server", ["postgres_url", "mariadb_url"])
def test_a_deadlock_runs_the_transaction_again(server, request, tmp_path):
    url = request.getfixturevalue(server)
    db = open_db(url, tmp_path, pool_size=4, retries=3)
    db.execute("CREATE TABLE acc (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)", {})
    db.execute("INSERT INTO acc (id, n) VALUES (1, 0), (2, 0)", {})
    both_locked = threading.Barrier(2, timeout=10)
    calls = []
    errors = []

    def transfer(first: int, second: int):
        def body():
            calls.append(first)
            db.execute("UPDATE acc SET n = n + 1 WHERE id = :id", {"id": first})
            if len(calls) <= 2:
                try:
                    both_locked.wait()  # each holds one row: the next updates deadlock
                except threading.BrokenBarrierError:
                    pass
            db.execute("UPDATE acc SET n = n + 1 WHERE id = :id", {"id": second})

        try:
            db.transaction(body)
        except Exception as error:  # noqa: BLE001 - recorded for the assertion
            errors.append(error)

    threads = [threading.Thread(target=transfer, args=(1, 2)), threading.Thread(target=transfer, args=(2, 1))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(calls) == 3, "the victim of the deadlock ran once more"
    assert db.query("SELECT id, n FROM acc ORDER BY id", {}) == [{"id": 1.0, "n": 2.0}, {"id": 2.0, "n": 2.0}]
    db.dispose()


def test_a_deadlock_after_the_retries_is_the_error(postgres_url, tmp_path):
    db = open_db(postgres_url, tmp_path, retries=0)
    calls = []

    def body():
        calls.append(1)
        db.execute("DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '40001', MESSAGE = 'could not serialize'; END $$", {})

    with pytest.raises(HypDatabaseError, match="could not serialize"):
        db.transaction(body)
    assert calls == [1]
    db = open_db(postgres_url, tmp_path, retries=2)
    calls.clear()
    with pytest.raises(HypDatabaseError, match="could not serialize"):
        db.transaction(body)
    assert calls == [1, 1, 1]


@pytest.mark.parametrize("server", ["postgres_url", "mariadb_url"])
def test_driver_types_become_hypnoscript_values(server, request, tmp_path):
    db = open_db(request.getfixturevalue(server), tmp_path)
    row = db.query_one("SELECT CAST(12.25 AS DECIMAL(6, 2)) AS price, CAST('2024-02-29' AS DATE) AS day, "
                       "CAST(7 AS SIGNED) AS n" if "mysql" in db.url else
                       "SELECT CAST(12.25 AS DECIMAL(6, 2)) AS price, CAST('2024-02-29' AS DATE) AS day, "
                       "CAST(7 AS BIGINT) AS n", {})
    assert row == {"price": 12.25, "day": "2024-02-29", "n": 7.0}
    db.dispose()
