import io

import pytest

from hypnoscript.runtime.builtins.registry import all_builtins
from hypnoscript.runtime.context import RuntimeContext, activate, deactivate


@pytest.fixture(scope="session")
def registry():
    return all_builtins()


@pytest.fixture
def ctx(monkeypatch):
    """A fresh runtime context with captured output, canned input, a fixed seed and no real sleeping."""
    slept = []
    monkeypatch.setattr("time.sleep", lambda s: slept.append(s))
    c = RuntimeContext(stdout=io.StringIO(), stdin=io.StringIO(""), argv=["hyp", "exec", "prog.hyp"], seed=7)
    c.slept = slept
    token = activate(c)
    yield c
    deactivate(token)

