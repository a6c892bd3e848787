"""Fixtures shared by every test folder: the real servers (servers.py)."""

from servers import database_url, mariadb_url, postgres_url, redis_cache, sqlite_url  # noqa: F401


def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true",
                     help="also run the long suites (soak and crash tests marked slow); .ci/run does")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a long soak or crash test, run with --slow (as .ci/run does)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--slow"):
        return
    import pytest

    skip = pytest.mark.skip(reason="a long test: run with --slow (make test-slow)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
