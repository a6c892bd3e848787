"""The interactive prompt: prompt-toolkit input (history, multi-line entries, highlighting,
completion) around a persistent ReplState."""

from __future__ import annotations

import ctypes
import os
import sys

from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.lexers import PygmentsLexer

from hypnoscript.interfaces.highlight import HypnoScriptLexer
from hypnoscript.interfaces.repl.commands import run_command
from hypnoscript.interfaces.repl.completion import ReplCompleter
from hypnoscript.interfaces.repl.entry import indent_for, is_complete
from hypnoscript.interfaces.repl.render import render_diagnostic
from hypnoscript.interfaces.repl.state import ReplState
from hypnoscript.runtime.errors import HypExit
from hypnoscript.runtime.values import show_value
from hypnoscript.syntax.diagnostics import Diagnostic

PROMPT = "hyp> "
CONTINUATION = "...  "
_ENGINE_THREAD = "hypnoscript-main"  # the name of the thread the engine runs programs on


def default_history_path() -> str:
    state_home = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(state_home, "hypnoscript", "repl_history")


class _Output:
    """The REPL's text stream; remembers whether the last write ended a line, so that output of
    `whisper` does not leave the next prompt mid-line."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.at_line_start = True

    def write(self, text: str) -> int:
        if text:
            self.stream.write(text)
            self.at_line_start = text.endswith("\n")
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def end_line(self) -> None:
        if not self.at_line_start:
            self.write("\n")
        self.flush()


class Repl:
    def __init__(self, *, input=None, output=None, stdout=None, history_path: str | None = None,
                 color: bool | None = None, use_cache: bool = True) -> None:
        stream = stdout or sys.stdout
        self.out = _Output(stream)
        if color is None:
            color = bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")
        self.color = color
        self.state = ReplState(stdout=self.out, use_cache=use_cache)
        self.input = input
        self.output = output
        self.history_path = history_path

    def run(self) -> int:
        """Read and run entries until end of input, `:quit` or `Exit(n)`; the exit status."""
        prompt = PromptSession(
            message=PROMPT,
            prompt_continuation=lambda width, line_number, soft_wrap: CONTINUATION,
            multiline=True,
            key_bindings=_key_bindings(),
            lexer=PygmentsLexer(HypnoScriptLexer),
            completer=ReplCompleter(self.state),
            history=_history(self.history_path),
            enable_history_search=True,
            input=self.input,
            output=self.output,
        )
        self.out.write("HypnoScript REPL: :help for help, Ctrl-D to leave\n")
        while True:
            try:
                text = prompt.prompt()
            except KeyboardInterrupt:
                continue
            except EOFError:
                return 0
            status = self.handle(text)
            if status is not None:
                return status

    def run_lines(self, lines) -> int:
        """Run entries read from a non-terminal (a pipe, a file): lines are gathered until the
        entry is complete or a blank line ends it; only results and diagnostics are printed."""
        pending = ""
        for line in lines:
            pending += line
            if pending.strip() and (not line.strip() or is_complete(pending.rstrip("\n"))):
                status = self.handle(pending)
                pending = ""
                if status is not None:
                    return status
        status = self.handle(pending)
        return status if status is not None else 0

    def handle(self, text: str) -> int | None:
        """Run one entry or command; an exit status when the session should end."""
        if not text.strip():
            return None
        try:
            if text.lstrip().startswith(":"):
                result = run_command(self, text)
                if result.outcome is not None:
                    self.show_outcome(result.outcome)
                if result.text:
                    self.out.write(result.text + "\n")
                return 0 if result.quit else None
            self.show_outcome(self.state.execute(text.rstrip()))
        except HypExit as exc:
            self.out.end_line()
            return exc.status
        except KeyboardInterrupt:
            _interrupt_engine()
            self.out.end_line()
            self.out.write("interrupted\n")
        except Exception as exc:  # noqa: BLE001 - an engine bug must not end the session
            self.out.end_line()
            self.show_diagnostic(Diagnostic("HYP9000", f"internal error: {type(exc).__name__}: {exc}",
                                            notes=["this is a bug in HypnoScript; please report it"]), None)
        return None

    def show_outcome(self, outcome) -> None:
        self.out.end_line()
        for diag in outcome.diagnostics:
            self.show_diagnostic(diag, outcome.source)
        if outcome.has_value and outcome.value is not None:
            self.out.write(show_value(outcome.value) + "\n")
        self.out.flush()

    def show_diagnostic(self, diag: Diagnostic, source) -> None:
        sources = dict(self.state.loader.sources())
        sources.update(self.state.sources)
        self.out.write(render_diagnostic(diag, sources, source, self.color) + "\n")


def _key_bindings() -> KeyBindings:
    kb = KeyBindings()

    @kb.add("enter")
    def _enter(event) -> None:
        buffer = event.current_buffer
        if buffer.complete_state is not None and buffer.complete_state.current_completion is not None:
            buffer.apply_completion(buffer.complete_state.current_completion)
            return
        document = buffer.document
        if document.is_cursor_at_the_end and is_complete(buffer.text):
            buffer.validate_and_handle()
        else:
            buffer.insert_text("\n" + indent_for(document.text_before_cursor))

    @kb.add("escape", "enter")
    def _newline(event) -> None:
        event.current_buffer.insert_text("\n")

    return kb


def _history(path: str | None):
    if path == "":
        return InMemoryHistory()
    path = path or default_history_path()
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError:
        return InMemoryHistory()  # an unwritable history must not stop the REPL
    return FileHistory(path)


def _interrupt_engine() -> None:
    """Stop a program still running after Ctrl-C: the engine runs it on its own thread, which a
    KeyboardInterrupt in the main thread does not reach."""
    from hypnoscript.analysis.deep import worker_idents

    for ident in worker_idents(_ENGINE_THREAD):
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(KeyboardInterrupt))
