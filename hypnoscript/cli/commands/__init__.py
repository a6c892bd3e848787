"""Subcommands of `hyp`. Each module is imported only when its command runs."""

from hypnoscript.cli.main import register

register("builtins", "builtins_cmd", "List the builtin functions")
register("check", "check_cmd", "Type-check programs without running them")
