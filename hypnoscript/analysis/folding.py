"""Evaluating constant expressions at analysis time, with the runtime's own operations.

Every operator is computed by the function the compiled program would call (`runtime.ops`), so
folding can never disagree with running: `+` coerces with `display`, `%` is fmod, `1 / 0` is inf.
An expression whose evaluation raises (`"a" - 1`) is simply not constant, so it stays in the
program and fails at run time as it should.
"""

from __future__ import annotations

from hypnoscript.runtime import ops
from hypnoscript.runtime.errors import HypError
from hypnoscript.syntax import ast as A


class _NotConstant:
    def __repr__(self) -> str:
        return "NOT_CONSTANT"


NOT_CONSTANT = _NotConstant()

# Folding a builtin call runs it: keep arguments and results small.
_MAX_TEXT = 10_000
_MAX_NUMBER_ARG = 1e6

_BINARY = {
    "+": ops.add, "-": ops.sub, "*": ops.mul, "/": ops.div, "%": ops.mod,
    "<": ops.lt, "<=": ops.le, ">": ops.gt, ">=": ops.ge, "==": ops.eq, "!=": ops.ne,
}


def is_primitive(v) -> bool:
    return v is None or type(v) in (float, str, bool)


def literal_value(e: A.Expr):
    t = type(e)
    if t is A.NumberLit:
        return float(e.value)
    if t is A.StringLit:
        return e.value
    if t is A.BoolLit:
        return bool(e.value)
    if t is A.NullLit:
        return None
    return NOT_CONSTANT


class Folder:
    """Computes constant values. `lookup(identifier)` gives the constant value of a variable (or
    NOT_CONSTANT); `builtins` (name -> spec) allows folding calls of pure builtins, and
    `is_builtin_call(call)` says whether a call goes to a builtin."""

    def __init__(self, lookup=None, builtins=None, is_builtin_call=None) -> None:
        self.lookup = lookup
        self.builtins = builtins or {}
        self.is_builtin_call = is_builtin_call

    def value(self, e: A.Expr):
        """The primitive value `e` always evaluates to, with no effect, or NOT_CONSTANT."""
        t = type(e)
        v = literal_value(e)
        if v is not NOT_CONSTANT:
            return v
        if t is A.Identifier:
            return self.lookup(e) if self.lookup is not None else NOT_CONSTANT
        if t is A.Unary:
            operand = self.value(e.operand)
            if operand is NOT_CONSTANT:
                return NOT_CONSTANT
            if e.op == "-":
                return _safe(ops.neg, operand)
            if e.op == "!":
                return not operand
            return operand
        if t is A.Binary:
            return self.binary(e)
        if t is A.Ternary:
            cond = self.value(e.cond)
            if cond is NOT_CONSTANT:
                return NOT_CONSTANT
            return self.value(e.then if cond else e.otherwise)
        if t is A.Call and self.is_builtin_call is not None and self.is_builtin_call(e):
            return self.builtin(e)
        return NOT_CONSTANT

    def binary(self, e: A.Binary):
        # Long left chains are folded iteratively.
        chain = [e]
        left = e.left
        while type(left) is A.Binary:
            chain.append(left)
            left = left.left
        value = self.value(left)
        for node in reversed(chain):
            if value is NOT_CONSTANT:
                return NOT_CONSTANT
            op = node.op
            if op in ("&&", "||", "??"):
                # short-circuit: the deciding operand, and the right side only when it decides
                decided = (not value) if op == "&&" else (bool(value) if op == "||" else value is not None)
                if decided:
                    continue
                value = self.value(node.right)
                continue
            right = self.value(node.right)
            if right is NOT_CONSTANT:
                return NOT_CONSTANT
            value = _safe(_BINARY[op], value, right)
        return value

    def builtin(self, e: A.Call):
        spec = self.builtins.get(e.callee.name)
        if spec is None or not spec.pure or len(e.args) < spec.min_args:
            return NOT_CONSTANT
        args = []
        for a in e.args:
            v = self.value(a)
            if v is NOT_CONSTANT or (type(v) is str and len(v) > _MAX_TEXT) \
                    or (type(v) is float and abs(v) > _MAX_NUMBER_ARG):
                return NOT_CONSTANT
            args.append(v)
        if spec.max_args is not None:
            args = args[: spec.max_args]
        try:
            result = spec.func(*args)
        except Exception:  # any failure: leave the call to run (and fail) at run time
            return NOT_CONSTANT
        if type(result) is int:
            result = float(result)
        if not is_primitive(result) or (type(result) is str and len(result) > _MAX_TEXT):
            return NOT_CONSTANT
        return result


def _safe(fn, *args):
    try:
        result = fn(*args)
    except (HypError, ArithmeticError, ValueError):
        return NOT_CONSTANT
    return result if is_primitive(result) else NOT_CONSTANT

