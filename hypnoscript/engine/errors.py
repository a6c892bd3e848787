"""Locating a runtime error in HypnoScript source.

`locate` walks a traceback to the frames of generated code and reads the `.hyp` position the
compiler stamped on each failing instruction, giving the HypnoScript call stack; `running_frames`
does the same for the stack of a running call.
"""

from __future__ import annotations

from hypnoscript.engine.names import demangle
from hypnoscript.runtime.translate import translate_exception

__all__ = ["Frame", "locate", "running_frames", "translate_exception"]

class Frame:
    """One HypnoScript frame of a call stack."""

    __slots__ = ("function", "path", "line", "col", "end_line", "end_col")

    def __init__(self, function: str, path: str, line: int, col: int, end_line: int, end_col: int) -> None:
        self.function = function
        self.path = path
        self.line = line
        self.col = col
        self.end_line = end_line
        self.end_col = end_col


def locate(exc: BaseException, functions: dict[str, str]) -> list[Frame]:
    """HypnoScript frames of a traceback, outermost first."""
    frames: list[Frame] = []
    tb = exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_globals.get("__hyp_generated__"):
            found = _frame(frame.f_code, tb.tb_lasti, functions)
            if found is not None:
                frames.append(found)
        tb = tb.tb_next
    return frames


def running_frames(frame) -> list[Frame]:
    """HypnoScript frames of the running call stack from the Python `frame` outwards, outermost
    first; each program's generated globals name its functions."""
    frames: list[Frame] = []
    while frame is not None:
        g = frame.f_globals
        if g.get("__hyp_generated__"):
            found = _frame(frame.f_code, frame.f_lasti, g.get("__hyp_functions__", {}))
            if found is not None:
                frames.append(found)
        frame = frame.f_back
    frames.reverse()
    return frames


def _frame(code, lasti: int, functions: dict[str, str]) -> Frame | None:
    pos = _position(code, lasti)
    if pos is None:
        return None
    line, end_line, col, end_col = pos
    fname = functions.get(code.co_name, demangle(code.co_name))
    return Frame(fname, code.co_filename, line, col + 1, end_line or line, (end_col or col) + 1)


def _position(code, lasti: int):
    positions = list(code.co_positions())
    idx = lasti // 2
    while idx >= 0:
        if idx < len(positions):
            line, end_line, col, end_col = positions[idx]
            if line is not None and col is not None:
                return line, end_line, col, end_col
        idx -= 1
    return None


