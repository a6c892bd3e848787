"""Set operations and frequency counts over arrays, with structural element equality. Results keep
the order in which elements first appear (the reference leaves the order unspecified)."""

from __future__ import annotations

from hypnoscript.runtime.builtins.args import as_array, as_count, check_size
from hypnoscript.runtime.builtins.array import distinct
from hypnoscript.runtime.builtins.registry import builtin
from hypnoscript.runtime.builtins.support import value_key
from hypnoscript.runtime.values import display


def _keys(items: list) -> set:
    return {value_key(e) for e in items}


def _two(name: str, a, b) -> tuple[list, list]:
    return as_array(a, name, 1), as_array(b, name, 2)


@builtin(
    "collection", "Union(a: array, b: array) -> array", "Distinct elements of either array", aliases=("ArrayUnion",)
)
def _union(a, b):
    a, b = _two("Union", a, b)
    return distinct(a + b)


@builtin(
    "collection",
    "Intersection(a: array, b: array) -> array",
    "Distinct elements of a that are also in b",
    aliases=("ArrayIntersection",),
)
def _intersection(a, b):
    a, b = _two("Intersection", a, b)
    kb = _keys(b)
    return distinct([e for e in a if value_key(e) in kb])


@builtin("collection", "Difference(a: array, b: array) -> array", "Distinct elements of a that are not in b")
def _difference(a, b):
    a, b = _two("Difference", a, b)
    kb = _keys(b)
    return distinct([e for e in a if value_key(e) not in kb])


@builtin(
    "collection", "SymmetricDifference(a: array, b: array) -> array", "Distinct elements in exactly one of the arrays"
)
def _symmetric_difference(a, b):
    a, b = _two("SymmetricDifference", a, b)
    ka, kb = _keys(a), _keys(b)
    return distinct([e for e in a if value_key(e) not in kb] + [e for e in b if value_key(e) not in ka])


@builtin("collection", "IsSubset(a: array, b: array) -> boolean", "Every element of a is in b")
def _is_subset(a, b):
    a, b = _two("IsSubset", a, b)
    return _keys(a) <= _keys(b)


@builtin("collection", "IsSuperset(a: array, b: array) -> boolean", "Every element of b is in a")
def _is_superset(a, b):
    a, b = _two("IsSuperset", a, b)
    return _keys(a) >= _keys(b)


@builtin("collection", "IsDisjoint(a: array, b: array) -> boolean", "No element in common")
def _is_disjoint(a, b):
    a, b = _two("IsDisjoint", a, b)
    return _keys(a).isdisjoint(_keys(b))


def _counts(items: list) -> list[list]:
    """[[value, count], ...] in order of first appearance."""
    slots: dict = {}
    for e in items:
        k = value_key(e)
        if k in slots:
            slots[k][1] += 1
        else:
            slots[k] = [e, 1]
    return [[v, float(n)] for v, n in slots.values()]


@builtin("collection", "Frequency(array: array) -> object", "Object from each element's display form to its count")
def _frequency(a):
    out: dict[str, float] = {}
    for v, n in _counts(as_array(a, "Frequency", 1)):
        key = display(v)
        out[key] = out.get(key, 0.0) + n
    return out


@builtin(
    "collection", "MostCommon(array: array, n: number) -> array", "The n most frequent elements as [value, count] pairs"
)
def _most_common(a, n):
    pairs = _counts(as_array(a, "MostCommon", 1))
    n = as_count(n, "MostCommon", 2)
    return sorted(pairs, key=lambda p: -p[1])[:n]


@builtin(
    "collection",
    "LeastCommon(array: array, n: number) -> array",
    "The n least frequent elements as [value, count] pairs",
)
def _least_common(a, n):
    pairs = _counts(as_array(a, "LeastCommon", 1))
    n = as_count(n, "LeastCommon", 2)
    return sorted(pairs, key=lambda p: p[1])[:n]


@builtin("collection", "ToSet(array: array) -> array", "The distinct elements")
def _to_set(a):
    return distinct(as_array(a, "ToSet", 1))


@builtin("collection", "SetSize(array: array) -> number", "Number of distinct elements")
def _set_size(a):
    return float(len(_keys(as_array(a, "SetSize", 1))))


@builtin("collection", "CartesianProduct(a: array, b: array) -> array", "Every pair [x, y] with x from a and y from b")
def _cartesian_product(a, b):
    a, b = _two("CartesianProduct", a, b)
    check_size(len(a) * len(b), "CartesianProduct")
    return [[x, y] for x in a for y in b]
