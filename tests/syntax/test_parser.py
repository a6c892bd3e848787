"""The parser: every grammar rule with a valid and an invalid program, precedence, error spans."""

from __future__ import annotations

import pytest

from hypnoscript.syntax import ast as A
from hypnoscript.syntax.diagnostics import DiagnosticError
from hypnoscript.syntax.parser import parse, parse_expression, parse_or_raise, parse_statements
from hypnoscript.syntax.source import Source

from .helpers import errors, expr, one, parse_ok, sexpr, wrap

# ---------------------------------------------------------------- program structure


def test_empty_program():
    program = parse_or_raise(Source("Focus {} Relax"))
    assert program == A.Program([])


def test_tokens_after_relax_are_ignored():
    assert parse_ok("observe 1;") == parse_or_raise(Source("Focus { observe 1; } Relax; junk ( {")).body


def test_keywords_in_any_case():
    assert parse_or_raise(Source("fOcUs { OBSERVE 1; } rElAx")).body == [A.Output("observe", A.NumberLit(1.0, "1"))]


@pytest.mark.parametrize("text,code,message", [
    ("observe 1;", "HYP1007", "program must start with 'Focus'"),
    ("Focus { observe 1; }", "HYP1007", "program must end with 'Relax'"),
    ("Focus observe 1; } Relax", "HYP1004", "expected '{' after 'Focus'"),
    ("Focus { observe 1; Relax", "HYP1004", "expected '}' before 'Relax'"),
    ("Focus { observe 1;", "HYP1004", "expected '}' to close the program"),
    ("", "HYP1007", "program must start with 'Focus', found end of file"),
])
def test_program_structure_errors(text, code, message):
    found = errors(text, whole=True)
    assert found and found[0].code == code and message in found[0].message


def test_entrance_and_finale():
    body = parse_ok("entrance { observe 1; } finale { observe 2; } entrance { }")
    assert body == [
        A.Entrance([A.Output("observe", A.NumberLit(1.0, "1"))]),
        A.Finale([A.Output("observe", A.NumberLit(2.0, "2"))]),
        A.Entrance([]),
    ]


@pytest.mark.parametrize("text", [
    "suggestion f() { entrance { } }",
    "if (x) { finale { } }",
    "entrance { entrance { } }",
])
def test_entrance_and_finale_only_at_top_level(text):
    found = errors(text)
    assert [d.code for d in found] == ["HYP1008"]
    assert "only allowed at the top level" in found[0].message


# ---------------------------------------------------------------- declarations


def test_variable_declarations():
    assert parse_ok("induce a; implant b: number = 2; embed c = 3; freeze d: string = \"x\";") == [
        A.VarDecl("induce", "a"),
        A.VarDecl("implant", "b", A.TypeRef("number"), A.NumberLit(2.0, "2")),
        A.VarDecl("embed", "c", None, A.NumberLit(3.0, "3")),
        A.VarDecl("freeze", "d", A.TypeRef("string"), A.StringLit("x")),
    ]
    assert parse_ok("freeze d = 1;")[0].constant


def test_shared_declarations():
    assert parse_ok("sharedTrance induce s = 1; sharedTrance freeze t; sharedTrance u: number = 2;") == [
        A.VarDecl("induce", "s", None, A.NumberLit(1.0, "1"), shared=True),
        A.VarDecl("freeze", "t", shared=True),
        A.VarDecl("induce", "u", A.TypeRef("number"), A.NumberLit(2.0, "2"), shared=True),
    ]


@pytest.mark.parametrize("text,message", [
    ("induce = 1;", "expected variable name, found '='"),
    ("induce label = 1;", "expected variable name, found keyword 'label'"),
    ("induce x = 1 observe x;", "expected ';' after the variable declaration, found keyword 'observe'"),
    ("induce x: = 1;", "expected a type, found '='"),
    ("sharedTrance observe 1;", "expected induce, implant, embed or freeze after 'sharedTrance'"),
    ("induce person.age;", "expected `induce name.field = value;` (a field assignment)"),
    ("freeze person.age = 31;", "expected ';' after the variable declaration, found '.'"),
])
def test_declaration_errors(text, message):
    found = errors(text)
    assert found and message in found[0].message


@pytest.mark.parametrize("annotation,text", [
    ("number", "number"), ("Number", "number"), ("number[]", "number[]"), ("string?", "string?"),
    ("string[][]", "string[][]"), ("Array<number>", "Array<number>"),
    ("Map<string, Array<number>>", "Map<string,Array<number>>"),
    ("Record<string, number>", "Record<string,number>"), ("(a: number) -> number", "(a:number)->number"),
    ("(number, string) => boolean", "(number,string)=>boolean"), ("lucid number", "lucid number"),
    ("number | string", "number|string"), ("Point", "Point"), ("trance", "trance"), ("5", "5"),
])
def test_type_annotations(annotation, text):
    decl = one(f"induce x: {annotation} = 1;")
    assert decl.type == A.TypeRef(text)


def test_anchor():
    assert one("anchor saved = x + 1;") == A.Anchor(
        "saved", A.Binary("+", A.Identifier("x"), A.NumberLit(1.0, "1"), "+")
    )
    assert "expected '=' after anchor name" in errors("anchor saved;")[0].message


# ---------------------------------------------------------------- control flow


def test_if_else_chain():
    node = one("if (a) deepFocus { observe 1; } else if (b) { observe 2; } else { observe 3; }")
    assert node.cond == A.Identifier("a")
    inner = node.orelse[0]
    assert isinstance(inner, A.If) and inner.cond == A.Identifier("b")
    assert inner.orelse == [A.Output("observe", A.NumberLit(3.0, "3"))]


def test_if_with_single_statement_branches():
    node = one('if (!exists) Create("x"); else observe "no";')
    assert isinstance(node.then[0], A.ExprStmt) and isinstance(node.orelse[0], A.Output)


def test_deep_focus_statement_is_an_if():
    node = one("deepFocus (x > 1) { observe x; }")
    assert isinstance(node, A.If) and node.orelse is None


@pytest.mark.parametrize("text,message", [
    ("if { }", "expected a condition after 'if'"),
    ("if (x) ", "expected '{' after the if condition"),
    ("if (x { }", "expected ')'"),
    ("while (x) observe 1;", "expected '{' after the while condition"),
    ("if (x) { } else ;", "expected '{' after 'else'"),
])
def test_if_while_errors(text, message):
    found = errors(text)
    assert found and message in found[0].message


def test_while():
    assert one("while (x < 3) { x = x + 1; }") == A.While(
        A.Binary("<", A.Identifier("x"), A.NumberLit(3.0, "3"), "<"),
        [A.ExprStmt(A.Assign(A.Identifier("x"), A.Binary("+", A.Identifier("x"), A.NumberLit(1.0, "1"), "+")))],
    )


def test_loops():
    infinite, counted, empty, pendulum, expr_init = parse_ok(
        "loop { snap; }"
        " loop (induce i = 0; i < 3; i = i + 1) { }"
        " loop (;;) { }"
        " pendulum (induce k: number = 10; k > 0; k = k - 1) { }"
        " loop (i = 0; ; ) { }"
    )
    assert infinite == A.Loop("loop", None, None, None, [A.Break()])
    assert counted.init == A.VarDecl("induce", "i", None, A.NumberLit(0.0, "0"))
    assert counted.cond == A.Binary("<", A.Identifier("i"), A.NumberLit(3.0, "3"), "<")
    assert isinstance(counted.update, A.Assign)
    assert empty == A.Loop("loop", None, None, None, [])
    assert pendulum.keyword == "pendulum" and pendulum.init.type == A.TypeRef("number")
    assert expr_init.init == A.ExprStmt(A.Assign(A.Identifier("i"), A.NumberLit(0.0, "0")))


@pytest.mark.parametrize("text,message", [
    ("pendulum { }", "expected '(' after 'pendulum'"),
    ("pendulum (induce i = 0; ; i = i + 1) { }", "pendulum loop needs one"),
    ("loop (induce i = 0 i < 3; i = i + 1) { }", "expected ';' after the 'loop' loop initializer"),
    ("loop (;; x { }", "expected ')' after the 'loop' loop clauses"),
    ("for { } observe 1;", "expected ';' after the expression"),
])
def test_loop_errors(text, message):
    found = errors(text)
    assert found and message in found[0].message


def test_for_loops():
    counted, of_loop, in_loop, bare = parse_ok(
        "for (induce i = 0; i < 3; induce i = i + 1) { }"
        " for (induce x of items) { observe x; }"
        " for (implant k in { a: 1 }) { }"
        " for (y in ys) { }"
    )
    assert counted.keyword == "for"
    assert counted.update == A.Assign(A.Identifier("i"), A.Binary("+", A.Identifier("i"), A.NumberLit(1.0, "1"), "+"))
    assert of_loop == A.ForIn("x", A.Identifier("items"), [A.Output("observe", A.Identifier("x"))])
    assert in_loop.name == "k" and isinstance(in_loop.iterable, A.ObjectLit)
    assert bare == A.ForIn("y", A.Identifier("ys"), [])


def test_break_continue_and_labels():
    node = one("outer: while (true) { loop { snap outer; sink outer; break; continue; } }")
    assert node.label == "outer"
    assert node.body[0].body == [A.Break("outer"), A.Continue("outer"), A.Break(), A.Continue()]
    assert one("l: for (x in xs) { }").label == "l"
    assert one("l: pendulum (;x;) { }").label == "l"


@pytest.mark.parametrize("text,message", [
    ("snap snap;", "expected ';' after 'snap'"),
    ("sink 1;", "expected ';' after 'sink'"),
    ("suspend x;", "expected ';' after 'suspend'"),
    ("awaken 1 2;", "expected ';' after the return statement"),
])
def test_simple_statement_errors(text, message):
    found = errors(text)
    assert found and message in found[0].message


def test_simple_statements():
    assert parse_ok("suspend; awaken; return 5; oscillate flag;") == [
        A.Suspend(), A.Return(), A.Return(A.NumberLit(5.0, "5")), A.Oscillate(A.Identifier("flag")),
    ]


@pytest.mark.parametrize("keyword", ["observe", "whisper", "command", "murmur", "OBSERVE", "Whisper"])
def test_output_statements(keyword):
    assert one(f'{keyword} "x";') == A.Output(keyword.lower(), A.StringLit("x"))
    assert f"expected ';' after the {keyword.lower()} statement" in errors(f'{keyword} "x" x;')[0].message


def test_output_needs_a_value():
    assert "expected an expression, found ';'" in errors("observe;")[0].message


# ---------------------------------------------------------------- functions


def test_function_declaration():
    node = one("suggestion add(a: number, b: number = 2): number { awaken a + b; }")
    assert node == A.FuncDecl(
        "add",
        [A.Param("a", A.TypeRef("number")), A.Param("b", A.TypeRef("number"), A.NumberLit(2.0, "2"))],
        A.TypeRef("number"),
        [A.Return(A.Binary("+", A.Identifier("a"), A.Identifier("b"), "+"))],
    )


def test_triggers():
    plain, with_semicolon = parse_ok(
        "trigger onWake = suggestion(who: string) { observe who; }"
        " trigger onSleep = suggestion() { };"
    )
    assert plain.kind == "trigger" and plain.name == "onWake" and plain.params == [A.Param("who", A.TypeRef("string"))]
    assert with_semicolon.kind == "trigger" and with_semicolon.body == []


@pytest.mark.parametrize("text,code,message", [
    ("suggestion (a) { } observe 1;", "HYP1004", "expected ';' after the expression"),
    ("suggestion f { }", "HYP1004", "expected '(' before the parameters"),
    ("suggestion f(a b) { }", "HYP1004", "expected ',' or ')' in the parameter list"),
    ("suggestion f(1) { }", "HYP1004", "expected parameter name"),
    ("suggestion f() observe 1;", "HYP1004", "expected '{' before the function body"),
    ("trigger t suggestion() { }", "HYP1004", "expected '=' after the trigger name"),
    ("trigger t = () { }", "HYP1004", "expected 'suggestion' after '='"),
    ("suggestion f() { trigger t = suggestion() { } }", "HYP1008", "triggers can only be declared at the top level"),
])
def test_function_errors(text, code, message):
    found = errors(text)
    assert found and found[0].code == code and message in found[0].message


def test_lambda_and_calls():
    node = one("induce twice = suggestion(v) { awaken v * 2; };")
    assert isinstance(node.init, A.Lambda) and node.init.params == [A.Param("v")]
    assert sexpr(expr("f(1, g(2))(3)")) == "(call (call f 1 (call g 2)) 3)"
    assert sexpr(expr("f()")) == "(call f)"


def test_builtin_names_that_are_keywords():
    assert sexpr(expr("drift(500)")) == "(call Drift 500)"
    assert sexpr(expr("Drift(500)")) == "(call Drift 500)"
    assert sexpr(expr("call f(1)")) == "(call f 1)"
    assert one("call f();") == A.ExprStmt(A.Call(A.Identifier("f"), []))


def test_imperative_suggestion():
    assert one("imperative suggestion f() { }") == A.FuncDecl("f", [], None, [])


# ---------------------------------------------------------------- sessions and records


def test_session_members():
    node = one(
        "session Counter {"
        " expose count: number = 0; conceal secret; dominant expose made = 1; expose dominant also;"
        " suggestion constructor(start) { } expose suggestion get() { } conceal suggestion hidden() { }"
        " dominant suggestion total() { } dominantSuggestion make() { } imperativeSuggestion run() { }"
        " }"
    )
    fields = {m.name: m for m in node.members if isinstance(m, A.SessionField)}
    methods = {m.name: m for m in node.members if isinstance(m, A.SessionMethod)}
    assert fields["count"] == A.SessionField("count", A.TypeRef("number"), A.NumberLit(0.0, "0"))
    assert fields["secret"].private and not fields["secret"].static
    assert fields["made"].static and fields["also"].static
    assert methods["constructor"].is_constructor and methods["constructor"].params == [A.Param("start")]
    assert methods["hidden"].private and not methods["get"].private
    assert methods["total"].static and methods["make"].static and methods["make"].keyword == "dominantSuggestion"
    assert methods["run"].keyword == "imperativeSuggestion" and not methods["run"].static


@pytest.mark.parametrize("text,message", [
    ("session { }", "expected session name"),
    ("session S expose x; }", "expected '{' after the session name"),
    ("session S { observe 1; }", "expected a session member"),
    ("session S { expose 5; }", "expected a field name or 'suggestion' after the visibility keyword"),
    ("session S { expose x = 1 }", "expected ';' after the field declaration"),
])
def test_session_errors(text, message):
    found = errors(text)
    assert found and message in found[0].message


def test_session_error_recovery_inside_the_body():
    found = errors("session S { expose a = ; suggestion ok() { } expose b = ; }")
    assert len(found) == 2


def test_tranceify():
    node = one("tranceify Contact { name: string; email?: string, tags: string[]; from: Point }")
    assert node == A.TranceifyDecl("Contact", [
        A.TranceifyField("name", A.TypeRef("string")),
        A.TranceifyField("email", A.TypeRef("string"), optional=True),
        A.TranceifyField("tags", A.TypeRef("string[]")),
        A.TranceifyField("from", A.TypeRef("Point")),
    ])
    assert one("record P { x: number; }") == A.TranceifyDecl("P", [A.TranceifyField("x", A.TypeRef("number"))])


@pytest.mark.parametrize("text,message", [
    ("tranceify { x: number; }", "expected tranceify type name"),
    ("tranceify P { x number; }", "expected ':' after the field name"),
    ("tranceify P { x: number y: number; }", "expected ';' after the field"),
    ("tranceify P { x: ; }", "expected a type"),
])
def test_tranceify_errors(text, message):
    found = errors(text)
    assert found and message in found[0].message


def test_record_and_object_literals():
    assert one("induce p = Point { x: 1, y: 2, };").init == A.RecordLit(
        "Point", [A.RecordField("x", A.NumberLit(1.0, "1")), A.RecordField("y", A.NumberLit(2.0, "2"))]
    )
    assert one("induce p = Point {};").init == A.RecordLit("Point", [])
    assert one('induce o = { a: 1, "b c": { } };').init == A.ObjectLit(
        [A.RecordField("a", A.NumberLit(1.0, "1")), A.RecordField("b c", A.ObjectLit([]))]
    )


def test_brace_after_a_name_is_a_record_only_when_it_looks_like_one():
    node = one("if (x) { y; }")
    assert node.cond == A.Identifier("x")
    statement = one("entrain x { when 1 => 2 };")
    assert statement.expr.subject == A.Identifier("x")


@pytest.mark.parametrize("text,message", [
    ("induce p = Point { x: 1 y: 2 };", "expected ',' or '}' in the record literal"),
    ("induce o = { a 1 };", "expected ':' after the field name 'a'"),
    ("induce o = { 1: 2 };", "expected a field name in the object literal"),
    ("induce a = [1, 2;", "expected ',' or ']' in the array literal"),
])
def test_literal_errors(text, message):
    found = errors(text)
    assert found and message in found[0].message


# ---------------------------------------------------------------- expressions


@pytest.mark.parametrize("text,tree", [
    ("1 + 2 * 3", "(+ 1 (* 2 3))"),
    ("1 - 2 - 3", "(- (- 1 2) 3)"),
    ("8 / 4 % 3 * 2", "(* (% (/ 8 4) 3) 2)"),
    ("-2 * 3", "(* (- 2) 3)"),
    ("- - x", "(- (- x))"),
    ("!a == b", "(== (! a) b)"),
    ("a = b = c", "(= a (= b c))"),
    ("a < b == c > d", "(== (< a b) (> c d))"),
    ("5 > 3 > 1", "(> (> 5 3) 1)"),
    ("a || b && c", "(|| a (&& b c))"),
    ("a || b ?? c", "(?? (|| a b) c)"),
    ("a ?? b ?? c", "(?? (?? a b) c)"),
    ("c ? a : b", "(? c a b)"),
    ("c ? a : d ? e : f", "(? c a (? d e f))"),
    ("x = c ? a : b", "(= x (? c a b))"),
    ("c ? x = 1 : y", "(? c (= x 1) y)"),
    ("a ?? b ? c : d", "(? (?? a b) c d)"),
    ("await x + 1", "(+ (await x) 1)"),
    ("surrenderTo f(x)", "(await (call f x))"),
    ("-a.b[0]()", "(- (call ([] (. a b) 0)))"),
    ("a?.b.c", "(. (?. a b) c)"),
    ("a dreamReach b", "(?. a b)"),
    ("a?.[1]", "(?[] a 1)"),
    ("a dreamReach [1]", "(?[] a 1)"),
    ("f?.(1)", "(?call f 1)"),
    ("f dreamReach (1)", "(?call f 1)"),
    ("p..x", "(. p x)"),
    ("obj.Number", "(. obj Number)"),
    ("a[i] = x", "(= ([] a i) x)"),
    ("o.f = 1", "(= (. o f) 1)"),
    ("(1 + 2) * 3", "(* (+ 1 2) 3)"),
    ("null ?? 1", "(?? null 1)"),
    ('"a" + 1 + 2', "(+ (+ 'a' 1) 2)"),
    ("true && false", "(&& true false)"),
])
def test_precedence(text, tree):
    assert sexpr(expr(text)) == tree


SYNONYMS = [
    ("youAreFeelingVerySleepy", "=="), ("youCannotResist", "!="), ("notSoDeep", "!="),
    ("lookAtTheWatch", ">"), ("fallUnderMySpell", "<"), ("yourEyesAreGettingHeavy", ">="),
    ("goingDeeper", "<="), ("deeplyGreater", ">="), ("deeplyLess", "<="), ("underMyControl", "&&"),
    ("resistanceIsFutile", "||"), ("lucidFallback", "??"),
]


@pytest.mark.parametrize("word,op", SYNONYMS)
def test_operator_synonyms(word, op):
    node = expr(f"a {word.upper()} b")
    assert node == A.Binary(op, A.Identifier("a"), A.Identifier("b"), word)
    assert node.op_text == word
    assert sexpr(expr(f"a {word} b {op} c")) == sexpr(expr(f"a {op} b {op} c"))


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "??"])
def test_symbol_operators(op):
    assert expr(f"a {op} b") == A.Binary(op, A.Identifier("a"), A.Identifier("b"), op)


def test_literals():
    assert expr("42") == A.NumberLit(42.0, "42")
    assert expr('"s"') == A.StringLit("s")
    assert expr("true") == A.BoolLit(True) and expr("FALSE") == A.BoolLit(False)
    assert expr("null") == A.NullLit()
    assert expr("[]") == A.ArrayLit([])
    assert expr("[1, [2]]") == A.ArrayLit([A.NumberLit(1.0, "1"), A.ArrayLit([A.NumberLit(2.0, "2")])])


def test_soft_keywords_are_names():
    assert parse_ok("induce number = 1; observe number; suggestion f(session: S) { observe session.x; }") == [
        A.VarDecl("induce", "number", None, A.NumberLit(1.0, "1")),
        A.Output("observe", A.Identifier("number")),
        A.FuncDecl("f", [A.Param("session", A.TypeRef("S"))], None,
                   [A.Output("observe", A.Member(A.Identifier("session"), "x"))]),
    ]
    assert parse_ok('command = "go"; command command;') == [
        A.ExprStmt(A.Assign(A.Identifier("command"), A.StringLit("go"))),
        A.Output("command", A.Identifier("command")),
    ]


@pytest.mark.parametrize("text,message", [
    ("observe 1 +;", "expected an expression, found ';'"),
    ("observe (1;", "expected ')' after the expression"),
    ("observe f(1;", "expected ',' or ')' in the argument list"),
    ("observe a.;", "expected a property name after '.'"),
    ("observe a?.;", "expected a property name, '[' or '(' after '?.'"),
    ("observe a[1;", "expected ']' after the index"),
    ("observe c ? 1;", "expected ':' in the conditional expression"),
    ("x += 1;", "expected an expression, found '='"),
    ("observe & 1;", "expected an expression, found '&'"),
    ("observe label;", "expected an expression, found keyword 'label'"),
    ("observe observe;", "expected an expression, found keyword 'observe'"),
])
def test_expression_errors(text, message):
    found = errors(text)
    assert found and message in found[0].message


# ---------------------------------------------------------------- pattern matching


def test_entrain_cases():
    node = one(
        'induce r = entrain v {'
        ' when 0 => "zero"'
        ' when -1.5 => "negative",'
        ' when "s" => 1;'
        ' when true => 2, ;'
        ' when null => 3'
        ' when n: number if n > 1 => { observe n; n; }'
        ' when [a, ...rest] => a'
        ' when [x, ...] => x'
        ' when [] => 0'
        ' when Point { x: 0, y } => y'
        ' when _ => awaken "any"'
        ' when 9 => observe "nine";'
        ' otherwise => "default"'
        '};'
    ).init
    patterns = [c.pattern for c in node.cases]
    assert patterns[0] == A.LiteralPattern(A.NumberLit(0.0, "0"))
    assert patterns[1] == A.LiteralPattern(A.NumberLit(-1.5, "-1.5"))
    assert patterns[2] == A.LiteralPattern(A.StringLit("s"))
    assert patterns[3] == A.LiteralPattern(A.BoolLit(True))
    assert patterns[4] == A.LiteralPattern(A.NullLit())
    assert patterns[5] == A.TypedPattern("n", "number")
    assert node.cases[5].guard == A.Binary(">", A.Identifier("n"), A.NumberLit(1.0, "1"), ">")
    assert node.cases[5].is_block and len(node.cases[5].body) == 2
    assert patterns[6] == A.ArrayPattern([A.BindingPattern("a")], True, "rest")
    assert patterns[7] == A.ArrayPattern([A.BindingPattern("x")], True, None)
    assert patterns[8] == A.ArrayPattern([])
    assert patterns[9] == A.RecordPattern("Point", [
        A.FieldPattern("x", A.LiteralPattern(A.NumberLit(0.0, "0"))), A.FieldPattern("y"),
    ])
    assert patterns[10] == A.BindingPattern("_")
    assert node.cases[10].body == A.StringLit("any") and not node.cases[10].is_block
    assert node.cases[11].is_block and node.cases[11].body == [A.Output("observe", A.StringLit("nine"))]
    assert node.default == A.Case(A.BindingPattern("_"), None, A.StringLit("default"))


def test_entrain_as_statement_and_in_expressions():
    assert isinstance(one("entrain x { otherwise => 1 };").expr, A.Entrain)
    assert isinstance(one("observe 1 + entrain x { when 1 => 2 };").value.right, A.Entrain)


@pytest.mark.parametrize("text,message", [
    ("entrain x { when 1 => 2 } observe 1;", "an entrain expression used as a statement needs a ';'"),
    ("induce r = entrain x { when => 1 };", "expected a pattern, found '=>'"),
    ("induce r = entrain x { when 1 2 };", "expected '=>' after the pattern"),
    ("induce r = entrain x { otherwise 1 };", "expected '=>' after 'otherwise'"),
    ("induce r = entrain x { otherwise => 1 when 2 => 3 };", "it must be the last case"),
    ("induce r = entrain x { 1 => 2 };", "expected 'when', 'otherwise' or '}'"),
    ("induce r = entrain x { when [1, 2 => 3 };", "expected ']' after the array pattern"),
    ("induce r = entrain x { when P { 1 } => 3 };", "expected a field name in the record pattern"),
    ("induce r = entrain x { when n: => 3 };", "expected a type name after ':' in the pattern"),
])
def test_entrain_errors(text, message):
    found = errors(text)
    assert found and any(message in (d.message + (d.help or "")) for d in found), [d.message for d in found]


# ---------------------------------------------------------------- extensions from the documentation


def test_try_catch_finally_and_throw():
    full, catch_only, finally_only, bare_catch = parse_ok(
        'try { throw "x"; } catch (e: string) { observe e; } finally { observe 1; }'
        " try { } catch (err) { }"
        " try { } finally { }"
        " try { } catch { }"
    )
    assert full == A.Try(
        [A.Throw(A.StringLit("x"))], "e", [A.Output("observe", A.Identifier("e"))],
        [A.Output("observe", A.NumberLit(1.0, "1"))],
    )
    assert catch_only == A.Try([], "err", [], None)
    assert finally_only == A.Try([], None, None, [])
    assert bare_catch == A.Try([], None, [], None)
    assert "expected 'catch' or 'finally' after the try block" in errors("try { }")[0].message
    assert one("throw = 1;") == A.ExprStmt(A.Assign(A.Identifier("throw"), A.NumberLit(1.0, "1")))


def test_assert_forms():
    cond = A.Binary("==", A.Identifier("x"), A.NumberLit(1.0, "1"), "==")
    msg = A.StringLit("m")
    assert parse_ok('assert x == 1; assert x == 1 "m"; assert x == 1 : "m"; assert(x == 1, "m"); assert (x == 1);') == [
        A.Assert(cond), A.Assert(cond, msg), A.Assert(cond, msg), A.Assert(cond, msg), A.Assert(cond),
    ]
    assert one('assert ok "got " + n;').message == A.Binary("+", A.StringLit("got "), A.Identifier("n"), "+")


def test_mind_link():
    assert one('mindLink "helpers.hyp";') == A.MindLink("helpers.hyp")
    assert one("mindLink helpers;") == A.MindLink("helpers.hyp")
    assert "expected a file path string after 'mindLink'" in errors("mindLink 42;")[0].message


@pytest.mark.parametrize("word", ["deeperStill", "sinkTo", "mesmerize", "pauseReality", "accelerateTime",
                                  "decelerateTime", "subconscious", "label", "from", "external"])
def test_reserved_words(word):
    found = errors(f"{word} x;")
    assert found[0].code == "HYP1009" and f"'{word}' is a reserved word" in found[0].message


# ---------------------------------------------------------------- error positions


def test_error_span_points_at_the_offending_token():
    found = errors("induce x = 1;\n    observe (1 + );", )
    assert len(found) == 1
    span = found[0].span
    # Line 1 is `Focus {`; the `)` is on line 3, column 18.
    assert (span.line, span.col, span.end_line, span.end_col) == (3, 18, 3, 19)
    assert found[0].path == "t.hyp"


def test_missing_semicolon_at_end_of_line_is_a_warning():
    program, diagnostics = parse(Source(wrap('whisper "a"\nobserve "b";')))
    assert [(d.code, d.severity) for d in diagnostics] == [("HYP1011", "warning")]
    assert (diagnostics[0].span.line, diagnostics[0].span.col) == (2, 9)
    assert [type(s).__name__ for s in program.body] == ["Output", "Output"]


def test_missing_semicolon_on_the_same_line_is_an_error():
    found = errors('observe "a" observe "b";')
    assert [d.code for d in found] == ["HYP1004"]
    assert (found[0].span.line, found[0].span.col) == (2, 13)


def test_unclosed_block_points_at_its_opening_brace():
    found = errors("Focus {\n  if (x) {\n    observe 1;\n", whole=True)
    messages = [d.message for d in found]
    assert any("expected '}' to close the block" in m for m in messages)
    block_error = next(d for d in found if "close the block" in d.message)
    assert block_error.labels and (block_error.labels[0].span.line, block_error.labels[0].span.col) == (2, 10)


def test_compound_assignment_gets_a_hint():
    found = errors("x += 1;")
    assert found[0].help == "there is no '+=' operator; write `x = x + value`"


def test_lexical_error_is_not_echoed_by_the_parser():
    _, diagnostics = parse(Source(wrap("observe 2 ^ 3;")))
    assert [d.code for d in diagnostics] == ["HYP1001"]


# ---------------------------------------------------------------- entry points


def test_parse_or_raise():
    with pytest.raises(DiagnosticError) as info:
        parse_or_raise(Source(wrap("observe ;")))
    assert info.value.diagnostics[0].code == "HYP1003"


def test_parse_or_raise_accepts_warnings():
    assert len(parse_or_raise(Source(wrap("observe 1\nobserve 2;"))).body) == 2


def test_parse_statements():
    body, diagnostics = parse_statements(Source("induce x = 1; observe x\n"))
    assert diagnostics == []
    assert body == [A.VarDecl("induce", "x", None, A.NumberLit(1.0, "1")), A.Output("observe", A.Identifier("x"))]
    body, diagnostics = parse_statements(Source("x + 1"))
    assert body == [A.ExprStmt(A.Binary("+", A.Identifier("x"), A.NumberLit(1.0, "1"), "+"))]
    body, diagnostics = parse_statements(Source("} observe 1;"))
    assert [d.code for d in diagnostics] == ["HYP1003"] and len(body) == 1


def test_parse_expression():
    node, diagnostics = parse_expression(Source("1 + 2"))
    assert diagnostics == [] and sexpr(node) == "(+ 1 2)"
    node, diagnostics = parse_expression(Source("1 + 2 3"))
    assert node is None and "after the expression" in diagnostics[0].message
    node, diagnostics = parse_expression(Source(""))
    assert node is None and diagnostics[0].code == "HYP1003"


def test_spans_of_nodes():
    program = parse_or_raise(Source("Focus {\n  induce total = a + b * 2;\n} Relax"))
    decl = program.body[0]
    assert (decl.span.line, decl.span.col, decl.span.end_line, decl.span.end_col) == (2, 3, 2, 28)
    init = decl.init
    assert (init.span.col, init.span.end_col) == (18, 27)
    assert (init.right.span.col, init.right.span.end_col) == (22, 27)
    assert program.span.start == 0 and program.span.end == len("Focus {\n  induce total = a + b * 2;\n} Relax")


def test_node_spans_behave_like_plain_spans():
    import copy
    import pickle

    from hypnoscript.syntax.source import Span

    program = parse_or_raise(Source("Focus { observe 1 + x; } Relax"))
    span = program.body[0].value.span
    plain = Span(16, 21, 1, 17, 1, 22)
    assert isinstance(span, Span)
    assert span == plain and plain == span and hash(span) == hash(plain)
    assert (span.start, span.end, span.line, span.col, span.end_line, span.end_col) == (16, 21, 1, 17, 1, 22)
    assert span.to_json() == plain.to_json() and span.to(span) == plain
    for duplicate in (copy.copy(span), copy.deepcopy(span), pickle.loads(pickle.dumps(span))):
        assert type(duplicate) is Span and duplicate == plain
    assert pickle.loads(pickle.dumps(program)) == program
    with pytest.raises(AttributeError):
        span.start = 0
