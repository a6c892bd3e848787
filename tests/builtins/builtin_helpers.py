"""Helpers shared by the builtin tests (importable because pytest puts this folder on sys.path)."""

import math

from hypnoscript.runtime.builtins.registry import all_builtins


def call(name, *args):
    return all_builtins()[name].func(*args)


def same(a, b):
    """Equality that treats NaN as equal to NaN and tells -0 from 0."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) and math.isnan(b):
            return True
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b
