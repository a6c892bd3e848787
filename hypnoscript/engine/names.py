"""How HypnoScript names map onto Python names in generated code (and back, for messages)."""

from __future__ import annotations


def mangle(name: str) -> str:
    """The Python name of a HypnoScript variable; never clashes with generated helpers (`_x`, `B_x`)."""
    if name.isascii():
        return "h_" + name
    return "hu_" + "_".join(f"{ord(c):x}" for c in name)


def demangle(pyname: str) -> str:
    if pyname.startswith("h_"):
        return pyname[2:]
    if pyname.startswith("hu_"):
        return "".join(chr(int(part, 16)) for part in pyname[3:].split("_"))
    return pyname
