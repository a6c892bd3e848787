"""The throwaway databases the data tests run in are real and private."""

import sqlalchemy

from hypnoscript.services.data.database import create_engine


def test_each_database_is_empty_and_usable(database_url, tmp_path):
    engine = create_engine(database_url, str(tmp_path))
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE probe (id INTEGER PRIMARY KEY)")
        conn.exec_driver_sql("INSERT INTO probe (id) VALUES (1)")
    with engine.connect() as conn:
        assert conn.execute(sqlalchemy.text("SELECT COUNT(*) FROM probe")).scalar() == 1
    engine.dispose()
