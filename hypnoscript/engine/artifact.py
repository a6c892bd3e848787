"""A compiled program as the code cache stores it (kept free of heavy imports: loading a cached
program must not import the parser or the compiler)."""

from __future__ import annotations

MAIN = "__hyp_main__"  # the generated function holding a program's top level


class CompiledProgram:
    __slots__ = ("code", "builtins", "functions", "imports", "exports")

    def __init__(self, code, builtins: list[str], functions: dict[str, str] | None = None,
                 imports: list | None = None, exports: list[str] | None = None) -> None:
        self.code = code  # the module code object; running it defines __hyp_main__
        self.builtins = builtins  # builtin names the code refers to (as B_<name>)
        self.functions = functions or {}  # Python function name -> HypnoScript display name
        self.imports = imports or []  # (mindLink path as written, names it bound)
        self.exports = exports or []  # top-level names a module offers importers
