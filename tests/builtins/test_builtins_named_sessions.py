"""Named sessions: one per name and program, shared ones per process, persistent ones in a file."""

import io
import json
import os
import subprocess
import sys
import uuid

import pytest
from builtin_helpers import call

from hypnoscript.runtime.context import Capabilities, RuntimeContext, activate, deactivate
from hypnoscript.runtime.errors import HypArgumentError, HypError, HypIOError, HypPermissionError, HypTypeError


@pytest.fixture
def session_dir(tmp_path, monkeypatch):
    folder = tmp_path / "sessions"
    monkeypatch.setenv("HYP_SESSION_DIR", str(folder))
    return folder


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}"  # process-wide sessions must not meet other tests' ones


def in_other_program(fn):
    token = activate(RuntimeContext(stdout=io.StringIO()))
    try:
        return fn()
    finally:
        deactivate(token)


def test_one_session_per_name_and_program(ctx):
    s = call("Session", "cart")
    assert call("Session", "cart") is s and call("Session", "other") is not s
    call("SessionSet", s, "items", 2.0)
    assert call("SessionGet", s, "items") == 2.0
    assert in_other_program(lambda: call("SessionGet", call("Session", "cart"), "items")) is None


def test_shared_sessions_are_seen_by_every_program(ctx):
    name = unique("shared")
    s = call("Session", name, False, True)
    call("SessionSet", s, "hits", 1.0)
    assert in_other_program(lambda: call("SessionGet", call("Session", name, None, True), "hits")) == 1.0
    assert call("Session", name) is not s  # the program's own session of that name is another one
    assert call("SessionDelete", s) is True
    assert in_other_program(lambda: call("SessionGet", call("Session", name, False, True), "hits")) is None


def test_delete_keys_and_sessions(ctx):
    s = call("Session", "gone")
    call("SessionSet", s, "k", "v")
    assert call("SessionDelete", s, "k") is True and call("SessionDelete", s, "k") is False
    assert call("SessionDelete", s) is True and call("SessionDelete", s) is False
    with pytest.raises(HypError, match="Session 'gone' was deleted with SessionDelete"):
        call("SessionSet", s, "k", "v")
    assert call("Session", "gone") is not s


def test_argument_checks(ctx):
    with pytest.raises(HypArgumentError, match="non-empty session name"):
        call("Session", "")
    with pytest.raises(HypTypeError, match="expected boolean argument at position 2"):
        call("Session", "x", "yes")
    with pytest.raises(HypTypeError, match=r"SessionGet' expected a session made by Session\(name\)"):
        call("SessionGet", {"k": 1.0}, "k")


def test_persistent_session_keeps_its_keys_in_a_file(ctx, session_dir):
    name = unique("store/with slash")
    s = call("Session", name, True)
    call("SessionSet", s, "user", "Max")
    call("SessionSet", s, "prefs", {"theme": "dark", "sizes": [1.0, 2.5]})
    files = os.listdir(session_dir)
    assert files == [name.replace("/", "%2F").replace(" ", "%20") + ".json"]
    with open(session_dir / files[0], encoding="utf-8") as fh:
        assert json.load(fh) == {"user": "Max", "prefs": {"theme": "dark", "sizes": [1, 2.5]}}
    assert call("Session", name, True) is s
    with pytest.raises(HypArgumentError, match="already open and persistent"):
        call("Session", name, False, True)
    assert call("SessionDelete", s) is True
    assert os.listdir(session_dir) == []


def test_persistent_session_refuses_values_json_cannot_hold(ctx, session_dir):
    s = call("Session", unique("strict"), True)
    call("SessionSet", s, "n", 1.0)
    with pytest.raises(HypTypeError, match="cannot convert a function to JSON"):
        call("SessionSet", s, "f", lambda: 1.0)
    assert call("SessionGet", s, "f") is None and call("SessionGet", s, "n") == 1.0
    call("SessionDelete", s)


def test_persistent_session_needs_the_files_capability(ctx, session_dir):
    ctx.capabilities = Capabilities(files=())
    with pytest.raises(HypPermissionError):
        call("Session", unique("sandboxed"), True)
    call("Session", "in memory only")  # a session that is not persistent needs nothing


def test_unreadable_session_file(ctx, session_dir):
    name = unique("broken")
    session_dir.mkdir()
    (session_dir / f"{name}.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(HypIOError, match="does not hold a JSON object"):
        call("Session", name, True)
    (session_dir / f"{name}.json").write_text("{", encoding="utf-8")
    with pytest.raises(HypIOError, match="is not valid JSON"):
        call("Session", name, True)


def test_a_later_program_reads_a_persistent_session(tmp_path):
    program = tmp_path / "visits.hyp"
    program.write_text(
        "Focus {\n"
        '    induce s = Session("visits", true);\n'
        '    SessionSet(s, "count", SessionGet(s, "count", 0) + 1);\n'
        '    observe SessionGet(s, "count");\n'
        "} Relax\n",
        encoding="utf-8",
    )
    env = dict(os.environ, HYP_SESSION_DIR=str(tmp_path / "state"), HYP_NO_CACHE="1")

    def run():
        done = subprocess.run([sys.executable, "-m", "hypnoscript", "exec", str(program)], capture_output=True,
                              text=True, encoding="utf-8", env=env, timeout=60, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert [run(), run(), run()] == ["1\n", "2\n", "3\n"]
