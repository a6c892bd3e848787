"""Syntax tree -> HypnoScript source in the canonical layout.

Used by `hyp fmt` (with the source's comments, which are put back before the node that follows
them, or at the end of the line they trailed) and by `hyp optimize` (a tree without a source).
The output parses back to an equal tree: parentheses are added exactly where precedence, the
record-literal rule in conditions, or a statement-like start would otherwise change the parse.
"""

from __future__ import annotations

import math
import re

from hypnoscript.analysis.comments import Comment, SourceLayout
from hypnoscript.runtime.values import format_number
from hypnoscript.syntax import ast as A
from hypnoscript.syntax.tokens import KEYWORDS

INDENT = "    "

# Binding power of each expression form (higher binds tighter), as in the parser.
(_ASSIGN, _TERNARY, _NULLISH, _OR, _AND, _EQUALITY, _COMPARISON, _TERM, _FACTOR, _UNARY, _POSTFIX,
 _PRIMARY) = range(1, 13)
_BINARY_POWER = {
    "??": _NULLISH, "||": _OR, "&&": _AND, "==": _EQUALITY, "!=": _EQUALITY,
    "<": _COMPARISON, "<=": _COMPARISON, ">": _COMPARISON, ">=": _COMPARISON,
    "+": _TERM, "-": _TERM, "*": _FACTOR, "/": _FACTOR, "%": _FACTOR,
}
_IDENTIFIER = re.compile(r"[^\W\d]\w*\Z")
# Words that, first in a statement (or a case body), would be read as the start of a statement.
_STATEMENT_WORDS = {"for", "try", "throw", "record", "imperative"}
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def format_program(program: A.Program, layout: SourceLayout | None = None) -> str:
    """The program as canonical source text (ending in a newline)."""
    from hypnoscript.analysis.deep import run_deep

    return run_deep(_Printer(layout).program, program)


def is_plain_name(name: str) -> bool:
    return bool(_IDENTIFIER.match(name)) and not (name.isascii() and name.lower() in KEYWORDS)


def quote(text: str) -> str:
    return '"' + "".join(_ESCAPES.get(c, c) for c in text) + '"'


def number_text(value: float) -> str:
    """A number as source text (inf and NaN have no literal: they are written as divisions)."""
    if math.isnan(value):
        return "(0 / 0)"
    if math.isinf(value):
        return "(1 / 0)" if value > 0 else "(-1 / 0)"
    return format_number(value)


class _Emitter:
    """Lines of output with indentation, blank-line requests and comment placement."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.ends_in_line_comment: set[int] = set()
        self.buf: list[str] = []
        self.indent = 0
        self.cont = 0  # extra indentation of the lines an item continues on
        self.item_has_content = False  # lines before an item's first code are not continuations
        self.block_start = True
        self.want_blank = False

    def write(self, text: str) -> None:
        if not self.buf:
            if self.want_blank and self.lines and not self.block_start and self.lines[-1] != "":
                self.lines.append("")
            self.want_blank = False
            self.block_start = False
            self.buf.append(INDENT * (self.indent + (self.cont if self.item_has_content else 0)))
        self.buf.append(text)
        if text.strip():
            self.item_has_content = True

    def start_item(self) -> None:
        self.newline()
        self.item_has_content = False

    def newline(self) -> None:
        if self.buf:
            line = "".join(self.buf).rstrip()
            if line.strip():
                self.lines.append(line)
            self.buf = []

    def mid_line(self) -> bool:
        return any(part.strip() for part in self.buf)

    def open_block(self) -> None:
        self.newline()
        self.indent += 1
        self.block_start = True
        self.want_blank = False

    def close_block(self) -> None:
        self.newline()
        self.indent -= 1
        self.want_blank = False

    def comment(self, c: Comment) -> None:
        if c.trailing:
            if self.mid_line():
                if not self.buf[-1].endswith(" "):
                    self.buf.append(" ")
                self.buf.append(c.text)
                if c.is_line:
                    self.newline()
                    self.ends_in_line_comment.add(len(self.lines) - 1)
                else:
                    self.buf.append(" ")
                return
            last = len(self.lines) - 1
            if last >= 0 and self.lines[last].strip() and last not in self.ends_in_line_comment:
                self.lines[last] += " " + c.text
                if c.is_line:
                    self.ends_in_line_comment.add(last)
                return
        self.newline()
        if c.blank_before:
            self.want_blank = True
        had_content = self.item_has_content
        self.write(c.text)
        self.item_has_content = had_content
        if c.is_line or not c.code_after:
            self.newline()
            if c.is_line:
                self.ends_in_line_comment.add(len(self.lines) - 1)
        else:
            self.buf.append(" ")

    def text(self) -> str:
        self.newline()
        return "\n".join(self.lines) + "\n"


class _Printer:
    def __init__(self, layout: SourceLayout | None) -> None:
        self.layout = layout
        self.comments = layout.comments if layout is not None else []
        self.next_comment = 0
        self.out = _Emitter()

    # ------------------------------------------------------------ comments and layout

    def flush(self, before: int) -> None:
        """Emit every comment that starts before offset `before`."""
        comments = self.comments
        while self.next_comment < len(comments) and comments[self.next_comment].start < before:
            self.out.comment(comments[self.next_comment])
            self.next_comment += 1

    def has_comment_before(self, offset: int | None) -> bool:
        return (offset is not None and self.next_comment < len(self.comments)
                and self.comments[self.next_comment].start < offset)

    def at(self, node: A.Node) -> None:
        """Emit the comments before `node` (parentheses around it do not count: the formatter
        may add or drop those, and the comments must not move when it does)."""
        if self.comments and node.span.start:
            self.flush(self.layout.first_token_from(node.span.start))

    def item(self, node: A.Node) -> None:
        """Start a statement-like item on its own line (after the comments before it), keeping
        one blank line before it if the source had one. Lines the item continues on are indented
        one level more."""
        out = self.out
        out.start_item()
        self.at(node)
        if not out.buf and self.layout is not None and node.span.start \
                and self.layout.blank_line_before(node.span.start):
            out.want_blank = True
        out.cont = 1

    def close_of(self, body: list, search_from: int) -> int | None:
        if self.layout is None:
            return None
        first = body[0].span.start if body and body[0].span.start else None
        if body and first is None:
            return None
        return self.layout.block_close(first, search_from)

    # ------------------------------------------------------------ program

    def program(self, program: A.Program) -> str:
        out = self.out
        layout = self.layout
        relax = close = None
        if layout is not None:
            close = layout.block_close(None, program.span.start)
            relax = next((t for t in layout.tokens if t.kind == _RELAX and close is not None and t.start > close), None)
            self.flush(program.span.start)
            if program.span.start and layout.blank_line_before(program.span.start):
                out.want_blank = True
        out.write("Focus {")
        self.body(program.body, close)
        out.write(" Relax")
        if relax is not None:
            self.flush(relax.start)
            rest = layout.source.text[relax.end:].rstrip()
            if rest:
                rest = re.sub(r"\n[ \t\r]*\n(?:[ \t\r]*\n)+", "\n\n", rest)
                rest = "\n".join(line.rstrip() for line in rest.split("\n"))
                out.buf.append(rest)
            self.next_comment = len(self.comments)
        return out.text()

    def body(self, stmts: list[A.Stmt], close: int | None) -> None:
        """The statements of a block after its `{` has been written, and its `}`."""
        self.items(stmts, close, self.stmt)

    def items(self, nodes: list, close: int | None, print_item) -> None:
        """Items (statements, members, fields, cases) one per line, indented, then the `}` that
        closes them at `close` (comments up to it stay inside)."""
        out = self.out
        if not nodes and not self.has_comment_before(close):
            out.write("}")
            return
        saved_cont = out.cont
        out.cont = 0
        out.open_block()
        for node in nodes:
            self.item(node)
            print_item(node)
            out.cont = 0
        if close is not None:
            out.newline()
            self.flush(close)
        out.close_block()
        out.write("}")
        out.cont = saved_cont

    def block(self, stmts: list[A.Stmt], search_from: int) -> None:
        """`{ statements }`."""
        self.out.write(" {")
        self.body(stmts, self.close_of(stmts, search_from))

    # ------------------------------------------------------------ statements

    def stmt(self, s: A.Stmt) -> None:
        getattr(self, "s_" + type(s).__name__)(s)

    def s_ExprStmt(self, s: A.ExprStmt) -> None:
        self.statement_expr(s.expr)
        self.out.write(";")

    def statement_expr(self, e: A.Expr) -> None:
        """An expression where a statement starts: wrapped if its first word would begin one."""
        if _starts_like_statement(e):
            self.out.write("(")
            self.expr(e, _ASSIGN)
            self.out.write(")")
        else:
            self.expr(e, _ASSIGN)

    def s_VarDecl(self, s: A.VarDecl) -> None:
        self.decl_head(s)
        self.out.write(";")

    def decl_head(self, s: A.VarDecl) -> None:
        w = self.out.write
        w(("sharedTrance " if s.shared else "") + s.kind + " " + s.name)
        if s.type is not None:
            w(": " + s.type.text)
        if s.init is not None:
            w(" = ")
            self.expr(s.init, _ASSIGN)

    def s_Anchor(self, s: A.Anchor) -> None:
        self.out.write(f"anchor {s.name} = ")
        self.expr(s.value, _ASSIGN)
        self.out.write(";")

    def s_Output(self, s: A.Output) -> None:
        self.out.write(s.kind + " ")
        self.expr(s.value, _ASSIGN)
        self.out.write(";")

    def s_If(self, s: A.If) -> None:
        w = self.out.write
        w("if (")
        self.expr(s.cond, _ASSIGN)
        w(")")
        then_close = self.close_of(s.then, s.cond.span.end)
        w(" {")
        self.body(s.then, then_close)
        if s.orelse is None:
            return
        w(" else")
        after = then_close + 1 if then_close is not None else s.cond.span.end
        if len(s.orelse) == 1 and type(s.orelse[0]) is A.If:
            w(" ")
            self.at(s.orelse[0])
            self.s_If(s.orelse[0])
        else:
            self.block(s.orelse, after)

    def s_While(self, s: A.While) -> None:
        w = self.out.write
        if s.label:
            w(s.label + ": ")
        w("while (")
        self.expr(s.cond, _ASSIGN)
        w(")")
        self.block(s.body, s.cond.span.end)

    def s_Loop(self, s: A.Loop) -> None:
        w = self.out.write
        if s.label:
            w(s.label + ": ")
        w(s.keyword)
        header = [p for p in (s.init, s.cond, s.update) if p is not None]
        if header or s.keyword != "loop":
            w(" (")
            if s.init is not None:
                self.at(s.init)
                if type(s.init) is A.VarDecl:
                    self.decl_head(s.init)
                else:
                    self.expr(s.init.expr, _ASSIGN)
            w(";")
            if s.cond is not None:
                w(" ")
                self.expr(s.cond, _ASSIGN)
            w(";")
            if s.update is not None:
                w(" ")
                self.expr(s.update, _ASSIGN)
            w(")")
        search = max([p.span.end for p in header] + [s.span.start])
        self.block(s.body, search)

    def s_ForIn(self, s: A.ForIn) -> None:
        w = self.out.write
        if s.label:
            w(s.label + ": ")
        w(f"for (induce {s.name} in ")
        self.expr(s.iterable, _ASSIGN)
        w(")")
        self.block(s.body, s.iterable.span.end)

    def s_Break(self, s: A.Break) -> None:
        self.out.write("snap" + (" " + s.label if s.label else "") + ";")

    def s_Continue(self, s: A.Continue) -> None:
        self.out.write("sink" + (" " + s.label if s.label else "") + ";")

    def s_Return(self, s: A.Return) -> None:
        if s.value is None:
            self.out.write("awaken;")
            return
        self.out.write("awaken ")
        self.expr(s.value, _ASSIGN)
        self.out.write(";")

    def s_Suspend(self, s: A.Suspend) -> None:
        self.out.write("suspend;")

    def s_Oscillate(self, s: A.Oscillate) -> None:
        self.out.write("oscillate ")
        self.expr(s.target, _TERNARY)
        self.out.write(";")

    def s_FuncDecl(self, s: A.FuncDecl) -> None:
        w = self.out.write
        if s.kind == "trigger":
            w(f"trigger {s.name} = suggestion")
        else:
            w(f"suggestion {s.name}")
        self.signature(s.params, s.return_type)
        self.block(s.body, self.header_end(s, s.params, s.return_type))

    def header_end(self, node: A.Node, params: list[A.Param], return_type: A.TypeRef | None) -> int:
        return max([p.span.end for p in params] + ([return_type.span.end] if return_type else []) + [node.span.start])

    def signature(self, params: list[A.Param], return_type: A.TypeRef | None) -> None:
        w = self.out.write
        w("(")
        for i, p in enumerate(params):
            if i:
                w(", ")
            self.at(p)
            w(p.name)
            if p.type is not None:
                w(": " + p.type.text)
            if p.default is not None:
                w(" = ")
                self.expr(p.default, _ASSIGN)
        w(")")
        if return_type is not None:
            w(": " + return_type.text)

    def s_SessionDecl(self, s: A.SessionDecl) -> None:
        self.out.write(f"session {s.name} {{")
        close = self.layout.block_close(None, s.span.start) if self.layout is not None else None
        self.items(s.members, close, self.member)

    def member(self, m) -> None:
        if type(m) is A.SessionField:
            self.session_field(m)
        else:
            self.session_method(m)

    def session_field(self, m: A.SessionField) -> None:
        w = self.out.write
        w(("dominant " if m.static else "") + ("conceal " if m.private else "expose ") + m.name)
        if m.type is not None:
            w(": " + m.type.text)
        if m.init is not None:
            w(" = ")
            self.expr(m.init, _ASSIGN)
        w(";")

    def session_method(self, m: A.SessionMethod) -> None:
        w = self.out.write
        prefix = "dominant " if m.static and m.keyword != "dominantSuggestion" else ""
        if m.private:
            prefix += "conceal "
        w(f"{prefix}{m.keyword} {m.name}")
        self.signature(m.params, m.return_type)
        self.block(m.body, self.header_end(m, m.params, m.return_type))

    def s_TranceifyDecl(self, s: A.TranceifyDecl) -> None:
        self.out.write(f"tranceify {s.name} {{")
        close = self.layout.block_close(None, s.span.start) if self.layout is not None else None
        # fields and methods are separate lists in the tree; keep their order in the source
        members = sorted(s.fields + s.methods, key=lambda m: m.span.start)
        self.items(members, close, self.tranceify_member)

    def tranceify_member(self, m) -> None:
        if type(m) is A.TranceifyField:
            self.out.write(f"{m.name}{'?' if m.optional else ''}: {m.type.text};")
        else:
            self.out.write(f"{m.keyword} {m.name}")
            self.signature(m.params, m.return_type)
            self.block(m.body, self.header_end(m, m.params, m.return_type))

    def s_TranceifyBlock(self, s: A.TranceifyBlock) -> None:
        w = self.out.write
        args = s.args
        if s.name is not None and not _opens_like_record(s.body):
            w(f"tranceify {s.name}")
        else:
            if s.name is not None:
                # only a rewritten tree has such a named block: `tranceify Name {` would read as a
                # record declaration, so the name becomes the (effect-free) argument
                args = [A.StringLit(s.name)]
            w("tranceify(")
            self.comma_list(args)
            w(")")
        self.block(s.body, max([a.span.end for a in s.args] + [s.span.start]))

    def s_Entrance(self, s: A.Entrance) -> None:
        self.out.write("entrance")
        self.block(s.body, s.span.start)

    def s_Finale(self, s: A.Finale) -> None:
        self.out.write("finale")
        self.block(s.body, s.span.start)

    def s_Try(self, s: A.Try) -> None:
        w = self.out.write
        w("try")
        close = self.close_of(s.body, s.span.start)
        w(" {")
        self.body(s.body, close)
        after = close + 1 if close is not None else s.span.start
        if s.catch_body is not None:
            w(" catch" + (f" ({s.catch_name})" if s.catch_name else ""))
            close = self.close_of(s.catch_body, after)
            w(" {")
            self.body(s.catch_body, close)
            after = close + 1 if close is not None else after
        if s.finally_body is not None:
            w(" finally")
            self.block(s.finally_body, after)

    def s_Throw(self, s: A.Throw) -> None:
        self.out.write("throw ")
        self.expr(s.value, _ASSIGN)
        self.out.write(";")

    def s_Assert(self, s: A.Assert) -> None:
        self.out.write("assert ")
        self.expr(s.cond, _NULLISH)
        if s.message is not None:
            self.out.write(" : ")
            self.expr(s.message, _ASSIGN)
        self.out.write(";")

    def s_MindLink(self, s: A.MindLink) -> None:
        self.out.write(f"mindLink {quote(s.path)};")

    # ------------------------------------------------------------ expressions

    def expr(self, e: A.Expr, min_power: int, no_record: bool = False) -> None:
        """Print `e` where the parser reads an expression of binding power `min_power`
        (`no_record`: where `Name {` is not a record literal: conditions, entrain subjects)."""
        self.at(e)
        t = type(e)
        power = _power(e)
        if power < min_power or (t is A.RecordLit and no_record):
            self.out.write("(")
            self.expr(e, _ASSIGN)
            self.out.write(")")
            return
        getattr(self, "e_" + t.__name__)(e, no_record)

    def e_NumberLit(self, e: A.NumberLit, no_record: bool) -> None:
        self.out.write(e.raw if e.raw else number_text(e.value))

    def e_StringLit(self, e: A.StringLit, no_record: bool) -> None:
        self.out.write(quote(e.value))

    def e_BoolLit(self, e: A.BoolLit, no_record: bool) -> None:
        self.out.write("true" if e.value else "false")

    def e_NullLit(self, e: A.NullLit, no_record: bool) -> None:
        self.out.write("null")

    def e_Identifier(self, e: A.Identifier, no_record: bool) -> None:
        self.out.write(e.name)

    def e_ArrayLit(self, e: A.ArrayLit, no_record: bool) -> None:
        self.out.write("[")
        self.comma_list(e.elements)
        self.out.write("]")

    def comma_list(self, items: list[A.Expr]) -> None:
        for i, item in enumerate(items):
            if i:
                self.out.write(", ")
            self.expr(item, _ASSIGN)

    def fields(self, fields: list[A.RecordField]) -> None:
        w = self.out.write
        if not fields:
            w("{}")
            return
        w("{ ")
        for i, f in enumerate(fields):
            if i:
                w(", ")
            self.at(f)
            w((f.name if is_plain_name(f.name) else quote(f.name)) + ": ")
            self.expr(f.value, _ASSIGN)
        w(" }")

    def e_ObjectLit(self, e: A.ObjectLit, no_record: bool) -> None:
        self.fields(e.entries)

    def e_RecordLit(self, e: A.RecordLit, no_record: bool) -> None:
        self.out.write(e.type_name + " ")
        self.fields(e.fields)

    def e_RecordUpdate(self, e: A.RecordUpdate, no_record: bool) -> None:
        self.postfix_base(e.base, no_record)
        self.out.write(" with ")
        self.fields(e.fields)

    def e_Binary(self, e: A.Binary, no_record: bool) -> None:
        # The left operand chain is walked iteratively: `a + b + ... + z` nests without limit.
        chain = [e]
        left = e.left
        while type(left) is A.Binary and _power(left) >= _power(chain[-1]):
            chain.append(left)
            left = left.left
        self.expr(left, _power(chain[-1]), no_record)
        for node in reversed(chain):
            self.out.write(f" {node.op_text or node.op} ")
            self.expr(node.right, _power(node) + 1, no_record)

    def e_Unary(self, e: A.Unary, no_record: bool) -> None:
        w = self.out.write
        w("await " if e.op == "await" else e.op)
        operand = e.operand
        if e.op == "-" and _starts_with_minus(operand):
            w("(")
            self.expr(operand, _ASSIGN)
            w(")")
        else:
            self.expr(operand, _UNARY, no_record)

    def e_Assign(self, e: A.Assign, no_record: bool) -> None:
        self.expr(e.target, _TERNARY, no_record)
        self.out.write(" = ")
        self.expr(e.value, _ASSIGN, no_record)

    def e_Ternary(self, e: A.Ternary, no_record: bool) -> None:
        self.expr(e.cond, _NULLISH, no_record)
        self.out.write(" ? ")
        self.expr(e.then, _ASSIGN, no_record)
        self.out.write(" : ")
        self.expr(e.otherwise, _ASSIGN, no_record)

    def postfix_base(self, e: A.Expr, no_record: bool) -> None:
        """The object of a call, member access or index: `1.x` would read as the number `1.`,
        and `r with {...}.x` as nothing at all, so those get parentheses."""
        if type(e) in (A.NumberLit, A.RecordUpdate):
            self.out.write("(")
            self.expr(e, _ASSIGN)
            self.out.write(")")
        else:
            self.expr(e, _POSTFIX, no_record)

    def e_Call(self, e: A.Call, no_record: bool) -> None:
        self.postfix_base(e.callee, no_record)
        self.out.write("?.(" if e.optional else "(")
        self.comma_list(e.args)
        self.out.write(")")

    def e_Member(self, e: A.Member, no_record: bool) -> None:
        self.postfix_base(e.obj, no_record)
        self.out.write(("?." if e.optional else ".") + e.name)

    def e_Index(self, e: A.Index, no_record: bool) -> None:
        self.postfix_base(e.obj, no_record)
        self.out.write("?.[" if e.optional else "[")
        self.expr(e.index, _ASSIGN)
        self.out.write("]")

    def e_Lambda(self, e: A.Lambda, no_record: bool) -> None:
        self.out.write("suggestion")
        self.signature(e.params, e.return_type)
        self.block(e.body, self.header_end(e, e.params, e.return_type))

    def e_Entrain(self, e: A.Entrain, no_record: bool) -> None:
        self.out.write("entrain ")
        self.expr(e.subject, _ASSIGN, no_record=True)
        self.out.write(" {")
        close = self.layout.block_close(None, e.subject.span.end) if self.layout is not None else None
        default = e.default
        self.items(e.cases + ([default] if default is not None else []), close,
                   lambda case: self.case(case, case is default))

    def case(self, case: A.Case, is_default: bool) -> None:
        w = self.out.write
        if is_default:
            w("otherwise")
            head_end = case.span.start
        else:
            w("when ")
            self.pattern(case.pattern)
            head_end = case.pattern.span.end
            if case.guard is not None:
                w(" if ")
                self.expr(case.guard, _ASSIGN)
                head_end = case.guard.span.end
        w(" =>")
        if case.is_block:
            self.block(case.body, head_end)
            return
        w(" ")
        body = case.body
        if type(_leftmost(body)) in (A.ObjectLit, A.Lambda) or _starts_like_statement(body):
            w("(")
            self.expr(body, _ASSIGN)
            w(")")
        else:
            self.expr(body, _ASSIGN)

    # ------------------------------------------------------------ patterns

    def pattern(self, p: A.Pattern) -> None:
        self.at(p)
        w = self.out.write
        t = type(p)
        if t is A.LiteralPattern:
            v = p.value
            if type(v) is A.NumberLit:
                w(v.raw if v.raw else format_number(v.value))
            else:
                self.expr(v, _PRIMARY)
        elif t is A.BindingPattern:
            w(p.name)
        elif t is A.TypedPattern:
            w(f"{p.name}: {p.type_name}")
        elif t is A.ArrayPattern:
            w("[")
            for i, item in enumerate(p.items):
                if i:
                    w(", ")
                self.pattern(item)
            if p.has_rest:
                w(", ..." if p.items else "...")
                if p.rest:
                    w(p.rest)
            w("]")
        elif t is A.RecordPattern:
            if not p.fields:
                w(f"{p.type_name} {{}}")
                return
            w(f"{p.type_name} {{ ")
            for i, f in enumerate(p.fields):
                if i:
                    w(", ")
                self.at(f)
                w(f.name)
                if f.pattern is not None:
                    w(": ")
                    self.pattern(f.pattern)
            w(" }")


_RELAX = KEYWORDS["relax"][0]


def _power(e: A.Expr) -> int:
    t = type(e)
    if t is A.Binary:
        return _BINARY_POWER[e.op]
    if t is A.Assign:
        return _ASSIGN
    if t is A.Ternary:
        return _TERNARY
    if t is A.Unary:
        return _UNARY
    if t is A.NumberLit:
        text = e.raw if e.raw else number_text(e.value)
        return _UNARY if text.startswith("-") else _PRIMARY
    if t in (A.Call, A.Member, A.Index):
        return _POSTFIX
    if t is A.RecordUpdate:
        # `with` applies to whatever stands before it, which after an operator may be the whole
        # operation (`a + b with {}` can read as `(a + b) with {}`): parenthesised everywhere but
        # where a complete expression stands
        return _ASSIGN
    return _PRIMARY


def _starts_with_minus(e: A.Expr) -> bool:
    left = _leftmost(e)
    if type(left) is A.Unary and left.op == "-":
        return True
    if type(left) is A.NumberLit:
        return (left.raw if left.raw else number_text(left.value)).startswith("-")
    return False


def _leftmost(e: A.Expr) -> A.Expr:
    """The sub-expression printed first (where no parentheses intervene)."""
    while True:
        t = type(e)
        if t is A.Binary and _power(e.left) >= _power(e):
            e = e.left
        elif t is A.Assign and _power(e.target) >= _TERNARY:
            e = e.target
        elif t is A.Ternary and _power(e.cond) >= _NULLISH:
            e = e.cond
        elif t in (A.Call, A.Index, A.Member):
            base = e.callee if t is A.Call else e.obj
            if type(base) in (A.NumberLit, A.RecordUpdate):
                return e
            e = base
        elif t is A.RecordUpdate and _power(e.base) >= _POSTFIX:
            e = e.base
        else:
            return e


def _opens_like_record(body: list[A.Stmt]) -> bool:
    """Whether `tranceify Name {` followed by these statements would parse as a record
    declaration: an empty body, or one opening with a suggestion (a record method)."""
    return not body or (type(body[0]) is A.FuncDecl and body[0].kind == "suggestion")


def _starts_like_statement(e: A.Expr) -> bool:
    left = _leftmost(e)
    if type(left) is A.Identifier:
        name = left.name
        return name in _STATEMENT_WORDS or (name.isascii() and name.lower() in KEYWORDS)
    return False
