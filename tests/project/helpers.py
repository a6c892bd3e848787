"""Helpers for the project-layer tests: files, manifests, git repositories, child processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass


@dataclass
class Result:
    code: int
    out: str
    err: str


def write(path, text: str) -> str:
    os.makedirs(os.path.dirname(str(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return str(path)


def manifest(folder, name="app", version="0.1.0", **extra) -> str:
    data = {"ritualName": name, "mantra": version, "intent": "library", **extra}
    return write(os.path.join(folder, "trance.json"), json.dumps(data, indent=2))


def program(body: str) -> str:
    return "Focus {\n" + body + "\n} Relax\n"


def git(*args: str, cwd) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.org", GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


class Repo:
    """A work tree pushing to a bare repository, which packages are installed from (file:// URL)."""

    def __init__(self, root, name: str) -> None:
        self.work = root / f"{name}-work"
        self.bare = root / f"{name}.git"
        self.work.mkdir()
        git("init", "-q", "-b", "main", cwd=self.work)
        git("init", "-q", "--bare", str(self.bare), cwd=root)
        self.url = self.bare.as_uri()

    def commit(self, files: dict[str, str], tag: str | None = None) -> str:
        for rel, text in files.items():
            write(self.work / rel, text)
        git("add", "-A", cwd=self.work)
        git("commit", "-q", "-m", "change", cwd=self.work)
        if tag:
            git("tag", tag, cwd=self.work)
        git("push", "-q", str(self.bare), "HEAD:refs/heads/main", "--tags", cwd=self.work)
        return git("rev-parse", "HEAD", cwd=self.work).strip()


def package_files(name: str, version: str, body: str = 'suggestion hello() { awaken "hi"; }', **extra) -> dict:
    data = {"ritualName": name, "mantra": version, "intent": "library",
            "induction": {"entryScript": "lib.hyp"}, **extra}
    return {"trance.json": json.dumps(data), "lib.hyp": program(body)}


def run_cli(*args: str, cwd) -> subprocess.CompletedProcess:
    """`python -m hypnoscript ...` in a child process (for the few end-to-end checks)."""
    return subprocess.run([sys.executable, "-m", "hypnoscript", *args], cwd=cwd, capture_output=True, text=True,
                          check=False, timeout=120)
