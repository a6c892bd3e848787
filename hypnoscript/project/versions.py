"""Semantic versions and version ranges, with npm/Cargo semantics.

Ranges: `^1.2.3` (same major; same minor below 1.0), `~1.2.3` (same minor), `1.2.3` (exactly),
`*` / `x` (anything), comparisons (`>=1.0.0`, `<2`), hyphen ranges (`1.0.0 - 2.0.0`), both
space- and comma-separated conjunctions (`>=1.2, <1.5`) and `||` alternatives. The parsing is
`semantic_version`'s `NpmSpec`; commas (the Cargo spelling of "and") become spaces first.
"""

from __future__ import annotations

import re

import semantic_version as sv

_COMMA = re.compile(r"\s*,\s*")


class VersionError(ValueError):
    pass


def parse_version(text: str) -> sv.Version:
    """A full `X.Y.Z[-pre][+build]` version."""
    try:
        return sv.Version(text.strip())
    except ValueError:
        raise VersionError(f"not a semantic version (X.Y.Z): {text!r}") from None


def parse_range(text: str) -> sv.NpmSpec:
    if not text.strip():
        raise VersionError("an empty version range (use `*` for any version)")
    try:
        return sv.NpmSpec(_COMMA.sub(" ", text.strip()))
    except ValueError:
        raise VersionError(f"not a version range: {text!r} (examples: ^1.2.0, ~1.2, 1.2.3, >=1.0 <2, *)") from None


def satisfies(version: str, range_text: str) -> bool:
    return parse_version(version) in parse_range(range_text)


def best_match(versions: list[str], range_text: str) -> str | None:
    """The highest of `versions` (version strings) inside the range."""
    spec = parse_range(range_text)
    parsed = {}
    for v in versions:
        try:
            parsed[parse_version(v)] = v
        except VersionError:
            continue
    best = spec.select(parsed)
    return parsed[best] if best is not None else None


def tag_version(tag: str) -> str | None:
    """`v1.2.3` or `1.2.3` -> `1.2.3`; anything else -> None."""
    text = tag[1:] if tag[:1] in ("v", "V") else tag
    try:
        return str(sv.Version(text))
    except ValueError:
        return None
