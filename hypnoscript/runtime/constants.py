"""Named constants a program can read without declaring them (the math page of the docs).

A program's own declaration of the same name takes precedence, as for any variable.
"""

from __future__ import annotations

import math

CONSTANTS: dict[str, float] = {
    "PI": math.pi,
    "E": math.e,
    "TAU": math.tau,
    "PHI": (1 + math.sqrt(5)) / 2,
    "SQRT2": math.sqrt(2),
    "SQRT3": math.sqrt(3),
}
