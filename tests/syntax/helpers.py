"""Shared helpers for the syntax tests."""

from __future__ import annotations

from hypnoscript.syntax import ast as A
from hypnoscript.syntax.parser import parse, parse_expression
from hypnoscript.syntax.source import Source


def wrap(body: str) -> str:
    return "Focus {\n" + body + "\n} Relax\n"


def parse_ok(body: str) -> list[A.Stmt]:
    """The statements of `Focus { body } Relax`, asserting there is no diagnostic at all."""
    program, diagnostics = parse(Source(wrap(body), "t.hyp"))
    assert diagnostics == [], [d.message for d in diagnostics]
    return program.body


def one(body: str) -> A.Stmt:
    statements = parse_ok(body)
    assert len(statements) == 1, statements
    return statements[0]


def errors(body: str, whole: bool = False):
    """Error diagnostics of `Focus { body } Relax` (or of `body` itself when `whole`)."""
    _, diagnostics = parse(Source(body if whole else wrap(body), "t.hyp"))
    return [d for d in diagnostics if d.severity == "error"]


def expr(text: str) -> A.Expr:
    node, diagnostics = parse_expression(Source(text))
    assert diagnostics == [], [d.message for d in diagnostics]
    return node


def sexpr(node) -> str:
    """A compact prefix rendering of an expression, to check precedence and associativity."""
    match node:
        case A.Binary(op=op, left=left, right=right):
            return f"({op} {sexpr(left)} {sexpr(right)})"
        case A.Unary(op=op, operand=operand):
            return f"({op} {sexpr(operand)})"
        case A.Assign(target=target, value=value):
            return f"(= {sexpr(target)} {sexpr(value)})"
        case A.Ternary(cond=cond, then=then, otherwise=otherwise):
            return f"(? {sexpr(cond)} {sexpr(then)} {sexpr(otherwise)})"
        case A.Call(callee=callee, args=args, optional=optional):
            return f"({'?call' if optional else 'call'} {sexpr(callee)}{''.join(' ' + sexpr(a) for a in args)})"
        case A.Member(obj=obj, name=name, optional=optional):
            return f"({'?.' if optional else '.'} {sexpr(obj)} {name})"
        case A.Index(obj=obj, index=index, optional=optional):
            return f"({'?[]' if optional else '[]'} {sexpr(obj)} {sexpr(index)})"
        case A.Identifier(name=name):
            return name
        case A.NumberLit(raw=raw):
            return raw
        case A.StringLit(value=value):
            return repr(value)
        case A.BoolLit(value=value):
            return str(value).lower()
        case A.NullLit():
            return "null"
    return type(node).__name__
