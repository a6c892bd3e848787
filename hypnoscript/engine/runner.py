"""Compile (through the on-disk code cache) and run HypnoScript programs.

`Program.load(source)` gives a compiled program; `Program.run(ctx)` executes it and returns
its exit status, printing a diagnostic for a runtime error. Runs happen on a thread with a large
stack so that deep (but finite) recursion in HypnoScript code works.
"""

from __future__ import annotations

import math
import sys
import time

from hypnoscript.analysis.deep import run_deep
from hypnoscript.engine import cache
from hypnoscript.engine.artifact import MAIN, CompiledProgram
from hypnoscript.runtime import ops, sessions
from hypnoscript.runtime.context import RuntimeContext, activate, deactivate
from hypnoscript.runtime.errors import HypError, HypExit, HypThrow
from hypnoscript.runtime.values import Record, display, format_number
from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError, Label
from hypnoscript.syntax.source import Source, Span

RECURSION_LIMIT = 30000
COMPILE_RECURSION_LIMIT = 400000  # the compiler recurses a few frames per level of a long chain
STACK_SHOWN = 12  # call-stack frames printed with a runtime error

_MISSING = object()


def builtin_registry() -> dict:
    from hypnoscript.runtime.builtins.registry import all_builtins

    return all_builtins()


def compile_source(source: Source, *, use_cache: bool = True, module: bool = False, resolver=None) -> CompiledProgram:
    """Parse and compile a source, or load the result of an earlier identical compile (valid only
    while every module it imports still exports the same names)."""
    key = cache.key(source, module) if use_cache else None
    if key is not None:
        hit = cache.load(key)
        if hit is not None and _imports_unchanged(hit, source, resolver):
            return hit
    compiled = build(source, module=module, resolver=resolver).compiled
    if key is not None:
        cache.store(key, compiled)
    return compiled


def build(source: Source, *, module: bool = False, resolver=None):
    """Parse, optimize and compile a source; the compiler keeps the Python module it generated
    (`last_module`, what `hyp exec --emit-python` prints) and the result (`compiled`)."""
    from hypnoscript.engine.compiler import Compiler
    from hypnoscript.syntax.parser import parse

    program, diagnostics = parse(source)
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors:
        raise DiagnosticError(errors)
    if cache.optimizing():
        from hypnoscript.analysis.optimizer import optimize

        def import_names(link):
            try:
                return resolver.module_names(source.path, link.path, link.span) if resolver is not None else None
            except DiagnosticError:
                return None  # the compiler reports it at the mindLink

        program, _ = optimize(program, builtin_registry(), import_names=import_names, inline=False)
    compiler = Compiler(program, source.path, builtin_registry(), module_exports=module, resolver=resolver)
    # long operator chains make deep trees: compile with the same deep stack programs run with
    compiler.compiled = _call_with_big_stack(compiler.compile, COMPILE_RECURSION_LIMIT)
    return compiler


def _imports_unchanged(compiled: CompiledProgram, source: Source, resolver) -> bool:
    if not compiled.imports:
        return True
    if resolver is None:
        return False
    for target, names in compiled.imports:
        try:
            current = resolver.module_names(source.path, target, Span(0, 0, 1, 1, 1, 1))
        except DiagnosticError:
            return False
        if tuple(current) != tuple(names):
            return False
    return True


def _suspend() -> None:
    from hypnoscript.runtime.context import current

    ctx = current()
    ctx.write("[SUSPEND] Program suspended - press Ctrl+C to exit")
    ctx.capabilities.check("clock")
    time.sleep(3600)


def _const_assign(name: str):
    raise HypError(f"Cannot reassign constant variable '{name}'")


def _register_expressions() -> None:
    from hypnoscript.engine.expressions import element_function
    from hypnoscript.runtime import expressions

    expressions.register(element_function)


_register_expressions()


def _exports(local_values: dict, pairs: tuple) -> dict:
    return {name: local_values[pyname] for name, pyname in pairs if pyname in local_values}


BASE_GLOBALS = {
    "__hyp_generated__": True,
    "__builtins__": {"type": type, "float": float, "str": str, "bool": bool, "list": list, "len": len, "int": int,
                     "abs": abs, "range": range, "locals": locals, "Exception": Exception},
    "_fmt": display,
    "_fmtn": format_number,
    "_add": ops.add, "_sub": ops.sub, "_mul": ops.mul, "_div": ops.div, "_mod": ops.mod, "_neg": ops.neg,
    "_lt": ops.lt, "_le": ops.le, "_gt": ops.gt, "_ge": ops.ge, "_eq": ops.eq, "_ne": ops.ne,
    "_index": ops.index, "_index_opt": ops.index_opt, "_set_index": ops.set_index,
    "_member": ops.member, "_member_opt": ops.member_opt, "_set_member": ops.set_member,
    "_call_member": ops.call_member, "_call_value": ops.call_value, "_call_late": ops.call_late, "_make_record": ops.make_record,
    "_oscillate": ops.oscillate, "_no_match": ops.no_match, "_assert_failed": ops.assertion_failed,
    "_HypThrow": HypThrow, "_caught": ops.caught_value, "_undefined": ops.undefined,
    "_missing_argument": ops.missing_argument, "_call_dropping": ops.call_dropping, "_iterate": ops.iterate,
    "_loop_end": ops.loop_end,
    "_Session": sessions.Session, "_init_static": sessions.init_static_field,
    "_ctx_push": sessions.CONTEXT.append, "_ctx_pop": sessions.CONTEXT.pop,
    "_Record": Record, "_Instance": sessions.Instance, "_RecordType": ops.RecordType,
    "_record_constructor": ops.record_constructor, "_record_with": ops.record_with, "_MISSING": _MISSING, "_const_assign": _const_assign, "_suspend": _suspend,
    "_exports": _exports, "_nan": math.nan, "_IndexFail": (IndexError, OverflowError), "_new": object.__new__, "_fmod": math.fmod, "_LoopJump": ops.LoopJump,
}


class RunError(Exception):
    """A runtime error with its HypnoScript location and call stack."""

    def __init__(self, error: HypError, frames: list) -> None:
        super().__init__(error.message)
        self.error = error
        self.frames = frames


class Program:
    def __init__(self, compiled: CompiledProgram, source: Source, loader=None) -> None:
        self.compiled = compiled
        self.source = source
        self.loader = loader

    @classmethod
    def load(cls, source: Source, *, use_cache: bool = True, loader=None) -> Program:
        return cls(compile_source(source, use_cache=use_cache), source, loader)

    def make_globals(self, ctx: RuntimeContext) -> dict:
        g = dict(BASE_GLOBALS)
        g["_out"] = (ctx.stdout or sys.stdout).write  # type: ignore[attr-defined]
        g["__hyp_functions__"] = self.compiled.functions  # names for DebugPrintStackTrace
        # `tranceify` types are global to a run: modules share them with their importers
        g["_types"] = self.loader.record_types if self.loader is not None else {}
        if self.compiled.builtins:
            registry = builtin_registry()
            for name in self.compiled.builtins:
                g["B_" + name] = registry[name].func
        if self.compiled.imports:
            g["_import"] = self.importer()
        return g

    def importer(self):
        from hypnoscript.project.modules import ModuleLoader

        loader = self.loader or ModuleLoader()
        return loader.importer_for(self.source.path)

    def main_function_for_import(self):
        from hypnoscript.runtime.context import current

        return self.main_function(current())

    def main_function(self, ctx: RuntimeContext):
        g = self.make_globals(ctx)
        exec(self.compiled.code, g)
        return g[MAIN]

    def run(self, ctx: RuntimeContext) -> object:
        """Run to completion; raises RunError for a runtime error and HypExit for `Exit(n)`."""
        token = activate(ctx)
        try:
            main = self.main_function(ctx)
            return _call_with_big_stack(main)
        except (HypExit, KeyboardInterrupt):
            raise
        except BaseException as exc:  # noqa: BLE001 - every program error becomes a diagnostic
            raise self.run_error(exc) from None
        finally:
            deactivate(token)

    def run_error(self, exc: BaseException) -> RunError:
        from hypnoscript.engine.errors import locate, translate_exception

        error = translate_exception(exc, self.all_functions())
        return RunError(error, locate(exc, self.all_functions()))

    def all_functions(self) -> dict[str, str]:
        functions = dict(self.compiled.functions)
        if self.loader is not None:
            for prog in self.loader.programs():
                functions.update(prog.compiled.functions)
        return functions


def _call_with_big_stack(fn, recursion_limit: int = RECURSION_LIMIT):
    return run_deep(fn, recursion_limit=recursion_limit, name="hypnoscript-main")


def diagnostic_for(err: RunError, sources: dict[str, Source]) -> Diagnostic:
    e = err.error
    frames = err.frames
    span = None
    path = None
    notes: list[str] = []
    labels: list[Label] = []
    if frames:
        top = frames[-1]
        path = top.path
        src = sources.get(path)
        if src is not None:
            span = _span_of(src, top)
        if len(frames) > 1:
            shown = list(reversed(frames))
            lines = [f"      in {f.function} at {f.path}:{f.line}:{f.col}" for f in shown[:STACK_SHOWN]]
            if len(shown) > STACK_SHOWN:
                lines.append(f"      ... and {len(shown) - STACK_SHOWN} more frames")
            notes.append("HypnoScript call stack (innermost first):\n" + "\n".join(lines))
    kind = "" if type(e) is HypError else f"{e.kind}: "
    message = kind + e.message
    return Diagnostic(e.code, message, span, labels=labels, help=e.help, path=path, notes=notes)


def _span_of(src: Source, f) -> Span:
    starts = src.line_starts
    line = min(max(f.line, 1), len(starts))
    start = starts[line - 1] + f.col - 1
    end_line = min(max(f.end_line, line), len(starts))
    end = starts[end_line - 1] + f.end_col - 1
    if end <= start:
        end = start + 1
    return Span(start, end, line, f.col, end_line, f.end_col if end_line != line or f.end_col > f.col else f.col + 1)

