"""Hypothesis strategies for random syntax trees: every tree is one the parser could produce, so
printing it and parsing the text must give the tree back."""

from __future__ import annotations

from hypothesis import strategies as st

from hypnoscript.syntax import ast as A

NAMES = ["a", "b", "total", "x1", "größe", "_tmp", "number", "Count"]
MEMBER_NAMES = NAMES + ["if", "observe", "length", "Number"]
RECORD_NAMES = ["Point", "Pair"]
TYPES = ["number", "string", "boolean", "number[]", "Point", "string?", "lucid number", "Array<number>",
         "number|string", "(a:number)->number"]
OPS = {
    "+": ["+"], "-": ["-"], "*": ["*"], "/": ["/"], "%": ["%"],
    "==": ["==", "youAreFeelingVerySleepy"], "!=": ["!=", "youCannotResist", "notSoDeep"],
    "<": ["<", "fallUnderMySpell"], "<=": ["<=", "goingDeeper", "deeplyLess"],
    ">": [">", "lookAtTheWatch"], ">=": [">=", "yourEyesAreGettingHeavy", "deeplyGreater"],
    "&&": ["&&", "underMyControl"], "||": ["||", "resistanceIsFutile"], "??": ["??", "lucidFallback"],
}

names = st.sampled_from(NAMES)
plain_names = st.sampled_from(["a", "b", "total", "x1", "größe"])


@st.composite
def numbers(draw):
    whole = draw(st.integers(0, 10_000))
    if draw(st.booleans()):
        raw = f"{whole}.{draw(st.integers(0, 999))}"
    else:
        raw = str(whole)
    return A.NumberLit(float(raw), raw)


strings = st.builds(A.StringLit, st.text(alphabet=st.sampled_from(list('ab "\\\n\tüé{}/*')), max_size=8))

leaves = st.one_of(
    numbers(),
    strings,
    st.builds(A.BoolLit, st.booleans()),
    st.just(A.NullLit()),
    st.builds(A.Identifier, names),
)


def expressions(statements=None, max_leaves: int = 8):
    """Expressions; with `statements`, also lambdas and entrain cases with blocks of those."""

    def extend(children):
        binary = st.sampled_from(sorted(OPS)).flatmap(
            lambda op: st.builds(A.Binary, st.just(op), children, children, st.sampled_from(OPS[op])))
        targets = st.one_of(
            st.builds(A.Identifier, names),
            st.builds(A.Member, children, st.sampled_from(MEMBER_NAMES), st.booleans()),
            st.builds(A.Index, children, children, st.booleans()),
        )
        field = st.builds(A.RecordField, st.sampled_from(NAMES + ["if", "two words", ""]), children)
        options = [
            binary,
            st.builds(A.Unary, st.sampled_from(["-", "!", "await"]), children),
            st.builds(A.Assign, targets, children),
            st.builds(A.Ternary, children, children, children),
            st.builds(A.Call, children, st.lists(children, max_size=2), st.booleans()),
            st.builds(A.Member, children, st.sampled_from(MEMBER_NAMES), st.booleans()),
            st.builds(A.Index, children, children, st.booleans()),
            st.builds(A.ArrayLit, st.lists(children, max_size=2)),
            st.builds(A.ObjectLit, st.lists(field, max_size=2)),
            st.builds(A.RecordLit, st.sampled_from(RECORD_NAMES),
                      st.lists(st.builds(A.RecordField, st.sampled_from(NAMES), children), max_size=2)),
            st.builds(A.RecordUpdate, children, st.lists(field, max_size=2)),
            st.builds(A.Entrain, children, st.lists(cases(children, statements), max_size=2),
                      st.one_of(st.none(), default_case(children, statements))),
        ]
        if statements is not None:
            options.append(st.builds(A.Lambda, params(leaves), type_refs(), st.lists(statements, max_size=2)))
        return st.one_of(*options)

    return st.recursive(leaves, extend, max_leaves=max_leaves)


def type_refs():
    return st.one_of(st.none(), st.builds(A.TypeRef, st.sampled_from(TYPES)))


def params(exprs):
    return st.lists(st.builds(A.Param, names, type_refs(), st.one_of(st.none(), exprs)), max_size=3,
                    unique_by=lambda p: p.name)


literal_patterns = st.one_of(
    numbers().map(A.LiteralPattern),
    st.integers(1, 99).map(lambda n: A.LiteralPattern(A.NumberLit(-float(n), f"-{n}"))),
    strings.map(A.LiteralPattern),
    st.booleans().map(lambda b: A.LiteralPattern(A.BoolLit(b))),
    st.just(A.LiteralPattern(A.NullLit())),
)


def patterns():
    leaf = st.one_of(
        literal_patterns,
        st.builds(A.BindingPattern, names),
        st.builds(A.TypedPattern, plain_names, st.sampled_from(["number", "string", "boolean", "array", "Point"])),
    )

    def extend(children):
        return st.one_of(
            st.builds(A.ArrayPattern, st.lists(children, max_size=3), st.just(False), st.none()),
            st.builds(lambda items, rest: A.ArrayPattern(items, True, rest), st.lists(children, max_size=2),
                      st.one_of(st.none(), plain_names)),
            st.builds(A.RecordPattern, st.sampled_from(RECORD_NAMES),
                      st.lists(st.builds(A.FieldPattern, plain_names, st.one_of(st.none(), children)), max_size=2)),
        )

    return st.recursive(leaf, extend, max_leaves=4)


def _case_body(exprs, statements):
    if statements is None:
        return exprs.map(lambda e: (e, False))
    return st.one_of(exprs.map(lambda e: (e, False)), st.lists(statements, max_size=2).map(lambda b: (b, True)))


def cases(exprs, statements):
    return st.builds(lambda p, g, body: A.Case(p, g, body[0], body[1]), patterns(), st.one_of(st.none(), exprs),
                     _case_body(exprs, statements))


def default_case(exprs, statements):
    return _case_body(exprs, statements).map(lambda body: A.Case(A.BindingPattern("_"), None, body[0], body[1]))


def simple_statements(exprs):
    """Statements without nested blocks."""
    return st.one_of(
        exprs.map(A.ExprStmt),
        st.builds(A.VarDecl, st.sampled_from(["induce", "implant", "embed", "freeze"]), names, type_refs(),
                  st.one_of(st.none(), exprs), st.booleans()),
        st.builds(A.Output, st.sampled_from(["observe", "whisper", "command", "murmur"]), exprs),
        st.builds(A.Return, st.one_of(st.none(), exprs)),
        st.builds(A.Break, st.one_of(st.none(), plain_names)),
        st.builds(A.Continue, st.one_of(st.none(), plain_names)),
        st.just(A.Suspend()),
        st.builds(A.Oscillate, st.builds(A.Identifier, names)),
        st.builds(A.Anchor, names, exprs),
        st.builds(A.Throw, exprs),
        st.builds(A.Assert, exprs, st.one_of(st.none(), exprs)),
        st.builds(A.MindLink, st.sampled_from(["lib/util.hyp", 'odd "name".hyp'])),
        st.builds(A.TranceifyDecl, st.sampled_from(RECORD_NAMES),
                  st.lists(st.builds(A.TranceifyField, plain_names, st.builds(A.TypeRef, st.sampled_from(
                      ["number", "string", "Point"])), st.booleans()), max_size=2),
                  st.lists(st.builds(A.SessionMethod, st.sampled_from(["area", "constructor"]), params(leaves),
                                     type_refs(), st.lists(exprs.map(A.Return), max_size=1),
                                     keyword=st.sampled_from(["suggestion", "imperativeSuggestion"])), max_size=2)),
    )


# Expressions whose lambdas and entrain blocks hold simple statements (one level of nesting).
EXPRESSIONS = expressions(simple_statements(expressions(None, max_leaves=4)), max_leaves=6)


def statements(max_leaves: int = 8):
    """Statements as they may appear inside blocks."""
    exprs = EXPRESSIONS

    def extend(children):
        block = st.lists(children, max_size=2)
        label = st.one_of(st.none(), plain_names)
        if_stmt = st.builds(A.If, exprs, block, st.one_of(st.none(), block))
        elif_stmt = st.builds(lambda c, t, inner: A.If(c, t, [inner]), exprs, block, if_stmt)
        loop_init = st.one_of(st.none(), st.builds(A.VarDecl, st.just("induce"), names, st.none(), exprs),
                              exprs.map(A.ExprStmt))
        member = st.one_of(
            st.builds(A.SessionField, plain_names, type_refs(), st.one_of(st.none(), exprs), st.booleans(),
                      st.booleans()),
            st.builds(A.SessionMethod, st.sampled_from(["run", "get", "constructor"]), params(leaves), type_refs(),
                      block, st.just(False), st.booleans(), st.sampled_from(["suggestion", "imperativeSuggestion"])),
            st.builds(A.SessionMethod, st.sampled_from(["make", "total"]), params(leaves), type_refs(), block,
                      st.just(True), st.booleans(), st.sampled_from(["suggestion", "dominantSuggestion"])),
        )
        return st.one_of(
            if_stmt,
            elif_stmt,
            st.builds(A.While, exprs, block, label),
            st.builds(A.Loop, st.just("loop"), st.none(), st.none(), st.none(), block, label),
            st.builds(A.Loop, st.sampled_from(["loop", "pendulum", "for"]), loop_init, exprs,
                      st.one_of(st.none(), exprs), block, label),
            st.builds(A.ForIn, plain_names, exprs, block, label),
            st.builds(A.FuncDecl, names, params(leaves), type_refs(), block),
            st.builds(A.SessionDecl, st.sampled_from(["Counter", "Box"]), st.lists(member, max_size=2)),
            st.builds(A.Try, block, st.one_of(st.none(), plain_names), block, st.one_of(st.none(), block)),
            st.builds(A.Try, block, st.none(), st.none(), block),
        )

    return st.recursive(simple_statements(exprs), extend, max_leaves=max_leaves)


STATEMENTS = statements()


_TOP = st.one_of(
    STATEMENTS,
    st.builds(A.Entrance, st.lists(STATEMENTS, max_size=2)),
    st.builds(A.Finale, st.lists(STATEMENTS, max_size=2)),
    st.builds(lambda n, p, b: A.FuncDecl(n, p, None, b, "trigger"), names, params(leaves),
              st.lists(STATEMENTS, max_size=2)),
)


def programs():
    return st.builds(A.Program, st.lists(_TOP, max_size=4))
