"""`trance.json`: the project manifest (name, version, scripts, dependencies).

The keys are the reference's (ritualName, mantra, intent, induction, hypnotists, auras,
suggestions, anchors, deepAnchors, channels, triggers), checked against
`schemas/trance.schema.json`. A dependency is either a version range (a registry package) or an
object naming where it comes from: `{"path": "../lib"}` or `{"git": URL, "rev": REV}`, both with
an optional `version` range that the package's own `mantra` must satisfy.

Files are written like the reference writes them: every key in schema order, absent optional
values as `null`, 2-space indentation.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass

from hypnoscript.project import jsonfile, versions
from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError

MANIFEST = "trance.json"
SCHEMA = "trance.schema.json"
CODE_MISSING = "HYP5013"
CODE_VERSION = "HYP5014"
CODE_EXISTS = "HYP5015"
CODE_REFERENCE = "HYP5016"
CODE_UNKNOWN_DEPENDENCY = "HYP5017"

KEY_ORDER = ("$schema", "ritualName", "mantra", "intent", "induction", "hypnotists", "auras", "suggestions",
             "anchors", "deepAnchors", "channels", "triggers")
_DEFAULTS = {"induction": None, "hypnotists": [], "auras": None, "suggestions": {}, "anchors": {},
             "deepAnchors": {}, "channels": None, "triggers": None}
DEFAULT_RANGE = "^1.0.0"
# what a package name may look like (the schema says the same for the keys of `anchors`)
NAME_PATTERN = jsonfile.schema(SCHEMA)["$defs"]["dependencies"]["propertyNames"]["pattern"]


@dataclass(frozen=True)
class Dependency:
    name: str
    range: str
    kind: str  # registry | path | git
    location: str | None = None  # the folder (path) or repository URL (git)
    rev: str | None = None
    dev: bool = False

    def to_json(self) -> object:
        if self.kind == "registry":
            return self.range
        entry: dict = {"version": self.range} if self.range != "*" else {}
        entry[self.kind] = self.location
        if self.rev:
            entry["rev"] = self.rev
        return entry

    def describe(self) -> str:
        if self.kind == "registry":
            return self.range
        rev = f"#{self.rev}" if self.rev else ""
        return f"{self.range} ({self.kind} {self.location}{rev})"

    @classmethod
    def from_json(cls, name: str, value: object, dev: bool = False) -> Dependency:
        if isinstance(value, str):
            return cls(name, value, "registry", dev=dev)
        assert isinstance(value, dict)  # guaranteed by the schema
        kind = "path" if "path" in value else "git"
        return cls(name, value.get("version", "*"), kind, value[kind], value.get("rev"), dev)


class Manifest:
    def __init__(self, root: str, data: dict, doc: jsonfile.JsonFile | None = None) -> None:
        self.root = root
        self.data = data
        self.doc = doc

    @property
    def path(self) -> str:
        return os.path.join(self.root, MANIFEST)

    @property
    def name(self) -> str:
        return self.data["ritualName"]

    @property
    def version(self) -> str:
        return self.data["mantra"]

    @property
    def suggestions(self) -> dict[str, str]:
        return self.data.get("suggestions") or {}

    def dependencies(self, dev: bool | None = None) -> list[Dependency]:
        """Anchors (dev=False), deep anchors (dev=True) or both (None), sorted by name."""
        out = []
        for key, is_dev in (("anchors", False), ("deepAnchors", True)):
            if dev is None or dev == is_dev:
                for name, value in sorted((self.data.get(key) or {}).items()):
                    out.append(Dependency.from_json(name, value, is_dev))
        return out

    def set_dependency(self, dep: Dependency) -> None:
        key, other = ("deepAnchors", "anchors") if dep.dev else ("anchors", "deepAnchors")
        self.data.setdefault(key, {})[dep.name] = dep.to_json()
        (self.data.get(other) or {}).pop(dep.name, None)

    def remove_dependency(self, name: str) -> bool:
        removed = False
        for key in ("anchors", "deepAnchors"):
            if name in (self.data.get(key) or {}):
                del self.data[key][name]
                removed = True
        return removed

    def save(self) -> None:
        write_json(self.path, ordered(self.data))


def ordered(data: dict) -> dict:
    """The manifest's keys in schema order, every optional key present."""
    out = {}
    for key in KEY_ORDER:
        if key in data:
            out[key] = data[key]
        elif key in _DEFAULTS:
            out[key] = json.loads(json.dumps(_DEFAULTS[key]))
    return out


def write_json(path: str, data: object, trailing_newline: bool = False) -> None:
    """Write atomically (a temporary file renamed over the target), 2-space indented."""
    text = json.dumps(data, indent=2, ensure_ascii=False) + ("\n" if trailing_newline else "")
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def find_root(start: str) -> str | None:
    from hypnoscript.project.modules import project_root

    return project_root(start)


def require_root(start: str) -> str:
    """The project root at or above `start`; a diagnostic when there is none."""
    root = find_root(start)
    if root is None:
        raise DiagnosticError([Diagnostic(CODE_MISSING, f"no {MANIFEST} found in {os.path.abspath(start)} or above",
                                          help="create a project with `hyp init`")])
    return root


def load(root: str) -> Manifest:
    """Read and schema-check `root/trance.json`; raises DiagnosticError listing every problem."""
    path = os.path.join(root, MANIFEST)
    if not os.path.isfile(path):
        raise DiagnosticError([Diagnostic(CODE_MISSING, f"no {MANIFEST} found in {root}", path=path,
                                          help="create one with `hyp init`")])
    doc = jsonfile.read(path, MANIFEST)
    if not isinstance(doc.data, dict):
        raise DiagnosticError([doc.diagnostic(jsonfile.CODE_SCHEMA, (), "expected an object")])
    errors = jsonfile.validate(doc, SCHEMA)
    if errors:
        raise DiagnosticError(errors)
    return Manifest(root, doc.data, doc)


def check(manifest: Manifest) -> list[Diagnostic]:
    """The checks beyond the schema: versions and ranges parse, the CLI entry names a suggestion."""
    doc = manifest.doc
    assert doc is not None
    diags = []
    try:
        versions.parse_version(manifest.version)
    except versions.VersionError as exc:
        diags.append(doc.diagnostic(CODE_VERSION, ("mantra",), f"invalid version: {exc}"))
    for dep in manifest.dependencies():
        key = "deepAnchors" if dep.dev else "anchors"
        try:
            versions.parse_range(dep.range)
        except versions.VersionError as exc:
            where = (key, dep.name) if dep.kind == "registry" else (key, dep.name, "version")
            diags.append(doc.diagnostic(CODE_VERSION, where, f"invalid version requirement: {exc}"))
    channels = manifest.data.get("channels") or {}
    entry = channels.get("entry")
    if entry and entry not in manifest.suggestions:
        defined = ", ".join(sorted(manifest.suggestions)) or "none"
        diags.append(doc.diagnostic(CODE_REFERENCE, ("channels", "entry"), f"names no suggestion (defined: {defined})"))
    return diags
