"""Modules: `mindLink "path.hyp";` loads another file once per process and binds its top-level names.

A path resolves, in this order, relative to the importing file, to the project root (the nearest
folder upwards holding `trance.json`), to the `trance_modules/` folder of that root and of every
project above it (installed packages: `mindLink "pkg/file.hyp";`, or `mindLink "pkg";` for the
package's `induction.entryScript`), and to the working directory. Each module is compiled once
(through the code cache) and run once; importers get the top-level suggestions, sessions and
variables it defines itself (not those it imports in turn), except names starting with `_`, which
stay private to the module. A cycle, a missing file or a name bound by two different imports is a
diagnostic at the `mindLink` line.
"""

from __future__ import annotations

import os

from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError
from hypnoscript.syntax.source import Source, Span

MANIFEST = "trance.json"
PACKAGES = "trance_modules"


def project_root(start: str) -> str | None:
    """The nearest folder at or above `start` that holds a `trance.json`."""
    folder = os.path.abspath(start)
    while True:
        if os.path.isfile(os.path.join(folder, MANIFEST)):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _roots(start: str) -> list[str]:
    """Every project root at or above `start`, nearest first (a package inside `trance_modules/`
    finds its own dependencies in the enclosing project's folder)."""
    roots = []
    root = project_root(start)
    while root is not None:
        roots.append(root)
        parent = os.path.dirname(root)
        root = project_root(parent) if parent != root else None
    return roots


def _package_entry(folder: str) -> str | None:
    """The entry script an installed package names in its manifest."""
    import json  # only installed packages need it: keeps `hyp exec` start-up light

    try:
        with open(os.path.join(folder, MANIFEST), encoding="utf-8") as fh:
            data = json.load(fh)
        entry = (data.get("induction") or {}).get("entryScript")
    except (OSError, ValueError, AttributeError):
        return None
    return os.path.join(folder, entry) if isinstance(entry, str) and entry else None


class ModuleLoader:
    def __init__(self, *, use_cache: bool = True, root: str | None = None) -> None:
        self.use_cache = use_cache
        self.root = root
        self._sources: dict[str, Source] = {}
        self._programs: dict[str, object] = {}  # abs path -> Program
        self._exports: dict[str, dict] = {}  # abs path -> exported values (after running)
        self._compiling: list[str] = []
        self._running: list[str] = []
        self.record_types: dict[str, tuple] = {}  # tranceify types declared so far in this run
        self._resolved: dict[tuple[str, str], str | None] = {}
        # importer -> name -> (module path, target as written): who bound each imported name
        self._bound: dict[str, dict[str, tuple[str, str]]] = {}

    # ------------------------------------------------------------ compile time

    def load_main(self, source: Source, *, exports: bool = False):
        """Compile the program the run starts from; with `exports`, running it returns its top-level
        names like a module's (the test runner calls the `test...` suggestions it finds there)."""
        self._sources[source.path] = source
        return self._compile(source, module=exports)

    def _compile(self, source: Source, module: bool):
        from hypnoscript.engine.runner import Program, compile_source

        self._compiling.append(os.path.abspath(source.path))
        self._bound.pop(source.path, None)
        try:
            compiled = compile_source(source, use_cache=self.use_cache, module=module, resolver=self)
        finally:
            self._compiling.pop()
        program = Program(compiled, source, self)
        self._programs[os.path.abspath(source.path)] = program
        return program

    def resolve(self, importer: str, target: str) -> str | None:
        base = os.path.dirname(os.path.abspath(importer)) if not importer.startswith("<") else os.getcwd()
        key = (base, target)
        if key not in self._resolved:
            self._resolved[key] = self._find(base, target)
        return self._resolved[key]

    def _find(self, base: str, target: str) -> str | None:
        roots = [self.root] if self.root else _roots(base)
        candidates = [os.path.join(base, target)]
        candidates += [os.path.join(r, target) for r in roots]
        packages = [os.path.join(r, PACKAGES, target) for r in roots]
        candidates += packages
        candidates.append(os.path.join(os.getcwd(), target))
        for c in candidates:
            for path in (c, c + ".hyp") if not c.endswith(".hyp") else (c,):
                if os.path.isfile(path):
                    return os.path.abspath(path)
        for folder in packages:
            entry = _package_entry(folder) if os.path.isdir(folder) else None
            if entry and os.path.isfile(entry):
                return os.path.abspath(entry)
        return None

    def module_names(self, importer: str, target: str, span: Span) -> list[str]:
        """Compile the module `target` (if not yet) and return the names it exports to `importer`."""
        path = self.resolve(importer, target)
        if path is None:
            raise DiagnosticError([Diagnostic("HYP5001", f"module not found: \"{target}\"", span, path=importer,
                                              help="paths are relative to the importing file or to the project "
                                                   "root; installed packages are found as \"package/file.hyp\"")])
        if path in self._compiling:
            chain = " -> ".join(os.path.relpath(p) for p in self._compiling[self._compiling.index(path):] + [path])
            raise DiagnosticError([Diagnostic("HYP5002", f"import cycle: {chain}", span, path=importer)])
        program = self._programs.get(path)
        if program is None:
            try:
                with open(path, "rb") as fh:
                    text = fh.read().decode("utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise DiagnosticError([Diagnostic("HYP5003", f"cannot read module \"{target}\": {exc}", span,
                                                  path=importer)]) from None
            source = Source(text, path)
            self._sources[path] = source
            program = self._compile(source, module=True)
        imported = {n for _, bound in program.compiled.imports for n in bound}
        names = [n for n in program.compiled.exports if not n.startswith("_") and n not in imported]
        self._check_duplicates(importer, target, path, names, span)
        return names

    def _check_duplicates(self, importer: str, target: str, path: str, names: list[str], span: Span) -> None:
        """Two different modules binding the same name in one importer would silently shadow each other."""
        bound = self._bound.setdefault(importer, {})
        clashes = [(n, bound[n][1]) for n in names if n in bound and bound[n][0] != path]
        if clashes:
            listed = ", ".join(f"\"{n}\"" for n, _ in clashes)
            firsts = sorted({first for _, first in clashes})
            raise DiagnosticError([Diagnostic(
                "HYP5005", f"mindLink \"{target}\" binds {listed}, already bound by mindLink "
                           + ", ".join(f"\"{f}\"" for f in firsts), span, path=importer,
                help="rename the suggestion in one module, or start a helper's name with `_` to keep it private")])
        for n in names:
            bound[n] = (path, target)

    # ------------------------------------------------------------ run time

    def importer_for(self, importer_path: str):
        def _import(target: str, line: int) -> dict:
            path = self.resolve(importer_path, target)
            if path in self._exports:
                return self._exports[path]
            program = self._programs[path]
            if path in self._running:
                from hypnoscript.runtime.errors import HypError

                raise HypError(f"import cycle while running \"{target}\"")
            self._running.append(path)
            try:
                main = program.main_function_for_import()
                exports = main()
            finally:
                self._running.pop()
            self._exports[path] = exports
            return exports

        return _import

    # ------------------------------------------------------------ reporting

    def sources(self) -> dict[str, Source]:
        return self._sources

    def programs(self):
        return list(self._programs.values())

    def source_for(self, diagnostics: list[Diagnostic], default: Source) -> Source:
        for d in diagnostics:
            if d.path and d.path in self._sources:
                return self._sources[d.path]
        return default
