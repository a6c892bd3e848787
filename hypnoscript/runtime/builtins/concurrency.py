"""Async helpers, run synchronously: programs are single-threaded, so "tasks" run when spawned,
"promises" are plain values (or functions, which are called) and channels are in-memory queues
belonging to the running program."""

from __future__ import annotations

import time

from hypnoscript.runtime.builtins.args import as_array, as_count, as_function, as_number, as_string, optional
from hypnoscript.runtime.builtins.registry import builtin
from hypnoscript.runtime.builtins.support import sleep_ms
from hypnoscript.runtime.context import current
from hypnoscript.runtime.errors import HypError
from hypnoscript.runtime.values import type_name

_CHANNEL_TYPES = ("mpsc", "broadcast", "watch")


def _settle(value: object) -> object:
    """A promise's value: functions are called, anything else is already resolved."""
    return value() if type_name(value) == "function" else value


@builtin("async", "AsyncDelay(ms: number) -> null", "Pause for ms milliseconds", capability="clock")
def _async_delay(ms):
    sleep_ms(as_number(ms, "AsyncDelay", 1))


@builtin(
    "async",
    "DelayedValue(ms: number, value: any) -> any",
    "Pause for ms milliseconds, then return value",
    capability="clock",
)
def _delayed_value(ms, value):
    sleep_ms(as_number(ms, "DelayedValue", 1))
    return value


@builtin(
    "async",
    "WithTimeout(ms: number, action: any) -> any",
    "Run action (a function or a value); an error if it took longer than ms",
    capability="clock",
)
def _with_timeout(ms, action):
    limit = as_number(ms, "WithTimeout", 1)
    current().capabilities.check("clock")
    start = time.perf_counter()
    result = _settle(action)
    if (time.perf_counter() - start) * 1000.0 > limit:
        raise HypError(f"Operation timed out after {limit:g} ms")
    return result


@builtin(
    "async",
    "SpawnTask(action: function, ...args: any) -> any",
    "Run a function now with the arguments; returns its result",
    pure=False,
)
def _spawn_task(action, *args):
    return as_function(action, "SpawnTask", 1)(*args)


@builtin("async", "PromiseAll(promises: array) -> array", "The values of all promises, in order", pure=False)
def _promise_all(items):
    return [_settle(p) for p in as_array(items, "PromiseAll", 1)]


@builtin("async", "PromiseRace(promises: array) -> any", "The value of the first promise", pure=False)
def _promise_race(items):
    items = as_array(items, "PromiseRace", 1)
    if not items:
        raise HypError("No promises provided")
    return _settle(items[0])


@builtin("async", "PromiseAny(promises: array) -> any", "The value of the first promise that does not fail", pure=False)
def _promise_any(items):
    errors = []
    for p in as_array(items, "PromiseAny", 1):
        try:
            return _settle(p)
        except HypError as exc:
            errors.append(exc.message)
    raise HypError("All promises were rejected" + (": " + "; ".join(errors) if errors else ""))


@builtin(
    "async",
    "PromiseAllSettled(promises: array) -> array",
    "{status: fulfilled, value} or {status: rejected, reason} for each promise",
    pure=False,
)
def _promise_all_settled(items):
    out = []
    for p in as_array(items, "PromiseAllSettled", 1):
        try:
            out.append({"status": "fulfilled", "value": _settle(p)})
        except HypError as exc:
            out.append({"status": "rejected", "reason": exc.message})
    return out


@builtin(
    "async",
    "ParallelExecute(tasks: any) -> array",
    "Run each function of the array and collect the results (a count n gives [0, ..., n-1])",
    pure=False,
)
def _parallel_execute(tasks):
    if type(tasks) is list:
        return [_settle(t) for t in tasks]
    return [float(i) for i in range(min(as_count(tasks, "ParallelExecute", 1), 1 << 20))]


@builtin(
    "async",
    "YieldTask() -> null",
    "Give other tasks a chance to run (nothing to do in a single-threaded program)",
    pure=False,
)
def _yield_task():
    return None


def _channels() -> dict:
    ctx = current()
    store = ctx.__dict__.get("_hyp_channels")
    if store is None:
        store = ctx.__dict__["_hyp_channels"] = {}
    return store


def _channel_type(value, name: str, pos: int) -> str:
    kind = as_string(optional(value, "mpsc"), name, pos).lower()
    if kind not in _CHANNEL_TYPES:
        raise HypError(f"Unknown channel type: {kind}")
    return kind


@builtin(
    "async",
    "CreateChannel(name: string, type?: string, capacity?: number) -> string",
    "Create a channel (mpsc, broadcast or watch)",
    pure=False,
)
def _create_channel(name, kind=None, capacity=None):
    name = as_string(name, "CreateChannel", 1)
    size = as_count(optional(capacity, 100.0), "CreateChannel", 3)
    kind = _channel_type(kind, "CreateChannel", 2)
    store = _channels()
    if name in store:
        raise HypError(f"Channel '{name}' already exists")
    from collections import deque

    store[name] = (kind, max(size, 1), deque(maxlen=1 if kind == "watch" else None))
    label = {"mpsc": "MPSC", "broadcast": "Broadcast", "watch": "Watch"}[kind]
    return f"Created {label} channel: {name}"


def _get_channel(name: str, kind: str) -> tuple[int, object]:
    entry = _channels().get(name)
    if entry is None or entry[0] != kind:
        raise HypError(f"Channel '{name}' not found")
    return entry[1], entry[2]


@builtin(
    "async",
    "ChannelSend(name: string, type: string, message: any) -> boolean",
    "Send a message to a channel",
    pure=False,
)
def _channel_send(name, kind, message):
    name = as_string(name, "ChannelSend", 1)
    kind = _channel_type(kind, "ChannelSend", 2)
    capacity, queue = _get_channel(name, kind)
    if kind != "watch" and len(queue) >= capacity:
        raise HypError(f"Channel '{name}' is full")
    queue.append(message)
    return True


@builtin(
    "async",
    "ChannelReceive(name: string, type?: string) -> any",
    "The next message of a channel, or null when it is empty",
    pure=False,
)
def _channel_receive(name, kind=None):
    name = as_string(name, "ChannelReceive", 1)
    kind = _channel_type(kind, "ChannelReceive", 2)
    _, queue = _get_channel(name, kind)
    if kind == "watch":
        return queue[-1] if queue else None
    return queue.popleft() if queue else None
