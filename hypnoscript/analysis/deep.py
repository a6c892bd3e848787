"""Running an analysis over arbitrarily deep syntax trees.

Operator and call chains (`a + b + ... + z`, `x.f().g()...`) nest without limit, so the recursive
walks of the analyses run on a thread with a large stack and a matching recursion limit.
"""

from __future__ import annotations

import sys
import threading

_RECURSION_LIMIT = 60000
_STACK_SIZE = 256 * 1024 * 1024


def run_deep(fn, *args):
    """`fn(*args)` with room for deep recursion; exceptions propagate to the caller."""
    result: dict = {}

    def target() -> None:
        try:
            result["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            result["error"] = exc

    old_limit = sys.getrecursionlimit()
    old_size = threading.stack_size()
    sys.setrecursionlimit(max(old_limit, _RECURSION_LIMIT))
    try:
        threading.stack_size(_STACK_SIZE)
        thread = threading.Thread(target=target, name="hypnoscript-analysis", daemon=True)
        thread.start()
    finally:
        threading.stack_size(old_size)
    try:
        thread.join()
    finally:
        sys.setrecursionlimit(old_limit)
    if "error" in result:
        raise result["error"]
    return result.get("value")
