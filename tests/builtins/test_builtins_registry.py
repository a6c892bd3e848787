"""The registry: names against BUILTINS.md, signatures, and argument checking of every builtin."""

import itertools
import math
import pathlib
import re

import pytest
from builtin_helpers import call

from hypnoscript.runtime.builtins.registry import CATEGORY_TITLES, REFERENCE_NAMES, all_builtins, parse_signature
from hypnoscript.runtime.errors import HypError, HypExit, HypTypeError

# BUILTINS.md A.11 (the 137 dispatched names) and the Part B names, checked in so CI needs no spec.
PART_A = sorted(REFERENCE_NAMES)
PART_B = """
Asin Acos Atan Atan2 Sinh Cosh Tanh Asinh Acosh Atanh Cbrt Log2 Exp Exp2 Hypot Sign ToDegrees ToRadians Trunc Fract
TrimStart TrimEnd LastIndexOf ReplaceFirst CharAt Concat SliceWithNegative InsertAt RemoveAt CountSubstring Truncate WrapText
Map Filter Reduce Find FindIndex Every Some Flatten Zip Chunk Shuffle Partition UniqueBy GroupBy RotateLeft RotateRight Interleave Windows
LevenshteinDistance DamerauLevenshteinDistance JaroDistance JaroWinklerDistance HammingDistance Soundex LongestCommonSubstring
LongestCommonSubsequence SimilarityRatio
Union Intersection Difference SymmetricDifference IsSubset IsSuperset IsDisjoint Frequency MostCommon LeastCommon ToSet SetSize CartesianProduct
DictCreate DictGet DictSet DictHasKey DictKeys DictValues DictSize DictIsEmpty DictRemove DictClear DictMerge DictFromJson DictToJson
Sha256 Sha512 Md5 Base64Encode Base64Decode UrlEncode UrlDecode HexEncode HexDecode UuidV4 UuidFromSeed
ReadLines WriteLines CopyDirectoryRecursive
JsonPretty JsonQuery JsonMerge ParseCsv ToCsv CsvSelectColumns
ApiSend ApiGetJson ApiPostJson ApiHealthCheck
RetrySchedule HealthReport ShouldOpenCircuit
CliPrompt CliConfirm ParseArguments HasFlag FlagValue
RepeatAction DelayedSuggestion IfTranced Compose Pipe RepeatUntil RepeatWhile SequentialTrance TryOrAwaken EnsureAwakening
MeasureTranceDepth Memoize
AsyncDelay DelayedValue WithTimeout SpawnTask PromiseAll PromiseRace PromiseAny PromiseAllSettled CreateChannel ChannelSend
ChannelReceive ParallelExecute CpuCount YieldTask Sleep
""".split()
DOCUMENTED = """
Timestamp ToNumber TypeOf IsNull Random RandomInt Sleep Now ArrayPush ArraySet ArrayMap Map Filter Reduce Sha256 Base64Encode
ParseJSON StringifyJSON TrimStart TrimEnd LastIndexOf sin cos tan sqrt pow log log10 abs floor ceil round min max factorial
gcd lcm is_prime fibonacci clamp
""".split()

SPEC = pathlib.Path(__file__).resolve().parents[3] / "shared" / "spec" / "BUILTINS.md"


def test_part_a_count():
    assert len(PART_A) == 137


@pytest.mark.parametrize("names", [PART_A, PART_B, DOCUMENTED], ids=["part-a", "part-b", "documented"])
def test_checked_in_names_are_registered(names):
    missing = [n for n in names if n not in all_builtins()]
    assert not missing


@pytest.mark.skipif(not SPEC.exists(), reason="the shared spec is not available")
def test_names_parsed_from_the_spec_are_registered():
    text = SPEC.read_text(encoding="utf-8")
    index = text.split("### A.11", 1)[1].split("Names frequently used", 1)[0]
    part_a = set(re.findall(r"\b([A-Z][A-Za-z0-9]+)\b", index)) - {"Alphabetical", "Drift", "Observe"} | {"Drift", "Observe"}
    assert part_a == REFERENCE_NAMES
    part_b = text.split("## Part B", 1)[1]
    names = set()
    for m in re.finditer(r"`([A-Z][A-Za-z0-9]+)(?:\(|`)", part_b):
        names.add(m.group(1))
    ignore = {"Locale", "LocalizedMessage", "Length", "JoinPath", "MoveFile", "DictFilter", "DictMap"}
    missing = sorted(n for n in names - ignore if n not in all_builtins())
    assert not missing


def test_reference_flag_and_aliases():
    reg = all_builtins()
    assert sum(1 for s in reg.values() if s.in_reference) == 137
    for spec in reg.values():
        assert spec.category in CATEGORY_TITLES, spec.name
        assert spec.doc and spec.returns
        assert spec.capability in (None, "files", "network", "env", "clock", "random", "process")
        if spec.alias_of:
            assert reg[spec.alias_of].func is spec.func
        assert spec.min_args <= (spec.max_args if spec.max_args is not None else 99)


def test_parse_signature():
    name, params, returns = parse_signature("F(a: number, b?: string, ...rest: any) -> array")
    assert name == "F" and returns == "array"
    assert [(p.name, p.type, p.optional, p.variadic) for p in params] == [
        ("a", "number", False, False),
        ("b", "string", True, False),
        ("rest", "any", True, True),
    ]
    with pytest.raises(ValueError):
        parse_signature("F(a?: number, b: number) -> null")
    with pytest.raises(ValueError):
        parse_signature("not a signature")


def test_arity_limits():
    reg = all_builtins()
    assert (reg["Pow"].min_args, reg["Pow"].max_args) == (2, 2)
    assert (reg["ToString"].min_args, reg["ToString"].max_args) == (0, 1)
    assert (reg["Concat"].min_args, reg["Concat"].max_args) == (0, None)
    assert reg["Sqrt"].pure and not reg["ReadFile"].pure and not reg["Map"].pure and not reg["Observe"].pure


# --- bad arguments -------------------------------------------------------------------------------

GOOD = {"number": 1.0, "string": "a", "boolean": True, "array": [1.0], "number[]": [1.0], "string[]": ["a"], "any": 1.0, "object": {}, "function": lambda *a: 1.0, "record": {}}
BAD = {"number": [1.0], "string": 5.0, "array": "x", "number[]": "x", "string[]": "x", "function": 5.0, "object": 5.0}
# builtins whose first argument is checked only after it has been used, or that take any value
_SKIP_BAD = {"Try", "Reduce", "ApiSend", "CsvSelectColumns", "ParallelExecute", "IfTranced", "ShouldOpenCircuit"}


def _bad_argument_cases():
    for name, spec in sorted(all_builtins().items()):
        if spec.alias_of or name in _SKIP_BAD:
            continue
        for i, p in enumerate(spec.params):
            if p.variadic or p.type not in BAD:
                continue
            args = [GOOD.get(q.type, 1.0) for q in spec.params[: max(spec.min_args, i + 1)] if not q.variadic]
            args[i] = BAD[p.type]
            yield pytest.param(name, tuple(args), i + 1, id=f"{name}-{i + 1}")


@pytest.mark.parametrize("name,args,pos", list(_bad_argument_cases()))
def test_bad_argument_type_is_a_type_error(name, args, pos, ctx):
    with pytest.raises(HypTypeError) as exc:
        call(name, *args)
    assert name in str(exc.value) or "Length" in str(exc.value)


def test_reference_error_texts():
    with pytest.raises(HypTypeError, match=r"^Builtin 'Sqrt' expected numeric argument at position 1$"):
        call("Sqrt", "nine")
    with pytest.raises(HypTypeError, match=r"^Builtin 'ToUpper' expected string argument at position 1, got Number\(42\.0\)$"):
        call("ToUpper", 42.0)
    with pytest.raises(HypTypeError, match=r"^Builtin 'ArrayGet' expected non-negative number at position 2$"):
        call("ArrayGet", [1.0], -1.0)
    with pytest.raises(HypTypeError, match=r"^Builtin 'PadLeft' expected non-empty string to derive character at position 3$"):
        call("PadLeft", "a", 3.0, "")
    with pytest.raises(HypTypeError, match=r"^Builtin 'ArraySum' expected numeric array element at position 2$"):
        call("ArraySum", [1.0, "x"])
    with pytest.raises(HypTypeError, match=r"^Builtin 'ArrayLength' expected array argument at position 1, got String\(\"x\"\)$"):
        call("ArrayLength", "x")
    with pytest.raises(HypTypeError, match=r"^Function 'Length' expects string or array argument, got 5$"):
        call("Length", 5.0)
    with pytest.raises(HypError, match=r"^invalid float literal$"):
        call("ToDouble", " 5")
    with pytest.raises(HypError, match=r"^cannot parse float from empty string$"):
        call("ToDouble", "")


SAMPLES = [None, 0.0, -1.0, 2.5, math.nan, math.inf, 1e300, "", "a,b", "ä\n", True, [], [1.0, "x"], [[1.0]], {}, {"k": [1.0]}]


def _fuzz_targets():
    for name, spec in sorted(all_builtins().items()):
        if spec.alias_of or not spec.pure or spec.capability:
            continue
        yield name, spec


@pytest.mark.parametrize("name,spec", list(_fuzz_targets()), ids=lambda v: v if isinstance(v, str) else "")
def test_pure_builtins_raise_only_hyp_errors(name, spec):
    """Any combination of odd values gives a result or a HypError, never a Python exception."""
    arity = spec.max_args if spec.max_args is not None else spec.min_args + 1
    arity = min(arity, 4)
    combos = itertools.product(SAMPLES, repeat=arity) if arity <= 2 else (tuple(c) for c in itertools.islice(itertools.product(SAMPLES, repeat=arity), 0, None, 97))
    for args in combos:
        try:
            spec.func(*args)
        except (HypError, HypExit):
            pass
