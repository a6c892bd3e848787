"""Syntax tree -> HypnoScript source, for round-trip tests.

Compound expressions are fully parenthesised, so reparsing the output must give back an equal
tree (spans are not compared) whatever the precedence rules are.
"""

from __future__ import annotations

from hypnoscript.syntax import ast as A


def program(node: A.Program) -> str:
    return "Focus {\n" + block_body(node.body, 1) + "} Relax\n"


def block_body(statements: list[A.Stmt], depth: int) -> str:
    return "".join("    " * depth + stmt(s, depth) + "\n" for s in statements)


def block(statements: list[A.Stmt], depth: int) -> str:
    if not statements:
        return "{ }"
    return "{\n" + block_body(statements, depth + 1) + "    " * depth + "}"


def string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    return f'"{escaped}"'


def type_ref(node: A.TypeRef | None) -> str:
    return "" if node is None else ": " + node.text


def params(items: list[A.Param]) -> str:
    out = []
    for p in items:
        text = p.name + type_ref(p.type)
        if p.default is not None:
            text += " = " + expr(p.default)
        out.append(text)
    return "(" + ", ".join(out) + ")"


def var_head(node: A.VarDecl) -> str:
    text = ("sharedTrance " if node.shared else "") + f"{node.kind} {node.name}{type_ref(node.type)}"
    if node.init is not None:
        text += " = " + expr(node.init)
    return text


def labelled(node, text: str) -> str:
    return f"{node.label}: {text}" if node.label else text


def stmt(node: A.Stmt, depth: int) -> str:
    match node:
        case A.ExprStmt(expr=e):
            return f"({expr(e)});"
        case A.VarDecl():
            return var_head(node) + ";"
        case A.Anchor(name=name, value=value):
            return f"anchor {name} = {expr(value)};"
        case A.Output(kind=kind, value=value):
            return f"{kind} {expr(value)};"
        case A.If(cond=cond, then=then, orelse=orelse):
            text = f"if ({expr(cond)}) {block(then, depth)}"
            if orelse is not None:
                if len(orelse) == 1 and isinstance(orelse[0], A.If):
                    text += " else " + stmt(orelse[0], depth)
                else:
                    text += " else " + block(orelse, depth)
            return text
        case A.While(cond=cond, body=body):
            return labelled(node, f"while ({expr(cond)}) {block(body, depth)}")
        case A.Loop(keyword=keyword, init=init, cond=cond, update=update, body=body):
            if keyword == "loop" and init is None and cond is None and update is None:
                return labelled(node, f"loop {block(body, depth)}")
            init_text = "" if init is None else (var_head(init) if isinstance(init, A.VarDecl) else expr(init.expr))
            cond_text = "" if cond is None else expr(cond)
            update_text = "" if update is None else expr(update)
            return labelled(node, f"{keyword} ({init_text}; {cond_text}; {update_text}) {block(body, depth)}")
        case A.ForIn(name=name, iterable=iterable, body=body):
            return labelled(node, f"for (induce {name} in {expr(iterable)}) {block(body, depth)}")
        case A.Break(label=label):
            return f"snap {label};" if label else "snap;"
        case A.Continue(label=label):
            return f"sink {label};" if label else "sink;"
        case A.Return(value=value):
            return "awaken;" if value is None else f"awaken {expr(value)};"
        case A.Suspend():
            return "suspend;"
        case A.Oscillate(target=target):
            return f"oscillate {expr(target)};"
        case A.FuncDecl(name=name, params=ps, return_type=rt, body=body, kind=kind):
            if kind == "trigger":
                return f"trigger {name} = suggestion{params(ps)}{type_ref(rt)} {block(body, depth)}"
            return f"suggestion {name}{params(ps)}{type_ref(rt)} {block(body, depth)}"
        case A.SessionDecl(name=name, members=members):
            lines = [f"session {name} {{"]
            for m in members:
                lines.append("    " * (depth + 1) + member(m, depth + 1))
            lines.append("    " * depth + "}")
            return "\n".join(lines)
        case A.TranceifyDecl(name=name, fields=fields):
            parts = [f"{f.name}{'?' if f.optional else ''}: {f.type.text};" for f in fields]
            return f"tranceify {name} {{ {' '.join(parts)} }}"
        case A.Entrance(body=body):
            return "entrance " + block(body, depth)
        case A.Finale(body=body):
            return "finale " + block(body, depth)
        case A.Try(body=body, catch_name=name, catch_body=catch_body, finally_body=finally_body):
            text = "try " + block(body, depth)
            if catch_body is not None:
                text += " catch " + (f"({name}) " if name else "") + block(catch_body, depth)
            if finally_body is not None:
                text += " finally " + block(finally_body, depth)
            return text
        case A.Throw(value=value):
            return f"throw ({expr(value)});"
        case A.Assert(cond=cond, message=message):
            if message is None:
                return f"assert {expr(cond)};"
            return f"assert {expr(cond)} : {expr(message)};"
        case A.MindLink(path=path):
            return f"mindLink {string(path)};"
    raise TypeError(f"no printer for {type(node).__name__}")


def member(node, depth: int) -> str:
    prefix = "dominant " if node.static else ""
    if isinstance(node, A.SessionField):
        text = f"{prefix}{'conceal' if node.private else 'expose'} {node.name}{type_ref(node.type)}"
        if node.init is not None:
            text += " = " + expr(node.init)
        return text + ";"
    if node.private:
        prefix += "conceal "
    return f"{prefix}{node.keyword} {node.name}{params(node.params)}{type_ref(node.return_type)} {block(node.body, depth)}"


def postfix_target(node: A.Expr) -> str:
    text = expr(node)
    # `1.x` would lex as the number `1.`; `suggestion() {}` needs parentheses to be called.
    if isinstance(node, (A.NumberLit, A.Lambda, A.Entrain)):
        return f"({text})"
    return text


def field_name(name: str) -> str:
    return name if name.isidentifier() else string(name)


def expr(node: A.Expr) -> str:
    match node:
        case A.NumberLit(raw=raw):
            return raw
        case A.StringLit(value=value):
            return string(value)
        case A.BoolLit(value=value):
            return "true" if value else "false"
        case A.NullLit():
            return "null"
        case A.Identifier(name=name):
            return name
        case A.ArrayLit(elements=elements):
            return "[" + ", ".join(expr(e) for e in elements) + "]"
        case A.RecordLit(type_name=name, fields=fields):
            return name + " { " + ", ".join(f"{field_name(f.name)}: {expr(f.value)}" for f in fields) + " }"
        case A.ObjectLit(entries=entries):
            return "({ " + ", ".join(f"{string(f.name)}: {expr(f.value)}" for f in entries) + " })"
        case A.Binary(left=left, right=right, op_text=op_text):
            return f"({expr(left)} {op_text} {expr(right)})"
        case A.Unary(op=op, operand=operand):
            return f"({op} {expr(operand)})"
        case A.Assign(target=target, value=value):
            return f"({expr(target)} = {expr(value)})"
        case A.Ternary(cond=cond, then=then, otherwise=otherwise):
            return f"({expr(cond)} ? {expr(then)} : {expr(otherwise)})"
        case A.Call(callee=callee, args=args, optional=optional):
            return postfix_target(callee) + ("?." if optional else "") + "(" + ", ".join(expr(a) for a in args) + ")"
        case A.Member(obj=obj, name=name, optional=optional):
            return postfix_target(obj) + ("?." if optional else ".") + name
        case A.Index(obj=obj, index=index, optional=optional):
            return postfix_target(obj) + ("?.[" if optional else "[") + expr(index) + "]"
        case A.Lambda(params=ps, return_type=rt, body=body):
            return f"(suggestion{params(ps)}{type_ref(rt)} {block(body, 0)})"
        case A.Entrain(subject=subject, cases=cases, default=default):
            parts = [f"entrain ({expr(subject)}) {{"]
            parts.extend(case(c) for c in cases)
            if default is not None:
                parts.append("otherwise => " + case_body(default))
            parts.append("}")
            return " ".join(parts)
    raise TypeError(f"no printer for {type(node).__name__}")


def case_body(node: A.Case) -> str:
    if node.is_block:
        return block(node.body, 0)
    return expr(node.body)


def case(node: A.Case) -> str:
    guard = f" if {expr(node.guard)}" if node.guard is not None else ""
    return f"when {pattern(node.pattern)}{guard} => {case_body(node)}"


def pattern(node: A.Pattern) -> str:
    match node:
        case A.LiteralPattern(value=value):
            return expr(value)
        case A.BindingPattern(name=name):
            return name
        case A.TypedPattern(name=name, type_name=type_name):
            return f"{name}: {type_name}"
        case A.ArrayPattern(items=items, has_rest=has_rest, rest=rest):
            parts = [pattern(p) for p in items]
            if has_rest:
                parts.append("..." + (rest or ""))
            return "[" + ", ".join(parts) + "]"
        case A.RecordPattern(type_name=name, fields=fields):
            parts = [f.name + (f": {pattern(f.pattern)}" if f.pattern is not None else "") for f in fields]
            return name + " { " + ", ".join(parts) + " }"
    raise TypeError(f"no printer for {type(node).__name__}")
