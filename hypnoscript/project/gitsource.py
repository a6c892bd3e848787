"""Fetching packages from git repositories with the `git` command.

A repository is cloned into a temporary folder, the wanted commit is chosen (an explicit `rev`,
else the highest `vX.Y.Z` tag inside the version range, else the default branch) and checked out.
Git never prompts: a repository that needs credentials the environment does not provide fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from hypnoscript.project import versions


class GitError(Exception):
    pass


def _git(args: list[str], cwd: str | None = None) -> str:
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="", LC_ALL="C")
    if shutil.which("git") is None:
        raise GitError("git is not installed (it is needed for git dependencies)")
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
                              check=False)
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} took longer than 10 minutes") from None
    if proc.returncode != 0:
        lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
        raise GitError(lines[-1].removeprefix("fatal: ") if lines else f"git {args[0]} failed")
    return proc.stdout


def clone(url: str, dest: str) -> None:
    _git(["clone", "--quiet", "--no-checkout", url, dest])


def select_commit(repo: str, rev: str | None, range_text: str) -> tuple[str, str | None]:
    """(commit, version from a tag or None) for the clone at `repo`."""
    if rev:
        for candidate in (rev, f"origin/{rev}"):
            try:
                return _git(["rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}"], repo).strip(), None
            except GitError:
                continue
        raise GitError(f"no branch, tag or commit named {rev!r}")
    tags = {}
    for tag in _git(["tag", "--list"], repo).split():
        version = versions.tag_version(tag)
        if version is not None:
            tags[version] = tag
    if tags:
        best = versions.best_match(list(tags), range_text)
        if best is None:
            shown = ", ".join(sorted(tags.values()))
            raise GitError(f"no tag satisfies {range_text} (tags: {shown})")
        return _git(["rev-parse", f"{tags[best]}^{{commit}}"], repo).strip(), best
    try:
        return _git(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], repo).strip(), None
    except GitError:
        pass
    # HEAD of the remote names no branch (a bare repository pushed to under another name):
    # a repository with a single branch still says what it means
    branches = _git(["for-each-ref", "--format=%(refname)", "refs/remotes/origin"], repo).split()
    branches = [b for b in branches if not b.endswith("/HEAD")]
    if len(branches) == 1:
        return _git(["rev-parse", f"{branches[0]}^{{commit}}"], repo).strip(), None
    if not branches:
        raise GitError("the repository has no commits")
    raise GitError("the repository's HEAD names no branch; choose one with --rev")


def checkout(repo: str, commit: str) -> None:
    try:
        _git(["-c", "advice.detachedHead=false", "checkout", "--quiet", commit], repo)
    except GitError as exc:
        raise GitError(f"cannot check out {commit[:12]}: {exc}") from None
