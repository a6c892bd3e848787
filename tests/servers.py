"""Real database, cache and broker servers for the tests that need them.

Each test gets a throwaway database (PostgreSQL, MariaDB) or key prefix (Redis) of its own, so
runs never collide. A test whose server is absent is skipped with the reason, except under
`CI=true`, where `.ci/run` has made sure every server runs and an absent one is a failure.
"""

from __future__ import annotations

import os
import socket
import uuid

import pytest

POSTGRES = ("PostgreSQL", os.environ.get("HYP_TEST_POSTGRES_HOST", "127.0.0.1"), 5432)
MARIADB = ("MariaDB", os.environ.get("HYP_TEST_MARIADB_HOST", "127.0.0.1"), 3306)
REDIS = ("Redis", os.environ.get("HYP_TEST_REDIS_HOST", "127.0.0.1"), 6379)
NATS = ("NATS", os.environ.get("HYP_TEST_NATS_HOST", "127.0.0.1"), 4222)
RABBITMQ = ("RabbitMQ", os.environ.get("HYP_TEST_RABBITMQ_HOST", "127.0.0.1"), 5672)
NATS_URL = f"nats://{NATS[1]}:{NATS[2]}"
RABBITMQ_URL = f"amqp://guest:guest@{RABBITMQ[1]}:{RABBITMQ[2]}/"
POSTGRES_USER = os.environ.get("HYP_TEST_POSTGRES_USER", "root")
MARIADB_USER = os.environ.get("HYP_TEST_MARIADB_USER", "root")


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require(server: tuple[str, str, int]) -> None:
    name, host, port = server
    if _listening(host, port):
        return
    message = f"{name} is not running on {host}:{port}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (required under CI=true)")
    pytest.skip(message)


def unique(prefix: str = "hyp_t") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def postgres_database():
    """Create a throwaway PostgreSQL database; returns (url, drop)."""
    require(POSTGRES)
    import psycopg

    name = unique()
    admin = f"postgresql://{POSTGRES_USER}@{POSTGRES[1]}:{POSTGRES[2]}/test"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"postgresql://{POSTGRES_USER}@{POSTGRES[1]}:{POSTGRES[2]}/{name}", drop


def mariadb_database():
    """Create a throwaway MariaDB database; returns (url, drop)."""
    require(MARIADB)
    import pymysql

    name = unique()

    def admin():
        return pymysql.connect(host=MARIADB[1], port=MARIADB[2], user=MARIADB_USER, autocommit=True)

    conn = admin()
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    finally:
        conn.close()

    def drop() -> None:
        conn = admin()
        try:
            with conn.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        finally:
            conn.close()

    return f"mysql://{MARIADB_USER}@{MARIADB[1]}:{MARIADB[2]}/{name}", drop


def redis_prefix():
    """A key prefix of its own on the Redis server; returns (url, prefix, clean)."""
    require(REDIS)
    import redis

    url = f"redis://{REDIS[1]}:{REDIS[2]}/0"
    prefix = unique("hyp_t") + ":"

    def clean() -> None:
        client = redis.Redis.from_url(url)
        try:
            keys = list(client.scan_iter(match=prefix + "*", count=1000))
            if keys:
                client.delete(*keys)
        finally:
            client.close()

    return url, prefix, clean


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'app.db'}"


@pytest.fixture
def postgres_url():
    url, drop = postgres_database()
    yield url
    drop()


@pytest.fixture
def mariadb_url():
    url, drop = mariadb_database()
    yield url
    drop()


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def database_url(request):
    """The same test on each database."""
    return request.getfixturevalue({"sqlite": "sqlite_url", "postgresql": "postgres_url",
                                    "mariadb": "mariadb_url"}[request.param])


@pytest.fixture
def redis_cache():
    """(url, prefix) on the Redis server, cleaned up afterwards."""
    url, prefix, clean = redis_prefix()
    yield url, prefix
    clean()
