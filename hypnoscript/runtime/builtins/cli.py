"""Command-line helpers: prompts on the program's stdin/stdout (localized hints) and argument
parsing (`--k=v`, `--k v`, `--flag`, `-abc`, `--` ends the flags)."""

from __future__ import annotations

from hypnoscript.runtime.builtins import localization as loc
from hypnoscript.runtime.builtins.args import as_string, as_string_array, optional
from hypnoscript.runtime.builtins.registry import builtin
from hypnoscript.runtime.context import current
from hypnoscript.runtime.errors import HypArgumentError, HypIOError
from hypnoscript.runtime.values import truthy


def read_line(prompt: str) -> str | None:
    """Write prompt, then read one line from the program's stdin; None at end of input."""
    ctx = current()
    ctx.write(prompt)
    out = ctx.stdout
    flush = getattr(out, "flush", None) if out is not None else None
    if flush is None:
        import sys

        flush = sys.stdout.flush
    flush()
    try:
        line = ctx.read_stdin().readline()
    except (OSError, ValueError) as exc:
        raise HypIOError(f"cannot read standard input: {exc}") from None
    return line or None


def prompt(message: str, default: str | None, allow_empty: bool, locale: str | None) -> str:
    suffix = "" if default is None else loc.message("cli.default", locale, default)
    answer = (read_line(f"{message}{suffix}: ") or "").strip()
    if not answer:
        if default is not None:
            return default
        if not allow_empty:
            raise HypArgumentError(loc.message("cli.empty", locale))
    return answer


@builtin(
    "cli",
    "CliPrompt(message: string, default?: string, allowEmpty?: boolean, locale?: string) -> string",
    "Ask for a line of input (the default is used for an empty answer)",
    pure=False,
)
def _cli_prompt(message, default=None, allow_empty=None, locale=None):
    message = as_string(message, "CliPrompt", 1)
    default = None if default is None else as_string(default, "CliPrompt", 2)
    locale = None if locale is None else as_string(locale, "CliPrompt", 4)
    return prompt(message, default, truthy(optional(allow_empty, False)), locale)


@builtin(
    "cli",
    "CliConfirm(message: string, default?: boolean, locale?: string) -> boolean",
    "Ask a yes/no question ([Y/n], German [J/n], ...)",
    pure=False,
)
def _cli_confirm(message, default=None, locale=None):
    message = as_string(message, "CliConfirm", 1)
    default = truthy(optional(default, False))
    locale = None if locale is None else as_string(locale, "CliConfirm", 3)
    lang = loc.language(locale)
    hint = loc.message("cli.yes_no_default_yes" if default else "cli.yes_no_default_no", locale)
    while True:
        line = read_line(f"{message} {hint}: ")
        if line is None:
            return default
        answer = line.strip().lower()
        if not answer:
            return default
        if answer in loc.YES_WORDS.get(lang, loc.YES_WORDS["en"]):
            return True
        if answer in loc.NO_WORDS.get(lang, loc.NO_WORDS["en"]):
            return False
        current().write(loc.message("cli.invalid_confirmation", locale) + "\n")


@builtin(
    "cli",
    "InputProvider(prompt?: string) -> string",
    "Print a prompt and read one line of input (null at end of input)",
    pure=False,
    aliases=("ReadLine", "Input"),
)
def _input_provider(prompt_text=None):
    line = read_line(as_string(optional(prompt_text, ""), "InputProvider", 1))
    return None if line is None else line.rstrip("\r\n")


def parse_arguments(args: list[str]) -> dict:
    flags: dict[str, str | None] = {}
    positional: list[str] = []
    it = iter(range(len(args)))
    only_positional = False
    for i in it:
        arg = args[i]
        if only_positional:
            positional.append(arg)
        elif arg == "--":
            only_positional = True
        elif arg.startswith("--"):
            name, eq, value = arg[2:].partition("=")
            if eq:
                flags[name] = value
            elif i + 1 < len(args) and not args[i + 1].startswith("-"):
                flags[name] = args[i + 1]
                next(it)
            else:
                flags[name] = None
        elif arg.startswith("-"):
            body = arg[1:]
            name, eq, value = body.partition("=")
            if eq:
                flags[name] = value
            elif len(body) > 1:
                for ch in body:
                    flags[ch] = None
            else:
                flags[body] = None
        else:
            positional.append(arg)
    return {"flags": flags, "positional": positional}


@builtin(
    "cli",
    "ParseArguments(args: string[]) -> object",
    "{flags: {name: value or null}, positional: [...]} of command-line arguments",
)
def _parse_arguments(args):
    return parse_arguments(as_string_array(args, "ParseArguments", 1))


@builtin("cli", "HasFlag(args: string[], flag: string) -> boolean", "Whether a flag is present")
def _has_flag(args, flag):
    parsed = parse_arguments(as_string_array(args, "HasFlag", 1))
    return as_string(flag, "HasFlag", 2) in parsed["flags"]


@builtin("cli", "FlagValue(args: string[], flag: string) -> string?", "A flag's value, or null when absent or valueless")
def _flag_value(args, flag):
    parsed = parse_arguments(as_string_array(args, "FlagValue", 1))
    return parsed["flags"].get(as_string(flag, "FlagValue", 2))
