"""Switching lint rules off: in the project configuration, and per line with comments.

`config/hypnoscript.config.json` (in the project folder, found by walking up from the file to the
folder that holds `trance.json` or `config/`) may contain `{"lint": {"disable": [...]}}` with
rule names or codes. In a file, `// hyp-lint: disable=rule,rule` silences those rules on its own
line and `// hyp-lint: disable-next-line=rule` on the next one (no `=...`: every rule).
"""

from __future__ import annotations

import json
import os
import re

from hypnoscript.analysis.comments import Comment
from hypnoscript.syntax.diagnostics import Diagnostic
from hypnoscript.syntax.source import Source

CONFIG_FILE = os.path.join("config", "hypnoscript.config.json")
_DIRECTIVE = re.compile(r"hyp-lint:\s*(disable-next-line|disable)\b(?:\s*=\s*([\w\s,-]+))?")
ALL = "*"


def find_config(path: str) -> str | None:
    """The configuration file governing `path`, or None."""
    folder = os.path.dirname(os.path.abspath(path))
    while True:
        candidate = os.path.join(folder, CONFIG_FILE)
        if os.path.isfile(candidate):
            return candidate
        if os.path.isfile(os.path.join(folder, "trance.json")) or os.path.isdir(os.path.join(folder, "config")):
            return None
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def load_disabled(config_path: str) -> tuple[set[str], Diagnostic | None]:
    """The rules a configuration file disables, and a diagnostic if the file is unusable."""
    try:
        with open(config_path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return set(), Diagnostic("HYP3000", f"cannot read the lint configuration: {exc}", None, "error",
                                 path=config_path)
    lint = data.get("lint", {}) if isinstance(data, dict) else None
    disable = lint.get("disable", []) if isinstance(lint, dict) else None
    if not isinstance(disable, list) or not all(isinstance(x, str) for x in disable):
        return set(), Diagnostic("HYP3000", "`lint.disable` must be a list of rule names or codes", None, "error",
                                 path=config_path, help='write e.g. {"lint": {"disable": ["unused-variable"]}}')
    return set(disable), None


def line_suppressions(comments: list[Comment], source: Source) -> dict[int, set[str]]:
    """Line number -> the rules (names, codes, or ALL) disabled on that line."""
    out: dict[int, set[str]] = {}
    for c in comments:
        m = _DIRECTIVE.search(c.text)
        if m is None:
            continue
        rules = {r.strip() for r in (m.group(2) or "").split(",") if r.strip()} or {ALL}
        line, _ = source.position(c.start)
        if m.group(1) == "disable-next-line":
            line = source.position(c.end)[0] + 1
        out.setdefault(line, set()).update(rules)
    return out
