"""`hyp test`: run HypnoScript test files and report like a test runner.

Every `.hyp` file under the chosen paths (default: `tests/` of the project) is a test: it passes
when its top level runs without an error. A file may also declare top-level suggestions whose
names start with `test`; after the top level has run, each is called on its own, and each is a
test as well, so one failing assertion does not hide the others. Program output (and the lines of
the debugging builtins) is captured and shown only for failing tests.

For a failed `assert a == b` the report shows both compared values when each side is a literal,
a variable, or a chain of fields and literal indexes of one (the values are read from the failing
frame, never recomputed, so nothing runs twice).
"""

from __future__ import annotations

import inspect
import io
import json
import os
import time
from dataclasses import dataclass, field

from hypnoscript.syntax import ast as A
from hypnoscript.syntax.diagnostics import DiagnosticError, render_all
from hypnoscript.syntax.source import Source

PASSED, FAILED, ERROR = "passed", "failed", "error"
CODE_NO_TESTS = "HYP5040"


@dataclass
class TestResult:
    id: str  # "tests/math.hyp" or "tests/math.hyp::testAdd"
    file: str  # as shown (relative to the working directory)
    name: str  # the suggestion's name, or the file's for its top level
    status: str
    duration: float = 0.0
    message: str = ""
    location: str = ""  # file:line:col of the failure
    details: list[str] = field(default_factory=list)  # compared values, diagnostics
    output: str = ""


@dataclass
class Summary:
    results: list[TestResult]
    duration: float

    @property
    def passed(self) -> int:
        return sum(r.status == PASSED for r in self.results)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed


def discover(paths: list[str], root: str) -> list[str]:
    """The test files: given files as they are, folders searched recursively for `*.hyp`."""
    found: list[str] = []
    for path in paths or [os.path.join(root, "tests")]:
        if os.path.isdir(path):
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "trance_modules")
                found.extend(os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith(".hyp"))
        elif os.path.isfile(path):
            found.append(path)
    return list(dict.fromkeys(os.path.normpath(p) for p in found))


def shown(path: str) -> str:
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


class _Output(io.TextIOBase):
    """The captured stdout of a test file; `switch` starts a new capture for the next test."""

    def __init__(self) -> None:
        self.buffer_ = io.StringIO()

    def write(self, text: str) -> int:
        return self.buffer_.write(text)

    def switch(self) -> str:
        text = self.buffer_.getvalue()
        self.buffer_ = io.StringIO()
        return text


def run_file(path: str, selected=lambda test_id: True, use_cache: bool = True) -> list[TestResult]:
    """Run one test file: its top level, then each selected `test...` suggestion."""
    from hypnoscript.engine.runner import Program, RunError
    from hypnoscript.project.modules import ModuleLoader
    from hypnoscript.runtime.context import RuntimeContext
    from hypnoscript.runtime.errors import HypExit

    file = shown(path)
    started = time.perf_counter()
    try:
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [TestResult(file, file, file, ERROR, message=f"cannot read the file: {exc}")]
    source = Source(text.removeprefix("\ufeff"), path)
    loader = ModuleLoader(use_cache=use_cache)
    try:
        program = loader.load_main(source, exports=True)
    except DiagnosticError as exc:
        details = render_all(exc.diagnostics, loader.source_for(exc.diagnostics, source)).splitlines()
        first = exc.diagnostics[0]
        return [TestResult(file, file, file, ERROR, time.perf_counter() - started, first.message,
                           _where(first.path or path, first.span), details)]

    output = _Output()
    # debug lines join the captured output, so they are shown with a failing test
    ctx = RuntimeContext(stdout=output, stdin=io.StringIO(), argv=[path], script_path=path, stderr=output)
    outcomes: list[tuple[str, float, BaseException | None, str]] = []

    class Suite(Program):
        """The file's program, with its tests called one by one after the top level."""

        def main_function(self, ctx_):
            main = super().main_function(ctx_)

            def suite():
                exports = main() or {}
                outcomes.append(("", time.perf_counter() - started, None, output.switch()))
                for name, value in exports.items():
                    if not (name.startswith(("test", "Test")) and inspect.isfunction(value)):
                        continue
                    if not selected(f"{file}::{name}"):
                        continue
                    t0 = time.perf_counter()
                    error = None
                    try:
                        value()
                    except KeyboardInterrupt:
                        raise
                    except BaseException as exc:  # noqa: BLE001 - every failure of a test is reported
                        error = exc
                    outcomes.append((name, time.perf_counter() - t0, error, output.switch()))

            return suite

    suite = Suite(program.compiled, source, loader)
    results: list[TestResult] = []
    try:
        suite.run(ctx)
    except RunError as exc:
        # the engine raises RunError `from None`: the original error stays its __context__
        results.append(_failure(file, file, exc, exc.__context__, loader, time.perf_counter() - started,
                                output.switch()))
        return results
    except HypExit as exc:  # `Exit(n)` in a test file ends only that file
        results.append(TestResult(file, file, file, FAILED if exc.status else PASSED, time.perf_counter() - started,
                                  f"the test called Exit({exc.status})" if exc.status else "", output=output.switch()))
        return results
    for name, duration, error, out in outcomes:
        test_id = f"{file}::{name}" if name else file
        label = name or file
        if error is None:
            results.append(TestResult(test_id, file, label, PASSED, duration, output=out))
        elif isinstance(error, HypExit):
            results.append(TestResult(test_id, file, label, FAILED, duration,
                                      f"the test called Exit({error.status})", output=out))
        else:
            results.append(_failure(test_id, label, suite.run_error(error), error, loader, duration, out))
    return results


def _failure(test_id: str, name: str, err, exc: BaseException | None, loader, duration: float,
             output: str) -> TestResult:
    """A failed test from its RunError; `exc` (the original exception) lets asserts show values."""
    from hypnoscript.runtime.errors import HypAssertionError

    file = test_id.split("::")[0]
    frames = err.frames
    location = f"{shown(frames[-1].path)}:{frames[-1].line}:{frames[-1].col}" if frames else file
    error = err.error
    details: list[str] = []
    if isinstance(error, HypAssertionError):
        message = error.message
        if exc is not None and frames:
            details = _compared_values(exc, frames[-1], loader.sources())
    else:
        message = f"{error.kind}: {error.message}" if error.kind else error.message
    if len(frames) > 1:
        details += [f"in {f.function} at {shown(f.path)}:{f.line}:{f.col}" for f in reversed(frames)]
    return TestResult(test_id, file, name, FAILED, duration, message, location, details, output)


def _where(path: str, span) -> str:
    return f"{shown(path)}:{span.line}:{span.col}" if span is not None else shown(path)


# ---------------------------------------------------------------- compared values


_COMPARISONS = {"==", "!=", "<", "<=", ">", ">="}
_MISSING = object()


def _compared_values(exc: BaseException, frame_info, sources: dict) -> list[str]:
    source = sources.get(frame_info.path)
    if source is None:
        return []
    node = _assert_at(source, frame_info.line, frame_info.col)
    if node is None or type(node.cond) is not A.Binary or node.cond.op not in _COMPARISONS:
        return []
    frame = _hyp_frame(exc, frame_info.path)
    values = []
    for side, expr in (("left", node.cond.left), ("right", node.cond.right)):
        text = source.text[expr.span.start:expr.span.end]
        value = _read(expr, frame.f_locals if frame is not None else {})
        label = f"{side}:".ljust(7)
        values.append(f"{label}{text}" if value is _MISSING or _show(value) == text
                      else f"{label}{text} = {_show(value)}")
    return values


def _assert_at(source: Source, line: int, col: int) -> A.Assert | None:
    from hypnoscript.syntax.parser import parse

    program, _ = parse(source)
    found = None
    stack: list[A.Node] = [program]
    while stack:
        node = stack.pop()
        if type(node) is A.Assert and node.span.line == line:
            if node.span.col == col:
                return node
            found = found or node
        stack.extend(node.children())
    return found


def _hyp_frame(exc: BaseException, path: str):
    """The innermost generated frame of `path` in the traceback: the one that failed the assert."""
    frame = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == path and tb.tb_frame.f_globals.get("__hyp_generated__"):
            frame = tb.tb_frame
        tb = tb.tb_next
    return frame


def _read(expr: A.Expr, local_values: dict) -> object:
    """The value of a side effect-free expression in the failing frame, or _MISSING."""
    from hypnoscript.engine.names import mangle
    from hypnoscript.runtime import ops
    from hypnoscript.runtime.errors import HypError

    t = type(expr)
    if t in (A.NumberLit, A.StringLit, A.BoolLit):
        return expr.value
    if t is A.NullLit:
        return None
    if t is A.Identifier:
        return local_values.get(mangle(expr.name), _MISSING)
    if t is A.Member or t is A.Index:
        obj = _read(expr.obj, local_values)
        if obj is _MISSING:
            return _MISSING
        try:
            if t is A.Member:
                return ops.member_opt(obj, expr.name) if expr.optional else ops.member(obj, expr.name)
            key = _read(expr.index, local_values)
            if key is _MISSING or type(expr.index) not in (A.NumberLit, A.StringLit, A.Identifier):
                return _MISSING
            return ops.index_opt(obj, key) if expr.optional else ops.index(obj, key)
        except HypError:
            return _MISSING
    return _MISSING


def _show(value: object) -> str:
    from hypnoscript.runtime.values import display

    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else display(value)


# ---------------------------------------------------------------- running a suite


def run(files: list[str], keyword: str | None = None, use_cache: bool = True, on_result=None) -> Summary:
    """Run `files`, keeping the tests whose id contains `keyword`; `on_result(file, results)` after each."""
    started = time.perf_counter()

    def selected(test_id: str) -> bool:
        return keyword is None or keyword.lower() in test_id.lower()

    results: list[TestResult] = []
    for path in files:
        if not wanted(path, keyword):
            continue
        file_results = run_file(path, selected, use_cache)
        kept = [r for r in file_results if selected(r.id) or r.status != PASSED]
        results.extend(kept)
        if on_result is not None:
            on_result(path, kept)
    return Summary(results, time.perf_counter() - started)


def wanted(path: str, keyword: str | None) -> bool:
    """Whether a file can hold a selected test: its id matches, or it declares a matching suggestion."""
    if keyword is None:
        return True
    if keyword.lower() in shown(path).lower():
        return True
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return keyword.lower() in fh.read().lower()
    except OSError:
        return True


def junit_xml(summary: Summary) -> str:
    """The results as JUnit XML: one <testsuite> per file, one <testcase> per test."""
    import xml.etree.ElementTree as ET

    root = ET.Element("testsuites", name="hyp test", tests=str(len(summary.results)),
                      failures=str(sum(r.status == FAILED for r in summary.results)),
                      errors=str(sum(r.status == ERROR for r in summary.results)), time=f"{summary.duration:.3f}")
    by_file: dict[str, list[TestResult]] = {}
    for r in summary.results:
        by_file.setdefault(r.file, []).append(r)
    for file, results in by_file.items():
        suite = ET.SubElement(root, "testsuite", name=file, tests=str(len(results)),
                              failures=str(sum(r.status == FAILED for r in results)),
                              errors=str(sum(r.status == ERROR for r in results)), skipped="0",
                              time=f"{sum(r.duration for r in results):.3f}")
        classname = os.path.splitext(file)[0].replace(os.sep, ".").replace("/", ".")
        for r in results:
            case = ET.SubElement(suite, "testcase", classname=classname, name=r.name, file=file,
                                 time=f"{r.duration:.3f}")
            if r.status != PASSED:
                tag = "failure" if r.status == FAILED else "error"
                problem = ET.SubElement(case, tag, message=r.message, type=tag)
                problem.text = "\n".join(filter(None, [f"{r.location}: {r.message}" if r.location else r.message,
                                                       *r.details]))
            if r.output:
                ET.SubElement(case, "system-out").text = r.output
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# ---------------------------------------------------------------- the `hyp test` report


PROGRESS_AFTER = 0.5  # seconds: a run that takes longer gets a progress bar on a terminal


def run_tests(root: str, paths: list[str], keyword: str | None = None, junit: str | None = None,
              verbose: bool = False, use_cache: bool = True, stream=None) -> int:
    """Run, print failures and the `N passed, N failed` summary; exit status 1 when any failed."""
    import sys

    from hypnoscript.syntax.diagnostics import Diagnostic

    stream = stream or sys.stdout
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise DiagnosticError([Diagnostic(CODE_NO_TESTS, f"no such file or folder: {p}") for p in missing])
    files = discover(paths, root)
    if not files:
        where = ", ".join(paths) if paths else shown(os.path.join(root, "tests"))
        raise DiagnosticError([Diagnostic(CODE_NO_TESTS, f"no test files (*.hyp) found in {where}")])
    live = _Live(stream, len(files))
    try:
        summary = run(files, keyword, use_cache, on_result=lambda path, results: live.file_done(path, results, verbose))
    finally:
        live.stop()
    if not summary.results:
        raise DiagnosticError([Diagnostic(CODE_NO_TESTS, f"no test matches -k {keyword!r}")])
    if junit:
        folder = os.path.dirname(os.path.abspath(junit))
        os.makedirs(folder, exist_ok=True)
        with open(junit, "w", encoding="utf-8") as fh:
            fh.write(junit_xml(summary))
    stream.write(f"{summary.passed} passed, {summary.failed} failed\n")
    stream.flush()
    return 0 if summary.failed == 0 else 1



def failure_lines(r: TestResult) -> list[str]:
    lines = [f"FAILED {r.id}" if r.status == FAILED else f"ERROR {r.id}"]
    lines.append(f"  {r.location}: {r.message}" if r.location else f"  {r.message}")
    lines += [f"    {d}" for d in r.details]
    if r.output:
        lines.append("    output:")
        lines += [f"      {line}" for line in r.output.rstrip("\n").splitlines()]
    return lines


class _Live:
    """Failure lines as they happen, and a progress bar once a terminal run turns out to be long."""

    def __init__(self, stream, total: int) -> None:
        self.stream = stream
        self.total = total
        self.done = 0
        self.started = time.perf_counter()
        self.interactive = hasattr(stream, "isatty") and stream.isatty()
        self.progress = None
        self.task = None

    def file_done(self, path: str, results: list[TestResult], verbose: bool) -> None:
        self.done += 1
        for r in results:
            if r.status != PASSED:
                self.say("\n".join(failure_lines(r)))
            elif verbose:
                self.say(f"passed {r.id} ({r.duration * 1000:.1f} ms)")
        if self.progress is None and self.interactive and self.done < self.total \
                and time.perf_counter() - self.started > PROGRESS_AFTER:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            console = Console(file=self.stream)
            self.progress = Progress(TextColumn("testing"), BarColumn(), MofNCompleteColumn(),
                                     TextColumn("{task.description}"), console=console, transient=True)
            self.progress.start()
            self.task = self.progress.add_task("", total=self.total)
        if self.progress is not None:
            self.progress.update(self.task, completed=self.done, description=shown(path))

    def say(self, text: str) -> None:
        if self.progress is not None:
            self.progress.console.print(text, markup=False, highlight=False, soft_wrap=True)
        else:
            self.stream.write(text + "\n")
            self.stream.flush()

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
