"""Fixtures for the project layer: running `hyp` in-process inside a temporary project, and
building git repositories to install packages from."""

from __future__ import annotations

import os

import pytest

from hypnoscript.cli.main import main

from .helpers import Repo, Result


@pytest.fixture(autouse=True)
def _isolated(tmp_path_factory, monkeypatch):
    """A private code cache, and no HYP_ variables from the outside world."""
    monkeypatch.setenv("HYP_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "hypcache"))
    for name in list(os.environ):
        if name.startswith("HYP_") and name != "HYP_CACHE_DIR":
            monkeypatch.delenv(name)
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture
def hyp(capsys, monkeypatch):
    """`hyp(*args, cwd=...)` runs the CLI in this process and returns code, stdout, stderr."""

    def run(*args: str, cwd=None) -> Result:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def make_repo(tmp_path):
    return lambda name: Repo(tmp_path, name)
