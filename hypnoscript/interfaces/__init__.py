"""Interactive and editor tooling: the REPL, the language server and syntax highlighting.

This layer sits above everything else; nothing below it imports it.
"""
