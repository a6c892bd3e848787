"""One persistent program state for a sequence of REPL entries.

Each entry is parsed and compiled by the engine as a program of its own. Its top-level names are
then rebound to Python cells that the state owns: the generated `__hyp_main__` declares them
`nonlocal` and is instantiated with the state's cells as its closure. So a suggestion defined in
one entry keeps seeing (and changing) the same variables as every later entry, exactly as if
all entries were one program.

The compiler must know the names of earlier entries (a read of an unknown name compiles to an
error) and must not assume their types from a single entry (a later entry may store a string in
a variable this entry only ever saw numbers in). Both come from a block that never runs,
appended to each entry: `if (false) { mindLink "<session>"; freeze k; }`, where the session
"module" binds every mutable top-level name and `freeze` re-declares every constant one.
"""

from __future__ import annotations

import ast as py
import types

from hypnoscript.engine.artifact import MAIN, CompiledProgram
from hypnoscript.engine.runner import Program, builtin_registry
from hypnoscript.engine.scopes import Analysis
from hypnoscript.project.modules import ModuleLoader
from hypnoscript.runtime.context import RuntimeContext
from hypnoscript.syntax import ast as A
from hypnoscript.syntax import tokens as T
from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError
from hypnoscript.syntax.lexer import tokenize
from hypnoscript.syntax.parser import parse, parse_statements
from hypnoscript.syntax.source import Source

SESSION_MODULE = "<session>"
# Holds the value of an entry's final bare expression; never a name a program can declare.
RESULT = "\u2063result"
_RECORD_TYPES = "_types"  # the generated code's table of `tranceify` types


class Outcome:
    """What running one entry produced."""

    __slots__ = ("diagnostics", "has_value", "source", "value")

    def __init__(self, source: Source, diagnostics: list[Diagnostic], value=None, has_value: bool = False):
        self.source = source
        self.diagnostics = diagnostics
        self.value = value
        self.has_value = has_value

    @property
    def failed(self) -> bool:
        return any(d.severity == "error" for d in self.diagnostics)


class ReplState:
    def __init__(self, stdout=None, stdin=None, use_cache: bool = True) -> None:
        self.stdout = stdout
        self.stdin = stdin
        self.use_cache = use_cache
        self.reset()

    def reset(self) -> None:
        """Forget every name, record type and module of the session."""
        self.cells: dict[str, types.CellType] = {}
        self.frozen: set[str] = set()
        self._frozen_now: set[str] = set()  # `frozen` as the entry being compiled leaves it
        self.record_types = types.CellType({})
        self.sources: dict[str, Source] = {}
        self.functions: dict[str, str] = {}
        self._history: list[A.Stmt] = []  # statements of every entry that compiled
        self._importers: dict[int, str] = {}  # id(MindLink of the history) -> the entry's path
        self.loader = ModuleLoader(use_cache=self.use_cache)
        self.ctx = RuntimeContext(stdout=self.stdout, stdin=self.stdin, argv=["<repl>"])
        self.entries = 0

    # ------------------------------------------------------------ names

    def values(self) -> dict[str, object]:
        """Every top-level name that currently holds a value."""
        out = {}
        for name, cell in self.cells.items():
            try:
                out[name] = cell.cell_contents
            except ValueError:
                continue  # declared, but its declaration never ran
        return out

    def module_names(self, importer: str, target: str, span) -> list[str]:
        """The compiler's module resolver: the session's names for SESSION_MODULE, real files
        through the module loader."""
        if target == SESSION_MODULE:
            return [n for n in self.cells if n not in self._frozen_now and n != RESULT]
        return self.loader.module_names(importer, target, span)

    def history(self) -> list[A.Stmt]:
        """The statements of every entry that compiled, in order: the session as one program."""
        return list(self._history)

    def import_names_or_none(self, mind_link: A.MindLink) -> list[str] | None:
        """What a `mindLink` of the history binds, for the checker (None when unreadable)."""
        importer = self._importers.get(id(mind_link), "<repl>")
        try:
            return self.loader.module_names(importer, mind_link.path, mind_link.span)
        except DiagnosticError:
            return None

    # ------------------------------------------------------------ running

    def next_path(self) -> str:
        self.entries += 1
        return f"<repl-{self.entries}>"

    def parse_entry(self, source: Source) -> tuple[list[A.Stmt], list[Diagnostic]]:
        """Statements of an entry; a whole `Focus { ... } Relax` program is accepted too."""
        tokens, _ = tokenize(source)
        if tokens[0].kind == T.FOCUS:
            program, diagnostics = parse(source)
            return program.body, diagnostics
        return parse_statements(source)

    def execute(self, text: str, path: str | None = None, echo: bool = True) -> Outcome:
        """Compile and run one entry. With `echo`, the value of a final bare expression (one
        without a `;` after it) is kept in the outcome. Raises HypExit when the program calls
        `Exit`."""
        source = Source(text, path or self.next_path())
        self.sources[source.path] = source
        body, diagnostics = self.parse_entry(source)
        if any(d.severity == "error" for d in diagnostics):
            return Outcome(source, diagnostics)
        written = body
        has_value = echo and _ends_in_value(body, source.text)
        if has_value:
            last = body[-1]
            body = body[:-1] + [A.VarDecl("induce", RESULT, None, last.expr, span=last.span)]
        try:
            compiled, compiler = self._compile(body, source)
        except DiagnosticError as exc:
            return Outcome(source, diagnostics + exc.diagnostics)
        self._history.extend(written)
        for node in A.walk(written):
            if type(node) is A.MindLink:
                self._importers[id(node)] = source.path
        return self._run(compiled, compiler, source, diagnostics, has_value)

    def _compile(self, body: list[A.Stmt], source: Source):
        from hypnoscript.engine.compiler import Compiler

        registry = builtin_registry()
        path = source.path
        # First pass: which top-level names does this entry bind, and which of all the session's
        # names are still bound only with `freeze` afterwards?
        self._frozen_now = self.frozen
        first = Analysis(A.Program(body + [self._known_names_block()]), {n: b.returns for n, b in registry.items()},
                         lambda s: self.module_names(path, s.path, s.span))
        mine = {b.name: b for b in first.main.bindings.values() if b.name != RESULT}
        frozen = {n for n, b in mine.items() if b.constant and not b.mutable_decl}
        self._frozen_now = frozen
        program = A.Program(body + [self._known_names_block()], span=source.span(0, len(source.text)))
        new_names = [n for n in mine if n not in self.cells]
        for name in new_names:
            self.cells[name] = types.CellType()
        try:
            compiler = Compiler(program, path, registry, resolver=self, open_world=True)
            compiler.compile()
        except DiagnosticError:
            for name in new_names:
                del self.cells[name]
            raise
        self.frozen = frozen
        return self._rebind_to_cells(compiler, path), compiler

    def _known_names_block(self) -> A.Stmt:
        """`if (false) { mindLink "<session>"; freeze k; ... }`: declares the session's names."""
        known: list[A.Stmt] = [A.MindLink(SESSION_MODULE)]
        known += [A.VarDecl("freeze", n) for n in sorted(self._frozen_now)]
        return A.If(A.BoolLit(False), known)

    def _rebind_to_cells(self, compiler, path: str) -> CompiledProgram:
        """Recompile the generated module with every top-level name of `__hyp_main__` (and its
        record-type table) made a free variable, to be supplied from the state's cells."""
        module = compiler.last_module
        main = module.body[0]
        main.body = [s for s in main.body if not _assigns(s, _RECORD_TYPES)]
        pynames = [b.pyname for b in compiler.analysis.main.bindings.values()] + [_RECORD_TYPES]
        main.body.insert(0, py.Nonlocal(names=pynames))
        holder = py.FunctionDef(
            name="__hyp_cells__", args=compiler.arguments([]), decorator_list=[], returns=None, type_comment=None,
            body=[py.Assign(targets=[py.Name(id=n, ctx=py.Store()) for n in pynames], value=py.Constant(None)),
                  main],
        )
        module.body = [holder]
        py.fix_missing_locations(module)
        holder_code = compile(module, path, "exec", dont_inherit=True).co_consts[0]
        main_code = next(c for c in holder_code.co_consts if isinstance(c, types.CodeType) and c.co_name == MAIN)
        self.functions.update(compiler.functions)
        return CompiledProgram(main_code, sorted(compiler.used_builtins), dict(self.functions), compiler.imports)

    def _run(self, compiled: CompiledProgram, compiler, source: Source, diagnostics, has_value: bool) -> Outcome:
        from hypnoscript.engine.runner import RunError, diagnostic_for

        by_pyname = {b.pyname: b.name for b in compiler.analysis.main.bindings.values()}
        result = types.CellType()
        closure = []
        for pyname in compiled.code.co_freevars:
            if pyname == _RECORD_TYPES:
                closure.append(self.record_types)
            elif by_pyname[pyname] == RESULT:
                closure.append(result)
            else:
                closure.append(self.cells[by_pyname[pyname]])
        entry = _Entry(compiled, source, self.loader, tuple(closure))
        try:
            entry.run(self.ctx)
        except RunError as exc:
            sources = dict(self.loader.sources())
            sources.update(self.sources)
            return Outcome(source, diagnostics + [diagnostic_for(exc, sources)])
        if has_value:
            try:
                return Outcome(source, diagnostics, result.cell_contents, True)
            except ValueError:
                pass
        return Outcome(source, diagnostics)


class _Entry(Program):
    """A compiled entry whose `__hyp_main__` closes over the session's cells."""

    def __init__(self, compiled: CompiledProgram, source: Source, loader: ModuleLoader, closure: tuple) -> None:
        super().__init__(compiled, source, loader)
        self.closure = closure

    def main_function(self, ctx: RuntimeContext):
        return types.FunctionType(self.compiled.code, self.make_globals(ctx), MAIN, None, self.closure)


def _ends_in_value(body: list[A.Stmt], text: str) -> bool:
    """Does the entry end with an expression whose value should be shown? A `;` after it hides
    the value, as does being an assignment."""
    if not body or type(body[-1]) is not A.ExprStmt or type(body[-1].expr) is A.Assign:
        return False
    return not text[: body[-1].span.end].endswith(";")


def _assigns(stmt: py.stmt, name: str) -> bool:
    return (type(stmt) is py.Assign and len(stmt.targets) == 1 and type(stmt.targets[0]) is py.Name
            and stmt.targets[0].id == name)
