"""Fixtures for the `hyp serve` tests (helpers in serve_helpers.py)."""

import pytest
from serve_helpers import serving, write_project


@pytest.fixture
def project(tmp_path):
    return write_project(tmp_path)


@pytest.fixture
def server(project):
    with serving(project) as running:
        yield running
