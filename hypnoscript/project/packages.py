"""`hyp install`: resolve the manifest's dependencies and put them into `trance_modules/`.

Resolution walks the dependency graph breadth first from the project's anchors and deep anchors
(a package's own anchors come along; its deep anchors do not). Every package is installed once,
flat, as `trance_modules/NAME`; two requirements of one name must agree on the source and be
satisfied by the one version chosen. A git package stays at the commit in `trance-lock.json`
while that still satisfies the manifest; a path package is copied afresh each time.

Installing is atomic: the new `trance_modules/` is assembled in a temporary folder next to it and
swapped in together with the new lock file only once everything is fetched and verified, so a
failure leaves the previous installation and lock untouched. When nothing would change, nothing
is written at all.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import tempfile
from collections import deque
from dataclasses import dataclass
from typing import Self

from hypnoscript.project import gitsource, lockfile, versions
from hypnoscript.project import manifest as manifest_mod
from hypnoscript.project.lockfile import Locked
from hypnoscript.project.manifest import Dependency, Manifest
from hypnoscript.project.modules import PACKAGES
from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError

CODE_INSTALL = "HYP5020"
CODE_CONFLICT = "HYP5021"
CODE_REGISTRY = "HYP5022"
IGNORED = (".git", PACKAGES, ".hypcache")


def tree_integrity(folder: str) -> str:
    """`sha256-<base64>` over every file's relative path and bytes (symlinks by their target)."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(folder):
        entries = [d for d in dirnames if d not in IGNORED]
        dirnames[:] = sorted(d for d in entries if not os.path.islink(os.path.join(dirpath, d)))
        links = [d for d in entries if os.path.islink(os.path.join(dirpath, d))]
        for name in sorted(filenames + links):
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, folder).replace(os.sep, "/")
            if os.path.islink(full):
                data = b"symlink:" + os.readlink(full).encode("utf-8", "surrogateescape")
            else:
                with open(full, "rb") as fh:
                    data = fh.read()
            h.update(rel.encode("utf-8", "surrogateescape") + b"\0" + len(data).to_bytes(8, "big") + data)
    return "sha256-" + base64.b64encode(h.digest()).decode("ascii")


def installed_names(modules: str) -> set[str]:
    """Package folders present under `trance_modules/` (scoped ones as `@scope/name`)."""
    names: set[str] = set()
    if not os.path.isdir(modules):
        return names
    for entry in os.listdir(modules):
        full = os.path.join(modules, entry)
        if entry.startswith("@") and os.path.isdir(full):
            names.update(f"{entry}/{sub}" for sub in os.listdir(full))
        else:
            names.add(entry)
    return names


@dataclass
class _Resolved:
    entry: Locked
    content: str  # the folder holding the package's files
    base: str  # where the package's own relative paths start
    key: tuple  # identity of the source, to detect one name from two places
    wanted_by: str


@dataclass
class Plan:
    entries: dict[str, Locked]
    contents: dict[str, str]
    changed: bool


class Installer:
    """One install run. `report(text, done, total)` is told about progress."""

    def __init__(self, manifest: Manifest, report=None) -> None:
        self.manifest = manifest
        self.root = manifest.root
        self.modules = os.path.join(self.root, PACKAGES)
        self.report = report or (lambda text, done, total: None)
        self.previous = lockfile.load(self.root)
        self.work = tempfile.mkdtemp(prefix=".hyp-install-", dir=self.root)
        self._hashes: dict[str, str] = {}

    def close(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------ resolution

    def plan(self) -> Plan:
        roots = self.manifest.dependencies()
        queue = deque((dep, self.root, None) for dep in roots)
        resolved: dict[str, _Resolved] = {}
        done = 0
        while queue:
            dep, base, parent = queue.popleft()
            self.report(f"resolving {dep.name}", done, done + len(queue) + 1)
            key = self._source_key(dep, base)
            if dep.name in resolved:
                self._check_agrees(resolved[dep.name], dep, key, parent)
                continue
            r = self._resolve(dep, base, key, parent)
            resolved[dep.name] = r
            done += 1
            sub = _package_manifest(dep.name, r.content)
            for child in (sub.dependencies(dev=False) if sub else []):
                queue.append((child, r.base, dep.name))
        self._mark_dev(resolved, [d.name for d in roots if not d.dev])
        entries = {name: r.entry for name, r in resolved.items()}
        contents = {name: r.content for name, r in resolved.items()}
        return Plan(entries, contents, self._differs(entries))

    def _source_key(self, dep: Dependency, base: str) -> tuple:
        if dep.kind == "path":
            return ("path", os.path.normpath(os.path.join(base, dep.location)))
        if dep.kind == "git":
            return ("git", _absolute_url(dep.location, base), dep.rev)
        return ("registry",)

    def _fail(self, dep: Dependency, parent: str | None, message: str, code: str = CODE_INSTALL,
              help: str | None = None) -> DiagnosticError:
        if parent is None:
            doc = self.manifest.doc
            key = "deepAnchors" if dep.dev else "anchors"
            span = doc.span((key, dep.name)) if doc is not None else None
            return DiagnosticError([Diagnostic(code, f"cannot install {dep.name}: {message}", span,
                                               help=help, path=self.manifest.path)])
        return DiagnosticError([Diagnostic(code, f"cannot install {dep.name} (required by {parent}): {message}",
                                           help=help, path=self.manifest.path)])

    def _check_agrees(self, have: _Resolved, dep: Dependency, key: tuple, parent: str | None) -> None:
        who = parent or self.manifest.name
        if have.key != key:
            raise self._fail(dep, parent, f"{have.wanted_by} wants it from {_show_key(have.key)}, "
                                          f"{who} from {_show_key(key)}", CODE_CONFLICT)
        version = have.entry.version
        try:
            fits = versions.satisfies(version, dep.range) if version else dep.range.strip() in ("*", "x")
        except versions.VersionError as exc:
            raise self._fail(dep, parent, str(exc)) from None
        if not fits:
            raise self._fail(dep, parent, f"{who} needs {dep.range}, but {have.wanted_by} settled on "
                                          f"{version or 'an unversioned copy'}", CODE_CONFLICT)

    def _resolve(self, dep: Dependency, base: str, key: tuple, parent: str | None) -> _Resolved:
        try:
            versions.parse_range(dep.range)
        except versions.VersionError as exc:
            raise self._fail(dep, parent, str(exc)) from None
        wanted_by = parent or self.manifest.name
        if dep.kind == "registry":
            raise self._fail(dep, parent, "no package registry is available yet", CODE_REGISTRY,
                             help=f"give it a source: `hyp add {dep.name} --path DIR` or "
                                  f"`hyp add {dep.name} --git URL`")
        if dep.kind == "path":
            folder = key[1]
            if not os.path.isdir(folder):
                raise self._fail(dep, parent, f"folder not found: {folder}")
            version = self._package_version(dep, parent, folder, None, "the folder")
            rel = os.path.relpath(folder, self.root).replace(os.sep, "/")
            entry = Locked(dep.name, version, dep.range, {"type": "path", "path": rel}, self._hash(folder),
                           self._dependencies_of(dep.name, folder), dep.dev)
            return _Resolved(entry, folder, folder, key, wanted_by)
        return self._resolve_git(dep, key, parent, wanted_by)

    def _resolve_git(self, dep: Dependency, key: tuple, parent: str | None, wanted_by: str) -> _Resolved:
        url, rev = key[1], key[2]
        old = self.previous.get(dep.name)
        pinned = None
        if old is not None and old.source.get("type") == "git" and old.source.get("url") == url \
                and old.source.get("rev") == rev and _still_fits(old, dep.range):
            pinned = old
            installed = os.path.join(self.modules, dep.name)
            if os.path.isdir(installed) and self._hash(installed) == old.integrity:
                entry = Locked(dep.name, old.version, dep.range, dict(old.source), old.integrity,
                               dict(old.dependencies), dep.dev)
                return _Resolved(entry, installed, installed, key, wanted_by)
        # git creates the folder itself, with the usual permissions (mkdtemp's are owner-only)
        clone = os.path.join(tempfile.mkdtemp(prefix="git-", dir=self.work), "repo")
        try:
            self.report(f"fetching {dep.name}", 0, None)
            gitsource.clone(url, clone)
            if pinned is not None:
                commit, tag_version = pinned.source["commit"], None
            else:
                commit, tag_version = gitsource.select_commit(clone, rev, dep.range)
            gitsource.checkout(clone, commit)
        except gitsource.GitError as exc:
            raise self._fail(dep, parent, f"git: {exc}") from None
        integrity = self._hash(clone)
        if pinned is not None and integrity != pinned.integrity:
            raise self._fail(dep, parent, f"the files at commit {commit[:12]} do not match the integrity "
                                          f"recorded in {lockfile.LOCK}",
                             help="if the repository was rewritten on purpose, delete the entry from the lock file")
        version = self._package_version(dep, parent, clone, tag_version, f"commit {commit[:12]}")
        source = {"type": "git", "url": url, "rev": rev, "commit": commit}
        entry = Locked(dep.name, version, dep.range, source, integrity, self._dependencies_of(dep.name, clone), dep.dev)
        return _Resolved(entry, clone, clone, key, wanted_by)

    def _package_version(self, dep: Dependency, parent: str | None, folder: str, fallback: str | None,
                         where: str) -> str | None:
        """The package's own `mantra` (or its tag's version), which must satisfy the range."""
        own = _package_manifest(dep.name, folder)
        version = own.version if own is not None else fallback
        spec = versions.parse_range(dep.range)
        if version is None:
            if dep.range.strip() in ("*", "x"):
                return None
            raise self._fail(dep, parent, f"{where} has no trance.json, so no version to match {dep.range}",
                             help="use the version range \"*\" for a package without a manifest")
        try:
            ok = versions.parse_version(version) in spec
        except versions.VersionError as exc:
            raise self._fail(dep, parent, f"its trance.json has an invalid mantra: {exc}") from None
        if not ok:
            raise self._fail(dep, parent, f"{where} has version {version}, which does not satisfy {dep.range}")
        return version

    @staticmethod
    def _dependencies_of(name: str, folder: str) -> dict[str, str]:
        own = _package_manifest(name, folder)
        return {d.name: d.range for d in own.dependencies(dev=False)} if own is not None else {}

    @staticmethod
    def _mark_dev(resolved: dict[str, _Resolved], runtime_roots: list[str]) -> None:
        """A package is a dev package unless a (non-dev) anchor needs it, directly or not."""
        needed: set[str] = set()
        stack = list(runtime_roots)
        while stack:
            name = stack.pop()
            if name in needed or name not in resolved:
                continue
            needed.add(name)
            stack.extend(resolved[name].entry.dependencies)
        for name, r in resolved.items():
            r.entry.dev = name not in needed

    def _hash(self, folder: str) -> str:
        if folder not in self._hashes:
            self._hashes[folder] = tree_integrity(folder)
        return self._hashes[folder]

    def _differs(self, entries: dict[str, Locked]) -> bool:
        try:
            with open(os.path.join(self.root, lockfile.LOCK), encoding="utf-8") as fh:
                on_disk = json.load(fh)
        except (OSError, ValueError):
            return True
        if on_disk != lockfile.to_json(entries):
            return True
        if installed_names(self.modules) != set(entries):
            return True
        return any(self._hash(os.path.join(self.modules, n)) != e.integrity for n, e in entries.items())

    # ------------------------------------------------------------ installation

    def apply(self, plan: Plan) -> None:
        """Stage every package, verify it, then swap the folder and the lock file in."""
        staging = os.path.join(self.work, "staging")
        os.makedirs(staging)
        total = len(plan.entries)
        for done, name in enumerate(sorted(plan.entries)):
            self.report(f"installing {name}", done, total)
            target = os.path.join(staging, name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copytree(plan.contents[name], target, symlinks=True, ignore=shutil.ignore_patterns(*IGNORED))
            if tree_integrity(target) != plan.entries[name].integrity:
                raise DiagnosticError([Diagnostic(CODE_INSTALL, f"cannot install {name}: its files changed while "
                                                                "they were being copied", path=self.manifest.path)])
        self.report("writing the lock file", total, total)
        lockfile.write(self.work, plan.entries)
        self._swap(staging if plan.entries else None, os.path.join(self.work, lockfile.LOCK))

    def _swap(self, staging: str | None, lock_tmp: str) -> None:
        previous = os.path.join(self.work, "previous")
        moved_old = False
        moved_new = False
        try:
            if os.path.lexists(self.modules):
                os.rename(self.modules, previous)
                moved_old = True
            if staging is not None:
                os.rename(staging, self.modules)
                moved_new = True
            os.replace(lock_tmp, os.path.join(self.root, lockfile.LOCK))
        except OSError as exc:
            if moved_new:
                os.rename(self.modules, staging)
            if moved_old:
                os.rename(previous, self.modules)
            raise DiagnosticError([Diagnostic(CODE_INSTALL, f"cannot replace {PACKAGES}: {exc}",
                                              path=self.manifest.path)]) from None


def _package_manifest(name: str, folder: str) -> Manifest | None:
    """A package's own trance.json (None without one); its problems say which package they are in."""
    if not os.path.isfile(os.path.join(folder, "trance.json")):
        return None
    try:
        return manifest_mod.load(folder)
    except DiagnosticError as exc:
        for d in exc.diagnostics:
            d.notes.append(f"in the manifest of the package {name}")
        raise


def _still_fits(old: Locked, range_text: str) -> bool:
    if old.version is None:
        return old.requested == range_text
    try:
        return versions.satisfies(old.version, range_text)
    except versions.VersionError:
        return False


def _absolute_url(url: str, base: str) -> str:
    """A repository given as a relative folder is taken relative to the manifest that names it."""
    if "://" in url or url.startswith("/") or ":" in url.split("/", 1)[0]:
        return url
    return os.path.normpath(os.path.join(base, url))


def _show_key(key: tuple) -> str:
    if key[0] == "path":
        return f"the folder {key[1]}"
    if key[0] == "git":
        return f"git {key[1]}" + (f"#{key[2]}" if key[2] else "")
    return "the registry"
