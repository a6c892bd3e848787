"""Running work over arbitrarily deep syntax trees or call stacks.

Operator and call chains (`a + b + ... + z`, `x.f().g()...`) nest without limit, so the recursive
walks of the analyses and the compiler run on a thread with a large stack and a matching
recursion limit; so do programs, whose recursion depth is theirs to choose.
"""

from __future__ import annotations

import contextvars
import sys
import threading

ANALYSIS_RECURSION_LIMIT = 60000
_STACK_SIZE = 512 * 1024 * 1024  # address space only: pages are touched as the stack grows


def run_deep(fn, *args, recursion_limit: int = ANALYSIS_RECURSION_LIMIT, name: str = "hypnoscript-analysis"):
    """`fn(*args)` with room for deep recursion, in the caller's context variables; exceptions
    propagate to the caller, and the caller stays responsive to Ctrl-C while it waits."""
    result: dict = {}
    context = contextvars.copy_context()

    def target() -> None:
        try:
            result["value"] = context.run(fn, *args)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            result["error"] = exc

    old_limit = sys.getrecursionlimit()
    old_size = threading.stack_size()
    sys.setrecursionlimit(max(old_limit, recursion_limit))
    try:
        threading.stack_size(_STACK_SIZE)
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
    finally:
        threading.stack_size(old_size)
    try:
        while thread.is_alive():
            thread.join(0.25)
    finally:
        sys.setrecursionlimit(old_limit)
    if "error" in result:
        raise result["error"]
    return result.get("value")
