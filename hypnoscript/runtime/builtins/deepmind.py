""" "DeepMind" higher-order builtins: they call the program's functions (passed as values)."""

from __future__ import annotations

import time

from hypnoscript.runtime.builtins.args import as_array, as_count, as_function, as_number, optional
from hypnoscript.runtime.builtins.registry import builtin
from hypnoscript.runtime.builtins.support import sleep_ms, value_key
from hypnoscript.runtime.context import current
from hypnoscript.runtime.errors import HypError
from hypnoscript.runtime.values import function_name, truthy


def _named(fn, name: str):
    fn.__qualname__ = fn.__name__ = name
    return fn


@builtin("deepmind", "RepeatAction(times: number, action: function) -> null", "Call action() times times", pure=False)
def _repeat_action(times, action):
    times = as_count(times, "RepeatAction", 1)
    action = as_function(action, "RepeatAction", 2)
    for _ in range(times):
        action()


@builtin(
    "deepmind",
    "DelayedSuggestion(action: function, delayMs: number) -> any",
    "Wait delayMs milliseconds, then call action()",
    capability="clock",
)
def _delayed_suggestion(action, delay):
    action = as_function(action, "DelayedSuggestion", 1)
    sleep_ms(as_number(delay, "DelayedSuggestion", 2))
    return action()


@builtin(
    "deepmind",
    "repeatAction(action: function, times: number, intervalMs?: number) -> null",
    "The triggers guide's form: call action() times times, waiting intervalMs milliseconds between calls",
    capability="clock",
)
def _repeat_action_interval(action, times, interval=None):
    action = as_function(action, "repeatAction", 1)
    times = as_count(times, "repeatAction", 2)
    pause = as_number(optional(interval, 0.0), "repeatAction", 3)
    for i in range(times):
        if i and pause > 0:
            sleep_ms(pause)
        action()


@builtin(
    "deepmind",
    "delayedSuggestion(action: function, delayMs: number, ...args: any) -> any",
    "The triggers guide's form: wait delayMs milliseconds, then call action(args...) and give its result",
    capability="clock",
)
def _delayed_suggestion_args(action, delay, *args):
    action = as_function(action, "delayedSuggestion", 1)
    sleep_ms(as_number(delay, "delayedSuggestion", 2))
    return action(*args)


@builtin(
    "deepmind",
    "IfTranced(condition: any, then: function, else?: function) -> any",
    "Call then() when condition is truthy, else else()",
    pure=False,
)
def _if_tranced(cond, then, otherwise=None):
    then = as_function(then, "IfTranced", 2)
    if truthy(cond):
        return then()
    return None if otherwise is None else as_function(otherwise, "IfTranced", 3)()


@builtin("deepmind", "Compose(f: function, g: function) -> function", "The function x -> f(g(x))", pure=False)
def _compose(f, g):
    f = as_function(f, "Compose", 1)
    g = as_function(g, "Compose", 2)
    return _named(lambda x: f(g(x)), f"Compose({function_name(f)}, {function_name(g)})")


@builtin("deepmind", "Pipe(f: function, g: function) -> function", "The function x -> g(f(x))", pure=False)
def _pipe(f, g):
    f = as_function(f, "Pipe", 1)
    g = as_function(g, "Pipe", 2)
    return _named(lambda x: g(f(x)), f"Pipe({function_name(f)}, {function_name(g)})")


@builtin(
    "deepmind",
    "RepeatUntil(action: function, condition: function) -> null",
    "Call action() until condition() is truthy (checked first)",
    pure=False,
)
def _repeat_until(action, condition):
    action = as_function(action, "RepeatUntil", 1)
    condition = as_function(condition, "RepeatUntil", 2)
    while not truthy(condition()):
        action()


@builtin(
    "deepmind",
    "RepeatWhile(condition: function, action: function) -> null",
    "Call action() while condition() is truthy",
    pure=False,
)
def _repeat_while(condition, action):
    condition = as_function(condition, "RepeatWhile", 1)
    action = as_function(action, "RepeatWhile", 2)
    while truthy(condition()):
        action()


@builtin(
    "deepmind",
    "SequentialTrance(actions: array) -> array",
    "Call each function of the array in order; returns their results",
    pure=False,
)
def _sequential_trance(actions):
    fns = [as_function(a, "SequentialTrance", 1) for a in as_array(actions, "SequentialTrance", 1)]
    return [fn() for fn in fns]


@builtin(
    "deepmind",
    "TryOrAwaken(try: function, catch: function) -> any",
    "Call try(); if it fails, call catch(message)",
    pure=False,
)
def _try_or_awaken(attempt, handler):
    attempt = as_function(attempt, "TryOrAwaken", 1)
    handler = as_function(handler, "TryOrAwaken", 2)
    try:
        return attempt()
    except HypError as exc:
        return handler(exc.message)


@builtin(
    "deepmind",
    "EnsureAwakening(main: function, cleanup: function) -> any",
    "Call main(), then always cleanup()",
    pure=False,
)
def _ensure_awakening(main, cleanup):
    main = as_function(main, "EnsureAwakening", 1)
    cleanup = as_function(cleanup, "EnsureAwakening", 2)
    try:
        return main()
    finally:
        cleanup()


@builtin(
    "deepmind",
    "MeasureTranceDepth(action: function) -> number",
    "Milliseconds (whole) that action() takes",
    capability="clock",
)
def _measure_trance_depth(action):
    action = as_function(action, "MeasureTranceDepth", 1)
    current().capabilities.check("clock")
    start = time.perf_counter()
    action()
    return float(int((time.perf_counter() - start) * 1000.0))


@builtin(
    "deepmind",
    "Benchmark(action: function, iterations?: number) -> number",
    "Average milliseconds per call of action() over iterations (1 by default)",
    capability="clock",
)
def _benchmark(action, iterations=None):
    action = as_function(action, "Benchmark", 1)
    n = max(as_count(optional(iterations, 1.0), "Benchmark", 2), 1)
    current().capabilities.check("clock")
    start = time.perf_counter()
    for _ in range(n):
        action()
    return (time.perf_counter() - start) * 1000.0 / n


@builtin("deepmind", "Memoize(f: function) -> function", "f with its results cached by argument value", pure=False)
def _memoize(f):
    f = as_function(f, "Memoize", 1)
    cache: dict = {}

    def memo(*args):
        key = tuple(value_key(a) for a in args)
        if key not in cache:
            cache[key] = f(*args)
        return cache[key]

    return _named(memo, f"Memoize({function_name(f)})")
