"""Builtins that call the program's functions, and the synchronous async helpers."""

import pytest
from builtin_helpers import call

from hypnoscript.runtime.errors import HypError, HypTypeError
from hypnoscript.runtime.values import display


def fn(name, f):
    f.__qualname__ = name
    return f


double = fn("double", lambda x: x * 2)
add_ten = fn("addTen", lambda x: x + 10)
is_even = fn("isEven", lambda x: x % 2 == 0)


def test_map_filter_reduce(ctx):
    assert call("Map", [1.0, 2.0], double) == [2.0, 4.0]
    assert call("ArrayMap", [], double) == []
    assert call("Filter", [1.0, 2.0, 3.0, 4.0], is_even) == [2.0, 4.0]
    assert call("Reduce", [1.0, 2.0, 3.0], lambda a, b: a + b) == 6.0
    assert call("Reduce", [1.0, 2.0], lambda a, b: a + b, 10.0) == 13.0
    assert call("Reduce", [1.0, 2.0], 10.0, lambda a, b: a + b) == 13.0
    with pytest.raises(HypTypeError):
        call("Reduce", [], lambda a, b: a)
    with pytest.raises(HypTypeError, match="expected function argument at position 2"):
        call("Map", [1.0], 5.0)


def test_search_and_grouping(ctx):
    assert call("Find", [1.0, 4.0, 5.0], lambda x: x > 3) == 4.0
    assert call("Find", [1.0], lambda x: x > 3) is None
    assert call("FindIndex", [1.0, 4.0], lambda x: x > 3) == 1.0
    assert call("FindIndex", [], lambda x: True) == -1.0
    assert call("Every", [2.0, 4.0], is_even) and not call("Every", [2.0, 3.0], is_even)
    assert call("Some", [1.0, 2.0], is_even) and not call("Some", [], is_even)
    assert call("Partition", [1.0, 2.0, 3.0], is_even) == [[2.0], [1.0, 3.0]]
    assert call("UniqueBy", ["aa", "b", "cc"], lambda s: float(len(s))) == ["aa", "b"]
    assert call("GroupBy", [1.0, 2.0, 3.0], is_even) == {"false": [1.0, 3.0], "true": [2.0]}
    assert call("Sort", [3.0, 1.0, 2.0]) == [1.0, 2.0, 3.0]
    assert call("Sort", ["b", "a"]) == ["a", "b"]
    assert call("Sort", [1.0, 3.0, 2.0], lambda a, b: b - a) == [3.0, 2.0, 1.0]
    with pytest.raises(HypError, match="NaN"):
        call("ArraySort", [1.0, float("nan")])


def test_composition(ctx):
    composed = call("Compose", double, add_ten)
    piped = call("Pipe", double, add_ten)
    assert composed(5.0) == 30.0 and piped(5.0) == 20.0
    assert display(composed) == "<function Compose(double, addTen)>"
    calls = []
    square = fn("square", lambda x: calls.append(x) or x * x)
    memo = call("Memoize", square)
    assert memo(3.0) == 9.0 and memo(3.0) == 9.0 and calls == [3.0]
    assert display(memo) == "<function Memoize(square)>"


def test_control_flow_helpers(ctx):
    seen = []
    call("RepeatAction", 3.0, lambda: seen.append(1))
    assert seen == [1, 1, 1]
    assert call("IfTranced", True, lambda: "then", lambda: "else") == "then"
    assert call("IfTranced", 0.0, lambda: "then", lambda: "else") == "else"
    assert call("IfTranced", False, lambda: "then") is None
    n = [0]
    call("RepeatUntil", lambda: n.__setitem__(0, n[0] + 1), lambda: n[0] >= 5)
    assert n == [5]
    call("RepeatWhile", lambda: n[0] > 0, lambda: n.__setitem__(0, n[0] - 1))
    assert n == [0]
    assert call("SequentialTrance", [lambda: 1.0, lambda: 2.0]) == [1.0, 2.0]
    with pytest.raises(HypTypeError):
        call("SequentialTrance", [1.0])


def test_error_helpers(ctx):
    def boom():
        raise HypError("deep failure")

    assert call("TryOrAwaken", boom, lambda msg: "caught: " + msg) == "caught: deep failure"
    assert call("TryOrAwaken", lambda: 1.0, lambda msg: 2.0) == 1.0
    cleaned = []
    with pytest.raises(HypError):
        call("EnsureAwakening", boom, lambda: cleaned.append(True))
    assert cleaned == [True]


def test_timing_helpers(ctx):
    assert call("MeasureTranceDepth", lambda: None) >= 0
    assert call("Benchmark", lambda: None, 3.0) >= 0
    assert call("DelayedSuggestion", lambda: "done", 10.0) == "done"
    assert ctx.slept == [0.01]


def test_async_helpers(ctx):
    call("AsyncDelay", 20.0)
    assert call("DelayedValue", 5.0, "v") == "v"
    assert ctx.slept == [0.02, 0.005]
    assert call("WithTimeout", 10000.0, lambda: 3.0) == 3.0
    assert call("SpawnTask", lambda a, b: a + b, 1.0, 2.0) == 3.0
    assert call("PromiseAll", [lambda: 1.0, 2.0]) == [1.0, 2.0]
    with pytest.raises(HypError, match="No promises provided"):
        call("PromiseRace", [])

    def fails():
        raise HypError("nope")

    assert call("PromiseAny", [fails, lambda: 5.0]) == 5.0
    with pytest.raises(HypError, match="All promises were rejected"):
        call("PromiseAny", [fails])
    assert call("PromiseAllSettled", [fails]) == [{"status": "rejected", "reason": "nope"}]
    assert call("ParallelExecute", [lambda: "a", lambda: "b"]) == ["a", "b"]


def test_channels(ctx):
    assert call("CreateChannel", "jobs", "mpsc", 2.0) == "Created MPSC channel: jobs"
    assert call("ChannelSend", "jobs", "mpsc", "a") is True
    call("ChannelSend", "jobs", "mpsc", [1.0])
    with pytest.raises(HypError, match="full"):
        call("ChannelSend", "jobs", "mpsc", "c")
    assert call("ChannelReceive", "jobs") == "a"
    assert call("ChannelReceive", "jobs", "mpsc") == [1.0]
    assert call("ChannelReceive", "jobs") is None
    call("CreateChannel", "state", "watch")
    call("ChannelSend", "state", "watch", 1.0)
    call("ChannelSend", "state", "watch", 2.0)
    assert call("ChannelReceive", "state", "watch") == 2.0
    with pytest.raises(HypError, match="Unknown channel type"):
        call("CreateChannel", "x", "pigeon")
    with pytest.raises(HypError, match="not found"):
        call("ChannelReceive", "nope")
    with pytest.raises(HypError, match="already exists"):
        call("CreateChannel", "jobs")
