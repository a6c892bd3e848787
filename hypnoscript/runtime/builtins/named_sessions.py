"""Named sessions: key-value stores made by `Session(name)`, read and changed with `SessionSet`,
`SessionGet` and `SessionDelete`.

`Session(name)` gives the running program's session of that name, made on first use; asking again
gives the same session. It ends with the program unless it is

- persistent (`Session(name, true)`): its keys are also kept in the JSON file
  `$HYP_SESSION_DIR/NAME.json` (by default in `$XDG_STATE_HOME/hypnoscript/sessions`, that is
  `~/.local/state/...`), written on every change and read when a later program opens the session.
  Values must be JSON (numbers, strings, booleans, null, arrays, objects; records come back as
  objects). It needs the `files` capability.
- shared (`Session(name, false, true)`): one session for every program this process runs (the
  requests of `hyp serve`, the files of `hyp test`), not one per program.

A persistent session is one per name in the whole process, shared or not, as its file is.
"""

from __future__ import annotations

import os
import threading

from hypnoscript.runtime.builtins.args import as_bool, as_string, optional
from hypnoscript.runtime.builtins.registry import builtin
from hypnoscript.runtime.builtins.support import check_path, from_json, json_dumps, os_error, program_state
from hypnoscript.runtime.errors import HypArgumentError, HypError, HypIOError, HypTypeError
from hypnoscript.runtime.values import debug_repr


class NamedSession:
    """One named key-value session (a reference value; equal only to itself)."""

    __hyp_kind__ = "session"
    __slots__ = ("name", "values", "path", "registry", "deleted", "lock")

    def __init__(self, name: str, path: str | None, registry: dict) -> None:
        self.name = name
        self.values: dict = {}
        self.path = path  # the file of a persistent session
        self.registry = registry  # where Session(name) finds it, until SessionDelete
        self.deleted = False
        self.lock = threading.Lock()

    def __hyp_display__(self) -> str:
        return f"<session {self.name}>"

    def __repr__(self) -> str:
        return f"<session {self.name}>"


_PROCESS_SESSIONS: dict[str, NamedSession] = {}
_PROCESS_LOCK = threading.Lock()
_ABSENT = object()


def session_directory() -> str:
    explicit = os.environ.get("HYP_SESSION_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(base, "hypnoscript", "sessions")


def _session_file(name: str) -> str:
    from urllib.parse import quote

    # any name is a safe file name: `/`, `..` and the like are percent-encoded
    return os.path.join(session_directory(), quote(name, safe="") + ".json")


def _load(session: NamedSession, path: str) -> None:
    import json

    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise os_error(exc) from None
    except ValueError as exc:
        raise HypIOError(f"the file of session '{session.name}' is not valid JSON: {exc}") from None
    if type(data) is not dict:
        raise HypIOError(f"the file of session '{session.name}' does not hold a JSON object")
    session.values = {k: from_json(v) for k, v in data.items()}


def _save(session: NamedSession, path: str, builtin_name: str) -> None:
    """Write the session's file in one step (a reader never sees half of it)."""
    text = json_dumps(session.values, builtin_name, indent=2)
    check_path(path)
    temp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(temp, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        os.replace(temp, path)
    except OSError as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise os_error(exc) from None


def _open(name: str, persistent: bool, registry: dict) -> NamedSession:
    session = registry.get(name)
    if session is not None:
        if (session.path is not None) != persistent:
            state = "persistent" if session.path is not None else "not persistent"
            raise HypArgumentError(f"Session '{name}' is already open and {state}")
        return session
    path = None
    if persistent:
        path = _session_file(name)
        check_path(path)
    session = NamedSession(name, path, registry)
    if path is not None:
        _load(session, path)
    registry[name] = session
    return session


def _session(value: object, name: str) -> NamedSession:
    if type(value) is not NamedSession:
        raise HypTypeError(
            f"Builtin '{name}' expected a session made by Session(name) at position 1, got {debug_repr(value)}"
        )
    if value.deleted:  # type: ignore[union-attr]
        raise HypError(f"Session '{value.name}' was deleted with SessionDelete")  # type: ignore[union-attr]
    return value  # type: ignore[return-value]


@builtin(
    "session",
    "Session(name: string, persistent?: boolean, shared?: boolean) -> session",
    "The key-value session of that name, made on first use (the same session for the same name). Persistent "
    "keeps its keys for later runs in $HYP_SESSION_DIR/NAME.json (default ~/.local/state/hypnoscript/sessions; "
    "capability files); shared makes it one session for every program of the process",
    pure=False,
)
def _session_builtin(name, persistent=None, shared=None):
    name = as_string(name, "Session", 1)
    persistent = as_bool(optional(persistent, False), "Session", 2)
    shared = as_bool(optional(shared, False), "Session", 3)
    if not name:
        raise HypArgumentError("Builtin 'Session' expected a non-empty session name at position 1")
    if persistent or shared:
        with _PROCESS_LOCK:
            return _open(name, persistent, _PROCESS_SESSIONS)
    return _open(name, False, program_state("named_sessions", dict))


@builtin(
    "session",
    "SessionSet(session: session, key: string, value: any) -> null",
    "Set a key of a session (a persistent session writes its file; its values must be JSON)",
    pure=False,
)
def _session_set(session, key, value):
    session = _session(session, "SessionSet")
    key = as_string(key, "SessionSet", 2)
    with session.lock:
        if session.path is None:
            session.values[key] = value
            return
        previous = session.values.get(key, _ABSENT)
        session.values[key] = value
        try:
            _save(session, session.path, "SessionSet")
        except HypError:  # a value the file cannot hold, or the file cannot be written: no change
            if previous is _ABSENT:
                del session.values[key]
            else:
                session.values[key] = previous
            raise


@builtin(
    "session",
    "SessionGet(session: session, key: string, default?: any) -> any",
    "The value of a key of a session, or default (null) when the key is not set",
    pure=False,
)
def _session_get(session, key, default=None):
    session = _session(session, "SessionGet")
    return session.values.get(as_string(key, "SessionGet", 2), default)


@builtin(
    "session",
    "SessionDelete(session: session, key?: string) -> boolean",
    "Remove a key of a session (true when it was set); without a key delete the whole session, its keys and "
    "its file, so that Session(name) makes a new one",
    pure=False,
)
def _session_delete(session, key=None):
    if type(session) is NamedSession and session.deleted and key is None:
        return False  # deleting a deleted session again changes nothing
    session = _session(session, "SessionDelete")
    if key is not None:
        key = as_string(key, "SessionDelete", 2)
        with session.lock:
            if key not in session.values:
                return False
            value = session.values.pop(key)
            if session.path is not None:
                try:
                    _save(session, session.path, "SessionDelete")
                except HypError:
                    session.values[key] = value
                    raise
        return True
    with session.lock:
        if session.path is not None:
            check_path(session.path)
            try:
                os.unlink(session.path)
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise os_error(exc) from None
        session.deleted = True
        session.values = {}
    with _PROCESS_LOCK:
        if session.registry.get(session.name) is session:
            del session.registry[session.name]
    return True
