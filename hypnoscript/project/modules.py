"""Modules: `mindLink "path.hyp";` loads another file once per process and binds its top-level names.

Paths resolve relative to the importing file, then to the project root (the nearest folder
upwards holding `trance.json`). Each module is compiled once (through the code cache) and run once;
importers get its top-level suggestions, sessions, records and variables. A cycle, a missing file
or a name bound by two imports is a diagnostic at the `mindLink` line.
"""

from __future__ import annotations

import os

from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError
from hypnoscript.syntax.source import Source, Span

MANIFEST = "trance.json"


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


class ModuleLoader:
    def __init__(self, *, use_cache: bool = True, root: str | None = None) -> None:
        self.use_cache = use_cache
        self.root = root
        self._sources: dict[str, Source] = {}
        self._programs: dict[str, object] = {}  # abs path -> Program
        self._exports: dict[str, dict] = {}  # abs path -> exported values (after running)
        self._compiling: list[str] = []
        self._running: list[str] = []

    # ------------------------------------------------------------ compile time

    def load_main(self, source: Source):
        self._sources[source.path] = source
        return self._compile(source, module=False)

    def _compile(self, source: Source, module: bool):
        from hypnoscript.engine.runner import Program, compile_source

        self._compiling.append(os.path.abspath(source.path))
        try:
            compiled = compile_source(source, use_cache=self.use_cache, module=module, resolver=self)
        finally:
            self._compiling.pop()
        program = Program(compiled, source, self)
        self._programs[os.path.abspath(source.path)] = program
        return program

    def resolve(self, importer: str, target: str) -> str | None:
        base = os.path.dirname(os.path.abspath(importer)) if not importer.startswith("<") else os.getcwd()
        candidates = [os.path.join(base, target)]
        root = self.root or project_root(base)
        if root is not None:
            candidates.append(os.path.join(root, target))
        candidates.append(os.path.join(os.getcwd(), target))
        for c in candidates:
            for path in (c, c + ".hyp") if not c.endswith(".hyp") else (c,):
                if os.path.isfile(path):
                    return os.path.abspath(path)
        return None

    def module_names(self, importer: str, target: str, span: Span) -> list[str]:
        """Compile the module `target` (if not yet) and return the names it exports."""
        path = self.resolve(importer, target)
        if path is None:
            raise DiagnosticError([Diagnostic("HYP5001", f"module not found: \"{target}\"", span, path=importer,
                                              help="paths are relative to the importing file or to the project root")])
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
        return list(program.compiled.exports)

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
