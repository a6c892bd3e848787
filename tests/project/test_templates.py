"""`hyp init --template X`: each starter project validates and passes its own tests."""

from __future__ import annotations

import json
import os

import pytest

from hypnoscript.project import templates

from .helpers import run_cli, write


@pytest.mark.parametrize("template, files", [
    ("cli", ["trance.json", "src/commands.hyp", "src/main.hyp", "tests/smoke.hyp"]),
    ("library", ["trance.json", "src/lib.hyp", "tests/test.hyp"]),
    ("enterprise", ["trance.json", "config/hypnoscript.config.json", "migrations/0001_initial.sql",
                    "migrations/0002_demo_users.sql", "scripts/demo.hyp", "scripts/deploy.sh",
                    "shared/utils.hyp", "tests/auth.hyp", "tests/billing.hyp", "tests/reporting.hyp",
                    "tests/rules.hyp", "modules/auth/auth.hyp", "modules/billing/billing.hyp",
                    "modules/core/rules.hyp", "modules/reporting/reporting.hyp"]),
])
def test_template_validates_and_passes_its_tests(tmp_path, hyp, template, files):
    folder = tmp_path / "shop"
    folder.mkdir()
    r = hyp("init", "--template", template, cwd=folder)
    assert r.code == 0, r.err
    assert templates.files(template) == files
    for rel in files:
        assert (folder / rel).is_file(), rel
        assert "{{name}}" not in (folder / rel).read_text()
    assert json.loads((folder / "trance.json").read_text())["ritualName"] == "shop"
    v = hyp("validate")
    assert v.code == 0, v.err
    assert v.out.startswith("✅ Manifest is valid\n")
    t = hyp("test")
    assert t.code == 0, t.out
    assert t.out.splitlines()[-1].endswith(" passed, 0 failed")


def test_cli_template_reference_manifest(tmp_path, hyp):
    r = hyp("init", "-n", "tool", "-t", "cli", cwd=tmp_path)
    assert r.code == 0
    data = json.loads((tmp_path / "trance.json").read_text())
    assert data["intent"] == "cli"
    assert data["induction"] == {"description": "A HypnoScript CLI application: tool", "entryScript": "src/main.hyp",
                                 "keywords": ["hypnoscript", "cli"], "license": "MIT"}
    assert data["suggestions"] == {"focus": "hypnoscript exec src/main.hyp", "test": "hypnoscript exec tests/smoke.hyp"}
    assert data["channels"] == {"binary": "tool", "entry": "focus",
                                "targets": ["windows-x64", "linux-x64", "macos-universal"],
                                "telemetry": {"enabled": False, "endpoint": None}}


def test_library_template_reference_manifest(tmp_path, hyp):
    hyp("init", "-t", "library", "-n", "lib", cwd=tmp_path)
    data = json.loads((tmp_path / "trance.json").read_text())
    assert data["suggestions"] == {"test": "hypnoscript exec tests/test.hyp",
                                   "build": "hypnoscript compile-wasm src/lib.hyp"}
    assert data["induction"]["keywords"] == ["hypnoscript", "library"] and data["channels"] is None


def test_name_is_escaped_in_json(tmp_path, hyp):
    assert hyp("init", "-n", 'say "hi"', "-t", "enterprise", cwd=tmp_path).code == 0
    assert json.loads((tmp_path / "trance.json").read_text())["ritualName"] == 'say "hi"'
    config = json.loads((tmp_path / "config" / "hypnoscript.config.json").read_text())
    assert config["security"]["auth"]["jwt"]["issuer"] == 'say "hi"'


def test_init_never_overwrites(tmp_path, hyp):
    write(tmp_path / "tests" / "smoke.hyp", "mine")
    r = hyp("init", "-t", "cli", cwd=tmp_path)
    assert r.code == 1 and "tests/smoke.hyp" in r.err
    assert (tmp_path / "tests" / "smoke.hyp").read_text() == "mine"
    assert not (tmp_path / "trance.json").exists()


def test_unknown_template_is_a_usage_error(tmp_path, hyp):
    assert hyp("init", "-t", "website", cwd=tmp_path).code == 2


def test_enterprise_config_wires_the_modules(tmp_path, hyp):
    hyp("init", "-t", "enterprise", "-n", "acme", cwd=tmp_path)
    config = json.loads((tmp_path / "config" / "hypnoscript.config.json").read_text())
    for name, service in config["services"].items():
        module = (tmp_path / service["module"]).read_text()
        handlers = [r["handler"] for r in service.get("routes", [])] + \
                   [e["handler"] for e in service.get("events", [])] + \
                   [s["handler"] for s in service.get("schedules", [])]
        for handler in handlers:
            assert f"suggestion {handler}(" in module, (name, handler)
    assert config["services"]["reporting"]["events"][0]["topic"] == "invoice.created"
    assert os.access(tmp_path / "scripts" / "deploy.sh", os.X_OK)
    demo = hyp("run", "demo")
    assert demo.code == 0, demo.err
    assert "invoice issued: 309.39 EUR" in demo.out and "revenue so far: 309.39 EUR" in demo.out


def test_end_to_end_in_a_child_process(tmp_path):
    r = run_cli("init", "--template", "enterprise", "--name", "acme", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = run_cli("test", "--junit", "report.xml", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[-1] == "19 passed, 0 failed"
    assert (tmp_path / "report.xml").is_file()
    r = run_cli("validate", cwd=tmp_path)
    assert r.returncode == 0 and "✅ Configuration is valid (profiles: prod)" in r.stdout
