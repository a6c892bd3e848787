"""How HypnoScript names map onto Python names in generated code (and back, for messages)."""

from __future__ import annotations


def mangle(name: str) -> str:
    """The Python name of a HypnoScript variable; never clashes with generated helpers (`_x`, `B_x`)."""
    if name.isascii():
        return "h_" + name
    return "hu_" + "_".join(f"{ord(c):x}" for c in name)


def case_name(n: int, name: str) -> str:
    """The Python name of a variable that lives in one `entrain` arm or `tranceify` block
    (`hc<n>_` never clashes with `h_`/`hu_` names)."""
    return f"hc{n}_{mangle(name)}"


def demangle(pyname: str) -> str:
    if pyname.startswith("hc") and "_" in pyname:
        return demangle(pyname.split("_", 1)[1])
    if pyname.startswith("h_"):
        return pyname[2:]
    if pyname.startswith("hu_"):
        return "".join(chr(int(part, 16)) for part in pyname[3:].split("_"))
    return pyname
