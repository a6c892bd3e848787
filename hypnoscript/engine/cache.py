"""The on-disk cache of compiled programs, like `__pycache__`.

An entry is keyed by checksums of the engine version, the file's path and its text, and holds the
text itself, which must match exactly on load: any change recompiles. (zlib checksums instead of
hashlib keep start-up cheap; the stored text makes a checksum collision harmless.) Entries are
marshalled code objects with a magic header; a corrupt or foreign entry is ignored and rewritten. `HYP_CACHE_DIR` moves the cache, `HYP_NO_CACHE=1`
disables it.
"""

from __future__ import annotations

import marshal
import os
import sys
import zlib

from hypnoscript import __version__

MAGIC = b"HYPC2\0"
# Files whose change alters generated code: their sizes and times are part of every key.
_ENGINE_FILES = ("compiler.py", "scopes.py", "names.py", "artifact.py", "../analysis/optimizer.py",
                 "../analysis/folding.py")


def _engine_revision() -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    parts = []
    for name in _ENGINE_FILES:
        try:
            st = os.stat(os.path.join(here, name))
        except OSError:
            continue
        parts.append(f"{st.st_size}:{st.st_mtime_ns}")
    return ",".join(parts)


def directory() -> str:
    explicit = os.environ.get("HYP_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "hypnoscript", "bytecode")


def enabled() -> bool:
    return not os.environ.get("HYP_NO_CACHE")


def optimizing() -> bool:
    """Whether programs go through the optimizer before code generation (`HYP_NO_OPTIMIZE=1`
    turns it off, for comparing or for bisecting a problem)."""
    return not os.environ.get("HYP_NO_OPTIMIZE")


def key(source, module: bool = False) -> tuple[str, str] | None:
    """(file name of the entry, the exact text it must have been compiled from)."""
    if not enabled():
        return None
    header = (f"{__version__}/{_engine_revision()}/{sys.version_info[:2]}/{int(module)}/{int(optimizing())}\0"
              f"{os.path.abspath(source.path)}\0")
    data = (header + source.text).encode("utf-8", "surrogatepass")
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}{len(data):x}", header + source.text


def _path(k: tuple[str, str]) -> str:
    name = k[0]
    return os.path.join(directory(), name[:2], name[2:] + ".hypc")


def load(k: tuple[str, str]):
    from hypnoscript.engine.artifact import CompiledProgram

    try:
        with open(_path(k), "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    if not data.startswith(MAGIC):
        return None
    try:
        text, code, builtins, functions, imports, exports = marshal.loads(data[len(MAGIC):])
    except (ValueError, EOFError, TypeError):
        return None
    if text != k[1]:
        return None
    return CompiledProgram(code, list(builtins), dict(functions), [tuple(i) for i in imports], list(exports))


def store(k: tuple[str, str], compiled) -> None:
    """Write an entry atomically; a read-only or full disk only costs the cache."""
    import tempfile

    path = _path(k)
    payload = MAGIC + marshal.dumps((k[1], compiled.code, tuple(compiled.builtins), compiled.functions,
                                     tuple(compiled.imports), tuple(compiled.exports)))
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, path)
    except OSError:
        pass
