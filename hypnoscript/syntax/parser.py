"""The parser: tokens -> syntax tree.

Hand-written recursive descent; expressions use precedence climbing (LANGUAGE.md section 4, plus
the ternary `c ? a : b` between assignment and `??`).

Errors do not stop the parse. A syntax error inside a statement is recorded and the parser skips
to the end of that statement (the next `;` or `}` at the statement's own nesting depth, or the
next statement keyword), so each mistake is reported once and the rest of the file is still
checked; after MAX_ERRORS it gives up. Nesting deeper than MAX_DEPTH is reported, and ends the
parse, instead of exhausting the Python stack. A `;` missing at the end of a line is only a
warning when the next line clearly starts a new statement.

Every node's span is a TableSpan, read from the token table when asked for.
"""

from __future__ import annotations

import bisect
import sys

from hypnoscript.syntax import ast as A
from hypnoscript.syntax import tokens as T
from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError, Label
from hypnoscript.syntax.lexer import TableSpan, TokenTable, gc_paused, lex, make_span as _new_span
from hypnoscript.syntax.source import Source

MAX_DEPTH = 200
MAX_ERRORS = 50

# Each nesting level costs a handful of Python frames; make sure MAX_DEPTH levels fit.
_NEEDED_RECURSION_LIMIT = MAX_DEPTH * 12 + 500

# Binding powers, lowest first.
_ASSIGN, _TERNARY, _NULLISH, _OR, _AND, _EQUALITY, _COMPARISON, _TERM, _FACTOR = range(1, 10)

# Binary operator token kind -> (binding power, canonical operator).
_BINARY: dict[int, tuple[int, str]] = {
    T.QUESTION_QUESTION: (_NULLISH, "??"),
    T.LUCID_FALLBACK: (_NULLISH, "??"),
    T.PIPE_PIPE: (_OR, "||"),
    T.RESISTANCE_IS_FUTILE: (_OR, "||"),
    T.AMP_AMP: (_AND, "&&"),
    T.UNDER_MY_CONTROL: (_AND, "&&"),
    T.DOUBLE_EQUALS: (_EQUALITY, "=="),
    T.YOU_ARE_FEELING_VERY_SLEEPY: (_EQUALITY, "=="),
    T.NOT_EQUALS: (_EQUALITY, "!="),
    T.YOU_CANNOT_RESIST: (_EQUALITY, "!="),
    T.NOT_SO_DEEP: (_EQUALITY, "!="),
    T.GREATER: (_COMPARISON, ">"),
    T.LOOK_AT_THE_WATCH: (_COMPARISON, ">"),
    T.GREATER_EQUAL: (_COMPARISON, ">="),
    T.YOUR_EYES_ARE_GETTING_HEAVY: (_COMPARISON, ">="),
    T.DEEPLY_GREATER: (_COMPARISON, ">="),
    T.LESS: (_COMPARISON, "<"),
    T.FALL_UNDER_MY_SPELL: (_COMPARISON, "<"),
    T.LESS_EQUAL: (_COMPARISON, "<="),
    T.GOING_DEEPER: (_COMPARISON, "<="),
    T.DEEPLY_LESS: (_COMPARISON, "<="),
    T.PLUS: (_TERM, "+"),
    T.MINUS: (_TERM, "-"),
    T.ASTERISK: (_FACTOR, "*"),
    T.SLASH: (_FACTOR, "/"),
    T.PERCENT: (_FACTOR, "%"),
}

_PREFIX: dict[int, str] = {T.MINUS: "-", T.BANG: "!", T.AWAIT: "await", T.SURRENDER_TO: "await"}
_PREFIX_POWER = _FACTOR + 1

_new_object = object.__new__
_set_span_table = TableSpan._table.__set__
_set_span_tokens = TableSpan._tokens.__set__

_POSTFIX_STARTS = frozenset({T.LPAREN, T.DOT, T.LBRACKET, T.QUESTION_DOT, T.DREAM_REACH})

# Identifiers that start a statement in some contexts (`for (`, `try {`, `throw x;`, `record P {`).
_STATEMENT_WORDS = frozenset({"for", "try", "throw", "record", "imperative"})

_DECLARATION_KINDS = {T.INDUCE: "induce", T.IMPLANT: "implant", T.EMBED: "embed", T.FREEZE: "freeze"}
_OUTPUT_KINDS = {T.OBSERVE: "observe", T.WHISPER: "whisper", T.COMMAND: "command", T.MURMUR: "murmur"}
_METHOD_KEYWORDS = {T.SUGGESTION, T.IMPERATIVE_SUGGESTION, T.DOMINANT_SUGGESTION}

# Keywords the language reserves without giving them a meaning.
_RESERVED = {
    T.DEEPER_STILL, T.FROM, T.EXTERNAL, T.SINK_TO, T.MESMERIZE, T.CALL, T.PAUSE_REALITY,
    T.ACCELERATE_TIME, T.DECELERATE_TIME, T.SUBCONSCIOUS, T.LABEL,
}

# Tokens where skipping after an error stops (before the token): the start of a new statement.
_STATEMENT_STARTS = {
    T.INDUCE, T.IMPLANT, T.EMBED, T.FREEZE, T.SHARED_TRANCE, T.ANCHOR, T.IF, T.WHILE, T.LOOP,
    T.PENDULUM, T.SNAP, T.SINK, T.SUSPEND, T.SUGGESTION, T.TRIGGER, T.SESSION, T.TRANCEIFY,
    T.OBSERVE, T.WHISPER, T.COMMAND, T.MURMUR, T.AWAKEN, T.OSCILLATE, T.ENTRANCE, T.FINALE,
    T.ASSERT, T.MIND_LINK, T.RELAX,
}

# Keywords that also serve as names (`induce number = 5;`, `(session: S)`, `tranceify Command`):
# none of them can start an expression, so in expression position they are plain names.
_SOFT_KEYWORDS = {
    T.SESSION, T.CONSTRUCTOR, T.NUMBER, T.STRING, T.BOOLEAN, T.TRANCE, T.LUCID, T.COMMAND,
}

_ARITHMETIC = frozenset({T.PLUS, T.MINUS, T.ASTERISK, T.SLASH, T.PERCENT})

# Tokens that can begin an expression.
_EXPRESSION_STARTS = frozenset({
    T.IDENTIFIER, T.NUMBER_LITERAL, T.STRING_LITERAL, T.TRUE, T.FALSE, T.LPAREN, T.LBRACKET, T.LBRACE,
    T.MINUS, T.BANG, T.AWAIT, T.SURRENDER_TO, T.ENTRAIN, T.SUGGESTION, T.CALL, T.DRIFT,
}) | _SOFT_KEYWORDS

_LOOP_STARTS = {T.LOOP, T.PENDULUM, T.WHILE, T.IDENTIFIER}

_OPENERS = {T.LPAREN: T.RPAREN, T.LBRACKET: T.RBRACKET, T.LBRACE: T.RBRACE}
_CLOSERS = {T.RPAREN, T.RBRACKET, T.RBRACE}

# Word-like tokens that may name a member, a record field or an object key.
_NAME_KINDS = frozenset(range(T.LAST_KEYWORD + 1)) | {T.IDENTIFIER}


class _SyntaxError(Exception):
    """Abandons the current statement; the diagnostic is reported where it is caught."""

    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic


class _TooManyErrors(Exception):
    pass


class _TooDeep(Exception):
    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic


class Parser:
    """Parses one token table. Use the module functions rather than this class directly.

    Tokens are referred to by their index in the table; `pos` is the current token, `kind` its
    kind and `prev` the last token consumed (where the span of a finished node ends).
    """

    def __init__(self, source: Source, table: TokenTable, lex_errors: list[Diagnostic] | None = None):
        self.source = source
        self.table = table
        self.kinds = table.kinds
        self.raw = table.raw
        self.values = table.values
        self.last = len(table.kinds) - 1
        self.pos = 0
        self.kind = self.kinds[0]
        self.prev = 0
        self.diagnostics: list[Diagnostic] = []
        self.depth = 0
        self.top_body: list[A.Stmt] = []
        # Offsets of characters the lexer rejected: a syntax error right after one is its echo.
        self.bad_offsets = sorted(d.span.start for d in lex_errors or () if d.code == "HYP1001" and d.span)
        self.eof_ends_statement = False
        self.statement_parsers = {
            T.INDUCE: self.var_declaration,
            T.IMPLANT: self.var_declaration,
            T.EMBED: self.var_declaration,
            T.FREEZE: self.var_declaration,
            T.SHARED_TRANCE: self.shared_declaration,
            T.ANCHOR: self.anchor,
            T.IF: self.if_statement,
            T.DEEP_FOCUS: self.if_statement,
            T.WHILE: self.while_statement,
            T.LOOP: self.loop_statement,
            T.PENDULUM: self.loop_statement,
            T.SNAP: self.simple_statement,
            T.SINK: self.simple_statement,
            T.SUSPEND: self.simple_statement,
            T.SUGGESTION: self.function_declaration,
            T.TRIGGER: self.trigger_declaration,
            T.SESSION: self.session_declaration,
            T.TRANCEIFY: self.tranceify_statement,
            T.OBSERVE: self.output,
            T.WHISPER: self.output,
            T.COMMAND: self.output,
            T.MURMUR: self.output,
            T.AWAKEN: self.return_statement,
            T.OSCILLATE: self.oscillate,
            T.ASSERT: self.assert_statement,
            T.MIND_LINK: self.mind_link,
            T.ENTRANCE: self.entrance_or_finale,
            T.FINALE: self.entrance_or_finale,
        }

    # ------------------------------------------------------------ token helpers

    def advance(self) -> int:
        """Consume the current token; its index."""
        pos = self.pos
        self.prev = pos
        if pos < self.last:
            self.pos = pos + 1
            self.kind = self.kinds[pos + 1]
        return pos

    def peek(self, offset: int = 1) -> int:
        """The kind of the token `offset` places ahead."""
        index = self.pos + offset
        return self.kinds[index if index < self.last else self.last]

    def peek_raw(self, offset: int = 1) -> str:
        index = self.pos + offset
        return self.raw[index if index < self.last else self.last]

    def accept(self, kind: int) -> bool:
        """Consume the current token if it is of `kind`."""
        if self.kind != kind:
            return False
        pos = self.pos
        self.prev = pos
        if pos < self.last:
            self.pos = pos + 1
            self.kind = self.kinds[pos + 1]
        return True

    def expect(self, kind: int, what: str, help: str | None = None) -> int:
        """Consume a token of `kind` (its index) or fail with "expected <what>"."""
        if self.kind == kind:
            pos = self.pos
            self.prev = pos
            if pos < self.last:
                self.pos = pos + 1
                self.kind = self.kinds[pos + 1]
            return pos
        if kind == T.SEMICOLON:
            if self.eof_ends_statement and self.kind == T.EOF:
                return self.pos
            prev = self.prev
            table = self.table
            if table.lines[self.pos] > table.end_lines[prev] and (self.kind in _STATEMENT_STARTS or self.kind == T.RBRACE):
                # The statement ends at a line break and a new one clearly starts: accept the
                # missing `;` with a warning, as the documentation's programs need.
                diagnostic = self.error("HYP1011", f"missing {what}", prev).diagnostic
                diagnostic.severity = "warning"
                diagnostic.help = f"add ';' at the end of line {table.end_lines[prev]}"
                self.report(diagnostic)
                return prev
        raise self.error_expected(what, help)

    def text(self, index: int) -> str:
        return self.table.text(index)

    def span(self, index: int) -> TableSpan:
        return _new_span(self.table, index, index)

    def span_from(self, first: int) -> TableSpan:
        """From token `first` to the last consumed token."""
        last = self.prev
        span = _new_object(TableSpan)  # make_span, inlined: every composite node needs one
        _set_span_table(span, self.table)
        _set_span_tokens(span, first << 32 | (last if last >= first else first))
        return span

    # ------------------------------------------------------------ diagnostics

    def error(self, code: str, message: str, index: int | None = None, help: str | None = None,
              labels: list[Label] | None = None) -> _SyntaxError:
        index = self.pos if index is None else index
        return _SyntaxError(
            Diagnostic(code, message, self.span(index), help=help, labels=labels or [], path=self.source.path)
        )

    def error_expected(self, what: str, help: str | None = None) -> _SyntaxError:
        if help is None and (self.kind in _RESERVED or self.kind == T.DRIFT):
            help = f"'{self.text(self.pos)}' is a reserved word"
        return self.error("HYP1004", f"expected {what}, found {self.describe(self.pos)}", self.pos, help)

    def describe(self, index: int) -> str:
        """How a token is named in messages: `'{'`, `identifier 'x'`, `keyword 'label'`, `end of file`."""
        kind = self.kinds[index]
        text = self.text(index)
        if kind == T.EOF:
            return "end of file"
        if kind == T.IDENTIFIER:
            return f"identifier '{text}'"
        if kind == T.NUMBER_LITERAL:
            return f"number {text}"
        if kind == T.STRING_LITERAL:
            shown = text if len(text) <= 20 else text[:17] + "..."
            return "string " + '"' + shown.replace("\n", "\\n") + '"'
        if kind <= T.LAST_KEYWORD:
            return f"keyword '{text}'"
        return f"'{text}'"

    def unclosed_help(self, opening: int) -> str:
        table = self.table
        return f"the '{self.text(opening)}' at line {table.lines[opening]}, column {table.cols[opening]} is not closed"

    def report(self, diagnostic: Diagnostic) -> None:
        if self.is_echo_of_lex_error(diagnostic):
            return
        self.diagnostics.append(diagnostic)
        if len(self.diagnostics) >= MAX_ERRORS:
            raise _TooManyErrors

    def is_echo_of_lex_error(self, diagnostic: Diagnostic) -> bool:
        if not self.bad_offsets or diagnostic.span is None:
            return False
        # A bad character between the previous token and the offending one explains the error.
        i = bisect.bisect_left(self.bad_offsets, self.table.starts[self.prev])
        return i < len(self.bad_offsets) and self.bad_offsets[i] <= diagnostic.span.start

    def synchronize(self, start_pos: int) -> None:
        """Skip the rest of a broken statement that started at token index `start_pos`.

        Brackets opened by the statement before the error are tracked, so the skip ends at the
        statement's own `;` or closing `}`, not at one inside it; a closer that matches nothing
        the statement opened belongs to the enclosing block and stops the skip.
        """
        kinds = self.kinds
        open_closers: list[int] = []
        for index in range(start_pos, self.pos):
            _track_bracket(open_closers, kinds[index])
        # Always make progress: a statement that failed on its first token skips that token.
        if self.pos == start_pos and self.kind not in (T.RBRACE, T.EOF, T.RELAX):
            _track_bracket(open_closers, self.kind)
            self.advance()
        while True:
            kind = self.kind
            if kind == T.EOF:
                return
            if not open_closers:
                if kind == T.SEMICOLON:
                    self.advance()
                    return
                if kind == T.RBRACE or kind == T.RELAX or kind in _STATEMENT_STARTS:
                    return
            elif kind in _STATEMENT_STARTS and T.RBRACE not in open_closers and self.starts_line():
                return  # an unclosed `(` or `[` does not reach into the next line's statement
            if kind == T.RBRACE and T.RBRACE not in open_closers:
                return  # closes the enclosing block
            closed_block = _track_bracket(open_closers, kind) and kind == T.RBRACE
            self.advance()
            if closed_block and not open_closers and self.kind != T.SEMICOLON:
                return  # a statement ending in a block (`if (...) { ... }`) ends here

    def starts_line(self) -> bool:
        """Is the current token the first on its line?"""
        table = self.table
        return self.pos == 0 or table.lines[self.pos] > table.end_lines[self.pos - 1]

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.too_deep()

    def too_deep(self):
        # Fatal: what follows cannot be parsed sensibly at a lower depth.
        raise _TooDeep(
            self.error(
                "HYP1006",
                "nesting too deep",
                help=f"brackets, blocks and operators can be nested at most {MAX_DEPTH} levels deep",
            ).diagnostic
        )

    # ------------------------------------------------------------ program structure

    def program(self) -> A.Program:
        first = self.pos
        body = self.top_body
        if self.kind == T.FOCUS:
            self.advance()
            if not self.accept(T.LBRACE):
                self.report(self.error_expected("'{' after 'Focus'").diagnostic)
            repeated_headers = 0
            while self.kind == T.FOCUS and self.peek() == T.LBRACE:
                diagnostic = self.error("HYP1012", "repeated 'Focus {'", help="remove the second 'Focus {'").diagnostic
                diagnostic.severity = "warning"
                self.report(diagnostic)
                self.advance()
                self.advance()
                repeated_headers += 1
            self.statements_until_close(body, top_level=True)
            while self.kind == T.RBRACE and self.peek() not in (T.RELAX, T.EOF):
                self.report(
                    self.error(
                        "HYP1003",
                        "unmatched '}'",
                        help="this '}' closes nothing; remove it or add the missing '{'",
                    ).diagnostic
                )
                self.advance()
                self.statements_until_close(body, top_level=True)
            if self.kind == T.RBRACE:
                self.advance()
                while repeated_headers and self.kind == T.RBRACE:
                    self.advance()
                    repeated_headers -= 1
                if self.kind == T.RELAX:
                    self.advance()
                else:
                    self.report(
                        self.error(
                            "HYP1007",
                            f"program must end with 'Relax', found {self.describe(self.pos)}",
                            help="close the program with `} Relax`",
                        ).diagnostic
                    )
            elif self.kind == T.RELAX:
                self.report(self.error("HYP1004", "expected '}' before 'Relax'").diagnostic)
            else:
                self.report(
                    self.error(
                        "HYP1004",
                        f"expected '}}' to close the program, found {self.describe(self.pos)}",
                        labels=[Label(self.span(first), "the program starts here")],
                    ).diagnostic
                )
            # Tokens after `Relax` are ignored.
        else:
            self.report(
                self.error(
                    "HYP1007",
                    f"program must start with 'Focus', found {self.describe(self.pos)}",
                    help="wrap the program in `Focus { ... } Relax`",
                ).diagnostic
            )
            while self.kind != T.EOF:
                before = self.pos
                self.statements_until_close(body, top_level=True)
                if self.pos == before or self.kind in (T.RBRACE, T.RELAX):
                    self.advance()
        return A.Program(body, span=self.span_from(first))

    def statements_until_close(self, body: list[A.Stmt], top_level: bool) -> None:
        """Statements up to (not including) `}`, `Relax` or the end of the input."""
        parsers = self.statement_parsers
        append = body.append
        while True:
            kind = self.kind
            if kind == T.RBRACE or kind == T.EOF or kind == T.RELAX:
                return
            start_pos = self.pos
            saved_depth = self.depth
            try:
                parse = parsers.get(kind)
                if parse is None:
                    append(self.other_statement())
                    continue
                if not top_level and (kind == T.TRIGGER or kind == T.ENTRANCE or kind == T.FINALE):
                    self.misplaced_top_level_item()
                append(parse())
            except _SyntaxError as exc:
                self.depth = saved_depth
                self.report(exc.diagnostic)
                self.synchronize(start_pos)

    def misplaced_top_level_item(self):
        if self.kind == T.TRIGGER:
            raise self.error(
                "HYP1008",
                "triggers can only be declared at the top level",
                help="declare it directly inside `Focus { ... }`, or use `suggestion` here",
            )
        raise self.error(
            "HYP1008",
            f"'{self.text(self.pos)}' blocks are only allowed at the top level",
            help="move the block directly inside `Focus { ... }`",
        )

    def block(self, after: str) -> list[A.Stmt]:
        """`{ statements }`."""
        opening = self.pos
        if self.kind != T.LBRACE:
            raise self.error_expected(f"'{{' {after}")
        self.advance()
        self.enter()
        body: list[A.Stmt] = []
        self.statements_until_close(body, top_level=False)
        self.depth -= 1
        if self.kind == T.RBRACE:
            self.advance()
        else:
            self.report(
                self.error(
                    "HYP1004",
                    f"expected '}}' to close the block, found {self.describe(self.pos)}",
                    labels=[Label(self.span(opening), "this '{' is not closed")],
                ).diagnostic
            )
        return body

    # ------------------------------------------------------------ statements

    def entrance_or_finale(self) -> A.Stmt:
        first = self.advance()
        body = self.block(f"after '{self.text(first)}'")
        node = A.Entrance if self.kinds[first] == T.ENTRANCE else A.Finale
        return node(body, span=self.span_from(first))

    def var_declaration(self) -> A.VarDecl | A.ExprStmt:
        first = self.pos
        if self.kind == T.INDUCE and self.peek() == T.IDENTIFIER and self.peek(2) == T.DOT:
            # `induce person.age = 31;`: the documentation's spelling of a field assignment
            self.advance()
            target_start = self.pos
            expr = self.expression()
            if type(expr) is not A.Assign or type(expr.target) is not A.Member:
                raise self.error("HYP1004", "expected `induce name.field = value;` (a field assignment)",
                                 target_start)
            self.expect(T.SEMICOLON, "';' after the assignment")
            return A.ExprStmt(expr, span=self.span_from(first))
        decl = self.declaration_head(first, False)
        self.expect(T.SEMICOLON, "';' after the variable declaration")
        decl.span = self.span_from(first)
        return decl

    def declaration_head(self, first: int, shared: bool) -> A.VarDecl:
        """`induce name [: type] [= value]` without the `;` (also used in loop headers)."""
        keyword = self.kinds[self.advance()]
        name = self.name("variable name")
        type_ref = self.type_annotation() if self.accept(T.COLON) else None
        init = self.expression() if self.accept(T.EQUALS) else None
        return A.VarDecl(_DECLARATION_KINDS[keyword], name, type_ref, init, shared, span=self.span_from(first))

    def shared_declaration(self) -> A.VarDecl:
        first = self.advance()
        if self.kind in _DECLARATION_KINDS:
            decl = self.declaration_head(first, True)
        elif self.kind == T.IDENTIFIER and self.peek() in (T.COLON, T.EQUALS, T.SEMICOLON):
            # `sharedTrance name: type = value;` (the declaration keyword left out) means induce.
            name = self.raw[self.advance()]
            type_ref = self.type_annotation() if self.accept(T.COLON) else None
            init = self.expression() if self.accept(T.EQUALS) else None
            decl = A.VarDecl("induce", name, type_ref, init, True)
        else:
            raise self.error_expected("induce, implant, embed or freeze after 'sharedTrance'")
        self.expect(T.SEMICOLON, "';' after the variable declaration")
        decl.span = self.span_from(first)
        return decl

    def anchor(self) -> A.Anchor:
        first = self.advance()
        name = self.name("anchor name")
        self.expect(T.EQUALS, "'=' after anchor name")
        value = self.expression()
        self.expect(T.SEMICOLON, "';' after anchor declaration")
        return A.Anchor(name, value, span=self.span_from(first))

    def condition(self, keyword: str) -> A.Expr:
        """The condition of `if`/`while`: usually `( expr )`, but any expression is accepted."""
        if self.kind == T.LBRACE:
            raise self.error_expected(f"a condition after '{keyword}'")
        return self.expression(_ASSIGN, True)

    def if_statement(self) -> A.If:
        """`if (c) [deepFocus] {...} [else ...]`; `deepFocus (c) {...}` alone is the same.

        An `else if` chain is read in a loop (it can be long) and nested afterwards."""
        arms: list[tuple[int, A.Expr, list[A.Stmt]]] = []
        orelse = None
        while True:
            first = self.advance()
            cond = self.condition(self.text(first))
            self.accept(T.DEEP_FOCUS)
            arms.append((first, cond, self.branch("after the if condition")))
            if not self.accept(T.ELSE):
                break
            if self.kind != T.IF:
                orelse = self.branch("after 'else'")
                break
        for first, cond, then in reversed(arms):
            node = A.If(cond, then, orelse, span=self.span_from(first))
            orelse = [node]
        return node

    def branch(self, after: str) -> list[A.Stmt]:
        """An if/else branch: a block, or a single statement (`if (c) f();`)."""
        kind = self.kind
        if kind == T.LBRACE:
            return self.block(after)
        if kind in (T.SEMICOLON, T.RBRACE, T.EOF, T.RELAX, T.ENTRANCE, T.FINALE, T.TRIGGER):
            raise self.error_expected(f"'{{' {after}")
        self.enter()
        parse = self.statement_parsers.get(kind)
        statement = parse() if parse is not None else self.other_statement()
        self.depth -= 1
        return [statement]

    def while_statement(self) -> A.While:
        first = self.advance()
        cond = self.condition("while")
        body = self.block("after the while condition")
        return A.While(cond, body, span=self.span_from(first))

    def loop_statement(self) -> A.Stmt:
        first = self.advance()
        keyword = self.text(first) if self.kinds[first] != T.IDENTIFIER else "for"
        init = cond = update = None
        if self.kind == T.LPAREN:
            open_paren = self.advance()
            if keyword == "for" and self.is_for_in_header():
                return self.for_in(first)
            if self.kind != T.SEMICOLON:
                if self.kind in _DECLARATION_KINDS:
                    init = self.declaration_head(self.pos, False)
                else:
                    start = self.pos
                    init = A.ExprStmt(self.expression(), span=self.span_from(start))
            self.expect(T.SEMICOLON, f"';' after the '{keyword}' loop initializer")
            if self.kind != T.SEMICOLON:
                cond = self.expression()
            elif keyword == "pendulum":
                raise self.error_expected("a condition: a pendulum loop needs one")
            self.expect(T.SEMICOLON, f"';' after the '{keyword}' loop condition")
            if self.kind != T.RPAREN:
                update = self.loop_update()
            if self.kind != T.RPAREN:
                raise self.error_expected(f"')' after the '{keyword}' loop clauses", self.unclosed_help(open_paren))
            self.advance()
        elif keyword != "loop":
            raise self.error_expected(f"'(' after '{keyword}'")
        body = self.block(f"after the '{keyword}' loop header")
        return A.Loop(keyword, init, cond, update, body, span=self.span_from(first))

    def loop_update(self) -> A.Expr:
        """The update clause; `induce i = i + 1` there (as the docs write it) is an assignment."""
        start = self.pos
        if self.kind in _DECLARATION_KINDS:
            self.advance()
            target_index = self.pos
            name = self.name("variable name")
            target = A.Identifier(name, span=self.span(target_index))
            self.expect(T.EQUALS, "'=' in the loop update")
            value = self.expression()
            return A.Assign(target, value, span=self.span_from(start))
        return self.expression()

    def labelled_loop(self) -> A.Stmt:
        """`name: loop (...) {...}`, the target of `snap name;` / `sink name;`."""
        first = self.advance()
        self.advance()  # `:`
        kind = self.kind
        if kind == T.WHILE:
            loop = self.while_statement()
        elif kind == T.IDENTIFIER and self.raw[self.pos] == "for" and self.peek() == T.LPAREN:
            loop = self.loop_statement()
        elif kind == T.LOOP or kind == T.PENDULUM:
            loop = self.loop_statement()
        else:
            raise self.error_expected("a loop after the label")
        loop.label = self.raw[first]
        loop.span = self.span_from(first)
        return loop

    def is_for_in_header(self) -> bool:
        """After `for (`: `[induce] name in|of ...`?"""
        offset = 1 if self.kind in _DECLARATION_KINDS else 0
        return (
            self.peek(offset) == T.IDENTIFIER
            and self.peek(offset + 1) == T.IDENTIFIER
            and self.peek_raw(offset + 1) in ("in", "of")
        )

    def for_in(self, first: int) -> A.ForIn:
        if self.kind in _DECLARATION_KINDS:
            self.advance()
        name = self.raw[self.advance()]
        self.advance()  # `in` / `of`
        iterable = self.expression()
        self.expect(T.RPAREN, "')' after the iterated expression")
        body = self.block("after the for header")
        return A.ForIn(name, iterable, body, span=self.span_from(first))

    def simple_statement(self) -> A.Stmt:
        first = self.advance()
        keyword = self.kinds[first]
        label = None
        if keyword != T.SUSPEND and self.kind == T.IDENTIFIER:
            label = self.raw[self.advance()]  # `snap outer;` leaves the loop labelled `outer`
        self.expect(T.SEMICOLON, f"';' after '{self.text(first)}'")
        span = self.span_from(first)
        if keyword == T.SNAP:
            return A.Break(label, span=span)
        if keyword == T.SINK:
            return A.Continue(label, span=span)
        return A.Suspend(span=span)

    def output(self) -> A.Stmt:
        if self.kind == T.COMMAND and self.peek() not in _EXPRESSION_STARTS:
            return self.other_statement()  # `command = "x";` with a variable named command
        first = self.advance()
        value = self.expression()
        kind = _OUTPUT_KINDS[self.kinds[first]]
        self.expect(T.SEMICOLON, f"';' after the {kind} statement")
        return A.Output(kind, value, span=self.span_from(first))

    def return_statement(self) -> A.Return:
        first = self.advance()
        value = None
        if self.kind != T.SEMICOLON:
            value = self.expression()
        self.expect(T.SEMICOLON, "';' after the return statement")
        return A.Return(value, span=self.span_from(first))

    def oscillate(self) -> A.Oscillate:
        first = self.advance()
        target = self.expression(_ASSIGN + 1)
        self.expect(T.SEMICOLON, "';' after the oscillate statement")
        return A.Oscillate(target, span=self.span_from(first))

    def assert_statement(self) -> A.Assert:
        first = self.advance()
        message = None
        if self.kind == T.LPAREN and self.has_top_level_comma_in_parens():
            self.advance()
            cond = self.expression()
            self.expect(T.COMMA, "',' between the assertion and its message")
            message = self.expression()
            self.expect(T.RPAREN, "')' after the assertion message")
        else:
            cond = self.expression()
            if self.accept(T.COLON) or self.kind not in (T.SEMICOLON, T.RBRACE, T.EOF):
                message = self.expression()
        self.expect(T.SEMICOLON, "';' after the assertion")
        return A.Assert(cond, message, span=self.span_from(first))

    def has_top_level_comma_in_parens(self) -> bool:
        """With `(` current: does a `,` appear directly inside these parentheses?"""
        depth = 0
        kinds = self.kinds
        for index in range(self.pos, self.last):
            kind = kinds[index]
            if kind in _OPENERS:
                depth += 1
            elif kind in _CLOSERS:
                depth -= 1
                if depth == 0:
                    return False
            elif kind == T.COMMA and depth == 1:
                return True
            elif kind == T.SEMICOLON:
                return False
        return False

    def mind_link(self) -> A.MindLink:
        first = self.advance()
        if self.kind == T.IDENTIFIER and self.peek() == T.SEMICOLON:
            # `mindLink Fixtures;` (as the documentation writes it) is `mindLink "Fixtures.hyp";`
            path = self.raw[self.advance()] + ".hyp"
        elif self.kind != T.STRING_LITERAL:
            raise self.error_expected("a file path string after 'mindLink'", 'write: mindLink "other.hyp";')
        else:
            path = self.values[self.advance()]
        self.expect(T.SEMICOLON, "';' after the mindLink statement")
        return A.MindLink(path, span=self.span_from(first))

    def try_statement(self) -> A.Try:
        first = self.advance()
        body = self.block("after 'try'")
        catch_name = catch_body = finally_body = None
        if self.kind == T.IDENTIFIER and self.raw[self.pos] == "catch":
            self.advance()
            if self.accept(T.LPAREN):
                catch_name = self.name("a name for the caught error")
                if self.accept(T.COLON):
                    self.type_annotation()
                self.expect(T.RPAREN, "')' after the catch parameter")
            catch_body = self.block("after 'catch'")
        if self.kind == T.IDENTIFIER and self.raw[self.pos] == "finally":
            self.advance()
            finally_body = self.block("after 'finally'")
        if catch_body is None and finally_body is None:
            raise self.error_expected("'catch' or 'finally' after the try block")
        return A.Try(body, catch_name, catch_body, finally_body, span=self.span_from(first))

    def throw_statement(self) -> A.Throw:
        first = self.advance()
        value = self.expression()
        self.expect(T.SEMICOLON, "';' after the throw statement")
        return A.Throw(value, span=self.span_from(first))

    def other_statement(self) -> A.Stmt:
        """Statements introduced by identifiers (`for`, `try`, `throw`) and expression statements."""
        first = self.pos
        kind = self.kind
        if kind == T.IDENTIFIER:
            next_kind = self.peek()
            if next_kind == T.COLON or self.raw[first] in _STATEMENT_WORDS:
                statement = self.word_statement(next_kind)
                if statement is not None:
                    return statement
        elif kind in _RESERVED and kind != T.CALL:
            raise self.error(
                "HYP1009",
                f"'{self.text(first)}' is a reserved word and cannot be used here",
                help="reserved words have no meaning yet and cannot name anything either",
            )
        expr = self.expression()
        if self.kind == T.SEMICOLON:
            self.advance()
        else:
            self.expect(T.SEMICOLON, "';' after the expression", _missing_semicolon_help(expr))
        return A.ExprStmt(expr, span=self.span_from(first))

    def word_statement(self, next_kind: int) -> A.Stmt | None:
        """A statement introduced by an identifier, or None for an expression statement."""
        word = self.raw[self.pos]
        if next_kind == T.COLON and self.peek(2) in _LOOP_STARTS:
            return self.labelled_loop()
        if word == "for" and next_kind == T.LPAREN:
            return self.loop_statement()
        if word == "record" and next_kind in _NAME_KINDS and self.peek(2) == T.LBRACE:
            # `record Name { field: type; }` is the documentation's spelling of tranceify.
            return self.tranceify_declaration()
        if word == "imperative" and next_kind == T.SUGGESTION:
            # `imperative suggestion f() {...}` is written in some programs for `suggestion`.
            self.advance()
            return self.function_declaration()
        if word == "try" and next_kind == T.LBRACE:
            return self.try_statement()
        if word == "throw" and next_kind in _EXPRESSION_STARTS:
            return self.throw_statement()
        return None

    # ------------------------------------------------------------ functions

    def parameters(self) -> list[A.Param]:
        open_paren = self.pos
        self.expect(T.LPAREN, "'(' before the parameters")
        params: list[A.Param] = []
        while self.kind != T.RPAREN:
            start = self.pos
            name = self.name("parameter name")
            type_ref = self.type_annotation() if self.accept(T.COLON) else None
            default = self.expression() if self.accept(T.EQUALS) else None
            params.append(A.Param(name, type_ref, default, span=self.span_from(start)))
            if not self.accept(T.COMMA):
                break
        if self.kind != T.RPAREN:
            raise self.error_expected("',' or ')' in the parameter list", self.unclosed_help(open_paren))
        self.advance()
        return params

    def signature(self) -> tuple[list[A.Param], A.TypeRef | None]:
        params = self.parameters()
        return_type = None
        if self.accept(T.COLON):
            return_type = self.type_annotation()
        elif self.kind == T.MINUS and self.peek() == T.GREATER:
            self.advance()
            self.advance()
            return_type = self.type_annotation()
        return params, return_type

    def function_declaration(self) -> A.Stmt:
        first = self.pos
        if self.peek() == T.LPAREN:  # an anonymous function used as a statement
            return self.other_statement()
        self.advance()
        name = self.name("function name")
        params, return_type = self.signature()
        body = self.block("before the function body")
        return A.FuncDecl(name, params, return_type, body, "suggestion", span=self.span_from(first))

    def trigger_declaration(self) -> A.FuncDecl:
        first = self.advance()
        name = self.name("trigger name")
        self.expect(T.EQUALS, "'=' after the trigger name", "write: trigger name = suggestion(...) { ... }")
        self.expect(T.SUGGESTION, "'suggestion' after '='")
        params, return_type = self.signature()
        body = self.block("before the trigger body")
        self.accept(T.SEMICOLON)
        return A.FuncDecl(name, params, return_type, body, "trigger", span=self.span_from(first))

    def lambda_expression(self) -> A.Lambda:
        first = self.advance()
        params, return_type = self.signature()
        body = self.block("before the function body")
        return A.Lambda(params, return_type, body, span=self.span_from(first))

    # ------------------------------------------------------------ sessions and records

    def session_declaration(self) -> A.Stmt:
        following = self.peek()
        if following != T.IDENTIFIER and following not in _SOFT_KEYWORDS and following != T.LBRACE:
            return self.other_statement()  # `session.x = 1;` with a parameter named session
        first = self.advance()
        name = self.name("session name")
        opening = self.pos
        self.expect(T.LBRACE, "'{' after the session name")
        self.enter()
        members: list = []
        while self.kind not in (T.RBRACE, T.EOF, T.RELAX):
            start_pos = self.pos
            saved_depth = self.depth
            try:
                members.append(self.session_member())
            except _SyntaxError as exc:
                self.depth = saved_depth
                self.report(exc.diagnostic)
                self.synchronize_member(start_pos)
        self.depth -= 1
        if not self.accept(T.RBRACE):
            self.report(
                self.error(
                    "HYP1004",
                    f"expected '}}' to close the session, found {self.describe(self.pos)}",
                    labels=[Label(self.span(opening), "this '{' is not closed")],
                ).diagnostic
            )
        return A.SessionDecl(name, members, span=self.span_from(first))

    def synchronize_member(self, start_pos: int) -> None:
        """Skip a broken session member: to after its `;` or its closed body."""
        if self.pos == start_pos:
            self.advance()
        depth = 0
        while self.kind != T.EOF:
            kind = self.kind
            if depth == 0:
                if kind == T.SEMICOLON:
                    self.advance()
                    return
                if kind == T.RBRACE or kind in _MEMBER_STARTS:
                    return
            if kind in _OPENERS:
                depth += 1
            elif kind in _CLOSERS:
                depth -= 1
                if depth <= 0 and kind == T.RBRACE:
                    self.advance()
                    return
            self.advance()

    def session_member(self):
        first = self.pos
        static = self.accept(T.DOMINANT)
        private = False
        has_visibility = False
        if self.kind == T.EXPOSE or self.kind == T.CONCEAL:
            private = self.kinds[self.advance()] == T.CONCEAL
            has_visibility = True
            static = self.accept(T.DOMINANT) or static
        kind = self.kind
        if kind in _METHOD_KEYWORDS:
            keyword = self.advance()
            static = static or kind == T.DOMINANT_SUGGESTION
            if self.kind == T.CONSTRUCTOR:
                name = "constructor"
                self.advance()
            else:
                name = self.name("method name")
            params, return_type = self.signature()
            body = self.block("before the method body")
            return A.SessionMethod(
                name, params, return_type, body, static, private, self.text(keyword), span=self.span_from(first)
            )
        if kind == T.CONSTRUCTOR and self.peek() == T.LPAREN:
            # `constructor(...) { ... }` without `suggestion`
            self.advance()
            params, return_type = self.signature()
            body = self.block("before the constructor body")
            return A.SessionMethod(
                "constructor", params, return_type, body, static, private, "suggestion", span=self.span_from(first)
            )
        if kind == T.IDENTIFIER and (has_visibility or self.peek() in (T.COLON, T.EQUALS, T.SEMICOLON)):
            name = self.raw[self.advance()]
            type_ref = self.type_annotation() if self.accept(T.COLON) else None
            init = self.expression() if self.accept(T.EQUALS) else None
            self.expect(T.SEMICOLON, "';' after the field declaration")
            return A.SessionField(name, type_ref, init, static, private, span=self.span_from(first))
        if has_visibility:
            raise self.error_expected("a field name or 'suggestion' after the visibility keyword")
        raise self.error_expected(
            "a session member",
            "members are fields (`expose name: type = value;`) or methods (`suggestion name() { ... }`)",
        )

    def tranceify_statement(self) -> A.Stmt:
        """`tranceify Name { fields }` declares a record type; `tranceify(args) { ... }`, and
        `tranceify Name { ... }` whose body does not open like a record's, are blocks."""
        following = self.peek()
        if following == T.LPAREN:
            return self.tranceify_block()
        named = following == T.IDENTIFIER or following in _SOFT_KEYWORDS
        if named and self.peek(2) == T.LBRACE and not self.opens_record_body(3):
            return self.tranceify_block()
        return self.tranceify_declaration()

    def opens_record_body(self, offset: int) -> bool:
        """Does the token `offset` places ahead open the body of a record declaration: `}`, a
        field (`name:`, `name?:`, or `name type` with its `:` left out) or a method
        (`suggestion name`)? A labelled loop (`outer: loop {`), a statement word (`throw error;`)
        and an operator word (`a lookAtTheWatch b;`) open a block instead."""
        first = self.peek(offset)
        if first == T.RBRACE:
            return True
        if first not in _NAME_KINDS:
            return False
        after = self.peek(offset + 1)
        if after == T.COLON:
            return not self.labels_a_loop(offset)
        if after == T.QUESTION_MARK:
            return self.peek(offset + 2) == T.COLON
        if first in (T.SUGGESTION, T.IMPERATIVE_SUGGESTION):
            return after in _NAME_KINDS
        if first == T.IDENTIFIER and after in _NAME_KINDS:
            goes_on = after in _BINARY or after == T.DREAM_REACH or (
                self.peek_raw(offset + 1) == "with" and self.peek(offset + 2) == T.LBRACE)
            return not goes_on and self.peek_raw(offset) not in _STATEMENT_WORDS
        return False

    def labels_a_loop(self, offset: int) -> bool:
        """Is `name:` at `offset` the label of a loop (`name: while (`, `name: loop {`, ...)?"""
        if self.peek(offset) != T.IDENTIFIER:
            return False
        loop = self.peek(offset + 2)
        is_loop = loop in (T.LOOP, T.PENDULUM, T.WHILE) or (loop == T.IDENTIFIER and self.peek_raw(offset + 2) == "for")
        return is_loop and self.peek(offset + 3) in (T.LPAREN, T.LBRACE)

    def tranceify_block(self) -> A.TranceifyBlock:
        first = self.advance()
        name = None
        args: list[A.Expr] = []
        if self.kind == T.LPAREN:
            args = self.arguments()
        else:
            name = self.name("tranceify block name")
        body = self.block("after the tranceify arguments")
        return A.TranceifyBlock(name, args, body, span=self.span_from(first))

    def tranceify_declaration(self) -> A.TranceifyDecl:
        first = self.advance()
        name = self.name("tranceify type name")
        opening = self.pos
        self.expect(T.LBRACE, "'{' after the tranceify name")
        fields: list[A.TranceifyField] = []
        methods: list[A.SessionMethod] = []
        while self.kind not in (T.RBRACE, T.EOF, T.RELAX):
            start = self.pos
            if self.kind in (T.SUGGESTION, T.IMPERATIVE_SUGGESTION) and self.peek() in _NAME_KINDS:
                # the documentation's records may carry methods (and a constructor)
                keyword = self.text(self.advance())
                method_name = self.name("method name")
                params, return_type = self.signature()
                body = self.block("before the method body")
                methods.append(A.SessionMethod(method_name, params, return_type, body, keyword=keyword,
                                               span=self.span_from(start)))
                continue
            if self.kind not in _NAME_KINDS:
                raise self.error_expected("a field name")
            field_name = self.raw[self.advance()]
            optional = self.accept(T.QUESTION_MARK)
            self.expect(T.COLON, "':' after the field name", "write: name: type;")
            type_ref = self.type_annotation()
            fields.append(A.TranceifyField(field_name, type_ref, optional, span=self.span_from(start)))
            if not (self.accept(T.SEMICOLON) or self.accept(T.COMMA)) and self.kind != T.RBRACE:
                raise self.error_expected("';' after the field")
        if not self.accept(T.RBRACE):
            raise self.error_expected("'}' after the tranceify fields", self.unclosed_help(opening))
        return A.TranceifyDecl(name, fields, methods, span=self.span_from(first))

    # ------------------------------------------------------------ names and types

    def name(self, what: str) -> str:
        kind = self.kind
        if kind == T.IDENTIFIER or kind in _SOFT_KEYWORDS:
            return self.raw[self.advance()]
        if kind <= T.LAST_KEYWORD:
            word = self.text(self.pos)
            raise self.error(
                "HYP1004",
                f"expected {what}, found keyword '{word}'",
                help=f"'{word}' is a keyword (in any capitalisation) and cannot be used as a name",
            )
        raise self.error_expected(what)

    def type_annotation(self) -> A.TypeRef:
        first = self.pos
        parts: list[str] = []
        self.type_union(parts)
        return A.TypeRef(_join_type(parts), span=self.span_from(first))

    def type_union(self, parts: list[str]) -> None:
        self.enter()
        if self.kind == T.LUCID:
            parts.append(self.text(self.advance()))
        self.type_postfix(parts)
        while self.kind == T.PIPE:
            parts.append(self.text(self.advance()))
            self.type_postfix(parts)
        self.depth -= 1

    def type_postfix(self, parts: list[str]) -> None:
        kind = self.kind
        if kind == T.LPAREN:  # function type `(a: number) -> number`
            parts.append(self.text(self.advance()))
            while self.kind != T.RPAREN:
                if self.kind == T.IDENTIFIER and self.peek() == T.COLON:
                    parts.append(self.raw[self.advance()])
                    parts.append(self.text(self.advance()))
                self.type_union(parts)
                if not self.accept(T.COMMA):
                    break
                parts.append(",")
            parts.append(self.text(self.expect(T.RPAREN, "')' in the function type")))
            if self.kind == T.MINUS and self.peek() == T.GREATER:
                self.advance()
                self.advance()
                parts.append("->")
                self.type_union(parts)
            elif self.kind == T.ARROW:
                parts.append(self.text(self.advance()))
                self.type_union(parts)
            return
        if kind == T.EOF or kind in _NOT_A_TYPE:
            raise self.error_expected("a type")
        # Like the reference, any single token is accepted as a type name.
        index = self.advance()
        parts.append(self.raw[index] if kind == T.STRING_LITERAL else self.text(index))
        if self.kind == T.LESS and kind in _NAME_KINDS:
            parts.append(self.text(self.advance()))
            self.type_union(parts)
            while self.accept(T.COMMA):
                parts.append(",")
                self.type_union(parts)
            parts.append(self.text(self.expect(T.GREATER, "'>' to close the type arguments")))
        while True:
            if self.kind == T.LBRACKET and self.peek() == T.RBRACKET:
                self.advance()
                self.advance()
                parts.append("[]")
            elif self.kind == T.QUESTION_MARK:
                parts.append(self.text(self.advance()))
            else:
                return

    # ------------------------------------------------------------ expressions

    def expression(self, min_power: int = _ASSIGN, no_record: bool = False) -> A.Expr:
        """Precedence climbing: operators binding at least as tight as `min_power`."""
        self.depth = depth = self.depth + 1
        if depth > MAX_DEPTH:
            self.too_deep()
        first = self.pos
        prefix = _PREFIX.get(self.kind)
        if prefix is not None:
            # Prefix operators bind tighter than any binary operator.
            self.advance()
            operand = self.expression(_PREFIX_POWER, no_record)
            left = A.Unary(prefix, operand, span=self.span_from(first))
        else:
            left = self.primary(no_record)
            if self.kind in _POSTFIX_STARTS:
                left = self.postfix(left, first)
        binary = _BINARY
        while True:
            kind = self.kind
            info = binary.get(kind)
            if info is not None:
                power = info[0]
                if power < min_power:
                    break
                operator = self.pos  # an operator is never the last (EOF) token: step inline
                self.prev = operator
                self.pos = operator + 1
                self.kind = self.kinds[operator + 1]
                if self.kind in _LEAVES and _ends_operand(self.kinds[operator + 2], power):
                    right = self.primary(no_record)  # a lone name or literal: no need to climb
                else:
                    right = self.expression(power + 1, no_record)
                op_text = info[1] if kind > T.LAST_KEYWORD else self.text(operator)
                span = _new_object(TableSpan)  # make_span, inlined
                _set_span_table(span, self.table)
                _set_span_tokens(span, first << 32 | self.prev)
                left = A.Binary(info[1], left, right, op_text, span=span)
            elif kind == T.EQUALS:
                if min_power > _ASSIGN:
                    break
                self.advance()
                value = self.expression(_ASSIGN, no_record)
                left = A.Assign(left, value, span=self.span_from(first))
            elif kind == T.IDENTIFIER and self.raw[self.pos] == "with" and self.peek() == T.LBRACE:
                # `record with { field: value }`: a copy with fields replaced
                self.advance()
                self.advance()
                self.enter()
                fields = self.record_fields("record")
                self.depth -= 1
                left = A.RecordUpdate(left, fields, span=self.span_from(first))
            elif kind == T.QUESTION_MARK:
                if min_power > _TERNARY:
                    break
                self.advance()
                then = self.expression(_ASSIGN, no_record)
                self.expect(T.COLON, "':' in the conditional expression", "write: condition ? then : otherwise")
                otherwise = self.expression(_ASSIGN, no_record)
                left = A.Ternary(left, then, otherwise, span=self.span_from(first))
            else:
                break
        self.depth -= 1
        return left

    def postfix(self, expr: A.Expr, first: int) -> A.Expr:
        """Calls, member accesses and indexing after `expr`, which started at token `first`."""
        while True:
            kind = self.kind
            if kind not in _POSTFIX_STARTS:
                return expr
            if kind == T.LPAREN:
                expr = A.Call(expr, self.arguments(), span=self.span_from(first))
            elif kind == T.DOT:
                self.advance()
                if self.kind not in _NAME_KINDS:
                    raise self.error_expected("a property name after '.'")
                expr = A.Member(expr, self.raw[self.advance()], span=self.span_from(first))
            elif kind == T.LBRACKET:
                self.advance()
                index = self.expression()
                self.expect(T.RBRACKET, "']' after the index")
                expr = A.Index(expr, index, span=self.span_from(first))
            else:  # `?.` or `dreamReach`
                operator = self.advance()
                kind = self.kind
                if kind == T.LBRACKET:
                    self.advance()
                    index = self.expression()
                    self.expect(T.RBRACKET, "']' after the index")
                    expr = A.Index(expr, index, True, span=self.span_from(first))
                elif kind == T.LPAREN:
                    args = self.arguments()
                    expr = A.Call(expr, args, True, span=self.span_from(first))
                elif kind in _NAME_KINDS:
                    expr = A.Member(expr, self.raw[self.advance()], True, span=self.span_from(first))
                else:
                    raise self.error_expected(f"a property name, '[' or '(' after '{self.text(operator)}'")

    def arguments(self) -> list[A.Expr]:
        open_paren = self.advance()
        args: list[A.Expr] = []
        if self.kind != T.RPAREN:
            self.enter()
            while True:
                args.append(self.expression())
                if not self.accept(T.COMMA) or self.kind == T.RPAREN:
                    break
            self.depth -= 1
        if self.kind != T.RPAREN:
            raise self.error_expected("',' or ')' in the argument list", self.unclosed_help(open_paren))
        self.advance()
        return args

    def primary(self, no_record: bool = False) -> A.Expr:
        index = self.pos
        kind = self.kind
        if kind == T.IDENTIFIER or kind == T.NUMBER_LITERAL or kind == T.STRING_LITERAL:
            # Never the last (EOF) token: step inline.
            self.prev = index
            self.pos = index + 1
            self.kind = self.kinds[index + 1]
            span = _new_object(TableSpan)  # make_span, inlined for the most common nodes
            _set_span_table(span, self.table)
            _set_span_tokens(span, index << 32 | index)
            if kind == T.IDENTIFIER:
                if self.kind == T.LBRACE and not no_record and self.at_record_body():
                    return self.record_literal(index)
                name = self.raw[index]
                if name == "null":
                    return A.NullLit(span=span)
                return A.Identifier(name, span=span)
            value = self.values[index]
            if kind == T.NUMBER_LITERAL:
                return A.NumberLit(0.0 if value is None else value, self.raw[index], span=span)
            return A.StringLit(value, span=span)
        if kind == T.TRUE or kind == T.FALSE:
            self.advance()
            return A.BoolLit(kind == T.TRUE, span=self.span(index))
        if kind == T.LPAREN:
            self.advance()
            self.enter()
            expr = self.expression()
            self.depth -= 1
            if self.kind != T.RPAREN:
                raise self.error_expected("')' after the expression", self.unclosed_help(index))
            self.advance()
            return expr
        if kind == T.LBRACKET:
            return self.array_literal()
        if kind == T.LBRACE:
            return self.object_literal()
        if kind == T.ENTRAIN:
            return self.entrain()
        if kind in _SOFT_KEYWORDS:
            self.advance()
            if self.kind == T.LBRACE and not no_record and self.at_record_body():
                return self.record_literal(index)
            return A.Identifier(self.raw[index], span=self.span(index))
        if kind == T.SUGGESTION and self.peek() == T.LPAREN:
            return self.lambda_expression()
        if kind == T.CALL:
            # `call f(x)` as the documentation writes it is the call `f(x)`.
            self.advance()
            self.enter()
            start = self.pos
            expr = self.postfix(self.primary(no_record), start)
            self.depth -= 1
            return expr
        if kind == T.DRIFT and self.peek() == T.LPAREN:
            # The documented sleep builtin shares its name with a keyword.
            self.advance()
            return A.Identifier("Drift", span=self.span(index))
        raise self.unexpected_in_expression()

    def unexpected_in_expression(self) -> _SyntaxError:
        kind = self.kind
        word = self.text(self.pos)
        help = None
        if kind in _RESERVED or kind == T.ASSERT:
            help = f"'{word}' is a reserved word"
        elif kind in _STATEMENT_STARTS:
            help = f"'{word}' starts a statement and cannot be used inside an expression"
        elif kind == T.SEMICOLON:
            help = "an expression is missing before ';'"
        elif kind == T.EQUALS and self.kinds[self.prev] in _ARITHMETIC and self.table.ends[self.prev] == self.table.starts[self.pos]:
            operator = self.text(self.prev)
            help = f"there is no '{operator}=' operator; write `x = x {operator} value`"
        return self.error("HYP1003", f"expected an expression, found {self.describe(self.pos)}", self.pos, help)

    def at_record_body(self) -> bool:
        """With `{` current after a name: is this `Name { field: value, ... }`?"""
        after = self.peek()
        if after == T.RBRACE:
            return True
        return (after in _NAME_KINDS or after == T.STRING_LITERAL) and self.peek(2) == T.COLON

    def record_literal(self, name_index: int) -> A.RecordLit:
        self.advance()
        self.enter()
        fields = self.record_fields("record")
        self.depth -= 1
        return A.RecordLit(self.raw[name_index], fields, span=self.span_from(name_index))

    def object_literal(self) -> A.ObjectLit:
        first = self.advance()
        self.enter()
        entries = self.record_fields("object")
        self.depth -= 1
        return A.ObjectLit(entries, span=self.span_from(first))

    def record_fields(self, what: str) -> list[A.RecordField]:
        """`key: value, ...}` after the `{` (trailing comma allowed)."""
        opening = self.prev
        fields: list[A.RecordField] = []
        while self.kind != T.RBRACE:
            key = self.pos
            if self.kind == T.STRING_LITERAL:
                name = self.values[key]
            elif self.kind in _NAME_KINDS:
                name = self.raw[key]
            else:
                raise self.error_expected(f"a field name in the {what} literal", self.unclosed_help(opening))
            self.advance()
            self.expect(T.COLON, f"':' after the field name '{name}'")
            value = self.expression()
            fields.append(A.RecordField(name, value, span=self.span_from(key)))
            if not self.accept(T.COMMA):
                break
        if self.kind != T.RBRACE:
            raise self.error_expected(f"',' or '}}' in the {what} literal", self.unclosed_help(opening))
        self.advance()
        return fields

    def array_literal(self) -> A.ArrayLit:
        first = self.advance()
        self.enter()
        elements: list[A.Expr] = []
        while self.kind != T.RBRACKET:
            elements.append(self.expression())
            if not self.accept(T.COMMA):
                break
        self.depth -= 1
        if self.kind != T.RBRACKET:
            raise self.error_expected("',' or ']' in the array literal", self.unclosed_help(first))
        self.advance()
        return A.ArrayLit(elements, span=self.span_from(first))

    # ------------------------------------------------------------ pattern matching

    def entrain(self) -> A.Entrain:
        first = self.advance()
        self.enter()
        subject = self.expression(_ASSIGN, True)
        opening = self.pos
        self.expect(T.LBRACE, "'{' after the entrain subject")
        cases: list[A.Case] = []
        default = None
        while self.kind == T.WHEN:
            cases.append(self.case())
        if self.kind == T.OTHERWISE:
            start = self.advance()
            self.expect(T.ARROW, "'=>' after 'otherwise'")
            body, is_block = self.case_body()
            pattern = A.BindingPattern("_", span=self.span(start))
            default = A.Case(pattern, None, body, is_block, span=self.span_from(start))
            self.case_separator()
        if self.kind != T.RBRACE:
            if default is None:
                raise self.error_expected("'when', 'otherwise' or '}' in the entrain cases", self.unclosed_help(opening))
            raise self.error_expected("'}' after the 'otherwise' case (it must be the last case)")
        self.advance()
        self.depth -= 1
        return A.Entrain(subject, cases, default, span=self.span_from(first))

    def case(self) -> A.Case:
        first = self.advance()
        pattern = self.pattern()
        guard = self.expression() if self.accept(T.IF) else None
        self.expect(T.ARROW, "'=>' after the pattern")
        body, is_block = self.case_body()
        self.case_separator()
        return A.Case(pattern, guard, body, is_block, span=self.span_from(first))

    def case_separator(self) -> None:
        self.accept(T.COMMA)
        self.accept(T.SEMICOLON)

    def case_body(self):
        kind = self.kind
        if kind == T.LBRACE:
            return self.block("for the case body"), True
        if kind == T.AWAKEN:
            # `when p => awaken value`: the value is the case's result.
            self.advance()
            return self.expression(), False
        if self.at_case_statement():
            parse = self.statement_parsers.get(kind, self.other_statement)
            return [parse()], True
        return self.expression(), False

    def at_case_statement(self) -> bool:
        """Does a case body without braces start with a statement (`when 1 => observe "x";`)?"""
        kind = self.kind
        following = self.peek()
        if kind == T.IDENTIFIER:
            word = self.raw[self.pos]
            return (
                (word == "for" and following == T.LPAREN)
                or (word == "try" and following == T.LBRACE)
                or (word == "throw" and following in _EXPRESSION_STARTS)
            )
        if kind == T.SESSION:  # a name or a declaration: `when 1 => session`
            return following == T.IDENTIFIER or following in _SOFT_KEYWORDS
        if kind == T.COMMAND:
            return following in _EXPRESSION_STARTS
        return kind in _STATEMENT_STARTS

    def pattern(self) -> A.Pattern:
        self.enter()
        first = self.pos
        kind = self.kind
        if kind in (T.NUMBER_LITERAL, T.STRING_LITERAL, T.TRUE, T.FALSE):
            value = self.primary()
            result: A.Pattern = A.LiteralPattern(value, span=self.span(first))
        elif kind == T.MINUS and self.peek() == T.NUMBER_LITERAL:
            self.advance()
            number = self.advance()
            value = -(self.values[number] or 0.0)
            literal = A.NumberLit(value, "-" + self.raw[number], span=self.span_from(first))
            result = A.LiteralPattern(literal, span=literal.span)
        elif kind == T.LBRACKET:
            result = self.array_pattern()
        elif kind == T.IDENTIFIER or kind in _SOFT_KEYWORDS:
            name = self.raw[self.advance()]
            if self.kind == T.COLON:
                self.advance()
                if self.kind not in _NAME_KINDS:
                    raise self.error_expected("a type name after ':' in the pattern")
                type_name = self.text(self.advance())
                result = A.TypedPattern(name, type_name, span=self.span_from(first))
            elif self.kind == T.LBRACE:
                result = self.record_pattern(first)
            elif name == "null" and kind == T.IDENTIFIER:
                result = A.LiteralPattern(A.NullLit(span=self.span(first)), span=self.span(first))
            else:
                result = A.BindingPattern(name, span=self.span(first))
        else:
            raise self.error(
                "HYP1004",
                f"expected a pattern, found {self.describe(first)}",
                first,
                help="patterns are literals, names, `name: type`, `[a, ...rest]` or `Type { field }`",
            )
        self.depth -= 1
        return result

    def array_pattern(self) -> A.ArrayPattern:
        first = self.advance()
        items: list[A.Pattern] = []
        has_rest = False
        rest = None
        while self.kind != T.RBRACKET:
            if self.accept(T.DOT_DOT_DOT):
                has_rest = True
                if self.kind == T.IDENTIFIER:
                    rest = self.raw[self.advance()]
                break
            items.append(self.pattern())
            if not self.accept(T.COMMA):
                break
        if self.kind != T.RBRACKET:
            raise self.error_expected("']' after the array pattern", self.unclosed_help(first))
        self.advance()
        return A.ArrayPattern(items, has_rest, rest, span=self.span_from(first))

    def record_pattern(self, name_index: int) -> A.RecordPattern:
        opening = self.advance()
        fields: list[A.FieldPattern] = []
        while self.kind != T.RBRACE:
            start = self.pos
            if self.kind not in _NAME_KINDS:
                raise self.error_expected("a field name in the record pattern")
            name = self.raw[self.advance()]
            sub = self.pattern() if self.accept(T.COLON) else None
            fields.append(A.FieldPattern(name, sub, span=self.span_from(start)))
            if not self.accept(T.COMMA):
                break
        if self.kind != T.RBRACE:
            raise self.error_expected("',' or '}' in the record pattern", self.unclosed_help(opening))
        self.advance()
        return A.RecordPattern(self.raw[name_index], fields, span=self.span_from(name_index))


_LEAVES = frozenset({T.IDENTIFIER, T.NUMBER_LITERAL, T.STRING_LITERAL})
_NOT_BINARY = (0, "")


def _ends_operand(kind: int, power: int) -> bool:
    """After a lone name or literal, does a token of `kind` end the right operand of an operator
    binding with `power`? (It does unless it continues the operand or binds tighter.)"""
    return kind not in _POSTFIX_STARTS and kind != T.LBRACE and kind != T.IDENTIFIER \
        and _BINARY.get(kind, _NOT_BINARY)[0] <= power  # (an identifier may be `with`, which binds tightest)


def _track_bracket(open_closers: list[int], kind: int) -> bool:
    """Update the stack of expected closers for one token; True when it closed a bracket."""
    closer = _OPENERS.get(kind)
    if closer is not None:
        open_closers.append(closer)
        return False
    if kind in _CLOSERS and kind in open_closers:
        # Unclosed inner brackets are given up on: `( ... }` closes the brace.
        while open_closers.pop() != kind:
            pass
        return True
    return False


_NOT_A_TYPE = {T.SEMICOLON, T.EQUALS, T.COMMA, T.RPAREN, T.RBRACE, T.LBRACE, T.RBRACKET, T.ARROW}
_MEMBER_STARTS = {T.DOMINANT, T.EXPOSE, T.CONCEAL} | _METHOD_KEYWORDS


def _join_type(parts: list[str]) -> str:
    """Type tokens joined without spaces, except between two words (`lucid number`)."""
    out = parts[0]
    for part in parts[1:]:
        if out[-1:].isalnum() and part[:1].isalnum():
            out += " "
        out += part
    return out


def _missing_semicolon_help(expr: A.Expr) -> str | None:
    if isinstance(expr, A.Entrain):
        return "an entrain expression used as a statement needs a ';' after its closing '}'"
    return None


# ---------------------------------------------------------------- public entry points


def _run(source: Source, entry):
    limit = sys.getrecursionlimit()
    if limit < _NEEDED_RECURSION_LIMIT:
        sys.setrecursionlimit(_NEEDED_RECURSION_LIMIT)
    try:
        with gc_paused():
            table, lex_errors = lex(source)
            parser = Parser(source, table, lex_errors)
            try:
                result = entry(parser)
            except _TooManyErrors:
                result = None
            except _TooDeep as exc:
                result = None
                parser.diagnostics.append(exc.diagnostic)
    finally:
        if limit < _NEEDED_RECURSION_LIMIT:
            sys.setrecursionlimit(limit)
    diagnostics = lex_errors + parser.diagnostics
    diagnostics.sort(key=lambda d: d.span.start if d.span else len(source.text))
    if len(diagnostics) >= MAX_ERRORS:
        shown = diagnostics[:MAX_ERRORS]
        last = shown[-1].span
        shown.append(
            Diagnostic(
                "HYP1010",
                f"too many errors; stopped after {MAX_ERRORS}",
                last,
                severity="note",
                path=source.path,
            )
        )
        diagnostics = shown
    return parser, result, diagnostics


def parse(source: Source) -> tuple[A.Program, list[Diagnostic]]:
    """The syntax tree of a whole program (`Focus { ... } Relax`) and every diagnostic found.

    The tree is best effort when there are errors: broken statements are left out.
    """
    parser, program, diagnostics = _run(source, Parser.program)
    if program is None:
        program = A.Program(parser.top_body, span=source.span(0, len(source.text)))
    return program, diagnostics


def parse_or_raise(source: Source) -> A.Program:
    program, diagnostics = parse(source)
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors:
        raise DiagnosticError(diagnostics)
    return program


def _statements(parser: Parser) -> list[A.Stmt]:
    parser.eof_ends_statement = True
    body = parser.top_body
    while parser.kind != T.EOF:
        parser.statements_until_close(body, top_level=True)
        if parser.kind != T.EOF:
            parser.report(parser.error("HYP1003", f"unexpected {parser.describe(parser.pos)}").diagnostic)
            parser.advance()
    return body


def parse_statements(source: Source) -> tuple[list[A.Stmt], list[Diagnostic]]:
    """A bare list of statements (no `Focus { ... } Relax`), as typed into a REPL.

    The `;` after the last statement may be left out.
    """
    parser, body, diagnostics = _run(source, _statements)
    return (body if body is not None else parser.top_body), diagnostics


def _single_expression(parser: Parser) -> A.Expr | None:
    try:
        expr = parser.expression()
        if parser.kind != T.EOF:
            raise parser.error("HYP1003", f"unexpected {parser.describe(parser.pos)} after the expression")
        return expr
    except _SyntaxError as exc:
        parser.report(exc.diagnostic)
        return None


def parse_expression(source: Source) -> tuple[A.Expr | None, list[Diagnostic]]:
    """One expression filling the whole source (None when it has errors)."""
    _, expr, diagnostics = _run(source, _single_expression)
    return expr, diagnostics
