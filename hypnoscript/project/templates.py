"""`hyp init`: the starter projects in `hypnoscript/project/templates/`.

`basic` (no `--template`) writes only `trance.json`, as the reference does; `cli` and `library`
add a small program and its tests next to the reference's manifests; `enterprise` is the layout
of a service project (modules, shared helpers, configuration, deployment script, tests). Every
`{{name}}` in a template becomes the project name (JSON-escaped inside `.json` files).
"""

from __future__ import annotations

import json
import os

from hypnoscript.project.manifest import CODE_EXISTS, MANIFEST
from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError

TEMPLATES = os.path.join(os.path.dirname(__file__), "templates")
PLACEHOLDER = "{{name}}"


def files(template: str) -> list[str]:
    """The template's files, relative and with `/`, in a stable order."""
    base = os.path.join(TEMPLATES, template)
    out = []
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith((".pyc", ".pyo")):
                continue
            out.append(os.path.relpath(os.path.join(dirpath, name), base).replace(os.sep, "/"))
    return sorted(out, key=lambda p: (p != MANIFEST, p.count("/"), p))


def create(folder: str, name: str, template: str | None) -> list[str]:
    """Write the template into `folder`; refuses to overwrite anything. Returns the files written."""
    template = template or "basic"
    wanted = files(template)
    if os.path.exists(os.path.join(folder, MANIFEST)):
        raise DiagnosticError([Diagnostic(CODE_EXISTS, f"trance.json already exists in {folder}",
                                          path=os.path.join(folder, MANIFEST))])
    clashes = [p for p in wanted if os.path.exists(os.path.join(folder, p))]
    if clashes:
        raise DiagnosticError([Diagnostic(CODE_EXISTS, f"{len(clashes)} file(s) of the {template} template already "
                                                       f"exist in {folder}: {', '.join(clashes)}",
                                          help="start in an empty folder, or move those files away")])
    for rel in wanted:
        with open(os.path.join(TEMPLATES, template, rel), encoding="utf-8") as fh:
            text = fh.read()
        value = json.dumps(name, ensure_ascii=False)[1:-1] if rel.endswith(".json") else name
        target = os.path.join(folder, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8") as fh:
            fh.write(text.replace(PLACEHOLDER, value).rstrip("\n") if rel == MANIFEST else
                     text.replace(PLACEHOLDER, value))
        if rel.endswith(".sh"):
            os.chmod(target, 0o755)
    return wanted


def first_suggestion(folder: str) -> str | None:
    """The suggestion that runs a new project's program (the CLI entry or the demo), if it has one."""
    with open(os.path.join(folder, MANIFEST), encoding="utf-8") as fh:
        data = json.load(fh)
    entry = (data.get("channels") or {}).get("entry")
    suggestions = data.get("suggestions") or {}
    return next((c for c in (entry, "demo") if c in suggestions), None)
