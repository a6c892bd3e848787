"""The on-disk cache of compiled programs, like `__pycache__`.

An entry is keyed by the hash of the engine version, the file's path and its text, so any change
to either recompiles. Entries are marshalled code objects with a magic header; a corrupt or
foreign entry is ignored and rewritten. `HYP_CACHE_DIR` moves the cache, `HYP_NO_CACHE=1`
disables it.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile

from hypnoscript import __version__

# Bump when generated code or its runtime contract changes.
ENGINE_REVISION = "1"
MAGIC = b"HYPC" + ENGINE_REVISION.encode() + b"\0"


def directory() -> str:
    explicit = os.environ.get("HYP_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "hypnoscript", "bytecode")


def enabled() -> bool:
    return not os.environ.get("HYP_NO_CACHE")


def key(source, module: bool = False) -> str | None:
    if not enabled():
        return None
    h = hashlib.sha256()
    h.update(f"{__version__}/{ENGINE_REVISION}/{sys.version_info[:2]}/{int(module)}\0".encode())
    h.update(os.path.abspath(source.path).encode("utf-8", "surrogatepass") + b"\0")
    h.update(source.text.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _path(k: str) -> str:
    return os.path.join(directory(), k[:2], k[2:] + ".hypc")


def load(k: str):
    from hypnoscript.engine.compiler import CompiledProgram

    try:
        with open(_path(k), "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    if not data.startswith(MAGIC):
        return None
    try:
        code, builtins, functions, imports, exports = marshal.loads(data[len(MAGIC):])
    except (ValueError, EOFError, TypeError):
        return None
    return CompiledProgram(code, list(builtins), dict(functions), [tuple(i) for i in imports], list(exports))


def store(k: str, compiled) -> None:
    """Write an entry atomically; a read-only or full disk only costs the cache."""
    path = _path(k)
    payload = MAGIC + marshal.dumps((compiled.code, tuple(compiled.builtins), compiled.functions,
                                     tuple(compiled.imports), tuple(compiled.exports)))
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, path)
    except OSError:
        pass
