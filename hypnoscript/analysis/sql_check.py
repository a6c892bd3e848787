"""SQL of the database builtins checked against a schema: the literal first argument of every
`DbQuery`, `DbQueryOne` and `DbExecute` call is parsed with sqlglot and its tables and columns
are looked up in the tables the migrations build (see `hypnoscript.project.schema`).

The checker must never flag correct SQL, so whatever it cannot follow (a table whose columns are
unknown, a table function, an unknown qualifier, a statement sqlglot does not model) makes it
assume the name exists. sqlglot is imported only when there is SQL to look at.
"""

from __future__ import annotations

import contextlib
import difflib
import logging
import re

from hypnoscript.analysis import tree
from hypnoscript.syntax import ast as A
from hypnoscript.syntax.diagnostics import Diagnostic
from hypnoscript.syntax.source import Source, Span

CODE_TABLE = "HYP3101"
CODE_COLUMN = "HYP3102"
CODE_SYNTAX = "HYP3103"
CALLS = frozenset(("DbQuery", "DbQueryOne", "DbExecute"))

# database URL scheme -> sqlglot dialect
DIALECTS = {"sqlite": "sqlite", "postgresql": "postgres", "postgres": "postgres", "mysql": "mysql", "mariadb": "mysql"}
_DIALECT_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL", "mysql": "MySQL/MariaDB", None: "SQL"}

# schemas and tables every database has without a migration creating them
_SYSTEM_SCHEMAS = frozenset(("information_schema", "pg_catalog", "mysql", "performance_schema", "sys", "temp"))
_SYSTEM_PREFIXES = ("sqlite_", "pg_")
# columns every row has without being declared
_IMPLICIT_COLUMNS = {
    "sqlite": frozenset(("rowid", "oid", "_rowid_")),
    "postgres": frozenset(("ctid", "xmin", "xmax", "cmin", "cmax", "tableoid")),
}
# ALTER TABLE actions that leave the column list as it is
_HARMLESS_ACTIONS = ("AlterColumn", "AddConstraint", "AlterSet", "Constraint", "PrimaryKey", "ForeignKey",
                     "AlterIndex", "AlterSortKey", "AlterDistStyle", "Comment")
_CREATE_NAME = re.compile(r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:TEMP|TEMPORARY|VIRTUAL|UNLOGGED|MATERIALIZED|GLOBAL|"
                          r"LOCAL|FOREIGN|RECURSIVE)\s+)*(?:TABLE|VIEW)\s+(IF\s+NOT\s+EXISTS\s+)?"
                          r"(?:[`\"\[]?\w+[`\"\]]?\.)?[`\"\[]?(\w+)", re.I)
_ALTER_NAME = re.compile(r"^\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(?:[`\"\[]?\w+[`\"\]]?\.)?[`\"\[]?(\w+)", re.I)
_RENAME_TABLES = re.compile(r"^\s*RENAME\s+TABLES?\s+(.*)$", re.I | re.S)
_RENAME_PAIR = re.compile(r"(?:[`\"]?\w+[`\"]?\.)?[`\"]?(\w+)[`\"]?\s+TO\s+(?:[`\"]?\w+[`\"]?\.)?[`\"]?(\w+)[`\"]?", re.I)


def dialect_of(url: str | None) -> str | None:
    """The sqlglot dialect of a database URL (`postgresql+psycopg://...` -> "postgres")."""
    if not url or "://" not in url:
        return None
    return DIALECTS.get(url.split("://", 1)[0].split("+", 1)[0].lower())


class Table:
    __slots__ = ("name", "columns")

    def __init__(self, name: str, columns: list[str] | None) -> None:
        self.name = name
        self.columns = columns  # None: the columns are unknown, so every column name is accepted


class Schema:
    """Tables (and views) by lower-cased name, each with its columns in order or None."""

    def __init__(self, dialect: str | None = None) -> None:
        self.dialect = dialect
        self.tables: dict[str, Table] = {}

    def copy(self) -> Schema:
        other = Schema(self.dialect)
        other.tables = {k: Table(t.name, None if t.columns is None else list(t.columns)) for k, t in self.tables.items()}
        return other

    def table(self, name: str) -> Table | None:
        return self.tables.get(name.lower())

    def describe(self) -> dict[str, list[str] | None]:
        """{table: columns or None}, in the order the tables were created."""
        return {t.name: None if t.columns is None else list(t.columns) for t in self.tables.values()}

    def apply(self, sql: str) -> None:
        """Change the schema as the DDL statements in `sql` do; anything else is skipped."""
        with _quiet():
            for text, statement in _statements(sql, self.dialect):
                if statement is None:
                    self._apply_text(text)
                else:
                    try:
                        self._apply(statement)
                    except Exception:  # a tree shape sqlglot builds that is not modelled here
                        self._apply_text(text)

    def put(self, name: str, columns: list[str] | None) -> None:
        self.tables[name.lower()] = Table(name, columns)

    def _apply(self, e) -> None:
        from sqlglot import exp

        if isinstance(e, exp.Create):
            self._create(e)
        elif isinstance(e, exp.Alter):
            self._alter(e)
        elif isinstance(e, exp.Drop) and str(e.args.get("kind") or "").upper() in ("TABLE", "VIEW", "MATERIALIZED VIEW"):
            for table in e.args.get("tables") or []:
                if isinstance(table, exp.Table):
                    self.tables.pop(table.name.lower(), None)
        elif isinstance(e, exp.Command):
            self._apply_text(f"{e.this} {e.expression.name if e.expression else ''}")

    def _create(self, e) -> None:
        from sqlglot import exp

        kind = str(e.args.get("kind") or "").upper()
        if kind not in ("TABLE", "VIEW"):
            return
        target = e.this
        items = target.expressions if isinstance(target, exp.Schema) else None
        table = target.this if isinstance(target, exp.Schema) else target
        if not isinstance(table, exp.Table) or not table.name:
            return
        if e.args.get("exists") and self.table(table.name) is not None:
            return
        columns: list[str] | None = None
        query = e.expression
        if kind == "VIEW":
            if items and all(isinstance(i, exp.Identifier) for i in items):
                columns = [i.name for i in items]
            elif isinstance(query, (exp.Query, exp.Subquery)):
                columns = _Resolver(self, None).outputs_of(query)
        elif isinstance(query, (exp.Query, exp.Subquery)):
            columns = _Resolver(self, None).outputs_of(query)
        else:
            columns = self._declared_columns(e, items)
        self.put(table.name, columns)

    def _declared_columns(self, e, items) -> list[str] | None:
        from sqlglot import exp

        likes = list((e.args.get("properties") or exp.Properties()).find_all(exp.LikeProperty))
        if items is None and not likes:
            return None
        columns: list[str] = []
        for item in list(items or []) + likes:
            if isinstance(item, exp.ColumnDef):
                columns.append(item.name)
            elif isinstance(item, exp.LikeProperty):
                source = self.table(item.this.name) if isinstance(item.this, exp.Table) else None
                if source is None or source.columns is None:
                    return None
                columns += source.columns
        return columns

    def _alter(self, e) -> None:
        from sqlglot import exp

        if not isinstance(e.this, exp.Table):
            return
        table = self.table(e.this.name)
        if table is None:
            # it exists (the ALTER worked), created by something not understood here
            table = Table(e.this.name, None)
            self.tables[e.this.name.lower()] = table
        for action in e.args.get("actions") or []:
            if isinstance(action, exp.AlterRename) and isinstance(action.this, exp.Table):
                self.tables.pop(table.name.lower(), None)
                table.name = action.this.name
                self.tables[table.name.lower()] = table
            elif str(e.args.get("kind") or "").upper() != "TABLE":
                continue
            elif isinstance(action, exp.ColumnDef):
                if table.columns is not None and not _has(table.columns, action.name):
                    table.columns.append(action.name)
            elif isinstance(action, exp.Drop) and str(action.args.get("kind") or "").upper() == "COLUMN":
                if table.columns is not None:
                    gone = {c.name.lower() for c in action.args.get("tables") or []}
                    table.columns = [c for c in table.columns if c.lower() not in gone]
            elif isinstance(action, exp.RenameColumn):
                _rename(table, action.this.name, action.args["to"].name)
            elif isinstance(action, exp.ModifyColumn):
                if isinstance(action.args.get("rename_from"), exp.Identifier):
                    _rename(table, action.args["rename_from"].name, action.this.name)
            elif isinstance(action, exp.Drop) or type(action).__name__ in _HARMLESS_ACTIONS:
                continue
            else:
                table.columns = None

    def _apply_text(self, text: str) -> None:
        """A statement sqlglot does not model: recognize the table it creates, alters or renames."""
        if m := _CREATE_NAME.match(text):
            if not (m.group(1) and self.table(m.group(2)) is not None):
                self.put(m.group(2), None)
        elif m := _ALTER_NAME.match(text):
            table = self.table(m.group(1))
            if table is None:
                self.put(m.group(1), None)
            else:
                table.columns = None
        elif m := _RENAME_TABLES.match(text):
            for old, new in _RENAME_PAIR.findall(m.group(1)):
                table = self.tables.pop(old.lower(), None) or Table(new, None)
                table.name = new
                self.tables[new.lower()] = table


def _has(columns: list[str], name: str) -> bool:
    name = name.lower()
    return any(c.lower() == name for c in columns)


def _rename(table: Table, old: str, new: str) -> None:
    if table.columns is not None:
        table.columns = [new if c.lower() == old.lower() else c for c in table.columns]


@contextlib.contextmanager
def _quiet():
    """sqlglot logs a warning for every statement it keeps as an opaque command; not ours to show."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _statements(sql: str, dialect: str | None):
    """(text, tree or None) for each statement of a migration, parsed one by one so that one
    statement sqlglot cannot parse costs only that statement."""
    import sqlglot
    from sqlglot.tokens import TokenType

    try:
        tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(sql)
        chunks, current = [], []
        for token in tokens:
            if token.token_type == TokenType.SEMICOLON:
                chunks.append(current)
                current = []
            else:
                current.append(token)
        chunks.append(current)
        texts = [sql[c[0].start:c[-1].end + 1] for c in chunks if c]
    except Exception:  # not even tokenizable: split at semicolons that end a line
        texts = [t for t in re.split(r";\s*(?:\n|$)", sql) if t.strip()]
    for text in texts:
        try:
            statement = sqlglot.parse_one(text, read=dialect)
        except Exception:
            statement = None
        yield text, statement


class _Source:
    __slots__ = ("name", "table", "columns")

    def __init__(self, name: str, table: str, columns: list[str] | None) -> None:
        self.name = name.lower()  # what columns are qualified with: the alias, or the table name
        self.table = table  # for messages
        self.columns = columns


class _Scope:
    __slots__ = ("sources", "aliases", "parent")

    def __init__(self, parent: _Scope | None) -> None:
        self.sources: list[_Source] = []
        self.aliases: set[str] = set()  # output names, which ORDER BY, GROUP BY and HAVING may use
        self.parent = parent

    def chain(self):
        scope = self
        while scope is not None:
            yield scope
            scope = scope.parent


class Problem:
    """A finding inside one SQL text: offsets into the SQL (end exclusive), or None for all of it."""

    __slots__ = ("code", "message", "help", "start", "end", "severity")

    def __init__(self, code: str, message: str, help: str, start: int | None, end: int | None,
                 severity: str = "error") -> None:
        self.code = code
        self.message = message
        self.help = help
        self.start = start
        self.end = end
        self.severity = severity

    def __repr__(self) -> str:
        return f"Problem({self.code} {self.message!r} at {self.start}:{self.end})"


class _Resolver:
    """Walks one statement, scope by scope, reporting unknown tables and columns to `problems`
    (None: only computing the output columns of a query, for CREATE VIEW / CREATE TABLE AS)."""

    def __init__(self, schema: Schema, problems: list[Problem] | None) -> None:
        self.schema = schema
        self.problems = problems
        self.implicit = _IMPLICIT_COLUMNS.get(schema.dialect or "", frozenset())

    def report(self, code: str, node, message: str, help: str) -> None:
        if self.problems is None:
            return
        meta = getattr(node, "meta", None) or {}
        start, end = meta.get("start"), meta.get("end")
        end = end + 1 if end is not None else None
        self.problems.append(Problem(code, message, help, start, end))

    def outputs_of(self, query) -> list[str] | None:
        return self.query(query, None, {})

    # statements

    def statement(self, e) -> None:
        from sqlglot import exp

        if isinstance(e, (exp.Query, exp.Subquery)):
            self.query(e, None, {})
        elif isinstance(e, exp.Insert):
            self.insert(e)
        elif isinstance(e, (exp.Update, exp.Delete)):
            self.update_or_delete(e)
        elif isinstance(e, exp.Create) and isinstance(e.expression, (exp.Query, exp.Subquery)):
            self.query(e.expression, None, {})

    def insert(self, e) -> None:
        from sqlglot import exp

        ctes = self.with_(e, None, {})
        target = e.this
        table = target.this if isinstance(target, exp.Schema) else target
        if not isinstance(table, exp.Table):
            return
        scope = _Scope(None)
        source = self.add_source(scope, table, ctes)
        if isinstance(target, exp.Schema):
            for ident in target.expressions:
                if isinstance(ident, exp.Identifier):
                    self.check_in_source(ident, source)
        query = e.expression
        if isinstance(query, (exp.Query, exp.Subquery)):
            self.query(query, None, ctes)
        elif isinstance(query, exp.Expression):
            self.expressions(query, _Scope(None), ctes)
        if source is not None:
            # ON CONFLICT ... DO UPDATE may read the proposed row as `excluded`
            scope.sources.append(_Source("excluded", source.table, source.columns))
        for key in ("conflict", "returning", "where"):
            if isinstance(e.args.get(key), exp.Expression):
                self.expressions(e.args[key], scope, ctes)

    def update_or_delete(self, e) -> None:
        from sqlglot import exp

        ctes = self.with_(e, None, {})
        scope = _Scope(None)
        target = e.this
        if isinstance(target, exp.Table):
            self.add_source(scope, target, ctes)
            for join in target.args.get("joins") or []:
                self.add_join(scope, join, ctes)
        for key in ("from_", "using"):
            value = e.args.get(key)
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, exp.From):
                    self.add_source(scope, item.this, ctes)
                elif isinstance(item, exp.Expression):
                    self.add_source(scope, item, ctes)
        for join in e.args.get("joins") or []:
            self.add_join(scope, join, ctes)
        for key, value in e.args.items():
            if key in ("this", "with_", "with", "from_", "using", "joins") or value is None:
                continue
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, exp.Expression):
                    self.expressions(item, scope, ctes)

    # queries

    def with_(self, node, parent: _Scope | None, ctes: dict) -> dict:
        from sqlglot import exp

        w = node.args.get("with_") or node.args.get("with")
        if not isinstance(w, exp.With):
            return ctes
        ctes = dict(ctes)
        for cte in w.expressions:
            name = cte.alias.lower()
            alias = cte.args.get("alias")
            named = [c.name for c in alias.columns] if isinstance(alias, exp.TableAlias) else []
            if w.args.get("recursive"):
                ctes[name] = named or None
            columns = self.query(cte.this, parent, ctes)
            ctes[name] = named or columns
        return ctes

    def query(self, node, parent: _Scope | None, ctes: dict) -> list[str] | None:
        from sqlglot import exp

        if isinstance(node, exp.Subquery):
            ctes = self.with_(node, parent, ctes)
            return self.query(node.this, parent, ctes)
        if isinstance(node, exp.Paren):
            return self.query(node.this, parent, ctes)
        ctes = self.with_(node, parent, ctes)
        if isinstance(node, exp.SetOperation):
            left = self.query(node.left, parent, ctes)
            self.query(node.right, parent, ctes)
            scope = _Scope(parent)
            scope.aliases = {c.lower() for c in left or []}
            if left is None:
                scope.sources.append(_Source("", "", None))
            for key in ("order", "limit", "offset"):
                if isinstance(node.args.get(key), exp.Expression):
                    self.expressions(node.args[key], scope, ctes)
            return left
        if not isinstance(node, exp.Select):
            if isinstance(node, exp.Expression):
                self.expressions(node, _Scope(parent), ctes)
            return None
        scope = _Scope(parent)
        from_ = node.args.get("from_")
        if isinstance(from_, exp.From):
            self.add_source(scope, from_.this, ctes)
        for join in node.args.get("joins") or []:
            self.add_join(scope, join, ctes)
        scope.aliases = {p.alias.lower() for p in node.expressions if isinstance(p, exp.Alias)}
        for key, value in node.args.items():
            if key in ("with_", "with", "from_", "joins") or value is None:
                continue
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, exp.Expression):
                    self.expressions(item, scope, ctes)
        return self.outputs(node, scope)

    def outputs(self, select, scope: _Scope) -> list[str] | None:
        from sqlglot import exp

        names: list[str] = []
        for p in select.expressions:
            if isinstance(p, exp.Star):
                for source in scope.sources:
                    if source.columns is None:
                        return None
                    names += source.columns
            elif isinstance(p, exp.Column) and isinstance(p.this, exp.Star):
                source = self.find(scope, p.table.lower())
                if source is None or source.columns is None:
                    return None
                names += source.columns
            elif isinstance(p, (exp.Alias, exp.Column)) and p.alias_or_name:
                names.append(p.alias_or_name)
            else:
                return None
        return names

    def add_join(self, scope: _Scope, join, ctes: dict) -> None:
        from sqlglot import exp

        self.add_source(scope, join.this, ctes)
        if isinstance(join.args.get("on"), exp.Expression):
            self.expressions(join.args["on"], scope, ctes)

    def add_source(self, scope: _Scope, node, ctes: dict) -> _Source | None:
        from sqlglot import exp

        alias = node.args.get("alias") if isinstance(node, exp.Expression) else None
        named = [c.name for c in alias.columns] if isinstance(alias, exp.TableAlias) and alias.columns else None
        alias_name = alias.name if isinstance(alias, exp.TableAlias) else ""
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier):
            name = node.name
            columns = self.table_columns(node, ctes)
            source = _Source(alias_name or name, name, named or columns)
        elif isinstance(node, exp.Subquery):
            columns = self.query(node.this, scope, ctes)
            source = _Source(alias_name, alias_name, named or columns)
        else:
            # a table function, VALUES, UNNEST or LATERAL: its arguments may use earlier sources
            for child in node.iter_expressions() if isinstance(node, exp.Expression) else []:
                if not isinstance(child, exp.TableAlias):
                    self.expressions(child, scope, ctes)
            source = _Source(alias_name, alias_name, named)
        scope.sources.append(source)
        return source

    def table_columns(self, node, ctes: dict) -> list[str] | None:
        from sqlglot import exp

        name = node.name
        db = node.args.get("db")
        if not isinstance(db, exp.Identifier) and name.lower() in ctes:
            return ctes[name.lower()]
        if (isinstance(db, exp.Identifier) and db.name.lower() in _SYSTEM_SCHEMAS) or name.lower().startswith(_SYSTEM_PREFIXES) \
                or name.lower() == "dual":
            return None
        table = self.schema.table(name)
        if table is None:
            known = [t.name for t in self.schema.tables.values()] + list(ctes)
            self.report(CODE_TABLE, node.this, f"no table \"{name}\" in the schema the migrations build",
                        _did_you_mean(name, known) or "create it in a migration (migrations/NNNN_name.sql)")
            return None
        return table.columns

    def expressions(self, node, scope: _Scope, ctes: dict) -> None:
        """Check the columns of an expression; queries inside it get scopes of their own."""
        from sqlglot import exp

        stack = [node]
        while stack:
            n = stack.pop()
            if isinstance(n, (exp.Query, exp.Subquery)) and not isinstance(n, exp.Values):
                self.query(n, scope, ctes)
            elif isinstance(n, exp.Column):
                self.column(n, scope)
            elif isinstance(n, (exp.Lambda, exp.Window)):
                # lambda parameters and named windows look like columns but are not
                if isinstance(n, exp.Window):
                    for key in ("this", "partition_by", "order"):
                        value = n.args.get(key)
                        stack.extend(v for v in (value if isinstance(value, list) else [value])
                                     if isinstance(v, exp.Expression))
                continue
            else:
                stack.extend(n.iter_expressions())

    def column(self, n, scope: _Scope) -> None:
        from sqlglot import exp

        if isinstance(n.this, exp.Star) or not isinstance(n.this, exp.Identifier) \
                or isinstance(n.args.get("db"), exp.Expression):
            return
        name = n.name
        low = name.lower()
        if low in self.implicit:
            return
        qualifier = n.table
        if qualifier:
            source = self.find(scope, qualifier.lower())
            if source is not None:
                self.check_in_source(n.this, source)
            return
        candidates: list[str] = []
        sources = 0
        for s in scope.chain():
            if low in s.aliases:
                return
            for source in s.sources:
                sources += 1
                if source.columns is None or _has(source.columns, name):
                    return
                candidates += source.columns
        if sources == 0 or (n.this.args.get("quoted") and self.schema.dialect == "sqlite"):
            # no table to look in; SQLite reads an unknown "quoted" name as a string
            return
        tables = list(dict.fromkeys(f"\"{s.table}\"" for s in scope.sources if s.table))
        where = f"table {tables[0]}" if len(tables) == 1 else f"tables {', '.join(tables)}" if tables else "scope"
        self.report(CODE_COLUMN, n.this, f"no column \"{name}\" in {where}",
                    _did_you_mean(name, candidates) or _listing(candidates))

    def check_in_source(self, ident, source: _Source | None) -> None:
        if source is None or source.columns is None or _has(source.columns, ident.name) \
                or ident.name.lower() in self.implicit:
            return
        self.report(CODE_COLUMN, ident, f"no column \"{ident.name}\" in table \"{source.table}\"",
                    _did_you_mean(ident.name, source.columns) or _listing(source.columns))

    def find(self, scope: _Scope, qualifier: str) -> _Source | None:
        for s in scope.chain():
            for source in reversed(s.sources):
                if source.name == qualifier:
                    return source
        return None


def _did_you_mean(name: str, known: list[str]) -> str | None:
    lowered = {k.lower(): k for k in known}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return f"did you mean \"{lowered[close[0]]}\"?" if close else None


def _listing(columns: list[str]) -> str:
    shown = ", ".join(list(dict.fromkeys(columns))[:12])
    more = ", ..." if len(set(columns)) > 12 else ""
    return f"the columns are: {shown}{more}"


def check_sql(sql: str, schema: Schema) -> list[Problem]:
    """Problems in one SQL text (offsets into it, end exclusive)."""
    import sqlglot
    from sqlglot.errors import ParseError, TokenError

    with _quiet():
        try:
            statements = sqlglot.parse(sql, read=schema.dialect)
        except ParseError as exc:
            return [_syntax_problem(sql, exc, schema.dialect)]
        except TokenError:
            return [Problem(CODE_SYNTAX, "the SQL does not parse: a string or quoted name is not closed",
                            f"check the quotes of this {_DIALECT_NAMES.get(schema.dialect, 'SQL')} statement",
                            None, None, "warning")]
        except Exception:  # sqlglot failing on its own account: nothing to say about the SQL
            return []
        problems: list[Problem] = []
        for statement in statements:
            if statement is None:
                continue
            try:
                _Resolver(schema, problems).statement(statement)
            except Exception:  # a tree shape sqlglot builds that is not modelled here
                continue
    problems.sort(key=lambda p: -1 if p.start is None else p.start)
    return problems


def _syntax_problem(sql: str, exc, dialect: str | None) -> Problem:
    error = (getattr(exc, "errors", None) or [{}])[0]
    near = error.get("highlight") or ""
    line, col = error.get("line"), error.get("col")
    start = end = None
    if near and line and col:
        starts = [0] + [i + 1 for i, ch in enumerate(sql) if ch == "\n"]
        if 1 <= line <= len(starts):
            start = starts[line - 1] + col - len(near)
            end = start + len(near)
            if start < 0 or sql[start:end] != near:
                start = end = None
    where = f" near \"{near}\"" if near else ""
    return Problem(CODE_SYNTAX, f"the SQL does not parse{where}",
                   f"check the syntax of this {_DIALECT_NAMES.get(dialect, 'SQL')} statement", start, end, "warning")


def _literal_calls(program: A.Program) -> list[A.StringLit]:
    found = []
    for node in tree.walk(program):
        if isinstance(node, A.Call) and isinstance(node.callee, A.Identifier) and node.callee.name in CALLS \
                and node.args and isinstance(node.args[0], A.StringLit):
            found.append(node.args[0])
    found.sort(key=lambda lit: lit.span.start)
    return found


def check_program(program: A.Program, source: Source, schema: Schema) -> list[Diagnostic]:
    """Diagnostics for the SQL literals of `program`'s database calls. Tables the program creates
    itself (a literal CREATE TABLE anywhere in the file) count as existing."""
    literals = _literal_calls(program)
    if not literals:
        return []
    schema = schema.copy()
    for lit in literals:
        if re.search(r"\b(CREATE|ALTER|RENAME)\s", lit.value, re.I):
            _add_created(schema, lit.value)
    diagnostics = []
    for lit in literals:
        for p in check_sql(lit.value, schema):
            span = _span_in_literal(source, lit, p.start, p.end)
            diagnostics.append(Diagnostic(p.code, p.message, span, p.severity, help=p.help, path=source.path))
    return diagnostics


def _add_created(schema: Schema, sql: str) -> None:
    """What a program's own DDL adds: new tables and columns, never removals (the order the
    statements run in is not the order they are written in)."""
    after = schema.copy()
    after.apply(sql)
    for key, table in after.tables.items():
        known = schema.tables.get(key)
        if known is None:
            schema.tables[key] = table
        elif known.columns is not None:
            if table.columns is None:
                known.columns = None
            else:
                known.columns += [c for c in table.columns if not _has(known.columns, c)]


def _span_in_literal(source: Source, lit: A.StringLit, start: int | None, end: int | None) -> Span:
    """The source span of value[start:end] inside the literal (escapes taken into account), or
    the literal's span when the offsets are unknown or do not map."""
    if start is None or end is None or end <= start:
        return lit.span
    raw = source.text[lit.span.start:lit.span.end]
    if not raw.startswith('"'):
        return lit.span
    offsets = []  # value index -> source offset
    i = 1
    body_end = len(raw) - 1 if raw.endswith('"') and len(raw) > 1 else len(raw)
    while i < body_end:
        offsets.append(lit.span.start + i)
        i += 2 if raw[i] == "\\" else 1
    if len(offsets) != len(lit.value) or end > len(offsets):
        return lit.span
    return source.span(offsets[start], offsets[end - 1] + (2 if raw[offsets[end - 1] - lit.span.start] == "\\" else 1))
