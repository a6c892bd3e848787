"""Statistics over numeric arrays (elements converted with to_number). Sample variance and
standard deviation divide by n - 1, like the reference."""

from __future__ import annotations

import math
import struct

from hypnoscript.runtime.builtins.args import as_number, as_numeric_array, round_half_away
from hypnoscript.runtime.builtins.array import number_range, sorted_numbers
from hypnoscript.runtime.builtins.registry import builtin
from hypnoscript.runtime.builtins.support import nan_safe_max, nan_safe_min, rust_sum


def mean(xs: list[float]) -> float:
    return rust_sum(xs) / len(xs) if xs else 0.0


def variance(xs: list[float]) -> float:
    if len(xs) < 2:
        return 0.0
    m = mean(xs)
    return rust_sum((x - m) * (x - m) for x in xs) / (len(xs) - 1)


@builtin("statistics", "Mean(values: number[]) -> number", "Arithmetic mean ([] gives 0)", aliases=("CalculateMean",))
def _mean(a):
    return mean(as_numeric_array(a, "Mean", 1))


@builtin(
    "statistics",
    "Median(values: number[]) -> number",
    "Middle value of the sorted values; mean of the two middle ones for an even count",
    aliases=("CalculateMedian", "ArrayMedian"),
)
def _median(a):
    xs = sorted_numbers(as_numeric_array(a, "Median", 1), "Median")
    n = len(xs)
    if n == 0:
        return 0.0
    return (xs[n // 2 - 1] + xs[n // 2]) / 2.0 if n % 2 == 0 else xs[n // 2]


@builtin(
    "statistics",
    "Mode(values: number[]) -> number",
    "Most frequent value (the first one reached on ties; [] gives 0)",
    aliases=("CalculateMode",),
)
def _mode(a):
    xs = as_numeric_array(a, "Mode", 1)
    if not xs:
        return 0.0
    counts: dict[int, int] = {}
    for x in xs:
        # counted by bit pattern, like the reference: 0 and -0 are different values
        key = struct.unpack("<Q", struct.pack("<d", x))[0]
        counts[key] = counts.get(key, 0) + 1
    best = max(counts, key=counts.__getitem__)
    return struct.unpack("<d", struct.pack("<Q", best))[0]


@builtin(
    "statistics",
    "StandardDeviation(values: number[]) -> number",
    "Sample standard deviation (fewer than 2 values give 0)",
    aliases=("CalculateStandardDeviation", "ArrayStandardDeviation"),
)
def _standard_deviation(a):
    return math.sqrt(variance(as_numeric_array(a, "StandardDeviation", 1)))


@builtin(
    "statistics",
    "Variance(values: number[]) -> number",
    "Sample variance (fewer than 2 values give 0)",
    aliases=("CalculateVariance", "ArrayVariance"),
)
def _variance(a):
    return variance(as_numeric_array(a, "Variance", 1))


_MISSING = object()


@builtin(
    "statistics",
    "Range(values: number[] | number, end?: number, step?: number) -> any",
    "With one array: largest minus smallest value ([] gives 0). With numbers: like NumberRange, the numbers from "
    "start to end inclusive by step (1 or -1 by default)",
    aliases=("CalculateRange",),
)
def _range(a, end=_MISSING, step=_MISSING):
    if end is _MISSING or type(a) is list:
        xs = as_numeric_array(a, "Range", 1)
        return nan_safe_max(xs) - nan_safe_min(xs) if xs else 0.0
    start = as_number(a, "Range", 1)
    stop = as_number(end, "Range", 2)
    by = None if step is _MISSING or step is None else as_number(step, "Range", 3)
    return number_range(start, stop, by, "Range")


@builtin(
    "statistics",
    "Percentile(values: number[], p: number) -> number",
    "Nearest-rank percentile: sorted[round(p/100 * (n-1))]; 0 when empty or p outside [0, 100]",
    aliases=("CalculatePercentile",),
)
def _percentile(a, p):
    xs = as_numeric_array(a, "Percentile", 1)
    p = as_number(p, "Percentile", 2)
    if not xs or not (0.0 <= p <= 100.0):
        return 0.0
    xs = sorted_numbers(xs, "Percentile")
    return xs[int(round_half_away(p / 100.0 * (len(xs) - 1)))]


def _pair(name: str, x, y) -> tuple[list[float], list[float]]:
    return as_numeric_array(x, name, 1), as_numeric_array(y, name, 2)


@builtin(
    "statistics",
    "Correlation(x: number[], y: number[]) -> number",
    "Pearson correlation (0 for different lengths, empty input or zero variance)",
    aliases=("CalculateCorrelation",),
)
def _correlation(x, y):
    xs, ys = _pair("Correlation", x, y)
    if len(xs) != len(ys) or not xs:
        return 0.0
    mx, my = mean(xs), mean(ys)
    num = rust_sum((a - mx) * (b - my) for a, b in zip(xs, ys))
    dx = rust_sum((a - mx) * (a - mx) for a in xs)
    dy = rust_sum((b - my) * (b - my) for b in ys)
    if dx == 0 or dy == 0:
        return 0.0
    return num / math.sqrt(dx * dy)


@builtin(
    "statistics",
    "LinearRegression(x: number[], y: number[]) -> number[]",
    "Least-squares [slope, intercept] ([0, 0] for bad input, [0, mean(y)] for constant x)",
)
def _linear_regression(x, y):
    xs, ys = _pair("LinearRegression", x, y)
    if len(xs) != len(ys) or not xs:
        return [0.0, 0.0]
    mx, my = mean(xs), mean(ys)
    num = rust_sum((a - mx) * (b - my) for a, b in zip(xs, ys))
    den = rust_sum((a - mx) * (a - mx) for a in xs)
    if den == 0:
        return [0.0, my]
    slope = num / den
    return [slope, my - slope * mx]
