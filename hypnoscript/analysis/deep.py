"""Running work over arbitrarily deep syntax trees or call stacks.

Operator and call chains (`a + b + ... + z`, `x.f().g()...`) nest without limit, so the recursive
walks of the analyses and the compiler run on a thread with a large stack and a matching
recursion limit; so do programs, whose recursion depth is theirs to choose. Built on `_thread`:
`threading` would add its own imports to every program's start-up.
"""

from __future__ import annotations

import _thread
import contextvars
import sys

ANALYSIS_RECURSION_LIMIT = 60000
_STACK_SIZE = 512 * 1024 * 1024  # address space only: pages are touched as the stack grows

# name -> idents of the threads running under that name now (the REPL interrupts them on Ctrl-C)
_workers: dict[str, set[int]] = {}


def worker_idents(name: str) -> list[int]:
    return list(_workers.get(name, ()))


def run_deep(fn, *args, recursion_limit: int = ANALYSIS_RECURSION_LIMIT, name: str = "hypnoscript-analysis"):
    """`fn(*args)` with room for deep recursion, in the caller's context variables; exceptions
    propagate to the caller, and the caller stays responsive to Ctrl-C while it waits."""
    result: dict = {}
    context = contextvars.copy_context()
    done = _thread.allocate_lock()
    done.acquire()

    def target() -> None:
        ident = _thread.get_ident()
        _workers.setdefault(name, set()).add(ident)
        try:
            result["value"] = context.run(fn, *args)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            result["error"] = exc
        finally:
            _workers[name].discard(ident)
            done.release()

    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, recursion_limit))
    try:
        old_size = _thread.stack_size(_STACK_SIZE)
        try:
            _thread.start_new_thread(target, ())
        finally:
            _thread.stack_size(old_size)
        while not done.acquire(timeout=0.25):
            pass
    finally:
        sys.setrecursionlimit(old_limit)
    if "error" in result:
        raise result["error"]
    return result.get("value")
