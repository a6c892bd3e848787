"""The package commands against temporary projects: add, remove, list, install from folders and git."""

from __future__ import annotations

import json
import os

from .helpers import git, manifest, package_files, program, write


def lock(root) -> dict:
    return json.loads((root / "trance-lock.json").read_text())["lockedAnchors"]


def snapshot(folder) -> dict:
    """Every file under `folder` with its bytes and modification time."""
    out = {}
    for dirpath, _, filenames in os.walk(folder):
        for name in filenames:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as fh:
                out[os.path.relpath(path, folder)] = (fh.read(), os.stat(path).st_mtime_ns)
    return out


def test_init_writes_the_reference_manifest(tmp_path, hyp):
    folder = tmp_path / "demo"
    folder.mkdir()
    r = hyp("init", cwd=folder)
    assert r.code == 0 and r.out == f"✅ Created trance.json in {folder}\n"
    assert (folder / "trance.json").read_text() == json.dumps({
        "ritualName": "demo", "mantra": "0.1.0", "intent": "library",
        "induction": {"description": "A HypnoScript package", "entryScript": "src/lib.hyp",
                      "keywords": ["hypnoscript"], "license": "MIT"},
        "hypnotists": [], "auras": None, "suggestions": {}, "anchors": {}, "deepAnchors": {},
        "channels": None, "triggers": None}, indent=2)
    again = hyp("init", cwd=folder)
    assert again.code == 1 and "trance.json already exists in" in again.err


def test_add_remove_list(tmp_path, hyp):
    manifest(tmp_path)
    assert hyp("add", "runtime", cwd=tmp_path).out == "✅ Added runtime @ ^1.0.0 to anchors\n"
    assert hyp("add", "@hypno/lab", "--version", "^0.3.0", "--dev").out == \
        "✅ Added @hypno/lab @ ^0.3.0 to deepAnchors\n"
    (tmp_path / "libs" / "util").mkdir(parents=True)
    r = hyp("add", "util", "--path", "libs/util")
    assert r.out == "✅ Added util @ * (path libs/util) to anchors\n"
    r = hyp("add", "colors", "--git", "file:///srv/colors.git", "--rev", "v2", "-v", "~2.1")
    assert r.out == "✅ Added colors @ ~2.1 (git file:///srv/colors.git#v2) to anchors\n"
    data = json.loads((tmp_path / "trance.json").read_text())
    assert data["anchors"] == {"runtime": "^1.0.0", "util": {"path": "libs/util"},
                               "colors": {"version": "~2.1", "git": "file:///srv/colors.git", "rev": "v2"}}
    assert data["deepAnchors"] == {"@hypno/lab": "^0.3.0"}
    listing = hyp("list").out
    assert listing.startswith("📦 app v0.1.0\n\nAnchors (dependencies):\n")
    assert "  runtime @ ^1.0.0  [not installed]" in listing
    assert "\nDeep Anchors (devDependencies):\n  @hypno/lab @ ^0.3.0  [not installed]" in listing
    assert hyp("remove", "runtime").out == "✅ Removed runtime from manifest\n"
    missing = hyp("remove", "runtime")
    assert missing.code == 1 and "Dependency 'runtime' not found in manifest" in missing.err
    assert "runtime" not in json.loads((tmp_path / "trance.json").read_text())["anchors"]


def test_add_rejects_bad_input(tmp_path, hyp):
    manifest(tmp_path)
    assert hyp("add", "x", "--version", "^^1", cwd=tmp_path).code == 2
    assert hyp("add", "../evil").code == 2
    assert hyp("add", "x", "--path", "nowhere").code == 2
    r = hyp("add", "x", "--rev", "main")
    assert r.code == 2 and "--rev needs --git" in r.err
    assert hyp("add", "x", "--path", ".", "--git", "u").code == 2


def test_commands_need_a_manifest(tmp_path, hyp):
    r = hyp("list", cwd=tmp_path)
    assert r.code == 1 and "HYP5013" in r.err and "hyp init" in r.err


def test_list_without_dependencies(tmp_path, hyp):
    manifest(tmp_path)
    assert hyp("list", cwd=tmp_path).out == "📦 app v0.1.0\n\nNo dependencies installed.\n"


def test_install_path_dependency_and_use_it(tmp_path, hyp):
    app = tmp_path / "app"
    manifest(app)
    for rel, text in package_files("greeter", "1.4.0", 'suggestion greet(n) { awaken "hi " + n; }').items():
        write(tmp_path / "greeter" / rel, text)
    assert hyp("add", "greeter", "--path", "../greeter", "--version", "^1.2", cwd=app).code == 0
    r = hyp("install")
    assert r.code == 0, r.err
    assert r.out == ("📦 Installing dependencies for app v0.1.0\n✅ Dependencies installed (1 total)\n"
                     "📝 Lock file written to trance-lock.json\n")
    entry = lock(app)["greeter"]
    assert entry["version"] == "1.4.0" and entry["source"] == {"type": "path", "path": "../greeter"}
    assert entry["integrity"].startswith("sha256-") and entry["dev"] is False
    assert (app / "trance_modules" / "greeter" / "lib.hyp").is_file()
    write(app / "main.hyp", program('mindLink "greeter";\nobserve greet("Ada");'))
    run = hyp("exec", "main.hyp")
    assert (run.code, run.out) == (0, "hi Ada\n")
    assert "[installed 1.4.0]" in hyp("list").out


def test_path_version_must_satisfy_the_range(tmp_path, hyp):
    app = tmp_path / "app"
    manifest(app)
    manifest(tmp_path / "old", name="old", version="0.9.0")
    hyp("add", "old", "--path", "../old", "--version", "^1.0", cwd=app)
    r = hyp("install")
    assert r.code == 1
    assert "cannot install old: the folder has version 0.9.0, which does not satisfy ^1.0" in r.err
    assert not (app / "trance-lock.json").exists() and not (app / "trance_modules").exists()


def test_git_dependency_from_a_bare_repository(tmp_path, hyp, make_repo):
    repo = make_repo("colors")
    first = repo.commit(package_files("colors", "1.0.0", 'suggestion paint(s) { awaken "*" + s + "*"; }'), "v1.0.0")
    second = repo.commit(package_files("colors", "1.1.0", 'suggestion paint(s) { awaken "~" + s + "~"; }'), "v1.1.0")
    repo.commit(package_files("colors", "2.0.0", 'suggestion paint(s) { awaken "!" + s; }'), "v2.0.0")
    app = tmp_path / "app"
    manifest(app)
    assert hyp("add", "colors", "--git", repo.url, "--version", "^1.0", cwd=app).code == 0
    r = hyp("install")
    assert r.code == 0, r.err
    entry = lock(app)["colors"]
    assert entry["version"] == "1.1.0"  # the highest tag inside the range
    assert entry["source"] == {"type": "git", "url": repo.url, "rev": None, "commit": second}
    write(app / "main.hyp", program('mindLink "colors/lib.hyp";\nobserve paint("x");'))
    assert hyp("exec", "main.hyp").out == "~x~\n"
    # an explicit revision wins over the tags
    hyp("add", "colors", "--git", repo.url, "--rev", "v1.0.0")
    assert hyp("install").code == 0
    assert lock(app)["colors"]["source"]["commit"] == first
    assert not os.path.exists(app / "trance_modules" / "colors" / ".git")


def test_git_lock_pins_the_commit(tmp_path, hyp, make_repo):
    repo = make_repo("lib")
    pinned = repo.commit(package_files("lib", "1.0.0"), "v1.0.0")
    app = tmp_path / "app"
    manifest(app)
    hyp("add", "lib", "--git", repo.url, cwd=app)
    assert hyp("install").code == 0
    repo.commit(package_files("lib", "1.0.1"), "v1.0.1")
    # a fresh checkout of the project (no trance_modules) gets the locked commit, not the newer tag
    import shutil

    shutil.rmtree(app / "trance_modules")
    r = hyp("install")
    assert r.code == 0 and "Dependencies installed" in r.out
    assert lock(app)["lib"]["source"]["commit"] == pinned
    assert lock(app)["lib"]["version"] == "1.0.0"
    # asking for a range the pinned version misses resolves again
    hyp("add", "lib", "--git", repo.url, "--version", ">=1.0.1")
    assert hyp("install").code == 0
    assert lock(app)["lib"]["version"] == "1.0.1"


def test_git_branch_without_tags(tmp_path, hyp, make_repo):
    repo = make_repo("plain")
    head = repo.commit({"plain.hyp": program("freeze PLAIN = 1;")})
    app = tmp_path / "app"
    manifest(app)
    hyp("add", "plain", "--git", repo.url, cwd=app)
    r = hyp("install")
    assert r.code == 0, r.err
    assert lock(app)["plain"]["source"]["commit"] == head and lock(app)["plain"]["version"] is None
    hyp("add", "plain", "--git", repo.url, "--version", "^1.0")
    r = hyp("install")
    assert r.code == 1 and "has no trance.json, so no version to match ^1.0" in r.err


def test_install_is_idempotent(tmp_path, hyp, make_repo):
    repo = make_repo("lib")
    repo.commit(package_files("lib", "1.0.0"), "v1.0.0")
    app = tmp_path / "app"
    manifest(app)
    for rel, text in package_files("local", "0.1.0").items():
        write(tmp_path / "local" / rel, text)
    hyp("add", "lib", "--git", repo.url, cwd=app)
    hyp("add", "local", "--path", "../local", "--version", "*", "--dev")
    assert hyp("install").code == 0
    before = snapshot(app)
    r = hyp("install")
    assert r.code == 0
    assert r.out.endswith("✅ Dependencies are up to date (2 total)\n")
    assert snapshot(app) == before
    assert lock(app)["local"]["dev"] is True


def test_failed_install_leaves_everything_as_it_was(tmp_path, hyp, make_repo):
    repo = make_repo("lib")
    repo.commit(package_files("lib", "1.0.0"), "v1.0.0")
    app = tmp_path / "app"
    manifest(app)
    hyp("add", "lib", "--git", repo.url, cwd=app)
    assert hyp("install").code == 0
    before = snapshot(app / "trance_modules")
    lock_before = (app / "trance-lock.json").read_text()
    hyp("add", "broken", "--git", (tmp_path / "no-such-repo.git").as_uri())
    r = hyp("install")
    assert r.code == 1
    assert "cannot install broken: git:" in r.err
    assert snapshot(app / "trance_modules") == before
    assert (app / "trance-lock.json").read_text() == lock_before
    assert not [p for p in os.listdir(app) if p.startswith(".hyp-install-")]


def test_removed_dependencies_are_uninstalled(tmp_path, hyp):
    app = tmp_path / "app"
    manifest(app)
    manifest(tmp_path / "a", name="a")
    hyp("add", "a", "--path", "../a", "--version", "*", cwd=app)
    hyp("install")
    assert (app / "trance_modules" / "a").is_dir()
    hyp("remove", "a")
    assert hyp("install").code == 0
    assert not (app / "trance_modules").exists()
    assert lock(app) == {}


def test_tampered_files_are_restored(tmp_path, hyp, make_repo):
    repo = make_repo("lib")
    repo.commit(package_files("lib", "1.0.0"), "v1.0.0")
    app = tmp_path / "app"
    manifest(app)
    hyp("add", "lib", "--git", repo.url, cwd=app)
    hyp("install")
    installed = app / "trance_modules" / "lib" / "lib.hyp"
    original = installed.read_text()
    installed.write_text("changed")
    r = hyp("install")
    assert r.code == 0 and "Dependencies installed" in r.out
    assert installed.read_text() == original


def test_transitive_dependencies(tmp_path, hyp):
    app = tmp_path / "app"
    manifest(app)
    manifest(tmp_path / "base", name="base", version="2.1.0")
    write(tmp_path / "base" / "base.hyp", program('suggestion base() { awaken "base"; }'))
    manifest(tmp_path / "mid", name="mid", version="1.0.0", anchors={"base": {"path": "../base", "version": "^2"}},
             deepAnchors={"devonly": {"path": "../missing"}})
    write(tmp_path / "mid" / "mid.hyp",
          program('mindLink "base/base.hyp";\nsuggestion mid() { awaken "mid+" + base(); }'))
    hyp("add", "mid", "--path", "../mid", cwd=app)
    r = hyp("install")
    assert r.code == 0, r.err
    locked = lock(app)
    assert sorted(locked) == ["base", "mid"]
    assert locked["mid"]["dependencies"] == {"base": "^2"}
    assert locked["base"]["source"] == {"type": "path", "path": "../base"}
    write(app / "main.hyp", program('mindLink "mid/mid.hyp";\nobserve mid();'))
    assert hyp("exec", "main.hyp").out == "mid+base\n"
    assert "Installed for other packages:\n  base 2.1.0" in hyp("list").out


def test_conflicting_requirements(tmp_path, hyp):
    app = tmp_path / "app"
    manifest(app)
    manifest(tmp_path / "base", name="base", version="1.0.0")
    manifest(tmp_path / "mid", name="mid", anchors={"base": {"path": "../base", "version": "^2"}})
    hyp("add", "base", "--path", "../base", cwd=app)
    hyp("add", "mid", "--path", "../mid")
    r = hyp("install")
    assert r.code == 1
    assert "cannot install base (required by mid): mid needs ^2, but app settled on 1.0.0" in r.err
    manifest(tmp_path / "mid", name="mid", anchors={"base": {"path": "../other"}})
    r = hyp("install")
    assert r.code == 1 and "HYP5021" in r.err and "from the folder" in r.err


def test_registry_packages_are_not_available_yet(tmp_path, hyp):
    manifest(tmp_path, anchors={"hypnoscript-runtime": "^1.0.0"})
    r = hyp("install", cwd=tmp_path)
    assert r.code == 1
    assert "HYP5022" in r.err and "no package registry is available yet" in r.err
    assert "hyp add hypnoscript-runtime --path DIR" in r.err
    assert "trance.json:" in r.err  # points at the anchor


def test_corrupt_lock_file_is_a_diagnostic(tmp_path, hyp):
    manifest(tmp_path)
    write(tmp_path / "trance-lock.json", '{"lockVersion": "2.0.0", "lockedAnchors": {"x": {"requested": 1}}}')
    r = hyp("install", cwd=tmp_path)
    assert r.code == 1 and "trance-lock.json" in r.err and "$.lockedAnchors.x" in r.err


def test_reference_lock_files_are_replaced(tmp_path, hyp):
    manifest(tmp_path)
    write(tmp_path / "trance-lock.json", '{"lockVersion": "1.0.0", "lockedAnchors": {"x": {"version": "^1", '
                                         '"source": "registry", "integrity": null, "dependencies": {}}}}')
    assert hyp("install", cwd=tmp_path).code == 0
    assert json.loads((tmp_path / "trance-lock.json").read_text()) == {"lockVersion": "2.0.0", "lockedAnchors": {}}


def test_installing_does_not_need_a_terminal(tmp_path, hyp):
    manifest(tmp_path)
    r = hyp("install", "--quiet", cwd=tmp_path)
    assert r.code == 0 and "\x1b" not in r.out + r.err
    assert git("--version", cwd=tmp_path).startswith("git version")


def test_a_broken_package_manifest_names_the_package(tmp_path, hyp):
    app = tmp_path / "app"
    manifest(app)
    write(tmp_path / "bad" / "trance.json", '{"ritualName": "bad", "mantra": 1}')
    hyp("add", "bad", "--path", "../bad", cwd=app)
    r = hyp("install")
    assert r.code == 1
    assert "$.mantra: expected a string, got a number" in r.err
    assert "in the manifest of the package bad" in r.err
