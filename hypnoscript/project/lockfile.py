"""`trance-lock.json`: exactly what `hyp install` put into `trance_modules/`.

```json
{
  "lockVersion": "2.0.0",
  "lockedAnchors": {
    "utils": {
      "version": "1.2.0",                 the version installed (the package's own `mantra`)
      "requested": "^1.0.0",              the range it was resolved against
      "source": {"type": "git", "url": "https://...", "rev": "v1.2.0", "commit": "<sha>"},
      "integrity": "sha256-<base64>",     hash of the installed files
      "dependencies": {"colors": "^0.3.0"},
      "dev": false
    }
  }
}
```

`source.type` is `path` (with `path`, relative to the project root), `git` (`url`, the `rev`
asked for or null, the resolved `commit`) or `registry` (`registry`, its URL, once one exists):
new kinds of source add a `type`, never change the format. Lock files written by the reference
(`lockVersion` 1.0.0, which locked nothing) are read as empty.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from hypnoscript.project import jsonfile
from hypnoscript.project.manifest import write_json
from hypnoscript.syntax.diagnostics import DiagnosticError

LOCK = "trance-lock.json"
LOCK_VERSION = "2.0.0"
SCHEMA = "trance-lock.schema.json"


@dataclass
class Locked:
    name: str
    version: str | None
    requested: str
    source: dict
    integrity: str
    dependencies: dict[str, str] = field(default_factory=dict)
    dev: bool = False

    def to_json(self) -> dict:
        return {"version": self.version, "requested": self.requested, "source": dict(self.source),
                "integrity": self.integrity, "dependencies": dict(sorted(self.dependencies.items())),
                "dev": self.dev}

    @classmethod
    def from_json(cls, name: str, data: dict) -> Locked:
        return cls(name, data.get("version"), data["requested"], dict(data["source"]), data["integrity"],
                   dict(data.get("dependencies") or {}), bool(data.get("dev", False)))


def to_json(entries: dict[str, Locked]) -> dict:
    return {"lockVersion": LOCK_VERSION,
            "lockedAnchors": {name: entries[name].to_json() for name in sorted(entries)}}


def load(root: str) -> dict[str, Locked]:
    """The locked packages (empty without a lock file); a corrupt lock file is a diagnostic."""
    path = os.path.join(root, LOCK)
    if not os.path.isfile(path) or os.path.getsize(path) == 0:
        return {}
    doc = jsonfile.read(path, LOCK)
    if isinstance(doc.data, dict) and doc.data.get("lockVersion") != LOCK_VERSION:
        return {}
    errors = jsonfile.validate(doc, SCHEMA)
    if errors:
        raise DiagnosticError(errors)
    return {name: Locked.from_json(name, data) for name, data in doc.data["lockedAnchors"].items()}


def write(root: str, entries: dict[str, Locked]) -> None:
    write_json(os.path.join(root, LOCK), to_json(entries), trailing_newline=True)
