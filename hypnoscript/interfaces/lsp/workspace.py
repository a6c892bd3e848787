"""The files the server knows: open documents (their editor text) and the `.hyp` files of the
workspace folders (their disk text), each parsed once per text and analysed once per change.

Parsing never fails: the parser's error recovery leaves out only a broken statement, so names,
types and navigation keep working in the rest of a half-typed file. A `mindLink`ed module's
names come from parsing it the same way (its editor text if it is open), so imports work even
while the module does not compile.
"""

from __future__ import annotations

import bisect
import os
import threading

from hypnoscript.analysis.scopes import Resolution, resolve
from hypnoscript.interfaces import vocabulary as V
from hypnoscript.interfaces.lsp.symbols import Occurrences
from hypnoscript.project.modules import ModuleLoader
from hypnoscript.syntax import ast as A
from hypnoscript.syntax import tokens as T
from hypnoscript.syntax.diagnostics import Diagnostic
from hypnoscript.syntax.lexer import tokenize
from hypnoscript.syntax.parser import parse
from hypnoscript.syntax.source import Source, Span

MAX_WORKSPACE_FILES = 5000  # scanned for references; beyond this a workspace is searched partly
# Folders never searched for references: installed packages and tool caches.
SKIPPED_FOLDERS = frozenset({"trance_modules", "node_modules", "__pycache__"})
_NAME_KINDS = frozenset(range(T.LAST_KEYWORD + 1)) | {T.IDENTIFIER}


class ParsedFile:
    """One text of one file: tokens, syntax tree and syntax diagnostics."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.source = Source(text, path)
        self.tokens, _ = tokenize(self.source)
        self.starts = [t.start for t in self.tokens]
        self.program, self.diagnostics = parse(self.source)

    def token_at(self, offset: int):
        """The name token under (or just before) `offset`, or None."""
        i = bisect.bisect_right(self.starts, offset) - 1
        for j in (i, i - 1):
            if 0 <= j < len(self.tokens):
                tok = self.tokens[j]
                if tok.kind in _NAME_KINDS and tok.start <= offset <= tok.end:
                    return tok
        return None

    def name_span(self, node: A.Node, name: str, after: int | None = None) -> Span | None:
        """The span of the first name token spelled `name` inside `node` (from `after` on)."""
        start = node.span.start if after is None else after
        i = bisect.bisect_left(self.starts, start)
        while i < len(self.tokens):
            tok = self.tokens[i]
            if tok.start >= node.span.end or tok.kind == T.EOF:
                return None
            if tok.kind in _NAME_KINDS and tok.text == name and self.text[tok.start:tok.end] == name:
                return tok.span
            i += 1
        return None

    def token_after(self, offset: int, kind: int):
        i = bisect.bisect_left(self.starts, offset)
        while i < len(self.tokens) and self.tokens[i].kind != T.EOF:
            if self.tokens[i].kind == kind:
                return self.tokens[i]
            i += 1
        return None


class FileAnalysis:
    """Name resolution of one parsed file, plus (on first use) its type check and lint."""

    def __init__(self, workspace: Workspace, parsed: ParsedFile) -> None:
        self.workspace = workspace
        self.parsed = parsed
        self.path = parsed.path
        self.program = parsed.program
        self.modules: dict[int, str | None] = {}  # id(MindLink) -> the module's path
        self.import_problems: list[Diagnostic] = []
        self.resolution: Resolution = resolve(self.program, V.builtins(), self.import_names)
        self._check = None
        self._lint = None
        self.occurrences = Occurrences(self)

    def import_names(self, link: A.MindLink) -> list[str] | None:
        path = self.workspace.module_path(self.path, link.path)
        self.modules[id(link)] = path
        if path is None:
            self.import_problems.append(Diagnostic(
                "HYP5001", f"module not found: \"{link.path}\"", link.span, path=self.path,
                help="paths are relative to the importing file or to the project root"))
            return None
        if self.workspace.is_analysing(path):
            self.import_problems.append(Diagnostic(
                "HYP5002", f"import cycle through \"{link.path}\"", link.span, path=self.path))
            return None
        names = self.workspace.exports(path)
        if names is None:
            self.import_problems.append(Diagnostic(
                "HYP5003", f"cannot read module \"{link.path}\"", link.span, path=self.path))
        return names

    @property
    def check(self):
        """The type checker's result (None when the checker is not installed)."""
        if self._check is None:
            try:
                from hypnoscript.analysis.checker import check
            except ImportError:
                return None
            self._check = check(self.program, self.parsed.source, import_names=self.import_names_quiet)
        return self._check

    @property
    def lint(self) -> list[Diagnostic]:
        if self._lint is None:
            try:
                from hypnoscript.analysis.lint_config import find_config, load_disabled
                from hypnoscript.analysis.linter import lint
            except ImportError:
                return []
            disabled: set[str] = set()
            config = find_config(self.path)
            if config is not None:
                disabled, _ = load_disabled(config)
            self._lint = lint(self.program, self.parsed.source, disabled, import_names=self.import_names_quiet)
        return self._lint

    def import_names_quiet(self, link: A.MindLink) -> list[str] | None:
        """`import_names` for the checker and linter: the same answers, problems already reported."""
        path = self.modules.get(id(link))
        return self.workspace.exports(path) if path is not None else None

    def type_of(self, node: A.Expr):
        check = self.check
        return check.type_of(node) if check is not None else None


class Workspace:
    def __init__(self, read_open_document, roots: list[str] | None = None) -> None:
        # path -> editor text of an open document, or None
        self.read_open_document = read_open_document
        self.roots = list(roots or [])
        self._parsed: dict[str, ParsedFile] = {}
        self._analyses: dict[str, FileAnalysis] = {}
        self._analysing: set[str] = set()  # paths whose analysis is under way
        self._loader = ModuleLoader()
        self.lock = threading.RLock()

    def changed(self) -> None:
        """Some file changed: every analysis may be stale (imports cross files)."""
        with self.lock:
            self._analyses.clear()
            self._loader = ModuleLoader()

    def text(self, path: str) -> str | None:
        text = self.read_open_document(path)
        if text is not None:
            return text
        try:
            with open(path, "rb") as fh:
                return fh.read().decode("utf-8").removeprefix("\ufeff")
        except (OSError, UnicodeDecodeError):
            return None

    def parsed(self, path: str) -> ParsedFile | None:
        text = self.text(path)
        if text is None:
            return None
        with self.lock:
            cached = self._parsed.get(path)
            if cached is None or cached.text != text:
                cached = self._parsed[path] = ParsedFile(path, text)
            return cached

    def analysis(self, path: str) -> FileAnalysis | None:
        with self.lock:
            cached = self._analyses.get(path)
            parsed = self.parsed(path)
            if parsed is None:
                return None
            if cached is None or cached.parsed is not parsed:
                self._analysing.add(path)
                try:
                    cached = self._analyses[path] = FileAnalysis(self, parsed)
                finally:
                    self._analysing.discard(path)
            return cached

    def module_path(self, importer: str, target: str) -> str | None:
        with self.lock:
            return self._loader.resolve(importer, target)

    def is_analysing(self, path: str) -> bool:
        return path in self._analysing

    def exports(self, path: str) -> list[str] | None:
        """The names a module binds in its importers (None when it cannot be read, or while it
        is being analysed: a cycle)."""
        with self.lock:
            if path in self._analysing:
                return None
            analysis = self.analysis(path)
            if analysis is None:
                return None
            return [n for n in analysis.resolution.main.bindings if not n.startswith("_")]

    def files(self, open_paths) -> list[str]:
        """Open documents first, then every `.hyp` file under the workspace folders."""
        seen = dict.fromkeys(open_paths)
        for root in self.roots:
            for folder, dirs, names in os.walk(root):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_FOLDERS)
                for name in sorted(names):
                    if name.endswith(".hyp"):
                        seen.setdefault(os.path.join(folder, name))
                if len(seen) >= MAX_WORKSPACE_FILES:
                    return list(seen)
        return list(seen)
