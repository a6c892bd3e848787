"""String builtins. Positions and lengths count characters (code points) everywhere, including
`Length`, `IndexOf`, `PadLeft` and `PadRight`, where the reference counts UTF-8 bytes."""

from __future__ import annotations

import re

from hypnoscript.runtime.builtins.args import (
    as_char,
    as_count,
    as_integer,
    as_number,
    as_string,
    check_size,
    optional,
)
from hypnoscript.runtime.builtins.registry import builtin
from hypnoscript.runtime.builtins.support import WHITESPACE, WHITESPACE_CHARS, is_alphanumeric, split_whitespace
from hypnoscript.runtime.context import current
from hypnoscript.runtime.errors import HypTypeError
from hypnoscript.runtime.values import display


@builtin("string", "Length(value: any) -> number", "Number of characters of a string or elements of an array")
def _length(v):
    if type(v) is str or type(v) is list:
        return float(len(v))
    raise HypTypeError(f"Function 'Length' expects string or array argument, got {display(v)}")


@builtin("string", "ToUpper(s: string) -> string", "Upper-case (full Unicode mapping)")
def _to_upper(s):
    return as_string(s, "ToUpper", 1).upper()


@builtin("string", "ToLower(s: string) -> string", "Lower-case (full Unicode mapping)")
def _to_lower(s):
    return as_string(s, "ToLower", 1).lower()


@builtin("string", "Trim(s: string) -> string", "Strip leading and trailing white space")
def _trim(s):
    return as_string(s, "Trim", 1).strip(WHITESPACE_CHARS)


@builtin("string", "TrimStart(s: string) -> string", "Strip leading white space")
def _trim_start(s):
    return as_string(s, "TrimStart", 1).lstrip(WHITESPACE_CHARS)


@builtin("string", "TrimEnd(s: string) -> string", "Strip trailing white space")
def _trim_end(s):
    return as_string(s, "TrimEnd", 1).rstrip(WHITESPACE_CHARS)


@builtin("string", "IndexOf(s: string, sub: string) -> number", "Character index of the first occurrence, -1 if absent")
def _index_of(s, sub):
    return float(as_string(s, "IndexOf", 1).find(as_string(sub, "IndexOf", 2)))


@builtin(
    "string", "LastIndexOf(s: string, sub: string) -> number", "Character index of the last occurrence, -1 if absent"
)
def _last_index_of(s, sub):
    return float(as_string(s, "LastIndexOf", 1).rfind(as_string(sub, "LastIndexOf", 2)))


@builtin(
    "string",
    "Replace(s: string, from: string, to: string) -> string",
    "Replace every occurrence",
    aliases=("ReplaceAll",),
)
def _replace(s, old, new):
    s = as_string(s, "Replace", 1)
    old = as_string(old, "Replace", 2)
    new = as_string(new, "Replace", 3)
    if not old:
        check_size(len(s) + (len(s) + 1) * len(new), "Replace")
    return s.replace(old, new)


@builtin("string", "ReplaceFirst(s: string, from: string, to: string) -> string", "Replace the first occurrence only")
def _replace_first(s, old, new):
    return as_string(s, "ReplaceFirst", 1).replace(
        as_string(old, "ReplaceFirst", 2), as_string(new, "ReplaceFirst", 3), 1
    )


@builtin("string", "Reverse(s: string) -> string", "Reverse by characters")
def _reverse(s):
    return as_string(s, "Reverse", 1)[::-1]


@builtin("string", "Capitalize(s: string) -> string", "Upper-case the first character, keep the rest")
def _capitalize(s):
    s = as_string(s, "Capitalize", 1)
    return s[:1].upper() + s[1:]


@builtin("string", "StartsWith(s: string, prefix: string) -> boolean", "Prefix test")
def _starts_with(s, p):
    return as_string(s, "StartsWith", 1).startswith(as_string(p, "StartsWith", 2))


@builtin("string", "EndsWith(s: string, suffix: string) -> boolean", "Suffix test")
def _ends_with(s, p):
    return as_string(s, "EndsWith", 1).endswith(as_string(p, "EndsWith", 2))


@builtin("string", "Contains(s: string, sub: string) -> boolean", "Substring test")
def _contains(s, sub):
    return as_string(sub, "Contains", 2) in as_string(s, "Contains", 1)


@builtin("string", "Split(s: string, separator: string) -> string[]", "Split on every occurrence, keeping empty pieces")
def _split(s, sep):
    s = as_string(s, "Split", 1)
    sep = as_string(sep, "Split", 2)
    if not sep:
        return ["", *s, ""]
    return s.split(sep)


@builtin("string", "Substring(s: string, start: number, end: number) -> string", "Characters [start, end), clamped")
def _substring(s, start, end):
    s = as_string(s, "Substring", 1)
    start = as_count(start, "Substring", 2)
    end = as_count(end, "Substring", 3)
    return s[start:end] if start < end else ""


@builtin("string", "Repeat(s: string, times: number) -> string", "The string repeated")
def _repeat(s, n):
    s = as_string(s, "Repeat", 1)
    n = as_count(n, "Repeat", 2)
    if not s:
        return ""
    check_size(len(s) * n, "Repeat")
    return s * n


def _pad(name: str, s, width, pad) -> tuple[str, str]:
    s = as_string(s, name, 1)
    width = as_count(width, name, 2)
    c = as_char(pad, name, 3)
    check_size(width, name)
    return s, c * max(0, width - len(s))


@builtin(
    "string",
    "PadLeft(s: string, width: number, pad: string) -> string",
    "Prepend the first character of pad up to width characters",
)
def _pad_left(s, width, pad):
    s, fill = _pad("PadLeft", s, width, pad)
    return fill + s


@builtin(
    "string",
    "PadRight(s: string, width: number, pad: string) -> string",
    "Append the first character of pad up to width characters",
)
def _pad_right(s, width, pad):
    s, fill = _pad("PadRight", s, width, pad)
    return s + fill


@builtin("string", "IsEmpty(s: string) -> boolean", "True for the empty string")
def _is_empty(s):
    return as_string(s, "IsEmpty", 1) == ""


@builtin("string", "IsWhitespace(s: string) -> boolean", 'True when every character is white space (also for "")')
def _is_whitespace(s):
    return all(c in WHITESPACE for c in as_string(s, "IsWhitespace", 1))


@builtin("string", "IsNullOrEmpty(value: any) -> boolean", 'True for null, "" and []')
def _is_null_or_empty(v):
    return v is None or v == "" or v == []


@builtin(
    "string",
    "AreAnagrams(a: string, b: string) -> boolean",
    "Same characters with the same counts (case and spaces matter)",
)
def _are_anagrams(a, b):
    return sorted(as_string(a, "AreAnagrams", 1)) == sorted(as_string(b, "AreAnagrams", 2))


@builtin("string", "IsPalindrome(s: string) -> boolean", "Palindrome test on the lower-cased letters and digits")
def _is_palindrome(s):
    clean = "".join(c for c in as_string(s, "IsPalindrome", 1) if is_alphanumeric(c)).lower()
    return clean == clean[::-1]


@builtin(
    "string",
    "CountOccurrences(text: string, pattern: string) -> number",
    "Non-overlapping occurrences (0 for an empty pattern)",
)
def _count_occurrences(text, pat):
    text = as_string(text, "CountOccurrences", 1)
    pat = as_string(pat, "CountOccurrences", 2)
    return float(text.count(pat)) if pat else 0.0


@builtin(
    "string",
    "CountSubstring(s: string, pattern: string) -> number",
    "Non-overlapping occurrences (0 for an empty pattern)",
)
def _count_substring(text, pat):
    text = as_string(text, "CountSubstring", 1)
    pat = as_string(pat, "CountSubstring", 2)
    return float(text.count(pat)) if pat else 0.0


@builtin("string", "RemoveDuplicates(s: string) -> string", "Keep the first occurrence of each character")
def _remove_duplicates(s):
    return "".join(dict.fromkeys(as_string(s, "RemoveDuplicates", 1)))


@builtin("string", "UniqueCharacters(s: string) -> string", "The distinct characters (in order of first occurrence)")
def _unique_characters(s):
    return "".join(dict.fromkeys(as_string(s, "UniqueCharacters", 1)))


@builtin("string", "ReverseWords(s: string) -> string", "Reverse the word order, joining with single spaces")
def _reverse_words(s):
    return " ".join(reversed(split_whitespace(as_string(s, "ReverseWords", 1))))


@builtin(
    "string",
    "TitleCase(s: string) -> string",
    "Upper-case the first character of every word, joining with single spaces",
)
def _title_case(s):
    return " ".join(w[:1].upper() + w[1:] for w in split_whitespace(as_string(s, "TitleCase", 1)))


@builtin("string", "CharAt(s: string, index: number) -> string?", "The character at index, or null when out of range")
def _char_at(s, i):
    s = as_string(s, "CharAt", 1)
    i = as_count(i, "CharAt", 2)
    return s[i] if i < len(s) else None


@builtin(
    "string",
    "Concat(...parts: any) -> string",
    "Concatenate the display forms of the arguments (or of one array's elements)",
)
def _concat(*parts):
    if len(parts) == 1 and type(parts[0]) is list:
        parts = tuple(parts[0])
    return "".join(display(p) for p in parts)


@builtin(
    "string",
    "SliceWithNegative(s: string, start: number, end: number) -> string",
    "Characters [start, end); negative indices count from the end",
)
def _slice_with_negative(s, start, end):
    s = as_string(s, "SliceWithNegative", 1)
    n = len(s)

    def norm(i: int) -> int:
        return max(n + i, 0) if i < 0 else min(i, n)

    a = norm(as_integer(start, "SliceWithNegative", 2))
    b = norm(as_integer(end, "SliceWithNegative", 3))
    return s[a:b] if a < b else ""


@builtin(
    "string",
    "InsertAt(s: string, index: number, text: string) -> string",
    "Insert text before character index (append when past the end)",
)
def _insert_at(s, i, t):
    s = as_string(s, "InsertAt", 1)
    i = as_count(i, "InsertAt", 2)
    t = as_string(t, "InsertAt", 3)
    return s[:i] + t + s[i:]


@builtin(
    "string",
    "RemoveAt(s: string, index: number) -> string",
    "Remove the character at index (unchanged when out of range)",
)
def _remove_at(s, i):
    s = as_string(s, "RemoveAt", 1)
    i = as_count(i, "RemoveAt", 2)
    return s[:i] + s[i + 1 :] if i < len(s) else s


@builtin(
    "string",
    "Truncate(s: string, max: number, suffix: string) -> string",
    "Cut to max characters including the suffix when longer",
)
def _truncate(s, max_len, suffix):
    s = as_string(s, "Truncate", 1)
    max_len = as_count(max_len, "Truncate", 2)
    suffix = as_string(suffix, "Truncate", 3)
    if len(s) <= max_len:
        return s
    return s[: max(0, max_len - len(suffix))] + suffix


@builtin(
    "string",
    "WrapText(s: string, width: number) -> string[]",
    "Greedy word wrap into lines of at most width characters",
)
def _wrap_text(s, width):
    s = as_string(s, "WrapText", 1)
    width = as_count(width, "WrapText", 2)
    if width == 0:
        return [s]
    lines: list[str] = []
    line = ""
    for word in split_whitespace(s):
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = ""
        line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return lines


_PLACEHOLDER = re.compile(r"\{(\d+)\}")


@builtin(
    "string",
    "FormatString(template: string, ...args: any) -> string",
    "Replace {0}, {1}, ... with the display of the arguments",
)
def _format_string(template, *args):
    template = as_string(template, "FormatString", 1)

    def sub(m: re.Match) -> str:
        i = int(m.group(1))
        return display(args[i]) if i < len(args) else m.group(0)

    return _PLACEHOLDER.sub(sub, template)


def lines(s: str) -> list[str]:
    """Rust's `str::lines`: split on \\n, drop one \\r before it, no final empty line."""
    if not s:
        return []
    parts = s.split("\n")
    if parts[-1] == "":
        parts.pop()
    return [p[:-1] if p.endswith("\r") else p for p in parts]


@builtin("string", "SplitLines(s: string) -> string[]", "Split into lines (\\n or \\r\\n)")
def _split_lines(s):
    return lines(as_string(s, "SplitLines", 1))


@builtin("string", "CountLines(s: string) -> number", "Number of lines")
def _count_lines(s):
    return float(len(lines(as_string(s, "CountLines", 1))))


@builtin("string", "SplitWords(s: string) -> string[]", "Split on runs of white space")
def _split_words(s):
    return split_whitespace(as_string(s, "SplitWords", 1))


@builtin("string", "CountWords(s: string) -> number", "Number of white-space separated words")
def _count_words(s):
    return float(len(split_whitespace(as_string(s, "CountWords", 1))))


@builtin("string", "CountCharacters(s: string) -> number", "Number of characters that are not white space")
def _count_characters(s):
    return float(sum(1 for c in as_string(s, "CountCharacters", 1) if c not in WHITESPACE))


@builtin("string", "Compare(a: string, b: string) -> number", "-1, 0 or 1 by code-point order")
def _compare(a, b):
    a = as_string(a, "Compare", 1)
    b = as_string(b, "Compare", 2)
    return -1.0 if a < b else 1.0 if a > b else 0.0


@builtin("string", "EqualsIgnoreCase(a: string, b: string) -> boolean", "Equality after Unicode case folding")
def _equals_ignore_case(a, b):
    return as_string(a, "EqualsIgnoreCase", 1).casefold() == as_string(b, "EqualsIgnoreCase", 2).casefold()


_ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


@builtin(
    "string",
    "GenerateRandomString(length: number, alphabet?: string) -> string",
    "Random string of ASCII letters and digits (or of the given alphabet)",
    capability="random",
)
def _generate_random_string(length, alphabet=None):
    length = as_count(length, "GenerateRandomString", 1)
    chars = as_string(optional(alphabet, _ALPHANUMERIC), "GenerateRandomString", 2) or _ALPHANUMERIC
    check_size(length, "GenerateRandomString")
    ctx = current()
    ctx.capabilities.check("random")
    return "".join(ctx.rng.choice(chars) for _ in range(length))


# --- similarity and phonetics -------------------------------------------------------------------


def levenshtein(a: str, b: str) -> int:
    if not a:
        return len(b)
    if not b:
        return len(a)
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _two_strings(name: str, a, b) -> tuple[str, str]:
    a, b = as_string(a, name, 1), as_string(b, name, 2)
    check_size(len(a) * len(b), name, 1 << 26)
    return a, b


@builtin(
    "string",
    "LevenshteinDistance(a: string, b: string) -> number",
    "Edit distance (insertions, deletions, substitutions)",
)
def _levenshtein(a, b):
    return float(levenshtein(*_two_strings("LevenshteinDistance", a, b)))


@builtin(
    "string",
    "DamerauLevenshteinDistance(a: string, b: string) -> number",
    "Edit distance that also counts adjacent transpositions",
)
def _damerau(a, b):
    a, b = _two_strings("DamerauLevenshteinDistance", a, b)
    if not a:
        return float(len(b))
    if not b:
        return float(len(a))
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + cost)
    return float(d[-1][-1])


def jaro(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    window = max(max(len(a), len(b)) // 2 - 1, 0)
    ma = [False] * len(a)
    mb = [False] * len(b)
    matches = 0
    for i, c in enumerate(a):
        for j in range(max(0, i - window), min(i + window + 1, len(b))):
            if not mb[j] and b[j] == c:
                ma[i] = mb[j] = True
                matches += 1
                break
    if matches == 0:
        return 0.0
    k = transpositions = 0
    for i, c in enumerate(a):
        if ma[i]:
            while not mb[k]:
                k += 1
            if c != b[k]:
                transpositions += 1
            k += 1
    m = float(matches)
    return (m / len(a) + m / len(b) + (m - transpositions / 2.0) / m) / 3.0


@builtin(
    "string",
    "JaroDistance(a: string, b: string) -> number",
    "Jaro similarity (1 for equal strings, 0 if either is empty)",
)
def _jaro(a, b):
    return jaro(*_two_strings("JaroDistance", a, b))


@builtin(
    "string",
    "JaroWinklerDistance(a: string, b: string, prefixScale?: number) -> number",
    "Jaro similarity with a bonus for a common prefix of up to 4 characters (scale 0.1 by default)",
)
def _jaro_winkler(a, b, scale=None):
    a, b = _two_strings("JaroWinklerDistance", a, b)
    p = as_number(optional(scale, 0.1), "JaroWinklerDistance", 3)
    j = jaro(a, b)
    if j < 0.7:
        return j
    prefix = 0
    for ca, cb in zip(a[:4], b[:4]):
        if ca != cb:
            break
        prefix += 1
    return j + prefix * p * (1.0 - j)


@builtin(
    "string",
    "HammingDistance(a: string, b: string) -> number?",
    "Number of differing positions, null when the lengths differ",
)
def _hamming(a, b):
    a, b = as_string(a, "HammingDistance", 1), as_string(b, "HammingDistance", 2)
    if len(a) != len(b):
        return None
    return float(sum(ca != cb for ca, cb in zip(a, b)))


_SOUNDEX = {
    **dict.fromkeys("BFPV", "1"),
    **dict.fromkeys("CGJKQSXZ", "2"),
    **dict.fromkeys("DT", "3"),
    "L": "4",
    **dict.fromkeys("MN", "5"),
    "R": "6",
}


@builtin("string", "Soundex(s: string) -> string", 'Four-character Soundex code ("0000" for "")')
def _soundex(s):
    s = as_string(s, "Soundex", 1)
    if not s:
        return "0000"
    chars = s.upper()
    code = chars[0] if chars[0].isalpha() else ""
    prev = _SOUNDEX.get(chars[0], "0")
    for ch in chars[1:]:
        if len(code) >= 4:
            break
        cur = _SOUNDEX.get(ch, "0")
        if cur != "0" and cur != prev:
            code += cur
        if cur != "0":
            prev = cur
    return (code + "0000")[:4]


@builtin("string", "LongestCommonSubstring(a: string, b: string) -> string", "The first longest common substring")
def _lcs_string(a, b):
    a, b = _two_strings("LongestCommonSubstring", a, b)
    best = end = 0
    prev = [0] * (len(b) + 1)
    for i in range(1, len(a) + 1):
        cur = [0] * (len(b) + 1)
        for j in range(1, len(b) + 1):
            if a[i - 1] == b[j - 1]:
                cur[j] = prev[j - 1] + 1
                if cur[j] > best:
                    best, end = cur[j], i
        prev = cur
    return a[end - best : end]


@builtin(
    "string", "LongestCommonSubsequence(a: string, b: string) -> number", "Length of the longest common subsequence"
)
def _lcs_length(a, b):
    a, b = _two_strings("LongestCommonSubsequence", a, b)
    prev = [0] * (len(b) + 1)
    for ca in a:
        cur = [0]
        for j, cb in enumerate(b, 1):
            cur.append(prev[j - 1] + 1 if ca == cb else max(prev[j], cur[j - 1]))
        prev = cur
    return float(prev[-1])


@builtin(
    "string",
    "SimilarityRatio(a: string, b: string) -> number",
    "1 - Levenshtein distance / longer length (1 for two empty strings)",
)
def _similarity_ratio(a, b):
    a, b = _two_strings("SimilarityRatio", a, b)
    longest = max(len(a), len(b))
    if longest == 0:
        return 1.0
    return 1.0 - levenshtein(a, b) / longest
