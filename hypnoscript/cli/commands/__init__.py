"""Subcommands of `hyp`. Each module is imported only when its command runs."""
