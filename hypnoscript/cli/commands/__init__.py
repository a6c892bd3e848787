"""Subcommands of `hyp`. Each module is imported only when its command runs."""

from hypnoscript.cli.main import register

register("builtins", "builtins_cmd", "List the builtin functions")
register("check", "check_cmd", "Type-check programs without running them")
register("repl", "repl_cmd", "Interactive HypnoScript")
register("init", "init_cmd", "Create a project (trance.json, optionally from a template)")
register("add", "add_cmd", "Add a dependency to trance.json")
register("remove", "remove_cmd", "Remove a dependency from trance.json")
register("install", "install_cmd", "Install the dependencies into trance_modules/")
register("list", "list_cmd", "List the dependencies")
register("run", "run_cmd", "Run a suggestion (script) from trance.json")
register("validate", "validate_cmd", "Check trance.json and the configuration")
register("config", "config_cmd", "Check or show the project configuration")
register("test", "test_cmd", "Run the project's tests")
register("fmt", "fmt_cmd", "Format programs in the canonical layout")
register("serve", "serve_cmd", "Serve HTTP routes")
register("lint", "lint_cmd", "Report suspicious code (unused names, unreachable code, ...)")
register("optimize", "optimize_cmd", "Fold constants, inline small suggestions and drop dead code")
register("lsp", "lsp_cmd", "Language server over stdio")
register("db", "db_cmd", "Database migrations")
register("backup", "backup_cmd", "Back up, verify and restore the project's database and data")
register("worker", "worker_cmd", "Run the event consumers and schedules")
