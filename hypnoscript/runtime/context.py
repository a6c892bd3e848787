"""The world a running program sees: its output stream, arguments, randomness and capabilities.

Builtins that touch the outside world ask `current().capabilities` first, so a sandbox (a service's
config, `hyp exec --deny ...`) can grant or deny each kind of access per program.
"""

from __future__ import annotations

import contextvars
import sys

from hypnoscript.runtime.errors import HypPermissionError

CAPABILITY_KINDS = ("files", "network", "env", "clock", "random", "process")


class Capabilities:
    """What a program may touch. `None` for an allow-list means "anything"; an empty tuple means
    "nothing". Files are matched by path prefix, hosts exactly, env variables by name."""

    def __init__(self, files: tuple[str, ...] | None = None, network: tuple[str, ...] | None = None,
                 env: tuple[str, ...] | None = None, process: bool = True, clock: bool = True,
                 random: bool = True) -> None:
        self.files = files
        self.network = network
        self.env = env
        self.process = process
        self.clock = clock
        self.random = random

    def check(self, kind: str, target: str | None = None) -> None:
        """Raise HypPermissionError unless `kind` (one of CAPABILITY_KINDS) is granted for `target`."""
        if kind in ("process", "clock", "random"):
            if not getattr(self, kind):
                raise HypPermissionError(f"this program may not use the {kind} capability")
            return
        allowed = getattr(self, kind)
        if allowed is None:
            return
        if target is not None:
            if kind == "files":
                import os

                path = os.path.abspath(target)
                if any(path == p or path.startswith(p.rstrip(os.sep) + os.sep) for p in map(os.path.abspath, allowed)):
                    return
            elif target in allowed:
                return
        what = f" ({target})" if target else ""
        raise HypPermissionError(f"this program may not use the {kind} capability{what}")


class RuntimeContext:
    def __init__(self, stdout=None, stdin=None, argv: list[str] | None = None, script_path: str | None = None,
                 capabilities: Capabilities | None = None, seed: int | None = None, stderr=None) -> None:
        # None means the process's sys.stdout / sys.stdin / sys.stderr at the time of use
        self.stdout = stdout
        self.stdin = stdin
        self.stderr = stderr
        self.argv = argv if argv is not None else []
        self.script_path = script_path
        self.capabilities = capabilities or Capabilities()
        self._seed = seed
        self._rng = None
        # the database and cache of the program (runtime.infrastructure), made on first use
        self.infrastructure = None

    @property
    def rng(self):
        """The program's random generator, created on first use (seeded by `hyp exec --seed`)."""
        if self._rng is None:
            import random

            self._rng = random.Random(self._seed)
        return self._rng

    def write(self, text: str) -> None:
        (self.stdout or sys.stdout).write(text)  # type: ignore[attr-defined]

    def write_err(self, text: str) -> None:
        """Diagnostic output of the program (the debugging builtins); stdout is flushed first so
        that both streams stay in order when they go to the same terminal or file."""
        out = self.stdout or sys.stdout
        flush = getattr(out, "flush", None)
        if flush is not None:
            flush()
        (self.stderr or sys.stderr).write(text)  # type: ignore[attr-defined]

    def read_stdin(self):
        return self.stdin or sys.stdin

    def seed(self, seed: int | None) -> None:
        self._seed = seed
        self._rng = None


_current: contextvars.ContextVar[RuntimeContext] = contextvars.ContextVar("hyp_runtime_context")
_default = RuntimeContext()


def current() -> RuntimeContext:
    return _current.get(_default)


def activate(ctx: RuntimeContext) -> contextvars.Token:
    """Make `ctx` the context of the running program (until `deactivate`)."""
    return _current.set(ctx)


def deactivate(token: contextvars.Token) -> None:
    _current.reset(token)
