"""Compiling and loading the services' modules, and finding each route's handler in them.

All services of one process share one `ModuleLoader`, so a module several services import (a
`modules/core` of domain rules) is compiled and run once. Compiling alone is the check the
supervisor of `--workers`/`--reload` makes before it starts any worker; loading runs each module's
top level once, under the service's runtime context (its capabilities, its output stream).
"""

from __future__ import annotations

import os
import types

from hypnoscript.analysis.field_reads import fields_read
from hypnoscript.project import jsonfile
from hypnoscript.project.config import CODE_INVALID
from hypnoscript.project.modules import ModuleLoader
from hypnoscript.runtime.context import (
    Capabilities,
    RuntimeContext,
    activate,
    deactivate,
)
from hypnoscript.runtime.errors import HypExit
from hypnoscript.services.inline import inline_handlers
from hypnoscript.services.settings import ServeSettings, ServiceSpec
from hypnoscript.syntax.ast import FuncDecl
from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError
from hypnoscript.syntax.parser import parse
from hypnoscript.syntax.source import Span

_NO_SPAN = Span(0, 0, 1, 1, 1, 1)


class Handler:
    """A route's suggestion, ready to call (on the event loop when `inline`, see services.inline).
    `reads` names the fields of the request it can reach (None: all of them)."""

    __slots__ = ("fn", "inline", "name", "reads", "takes_request")

    def __init__(self, fn, takes_request: bool, name: str) -> None:
        self.fn = fn
        self.takes_request = takes_request
        self.name = name
        self.inline = False
        self.reads: frozenset[str] | None = None


class LoadedService:
    __slots__ = ("context", "handlers", "program", "spec")

    def __init__(self, spec: ServiceSpec, context: RuntimeContext, handlers: dict[str, Handler], program) -> None:
        self.spec = spec
        self.context = context
        self.handlers = handlers
        self.program = program  # reports runtime errors with the HypnoScript call stack


class ServiceModules:
    def __init__(self, settings: ServeSettings, infrastructure=None) -> None:
        self.settings = settings
        self.infrastructure = infrastructure  # the database and cache every service's code uses
        self.loader = ModuleLoader(root=settings.root)

    def compile(self) -> None:
        """Compile every service module; raises DiagnosticError (source errors, unknown handlers)."""
        diags: list[Diagnostic] = []
        for spec in self.settings.services:
            try:
                names = self.loader.module_names(_importer(spec), spec.module, _NO_SPAN)
            except DiagnosticError as exc:
                diags += exc.diagnostics
                continue
            for route in spec.entries():
                if route.handler not in names:
                    diags.append(self._problem(route, f"\"{route.handler}\" is not a top-level suggestion of "
                                                      f"{os.path.relpath(spec.module, self.settings.root)}",
                                               f"defined: {', '.join(names) or 'nothing'}"))
        if diags:
            raise DiagnosticError(diags)

    def load(self, stdout) -> list[LoadedService]:
        """Compile, then run each module's top level and bind the route handlers."""
        self.compile()
        loaded = []
        diags: list[Diagnostic] = []
        trees: dict = {}  # module path -> syntax tree (services may share a module)
        for spec in self.settings.services:
            ctx = RuntimeContext(stdout=stdout, argv=[], script_path=spec.module,
                                 capabilities=Capabilities(**_grants(spec.capabilities)))
            ctx.infrastructure = self.infrastructure
            program = self._program(spec.module)
            exports = self._run(spec, ctx, program)
            handlers = {}
            tree = trees.get(spec.module)
            if tree is None:
                tree = trees[spec.module] = parse(program.source)[0]  # it compiled, so it parses
            quick = inline_handlers(tree, program, [route.handler for route in spec.routes])
            decls = {s.name: s for s in tree.body if isinstance(s, FuncDecl)}
            for entry in [*spec.consumers, *spec.schedules]:
                handler = _handler(exports.get(entry.handler), entry.handler, "an event or scheduled handler",
                                   "the event")
                if isinstance(handler, str):
                    diags.append(self._problem(entry, handler))
                else:
                    handlers.setdefault(entry.handler, handler)
            for route in spec.routes:
                handler = _handler(exports.get(route.handler), route.handler)
                if isinstance(handler, str):
                    diags.append(self._problem(route, handler))
                else:
                    handler.inline = route.handler in quick
                    decl = decls.get(route.handler)
                    if decl is not None and decl.params:
                        handler.reads = fields_read(decl, decl.params[0].name)
                    handlers[route.handler] = handler
            loaded.append(LoadedService(spec, ctx, handlers, program))
        if diags:
            raise DiagnosticError(diags)
        return loaded

    def sources(self) -> dict:
        return self.loader.sources()

    def _program(self, path: str):
        return next(p for p in self.loader.programs() if os.path.abspath(p.source.path) == path)

    def _run(self, spec: ServiceSpec, ctx: RuntimeContext, program) -> dict:
        from hypnoscript.engine.runner import diagnostic_for

        token = activate(ctx)
        try:
            return self.loader.importer_for(_importer(spec))(spec.module, 0)
        except HypExit as exc:
            raise DiagnosticError([Diagnostic("HYP4000", f"Exit({exc.status}) while loading the module of "
                                                         f"service \"{spec.name}\"", path=spec.module)]) from None
        except Exception as exc:  # noqa: BLE001 - a runtime error in the module's top level
            raise DiagnosticError([diagnostic_for(program.run_error(exc), self.loader.sources())]) from None
        finally:
            deactivate(token)

    def _problem(self, route, message: str, help: str | None = None) -> Diagnostic:
        path = self.settings.config.path
        key = route.key + ("handler",)
        if self.settings.config.exists:
            return jsonfile.read(path, "the configuration file").diagnostic(CODE_INVALID, key, message, help)
        return Diagnostic(CODE_INVALID, f"{jsonfile.json_path(key)}: {message}", path=path, help=help)


def _importer(spec: ServiceSpec) -> str:
    """The name the service's module is imported under (one per service, for duplicate checks)."""
    return f"<service {spec.name}>"


def _handler(value, name: str, what: str = "a route handler", argument: str = "the request") -> Handler | str:
    """The handler, or why `value` cannot be one."""
    if not isinstance(value, types.FunctionType) or not value.__globals__.get("__hyp_generated__"):
        return f"\"{name}\" is not a suggestion"
    params = value.__code__.co_argcount
    required = params - len(value.__defaults__ or ())
    if required > 1:
        return f"suggestion \"{name}\" takes {required} parameters; {what} takes one ({argument})"
    return Handler(value, params >= 1, name)


def _grants(caps: dict) -> dict:
    out = {}
    for kind in ("files", "network", "env"):
        if kind in caps:
            out[kind] = tuple(caps[kind])
    for kind in ("process", "clock", "random"):
        if kind in caps:
            out[kind] = bool(caps[kind])
    return out
