"""The builtin function registry: one `BuiltinSpec` per callable name.

Each builtin is declared once, next to its implementation, with `@builtin(category, signature, doc)`.
`all_builtins()` imports the category modules on first use and returns the table that the engine,
the checker, `hyp builtins`, the docs generator and editor support all read.

Calling convention: the engine checks the argument count before calling (missing required
arguments are an error, extra ones are evaluated and dropped), so `func` always receives between
`min_args` and `max_args` positional arguments (`max_args` is None for variadic builtins). Builtins
validate the argument *values* themselves (see `args.py`).
"""

from __future__ import annotations

import importlib
import re

# Category modules, in the order `hyp builtins` lists them.
_MODULES = (
    "core",
    "hypnotic",
    "math",
    "string",
    "array",
    "statistics",
    "collection",
    "dictionary",
    "file",
    "system",
    "performance",
    "time_date",
    "validation",
    "hashing",
    "data",
    "network",
    "service",
    "cli",
    "deepmind",
    "localization",
    "concurrency",
    "http_service",
    "named_sessions",
    "debugging",
    "assertions",
    "database",
    "cache",
    "events",
    "security",
)

CATEGORY_TITLES = {
    "core": "Core and conversion",
    "hypnotic": "Hypnotic",
    "math": "Math",
    "string": "Strings",
    "array": "Arrays",
    "statistics": "Statistics",
    "collection": "Collections and sets",
    "dictionary": "Dictionaries (JSON strings)",
    "file": "Files",
    "system": "System",
    "performance": "Performance and profiling",
    "time": "Time and date",
    "validation": "Validation",
    "hashing": "Hashing and encoding",
    "data": "Data formats (JSON, CSV)",
    "network": "Network and HTTP",
    "service": "Service helpers",
    "cli": "Command-line helpers",
    "deepmind": "DeepMind (higher-order functions)",
    "localization": "Localization",
    "async": "Async helpers (synchronous)",
    "session": "Named sessions",
    "debug": "Debugging",
    "testing": "Assertions",
    "database": "Database",
    "cache": "Cache",
    "events": "Events",
    "security": "Security",
}

# The 137 names the reference interpreter dispatches (BUILTINS.md A.11).
REFERENCE_NAMES = frozenset(
    """
    Abs AppendFile AreAnagrams ArrayAverage ArrayContains ArrayCount ArrayDistinct ArrayFirst
    ArrayGet ArrayIndexOf ArrayIsEmpty ArrayJoin ArrayLast ArrayLength ArrayMax ArrayMin
    ArrayReverse ArraySkip ArraySlice ArraySort ArraySum ArrayTake Capitalize Ceil Clamp
    Contains CopyFile Correlation Cos CountOccurrences CreateDirectory CurrentDate
    CurrentDateTime CurrentDay CurrentHour CurrentMinute CurrentMonth CurrentSecond CurrentTime
    CurrentTimestamp CurrentYear DayOfWeek DayOfYear DaysInMonth DeepTrance DeleteFile
    Drift EndsWith Exit Factorial Fibonacci FileExists Floor FormatDateTime Gcd
    GetArchitecture GetArgs GetCpuCount GetCurrentDirectory GetEnv GetFileExtension GetFileName
    GetFileSize GetHomeDirectory GetHostname GetOperatingSystem GetParentDirectory
    GetTempDirectory GetUsername HashNumber HashString HypnoticCountdown HypnoticVisualization
    IndexOf IsAlphabetic IsAlphanumeric IsDirectory IsEmpty IsFile IsInRange IsLeapYear
    IsLowercase IsNumeric IsPalindrome IsPrime IsUppercase IsValidEmail IsValidPhoneNumber
    IsValidUrl IsWhitespace Lcm Length LinearRegression ListDirectory Log Log10 MatchesPattern
    Max Mean Median Min Mode Observe PadLeft PadRight Percentile Pow Range
    ReadFile RemoveDuplicates RenameFile Repeat Replace Reverse ReverseWords Round SetEnv
    SimpleRandom Sin Split Sqrt StandardDeviation StartsWith Substring Tan TitleCase
    ToBoolean ToDouble ToInt ToLower ToString ToUpper TranceInduction Trim UniqueCharacters
    Variance WriteFile
    """.split()
)


class Param:
    """One parameter of a builtin: name, type string, optional, variadic (`...name`)."""

    __slots__ = ("name", "type", "optional", "variadic")

    def __init__(self, name: str, type: str, optional: bool = False, variadic: bool = False) -> None:
        self.name = name
        self.type = type
        self.optional = optional
        self.variadic = variadic

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Param) and self._astuple() == other._astuple()

    def __hash__(self) -> int:
        return hash(self._astuple())

    def __repr__(self) -> str:
        return f"Param({self.name!r}, {self.type!r}, optional={self.optional}, variadic={self.variadic})"

    def _astuple(self) -> tuple:
        return (self.name, self.type, self.optional, self.variadic)

    def render(self) -> str:
        dots = "..." if self.variadic else ""
        mark = "?" if self.optional and not self.variadic else ""
        return f"{dots}{self.name}{mark}: {self.type}"


class BuiltinSpec:
    """Everything known about one builtin name. (A hand-written slotted class rather than a
    dataclass: importing `dataclasses` would double the registry's start-up time.)"""

    __slots__ = (
        "name",
        "func",
        "params",
        "returns",
        "category",
        "doc",
        "capability",
        "pure",
        "min_args",
        "max_args",
        "in_reference",
        "alias_of",
    )

    def __init__(
        self,
        name: str,
        func,
        params: tuple[Param, ...],
        returns: str,
        category: str,
        doc: str,
        capability: str | None = None,
        pure: bool = False,
        min_args: int = 0,
        max_args: int | None = 0,
        in_reference: bool = False,
        alias_of: str | None = None,
    ) -> None:
        self.name = name
        self.func = func
        self.params = params
        self.returns = returns
        self.category = category
        self.doc = doc
        self.capability = capability
        self.pure = pure
        self.min_args = min_args
        self.max_args = max_args
        self.in_reference = in_reference
        self.alias_of = alias_of

    def __repr__(self) -> str:
        return f"BuiltinSpec({self.signature!r}, category={self.category!r})"

    @property
    def signature(self) -> str:
        return f"{self.name}({', '.join(p.render() for p in self.params)}) -> {self.returns}"

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "signature": self.signature,
            "params": [
                {"name": p.name, "type": p.type, "optional": p.optional, "variadic": p.variadic} for p in self.params
            ],
            "returns": self.returns,
            "category": self.category,
            "doc": self.doc,
            "capability": self.capability,
            "pure": self.pure,
            "min_args": self.min_args,
            "max_args": self.max_args,
            "in_reference": self.in_reference,
            "alias_of": self.alias_of,
        }


_REGISTRY: dict[str, BuiltinSpec] = {}
_loaded = False

_SIGNATURE = re.compile(r"\s*(\w+)\s*\((.*)\)\s*->\s*(.+?)\s*\Z")
_PARAM = re.compile(r"\s*(\.\.\.)?(\w+)(\?)?\s*:\s*(.+?)\s*\Z")


def parse_signature(signature: str) -> tuple[str, tuple[Param, ...], str]:
    """`Name(a: number, b?: string, ...rest: any) -> type` -> (name, params, return type)."""
    m = _SIGNATURE.match(signature)
    if m is None:
        raise ValueError(f"malformed builtin signature: {signature!r}")
    name, inner, returns = m.groups()
    params: list[Param] = []
    if inner.strip():
        for part in inner.split(","):
            pm = _PARAM.match(part)
            if pm is None:
                raise ValueError(f"malformed parameter {part!r} in {signature!r}")
            dots, pname, opt, ptype = pm.groups()
            params.append(Param(pname, ptype, bool(opt) or bool(dots), bool(dots)))
    seen_optional = False
    for i, p in enumerate(params):
        if p.variadic and i != len(params) - 1:
            raise ValueError(f"variadic parameter must come last in {signature!r}")
        if seen_optional and not p.optional:
            raise ValueError(f"required parameter after an optional one in {signature!r}")
        seen_optional = seen_optional or p.optional
    return name, tuple(params), returns


def builtin(
    category: str,
    signature: str,
    doc: str,
    *,
    capability: str | None = None,
    pure: bool | None = None,
    aliases: tuple[str, ...] = (),
):
    """Register the decorated function under the signature's name (and each alias).

    `pure` defaults to True for builtins without a capability; pass `pure=False` for builtins that
    print, read stdin, call back into the program or otherwise depend on more than their arguments.
    """
    name, params, returns = parse_signature(signature)
    is_pure = capability is None if pure is None else pure
    min_args = sum(1 for p in params if not p.optional)
    max_args = None if params and params[-1].variadic else len(params)

    def register(func):
        func.__qualname__ = name  # how the builtin displays when used as a value
        for alias in (name, *aliases):
            if alias in _REGISTRY:
                raise ValueError(f"builtin {alias!r} declared twice")
            _REGISTRY[alias] = BuiltinSpec(
                name=alias,
                func=func,
                params=params,
                returns=returns,
                category=category,
                doc=doc if alias == name else f"{doc} (alias of {name})",
                capability=capability,
                pure=is_pure,
                min_args=min_args,
                max_args=max_args,
                in_reference=alias in REFERENCE_NAMES,
                alias_of=None if alias == name else name,
            )
        return func

    return register


def all_builtins() -> dict[str, BuiltinSpec]:
    """Every builtin by name. The category modules are imported once, on the first call."""
    global _loaded
    if not _loaded:
        for module in _MODULES:
            importlib.import_module(f"hypnoscript.runtime.builtins.{module}")
        _loaded = True
    return _REGISTRY


def get(name: str) -> BuiltinSpec | None:
    return all_builtins().get(name)
