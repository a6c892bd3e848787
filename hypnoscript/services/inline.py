"""Which route handlers run directly on the event loop.

Handing a call to a handler thread and back costs more than a small handler itself (a queue, two
wake-ups, the GIL changing hands twice). A handler that provably finishes quickly runs on the event
loop instead: no loops, no recursion, no function values, and only the builtins below, whose cost
grows with the size of their arguments alone (no counts that make them repeat, no waiting, no
I/O beyond the log). Everything else, and any handler that ever overruns `INLINE_BUDGET`, runs in
the handler pool with its deadline.
"""

from __future__ import annotations

INLINE_BUDGET = 0.005  # CPU seconds; a handler that takes longer once moves to the handler threads

CHEAP_BUILTINS = frozenset("""
    Fail LogEvent Response HealthReport
    IsArray IsBoolean IsDefined IsFunction IsNull IsNumber IsObject IsString ParseJSON StringifyJSON
    ToBoolean ToDouble ToInt ToNumber ToString TypeOf
    DictClear DictCreate DictFromJson DictGet DictHasKey DictIsEmpty DictKeys DictMerge DictRemove
    DictSet DictSize DictToJson DictValues
    ArrayAverage ArrayContains ArrayCount ArrayDistinct ArrayFirst ArrayGet ArrayIndexOf ArrayIsEmpty
    ArrayJoin ArrayLast ArrayLastIndexOf ArrayLength ArrayMax ArrayMin ArrayPush ArrayReverse ArraySkip
    ArraySlice ArraySort ArraySum ArrayTake ArraysEqual Flatten SubArray
    Capitalize CharAt Compare Concat Contains CountCharacters CountLines CountOccurrences CountSubstring
    CountWords EndsWith EqualsIgnoreCase IndexOf InsertAt IsEmpty IsNullOrEmpty IsWhitespace
    LastIndexOf Length RemoveAt Replace ReplaceFirst Reverse ReverseWords SliceWithNegative Split
    SplitLines SplitWords StartsWith Substring TitleCase ToLower ToUpper Trim TrimEnd TrimStart Truncate
    Abs Ceil Clamp Floor Round Max Min Sqrt Pow Sign Trunc Mod Div Exp Log Log10 Log2
    Sin Cos Tan Atan Atan2
    Random RandomInt RandomRange RandomChoice
    Now CurrentDate CurrentDateTime CurrentTime CurrentTimestamp FormatDateTime
    Sha1 Sha256 Sha512 Md5 Base64Encode Base64Decode HexEncode HexDecode UrlEncode UrlDecode
    HTMLEncode HTMLDecode HMAC VerifyHMAC UuidV4 HashString
    IsValidEmail IsValidUrl IsValidPhoneNumber IsNumeric IsAlphabetic IsAlphanumeric IsLowercase
    IsUppercase IsInRange
    JoinPath GetFileExtension GetFileName GetParentDirectory
""".split())


def inline_handlers(tree, program, names: list[str]) -> set[str]:
    """Which of the handler suggestions `names` of a loaded module (its syntax tree `tree`) may
    run on the event loop."""
    from hypnoscript.analysis.bounded import bounded_suggestions

    imported = {name for _, bound in program.compiled.imports for name in bound}
    return bounded_suggestions(tree, CHEAP_BUILTINS, imported) & set(names)
