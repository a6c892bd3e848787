"""Math builtins: the reference's IEEE wrappers, its 64-bit integer functions (with wrap-around),
the extras of its runtime library and the names its documentation uses."""

from __future__ import annotations

import math

from hypnoscript.runtime.builtins.args import (
    U64_MAX,
    as_array,
    as_count,
    as_integer,
    as_number,
    as_numeric_array,
    round_half_away,
    wrap_i64,
)
from hypnoscript.runtime.builtins.registry import builtin
from hypnoscript.runtime.context import current
from hypnoscript.runtime.errors import HypArgumentError, HypError


def _ieee(fn, x: float) -> float:
    """Call a libm function with Rust's behaviour: domain errors give NaN, overflow gives inf."""
    try:
        return fn(x)
    except ValueError:
        return math.nan
    except OverflowError:
        return math.inf


@builtin("math", "Sin(x: number) -> number", "Sine of an angle in radians", aliases=("sin",))
def _sin(x):
    x = as_number(x, "Sin", 1)
    return math.nan if math.isinf(x) else math.sin(x)


@builtin("math", "Cos(x: number) -> number", "Cosine of an angle in radians", aliases=("cos",))
def _cos(x):
    x = as_number(x, "Cos", 1)
    return math.nan if math.isinf(x) else math.cos(x)


@builtin("math", "Tan(x: number) -> number", "Tangent of an angle in radians", aliases=("tan",))
def _tan(x):
    x = as_number(x, "Tan", 1)
    return math.nan if math.isinf(x) else math.tan(x)


@builtin("math", "Sqrt(x: number) -> number", "Square root (NaN for negative numbers)", aliases=("sqrt",))
def _sqrt(x):
    x = as_number(x, "Sqrt", 1)
    return math.nan if x < 0 else math.sqrt(x)


def _log_with(fn, x: float) -> float:
    if x == 0:
        return -math.inf
    if x < 0 or x != x:
        return math.nan
    return fn(x)


@builtin("math", "Log(x: number) -> number", "Natural logarithm (0 -> -inf, negative -> NaN)", aliases=("log",))
def _log(x):
    return _log_with(math.log, as_number(x, "Log", 1))


@builtin("math", "Log10(x: number) -> number", "Base-10 logarithm", aliases=("log10",))
def _log10(x):
    return _log_with(math.log10, as_number(x, "Log10", 1))


@builtin("math", "Log2(x: number) -> number", "Base-2 logarithm")
def _log2(x):
    return _log_with(math.log2, as_number(x, "Log2", 1))


@builtin("math", "LogBase(x: number, base: number) -> number", "Logarithm of x to the given base")
def _log_base(x, base):
    x = as_number(x, "LogBase", 1)
    base = as_number(base, "LogBase", 2)
    num, den = _log_with(math.log, x), _log_with(math.log, base)
    if den == 0:
        return math.nan if num == 0 or num != num else math.copysign(math.inf, num)
    return num / den


@builtin("math", "Abs(x: number) -> number", "Absolute value", aliases=("abs",))
def _abs(x):
    return abs(as_number(x, "Abs", 1))


@builtin("math", "Floor(x: number) -> number", "Round down", aliases=("floor",))
def _floor(x):
    x = as_number(x, "Floor", 1)
    return x if math.isinf(x) or x != x else math.copysign(float(math.floor(x)), x)


@builtin("math", "Ceil(x: number) -> number", "Round up (Ceil(-0.5) is -0)", aliases=("ceil",))
def _ceil(x):
    x = as_number(x, "Ceil", 1)
    return x if math.isinf(x) or x != x else math.copysign(float(math.ceil(x)), x)


@builtin("math", "Round(x: number) -> number", "Nearest integer, ties away from zero", aliases=("round",))
def _round(x):
    return round_half_away(as_number(x, "Round", 1))


@builtin("math", "Trunc(x: number) -> number", "Integer part (toward zero)")
def _trunc(x):
    x = as_number(x, "Trunc", 1)
    return x if math.isinf(x) or x != x else math.copysign(float(math.trunc(x)), x)


@builtin("math", "Fract(x: number) -> number", "Fractional part (x - Trunc(x))")
def _fract(x):
    x = as_number(x, "Fract", 1)
    return math.nan if math.isinf(x) else x - math.trunc(x) if x == x else x


def _fmin(a: float, b: float) -> float:
    if a != a:
        return b
    if b != b:
        return a
    return b if b < a else a


def _fmax(a: float, b: float) -> float:
    if a != a:
        return b
    if b != b:
        return a
    return b if b > a else a


_MISSING = object()


def _extreme(name: str, pick, a, b):
    """Min/Max: two numbers (the reference's form), or one array of numbers (NaN elements are
    ignored; an empty array gives null)."""
    if b is _MISSING:
        if type(a) is not list:
            raise HypError(f"Builtin '{name}' expected argument at position 2")
        xs = as_numeric_array(a, name, 1)
        if not xs:
            return None
        acc = xs[0]
        for x in xs[1:]:
            acc = pick(acc, x)
        return acc
    return pick(as_number(a, name, 1), as_number(b, name, 2))


@builtin(
    "math",
    "Min(a: number | number[], b?: number) -> number?",
    "The smaller of two numbers (a NaN operand is ignored); with one array, its smallest element (null when empty)",
    aliases=("min",),
)
def _min(a, b=_MISSING):
    return _extreme("Min", _fmin, a, b)


@builtin(
    "math",
    "Max(a: number | number[], b?: number) -> number?",
    "The larger of two numbers (a NaN operand is ignored); with one array, its largest element (null when empty)",
    aliases=("max",),
)
def _max(a, b=_MISSING):
    return _extreme("Max", _fmax, a, b)


def ieee_pow(b: float, e: float) -> float:
    """IEEE `pow`: never raises (overflow -> inf, 0 to a negative power -> inf, Pow(x, 0) = 1)."""
    try:
        return math.pow(b, e)
    except OverflowError:
        odd = e == math.floor(e) and math.fmod(e, 2.0) != 0
        return -math.inf if b < 0 and odd else math.inf
    except ValueError:
        if b == 0:
            odd = e == math.floor(e) and math.fmod(e, 2.0) != 0
            return math.copysign(math.inf, b) if odd else math.inf
        return math.nan


@builtin("math", "Pow(base: number, exponent: number) -> number", "Power (IEEE pow, never an error)", aliases=("pow",))
def _pow(b, e):
    return ieee_pow(as_number(b, "Pow", 1), as_number(e, "Pow", 2))


@builtin("math", "Exp(x: number) -> number", "e raised to x")
def _exp(x):
    return _ieee(math.exp, as_number(x, "Exp", 1))


@builtin("math", "Exp2(x: number) -> number", "2 raised to x")
def _exp2(x):
    return _ieee(math.exp2, as_number(x, "Exp2", 1))


@builtin("math", "Exp10(x: number) -> number", "10 raised to x")
def _exp10(x):
    return ieee_pow(10.0, as_number(x, "Exp10", 1))


@builtin("math", "Cbrt(x: number) -> number", "Cube root")
def _cbrt(x):
    return math.cbrt(as_number(x, "Cbrt", 1))


@builtin("math", "Hypot(x: number, y: number) -> number", "Length of the vector (x, y)")
def _hypot(x, y):
    return math.hypot(as_number(x, "Hypot", 1), as_number(y, "Hypot", 2))


@builtin("math", "Sign(x: number) -> number", "-1, 0 or 1 by the sign of x (NaN -> 0)")
def _sign(x):
    x = as_number(x, "Sign", 1)
    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0


@builtin("math", "Asin(x: number) -> number", "Arc sine in radians")
def _asin(x):
    return _ieee(math.asin, as_number(x, "Asin", 1))


@builtin("math", "Acos(x: number) -> number", "Arc cosine in radians")
def _acos(x):
    return _ieee(math.acos, as_number(x, "Acos", 1))


@builtin("math", "Atan(x: number) -> number", "Arc tangent in radians")
def _atan(x):
    return math.atan(as_number(x, "Atan", 1))


@builtin("math", "Atan2(y: number, x: number) -> number", "Angle of the point (x, y) in radians")
def _atan2(y, x):
    return math.atan2(as_number(y, "Atan2", 1), as_number(x, "Atan2", 2))


@builtin("math", "Sinh(x: number) -> number", "Hyperbolic sine")
def _sinh(x):
    x = as_number(x, "Sinh", 1)
    try:
        return math.sinh(x)
    except OverflowError:
        return math.copysign(math.inf, x)


@builtin("math", "Cosh(x: number) -> number", "Hyperbolic cosine")
def _cosh(x):
    return _ieee(math.cosh, as_number(x, "Cosh", 1))


@builtin("math", "Tanh(x: number) -> number", "Hyperbolic tangent")
def _tanh(x):
    return math.tanh(as_number(x, "Tanh", 1))


@builtin("math", "Asinh(x: number) -> number", "Inverse hyperbolic sine")
def _asinh(x):
    return math.asinh(as_number(x, "Asinh", 1))


@builtin("math", "Acosh(x: number) -> number", "Inverse hyperbolic cosine")
def _acosh(x):
    return _ieee(math.acosh, as_number(x, "Acosh", 1))


@builtin("math", "Atanh(x: number) -> number", "Inverse hyperbolic tangent")
def _atanh(x):
    x = as_number(x, "Atanh", 1)
    if abs(x) == 1:
        return math.copysign(math.inf, x)
    return _ieee(math.atanh, x)


@builtin("math", "ToDegrees(radians: number) -> number", "Radians to degrees", aliases=("RadiansToDegrees",))
def _to_degrees(x):
    return as_number(x, "ToDegrees", 1) * 180.0 / math.pi


@builtin("math", "ToRadians(degrees: number) -> number", "Degrees to radians", aliases=("DegreesToRadians",))
def _to_radians(x):
    return as_number(x, "ToRadians", 1) * math.pi / 180.0


@builtin("math", "Mod(dividend: number, divisor: number) -> number", "Remainder with the sign of the dividend (like %)")
def _mod(a, b):
    a, b = as_number(a, "Mod", 1), as_number(b, "Mod", 2)
    if b == 0 or math.isinf(a) or a != a or b != b:
        return math.nan
    return math.fmod(a, b)


@builtin("math", "Div(dividend: number, divisor: number) -> number", "Division truncated toward zero")
def _div(a, b):
    a, b = as_number(a, "Div", 1), as_number(b, "Div", 2)
    if b == 0:
        return math.nan if a == 0 or a != a else math.copysign(math.inf, a) * math.copysign(1.0, b)
    q = a / b
    return q if math.isinf(q) or q != q else math.copysign(float(math.trunc(q)), q)


@builtin(
    "math",
    "Clamp(value: number, min: number, max: number) -> number",
    "Limit a value to [min, max] (bounds are not swapped)",
    aliases=("clamp",),
)
def _clamp(v, lo, hi):
    v = as_number(v, "Clamp", 1)
    lo = as_number(lo, "Clamp", 2)
    hi = as_number(hi, "Clamp", 3)
    if v < lo:
        return lo
    if v > hi:
        return hi
    return v


@builtin(
    "math", "Factorial(n: number) -> number", "n! with 64-bit wrap-around (n <= 1 gives 1)", aliases=("factorial",)
)
def _factorial(n):
    n = as_integer(n, "Factorial", 1)
    if n <= 1:
        return 1.0
    if n >= 66:
        # 66! and beyond contain at least 64 factors of two: the wrapped product is 0
        return 0.0
    p = 1
    for i in range(2, n + 1):
        p = (p * i) & U64_MAX
    return float(wrap_i64(p))


def _gcd_i64(a: int, b: int) -> int:
    return wrap_i64(math.gcd(a, b))


@builtin("math", "Gcd(a: number, b: number) -> number", "Greatest common divisor", aliases=("gcd", "GCD"))
def _gcd(a, b):
    return float(_gcd_i64(as_integer(a, "Gcd", 1), as_integer(b, "Gcd", 2)))


@builtin(
    "math",
    "Lcm(a: number, b: number) -> number",
    "Least common multiple, abs(a*b)/gcd with 64-bit wrap-around",
    aliases=("lcm", "LCM"),
)
def _lcm(a, b):
    a = as_integer(a, "Lcm", 1)
    b = as_integer(b, "Lcm", 2)
    if a == 0 or b == 0:
        return 0.0
    p = wrap_i64(abs(wrap_i64(a * b)))
    g = _gcd_i64(a, b)
    q = abs(p) // abs(g)
    return float(q if (p < 0) == (g < 0) else -q)


_MR_BASES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37)


def is_prime_int(n: int) -> bool:
    """Deterministic Miller-Rabin for 64-bit integers (same answers as trial division)."""
    if n < 2:
        return False
    for p in _MR_BASES:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for a in _MR_BASES:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


@builtin("math", "IsPrime(n: number) -> boolean", "Primality test (n <= 1 is not prime)", aliases=("is_prime",))
def _is_prime(n):
    return is_prime_int(as_integer(n, "IsPrime", 1))


@builtin("math", "NextPrime(n: number) -> number", "The smallest prime greater than n")
def _next_prime(n):
    k = max(as_integer(n, "NextPrime", 1) + 1, 2)
    while not is_prime_int(k):
        k += 1
    return float(k)


@builtin(
    "math", "PrimeFactors(n: number) -> number[]", "Prime factors in ascending order, with repetition ([] for n < 2)"
)
def _prime_factors(n):
    n = as_integer(n, "PrimeFactors", 1)
    factors: list[int] = []
    if n >= 2:
        _factor(n, factors)
    return [float(f) for f in sorted(factors)]


def _factor(n: int, out: list[int]) -> None:
    for p in _MR_BASES:
        while n % p == 0:
            out.append(p)
            n //= p
    if n == 1:
        return
    if is_prime_int(n):
        out.append(n)
        return
    d = _pollard_rho(n)
    _factor(d, out)
    _factor(n // d, out)


def _pollard_rho(n: int) -> int:
    """A non-trivial divisor of the composite n (Pollard rho with Floyd cycle detection)."""
    c = 1
    while True:
        x = y = 2
        d = 1
        while d == 1:
            x = (x * x + c) % n
            y = (y * y + c) % n
            y = (y * y + c) % n
            d = math.gcd(abs(x - y), n)
        if d != n:
            return d
        c += 1


def _fib_pair(n: int) -> tuple[int, int]:
    """(F(n), F(n+1)) modulo 2^64 by fast doubling."""
    if n == 0:
        return 0, 1
    a, b = _fib_pair(n >> 1)
    c = (a * ((2 * b - a) & U64_MAX)) & U64_MAX
    d = (a * a + b * b) & U64_MAX
    return (d, (c + d) & U64_MAX) if n & 1 else (c, d)


@builtin(
    "math",
    "Fibonacci(n: number) -> number",
    "n-th Fibonacci number with 64-bit wrap-around (n <= 1 gives n)",
    aliases=("fibonacci",),
)
def _fibonacci(n):
    n = as_integer(n, "Fibonacci", 1)
    if n <= 1:
        return float(n)
    return float(wrap_i64(_fib_pair(n)[0]))


@builtin("math", "Random() -> number", "Random number in [0, 1)", capability="random")
def _random():
    ctx = current()
    ctx.capabilities.check("random")
    return ctx.rng.random()


@builtin("math", "RandomRange(min: number, max: number) -> number", "Random number in [min, max)", capability="random")
def _random_range(lo, hi):
    lo = as_number(lo, "RandomRange", 1)
    hi = as_number(hi, "RandomRange", 2)
    ctx = current()
    ctx.capabilities.check("random")
    return lo + (hi - lo) * ctx.rng.random()


@builtin(
    "math",
    "RandomInt(min: number, max: number) -> number",
    "Random integer in [min, max], both inclusive",
    capability="random",
)
def _random_int(lo, hi):
    lo = as_integer(lo, "RandomInt", 1)
    hi = as_integer(hi, "RandomInt", 2)
    if hi < lo:
        raise HypArgumentError(f"Builtin 'RandomInt' expected min <= max, got {lo} and {hi}")
    ctx = current()
    ctx.capabilities.check("random")
    return float(ctx.rng.randint(lo, hi))


@builtin("math", "RandomChoice(array: array) -> any", "A random element (null for an empty array)", capability="random")
def _random_choice(arr):
    arr = as_array(arr, "RandomChoice", 1)
    ctx = current()
    ctx.capabilities.check("random")
    return ctx.rng.choice(arr) if arr else None


@builtin(
    "math",
    "RandomSample(array: array, count: number) -> array",
    "count distinct random elements (all when count exceeds the length)",
    capability="random",
    aliases=("Sample",),
)
def _random_sample(arr, count):
    arr = as_array(arr, "RandomSample", 1)
    count = as_count(count, "RandomSample", 2)
    ctx = current()
    ctx.capabilities.check("random")
    return ctx.rng.sample(arr, min(count, len(arr)))
