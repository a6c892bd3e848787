"""Fixtures shared by every test folder: the real servers (servers.py)."""

from servers import database_url, mariadb_url, postgres_url, redis_cache, sqlite_url  # noqa: F401
