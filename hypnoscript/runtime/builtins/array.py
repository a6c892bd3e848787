"""Array builtins. None of them changes the array it is given (except `ArraySet`, which the
documentation defines as an in-place update); they return new arrays. Element equality is the
structural one of LANGUAGE.md §6.5."""

from __future__ import annotations

import functools
import math

from hypnoscript.runtime.builtins.args import (
    U64_MAX,
    as_array,
    as_count,
    as_element_function,
    as_function,
    as_number,
    as_numeric_array,
    as_string,
    check_size,
)
from hypnoscript.runtime.builtins.registry import builtin
from hypnoscript.runtime.builtins.support import nan_safe_max, nan_safe_min, rust_sum, value_key
from hypnoscript.runtime.context import current
from hypnoscript.runtime.errors import HypArgumentError, HypError, HypIndexError, HypTypeError
from hypnoscript.runtime.values import debug_repr, display, to_number, truthy, value_eq

_LCG_A = 6364136223846793005
_LCG_C = 1442695040888963407


@builtin("array", "ArrayLength(array: array) -> number", "Number of elements")
def _array_length(a):
    return float(len(as_array(a, "ArrayLength", 1)))


@builtin("array", "ArrayIsEmpty(array: array) -> boolean", "True for []")
def _array_is_empty(a):
    return not as_array(a, "ArrayIsEmpty", 1)


@builtin("array", "ArrayGet(array: array, index: number) -> any", "Element at index, null when out of range")
def _array_get(a, i):
    a = as_array(a, "ArrayGet", 1)
    i = as_count(i, "ArrayGet", 2)
    return a[i] if i < len(a) else None


@builtin("array", "ArrayIndexOf(array: array, value: any) -> number", "Index of the first equal element, -1 if none")
def _array_index_of(a, v):
    for i, e in enumerate(as_array(a, "ArrayIndexOf", 1)):
        if value_eq(e, v):
            return float(i)
    return -1.0


@builtin("array", "ArrayLastIndexOf(array: array, value: any) -> number", "Index of the last equal element, -1 if none")
def _array_last_index_of(a, v):
    a = as_array(a, "ArrayLastIndexOf", 1)
    for i in range(len(a) - 1, -1, -1):
        if value_eq(a[i], v):
            return float(i)
    return -1.0


@builtin("array", "ArrayContains(array: array, value: any) -> boolean", "Whether an equal element exists")
def _array_contains(a, v):
    return any(value_eq(e, v) for e in as_array(a, "ArrayContains", 1))


@builtin("array", "ArrayReverse(array: array) -> array", "Reversed copy", aliases=("ReverseArray",))
def _array_reverse(a):
    return as_array(a, "ArrayReverse", 1)[::-1]


@builtin(
    "array",
    "ArraySum(array: number[]) -> number",
    "Sum of the elements (converted to numbers; [] gives -0)",
    aliases=("Sum",),
)
def _array_sum(a):
    return rust_sum(as_numeric_array(a, "ArraySum", 1))


@builtin(
    "array",
    "ArrayAverage(array: number[]) -> number",
    "Arithmetic mean ([] gives 0)",
    aliases=("AverageArray", "Average"),
)
def _array_average(a):
    nums = as_numeric_array(a, "ArrayAverage", 1)
    return rust_sum(nums) / len(nums) if nums else 0.0


@builtin(
    "array",
    "ArrayMin(array: number[]) -> number",
    "Smallest element, NaN ignored ([] gives inf)",
    aliases=("MinArray",),
)
def _array_min(a):
    return nan_safe_min(as_numeric_array(a, "ArrayMin", 1))


@builtin(
    "array",
    "ArrayMax(array: number[]) -> number",
    "Largest element, NaN ignored ([] gives -inf)",
    aliases=("MaxArray",),
)
def _array_max(a):
    return nan_safe_max(as_numeric_array(a, "ArrayMax", 1))


def sorted_numbers(nums: list[float], name: str) -> list[float]:
    if len(nums) > 1 and any(x != x for x in nums):
        raise HypError(f"Builtin '{name}' cannot order NaN values")
    return sorted(nums)


@builtin("array", "ArraySort(array: number[]) -> number[]", "Ascending numeric sort (elements converted to numbers)")
def _array_sort(a):
    return sorted_numbers(as_numeric_array(a, "ArraySort", 1), "ArraySort")


@builtin(
    "array",
    "Sort(array: array, compare?: function) -> array",
    "Sorted copy: numbers numerically, strings by code point, or by compare(a, b) < 0",
    pure=False,
)
def _sort(a, cmp=None):
    a = as_array(a, "Sort", 1)
    if cmp is not None:
        fn = as_function(cmp, "Sort", 2)
        return sorted(a, key=functools.cmp_to_key(lambda x, y: _sign(fn(x, y))))
    if all(type(e) is str for e in a):
        return sorted(a)
    return sorted_numbers(as_numeric_array(a, "Sort", 1), "Sort")


def _sign(v: object) -> int:
    x = to_number(v)
    return -1 if x < 0 else 1 if x > 0 else 0


@builtin("array", "ArrayFirst(array: array) -> any", "First element, null for []")
def _array_first(a):
    a = as_array(a, "ArrayFirst", 1)
    return a[0] if a else None


@builtin("array", "ArrayLast(array: array) -> any", "Last element, null for []")
def _array_last(a):
    a = as_array(a, "ArrayLast", 1)
    return a[-1] if a else None


@builtin("array", "ArrayTake(array: array, count: number) -> array", "The first count elements")
def _array_take(a, n):
    a = as_array(a, "ArrayTake", 1)
    return a[: as_count(n, "ArrayTake", 2)]


@builtin("array", "ArraySkip(array: array, count: number) -> array", "All but the first count elements")
def _array_skip(a, n):
    a = as_array(a, "ArraySkip", 1)
    return a[as_count(n, "ArraySkip", 2) :]


@builtin("array", "ArraySlice(array: array, start: number, end: number) -> array", "Elements [start, end), clamped")
def _array_slice(a, start, end):
    a = as_array(a, "ArraySlice", 1)
    start = as_count(start, "ArraySlice", 2)
    end = as_count(end, "ArraySlice", 3)
    return a[start:end] if start < end else []


@builtin(
    "array",
    "SubArray(array: array, start: number, length: number) -> array",
    "length elements starting at start, clamped",
)
def _sub_array(a, start, length):
    a = as_array(a, "SubArray", 1)
    start = as_count(start, "SubArray", 2)
    length = as_count(length, "SubArray", 3)
    return a[start : start + length]


@builtin(
    "array", "ArrayJoin(array: array, separator: string) -> string", "Display forms of the elements joined by separator"
)
def _array_join(a, sep):
    a = as_array(a, "ArrayJoin", 1)
    return as_string(sep, "ArrayJoin", 2).join(display(e) for e in a)


@builtin("array", "ArrayCount(array: array, value: any) -> number", "Number of equal elements")
def _array_count(a, v):
    return float(sum(1 for e in as_array(a, "ArrayCount", 1) if value_eq(e, v)))


def distinct(items: list, key=value_key) -> list:
    seen = set()
    out = []
    for e in items:
        k = key(e)
        if k not in seen:
            seen.add(k)
            out.append(e)
    return out


@builtin(
    "array",
    "ArrayDistinct(array: array) -> array",
    "First occurrence of each distinct element, order kept",
    aliases=("Unique",),
)
def _array_distinct(a):
    a = as_array(a, "ArrayDistinct", 1)
    out: list = []
    for e in a:
        # the epsilon equality of numbers is not transitive, so compare pairwise like the reference
        if not any(value_eq(x, e) for x in out):
            out.append(e)
    return out


@builtin("array", "ArraysEqual(a: array, b: array) -> boolean", "Element-wise structural equality")
def _arrays_equal(a, b):
    return value_eq(as_array(a, "ArraysEqual", 1), as_array(b, "ArraysEqual", 2))


@builtin("array", "ArrayPush(array: array, ...values: any) -> array", "A new array with the values appended")
def _array_push(a, *values):
    return [*as_array(a, "ArrayPush", 1), *values]


@builtin(
    "array",
    "ArraySet(array: array, index: number, value: any) -> array",
    "Replace the element at index in place and return the array",
    pure=False,
)
def _array_set(a, i, v):
    a = as_array(a, "ArraySet", 1)
    i = as_count(i, "ArraySet", 2)
    if i >= len(a):
        raise HypIndexError(f"Index {i} out of bounds")
    a[i] = v
    return a


@builtin(
    "array", "CreateArray(size: number, value?: any) -> array", "An array of size copies of value (null by default)"
)
def _create_array(size, value=None):
    size = as_count(size, "CreateArray", 1)
    check_size(size, "CreateArray")
    return [value] * size


@builtin(
    "array",
    "Map(array: array, fn: function | string) -> array",
    "fn applied to every element (fn may be the text of an expression of the element x: \"x * 2\")",
    pure=False,
    aliases=("ArrayMap", "MapArray"),
)
def _map(a, fn):
    a = as_array(a, "Map", 1)
    fn = as_element_function(fn, "Map", 2)
    return [fn(e) for e in a]


@builtin(
    "array",
    "Filter(array: array, predicate: function | string) -> array",
    "Elements for which predicate is truthy (predicate may be the text of an expression of the element x: \"x > 25\")",
    pure=False,
    aliases=("ArrayFilter", "FilterArray"),
)
def _filter(a, fn):
    a = as_array(a, "Filter", 1)
    fn = as_element_function(fn, "Filter", 2)
    return [e for e in a if truthy(fn(e))]


@builtin(
    "array",
    "Reduce(array: array, fn: function, initial?: any) -> any",
    "Fold left with fn(accumulator, element); without initial the first element starts",
    pure=False,
    aliases=("ArrayReduce",),
)
def _reduce(a, fn, *rest):
    a = as_array(a, "Reduce", 1)
    if not callable(fn) and rest and callable(rest[0]):
        # the runtime library's order: Reduce(array, initial, fn)
        fn, rest = rest[0], (fn,)
    fn = as_function(fn, "Reduce", 2)
    items = iter(a)
    if rest:
        acc = rest[0]
    else:
        if not a:
            raise HypTypeError("Builtin 'Reduce' needs an initial value for an empty array")
        acc = next(items)
    for e in items:
        acc = fn(acc, e)
    return acc


@builtin(
    "array",
    "Find(array: array, predicate: function | string) -> any",
    "First element for which predicate is truthy, or null",
    pure=False,
)
def _find(a, fn):
    fn = as_element_function(fn, "Find", 2)
    for e in as_array(a, "Find", 1):
        if truthy(fn(e)):
            return e
    return None


@builtin(
    "array",
    "FindIndex(array: array, predicate: function | string) -> number",
    "Index of the first element for which predicate is truthy, or -1",
    pure=False,
)
def _find_index(a, fn):
    fn = as_element_function(fn, "FindIndex", 2)
    for i, e in enumerate(as_array(a, "FindIndex", 1)):
        if truthy(fn(e)):
            return float(i)
    return -1.0


@builtin(
    "array",
    "Every(array: array, predicate: function | string) -> boolean",
    "Whether predicate is truthy for every element",
    pure=False,
)
def _every(a, fn):
    fn = as_element_function(fn, "Every", 2)
    return all(truthy(fn(e)) for e in as_array(a, "Every", 1))


@builtin(
    "array",
    "Some(array: array, predicate: function | string) -> boolean",
    "Whether predicate is truthy for some element",
    pure=False,
)
def _some(a, fn):
    fn = as_element_function(fn, "Some", 2)
    return any(truthy(fn(e)) for e in as_array(a, "Some", 1))


@builtin(
    "array", "Flatten(array: array) -> array", "Concatenate nested arrays one level deep", aliases=("FlattenArray",)
)
def _flatten(a):
    out: list = []
    for e in as_array(a, "Flatten", 1):
        if type(e) is list:
            out.extend(e)
        else:
            out.append(e)
    return out


@builtin("array", "Zip(a: array, b: array) -> array", "Pairs [a[i], b[i]] up to the shorter length")
def _zip(a, b):
    return [[x, y] for x, y in zip(as_array(a, "Zip", 1), as_array(b, "Zip", 2))]


@builtin("array", "Unzip(pairs: array) -> array", "Split an array of pairs into [firsts, seconds]")
def _unzip(pairs):
    firsts, seconds = [], []
    for i, p in enumerate(as_array(pairs, "Unzip", 1), 1):
        if type(p) is not list or len(p) < 2:
            raise HypTypeError(f"Builtin 'Unzip' expected a pair at element {i}, got {debug_repr(p)}")
        firsts.append(p[0])
        seconds.append(p[1])
    return [firsts, seconds]


@builtin(
    "array",
    "Chunk(array: array, size: number) -> array",
    "Consecutive pieces of size elements (size 0 gives [])",
    aliases=("ChunkArray",),
)
def _chunk(a, size):
    a = as_array(a, "Chunk", 1)
    size = as_count(size, "Chunk", 2)
    if size == 0:
        return []
    return [a[i : i + size] for i in range(0, len(a), size)]


@builtin("array", "Windows(array: array, size: number) -> array", "All overlapping runs of size elements")
def _windows(a, size):
    a = as_array(a, "Windows", 1)
    size = as_count(size, "Windows", 2)
    if size == 0 or size > len(a):
        return []
    return [a[i : i + size] for i in range(len(a) - size + 1)]


@builtin(
    "array",
    "Shuffle(array: array, seed?: number) -> array",
    "Shuffled copy; with a seed, the reference's deterministic LCG Fisher-Yates",
    capability="random",
    aliases=("ShuffleArray",),
)
def _shuffle(a, seed=None):
    out = list(as_array(a, "Shuffle", 1))
    if seed is None:
        ctx = current()
        ctx.capabilities.check("random")
        ctx.rng.shuffle(out)
        return out
    state = as_count(seed, "Shuffle", 2) & U64_MAX
    for i in range(len(out) - 1, 0, -1):
        state = (state * _LCG_A + _LCG_C) & U64_MAX
        j = state % (i + 1)
        out[i], out[j] = out[j], out[i]
    return out


@builtin(
    "array",
    "Partition(array: array, predicate: function) -> array",
    "[elements where predicate is truthy, the others]",
    pure=False,
)
def _partition(a, fn):
    fn = as_function(fn, "Partition", 2)
    yes, no = [], []
    for e in as_array(a, "Partition", 1):
        (yes if truthy(fn(e)) else no).append(e)
    return [yes, no]


@builtin(
    "array",
    "UniqueBy(array: array, key: function) -> array",
    "First element for each distinct key(element)",
    pure=False,
)
def _unique_by(a, fn):
    a = as_array(a, "UniqueBy", 1)
    fn = as_function(fn, "UniqueBy", 2)
    return distinct(a, key=lambda e: value_key(fn(e)))


@builtin(
    "array",
    "GroupBy(array: array, key: function) -> object",
    "Object from the display of key(element) to the elements with that key",
    pure=False,
)
def _group_by(a, fn):
    a = as_array(a, "GroupBy", 1)
    fn = as_function(fn, "GroupBy", 2)
    groups: dict[str, list] = {}
    for e in a:
        groups.setdefault(display(fn(e)), []).append(e)
    return groups


@builtin("array", "RotateLeft(array: array, count: number) -> array", "Rotate left by count positions")
def _rotate_left(a, n):
    a = as_array(a, "RotateLeft", 1)
    n = as_count(n, "RotateLeft", 2)
    if not a:
        return []
    n %= len(a)
    return a[n:] + a[:n]


@builtin("array", "RotateRight(array: array, count: number) -> array", "Rotate right by count positions")
def _rotate_right(a, n):
    a = as_array(a, "RotateRight", 1)
    n = as_count(n, "RotateRight", 2)
    if not a:
        return []
    n %= len(a)
    return a[len(a) - n :] + a[: len(a) - n]


@builtin(
    "array",
    "Interleave(a: array, b: array) -> array",
    "Alternate the elements of a and b; the rest of the longer follows",
)
def _interleave(a, b):
    a = as_array(a, "Interleave", 1)
    b = as_array(b, "Interleave", 2)
    out: list = []
    for i in range(max(len(a), len(b))):
        if i < len(a):
            out.append(a[i])
        if i < len(b):
            out.append(b[i])
    return out


@builtin(
    "array",
    "NumberRange(start: number, end: number, step?: number) -> number[]",
    "Numbers from start to end inclusive by step (1 or -1 by default)",
)
def _number_range(start, end, step=None):
    start = as_number(start, "NumberRange", 1)
    end = as_number(end, "NumberRange", 2)
    step = None if step is None else as_number(step, "NumberRange", 3)
    return number_range(start, end, step, "NumberRange")


def number_range(start: float, end: float, step: float | None, name: str) -> list[float]:
    """start, start + step, ... up to and including end; step 1 (or -1 when end < start) by default,
    an empty array when end lies behind start in the step's direction."""
    if step is None:
        step = 1.0 if end >= start else -1.0
    if step == 0 or step != step:
        raise HypTypeError(f"Builtin '{name}' expected a non-zero step at position 3")
    if not (math.isfinite(start) and math.isfinite(end) and math.isfinite(step)):
        raise HypArgumentError(f"Builtin '{name}' needs finite start, end and step values")
    span = (end - start) / step
    if span < 0:
        return []
    check_size(int(min(span, 2.0**62)), name)
    # a little tolerance so that NumberRange(0, 0.3, 0.1) ends at 0.3 despite rounding
    count = math.floor(span + 1e-9) + 1
    check_size(count, name)
    return [start + i * step for i in range(count)]
