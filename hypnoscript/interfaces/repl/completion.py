"""Tab completion at the REPL prompt: commands, keywords, builtins with their signatures, the
session's names, and members after `.` (from the values the session holds)."""

from __future__ import annotations

import re

from prompt_toolkit.completion import Completer, Completion, PathCompleter
from prompt_toolkit.document import Document

from hypnoscript.interfaces import vocabulary as V
from hypnoscript.interfaces.repl.commands import COMMANDS
from hypnoscript.interfaces.repl.render import member_names
from hypnoscript.runtime.values import type_name

_WORD = re.compile(r"[^\W\d]\w*\Z|\Z")
_MEMBER = re.compile(r"([^\W\d]\w*)\s*(?:\.|\?\.)\s*(\w*)\Z")


class ReplCompleter(Completer):
    def __init__(self, state) -> None:
        self.state = state
        self.paths = PathCompleter(expanduser=True)

    def get_completions(self, document: Document, complete_event):
        text = document.text_before_cursor
        if text.lstrip().startswith(":"):
            yield from self.command_completions(text.lstrip(), complete_event)
            return
        member = _MEMBER.search(text)
        values = self.state.values()
        if member is not None:
            owner, prefix = member.groups()
            for name, what in sorted(member_names(values.get(owner)).items()):
                if name.lower().startswith(prefix.lower()):
                    yield Completion(name, -len(prefix), display_meta=what)
            return
        prefix = _WORD.search(text).group()
        if not prefix:
            return
        low = prefix.lower()
        for name in sorted(values):
            if name.lower().startswith(low):
                yield Completion(name, -len(prefix), display_meta=type_name(values[name]))
        for word in V.completion_keywords():
            if word.lower().startswith(low):
                yield Completion(word, -len(prefix), display_meta="keyword")
        for name, spec in sorted(V.builtins().items()):
            if name.lower().startswith(low) and name not in values:
                yield Completion(name, -len(prefix), display=spec.signature.split(" -> ")[0],
                                 display_meta=f"-> {spec.returns}")

    def command_completions(self, text: str, complete_event):
        name, space, arg = text[1:].partition(" ")
        if not space:
            for command in COMMANDS:
                if command.startswith(name.lower()):
                    yield Completion(command, -len(name), display=":" + command)
        elif name.lower() == "load":
            yield from self.paths.get_completions(Document(arg.lstrip()), complete_event)
