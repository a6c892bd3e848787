"""trance.json: schema errors with their key paths, syntax errors with positions, versions and ranges."""

from __future__ import annotations

import json

import pytest

from hypnoscript.project import manifest, versions
from hypnoscript.syntax.diagnostics import DiagnosticError

from .helpers import write

BASE = {"ritualName": "app", "mantra": "1.0.0", "intent": "library"}


def problems(tmp_path, data) -> list[str]:
    write(tmp_path / "trance.json", data if isinstance(data, str) else json.dumps(data, indent=2))
    try:
        project = manifest.load(str(tmp_path))
    except DiagnosticError as exc:
        return [d.message for d in exc.diagnostics]
    return [d.message for d in manifest.check(project)]


@pytest.mark.parametrize("extra, expected", [
    ({"ritualName": ""}, "$.ritualName: must not be empty"),
    ({"intent": 3}, "$.intent: expected a string, got a number"),
    ({"anchors": {"foo": 5}}, "$.anchors.foo: expected a string or an object, got a number"),
    ({"anchors": {"../up": "^1"}}, '$.anchors["../up"]: invalid name'),
    ({"anchors": {"a": {"path": 7}}}, "$.anchors.a.path: expected a string, got a number"),
    ({"anchors": {"a": {"git": "u", "tag": "x"}}}, "$.anchors.a.tag: unknown key"),
    ({"deepAnchors": {"a": {"version": "^1"}}}, "$.deepAnchors.a: missing required key"),
    ({"hypnotists": [{"role": "lead"}]}, '$.hypnotists[0]: missing required key "name"'),
    ({"suggestions": {"x": ["hyp", "test"]}}, "$.suggestions.x: expected a string, got a list"),
    ({"channels": {"telemetry": {"enabled": "yes"}}}, "$.channels.telemetry.enabled: expected true or false"),
    ({"induction": {"keywords": "cli"}}, "$.induction.keywords: expected a list, got a string"),
    ({"auras": {"homepage": 1}}, "$.auras.homepage: expected a string (or null), got a number"),
    ({"triggers": {"preFocus": 1}}, "$.triggers.preFocus: expected a string (or null)"),
    ({"scripts": {}}, "$.scripts: unknown key (expected one of:"),
    ({"mantra": "1.0"}, "$.mantra: invalid version"),
    ({"anchors": {"a": "^^1"}}, "$.anchors.a: invalid version requirement"),
    ({"anchors": {"a": {"path": "../a", "version": "one"}}}, "$.anchors.a.version: invalid version requirement"),
    ({"channels": {"entry": "go"}}, "$.channels.entry: names no suggestion"),
])
def test_each_problem_names_its_key(tmp_path, extra, expected):
    found = problems(tmp_path, {**BASE, **extra})
    assert any(m.startswith(expected) for m in found), found


def test_missing_required_keys(tmp_path):
    assert problems(tmp_path, {"ritualName": "x"}) == ['$: missing required key "mantra"',
                                                       '$: missing required key "intent"']


def test_schema_errors_point_at_the_key(tmp_path):
    write(tmp_path / "trance.json", '{\n  "ritualName": "app",\n  "mantra": "1.0.0",\n  "intent": "x",\n'
                                    '  "anchors": {\n    "foo": 5\n  }\n}')
    with pytest.raises(DiagnosticError) as info:
        manifest.load(str(tmp_path))
    d = info.value.diagnostics[0]
    assert (d.code, d.span.line, d.span.col) == ("HYP5012", 6, 5)
    assert d.path == str(tmp_path / "trance.json")


def test_bad_json_has_line_and_column(tmp_path):
    write(tmp_path / "trance.json", '{\n  "ritualName": "app",\n  "mantra": 1.0.0\n}')
    with pytest.raises(DiagnosticError) as info:
        manifest.load(str(tmp_path))
    d = info.value.diagnostics[0]
    assert d.code == "HYP5011" and "not valid JSON" in d.message
    assert (d.span.line, d.span.col) == (3, 16)


def test_not_an_object(tmp_path):
    assert problems(tmp_path, "[1, 2]") == ["$: expected an object"]


def test_missing_manifest(tmp_path):
    with pytest.raises(DiagnosticError) as info:
        manifest.load(str(tmp_path))
    assert info.value.diagnostics[0].code == "HYP5013"


def test_reference_example_is_valid(tmp_path):
    example = {
        "ritualName": "hypno-cli-starter", "mantra": "0.1.0", "intent": "cli",
        "induction": {"description": "d", "entryScript": "src/main.hyp", "keywords": ["a"], "license": "MIT"},
        "hypnotists": [{"name": "Your Name", "role": "Lead", "contact": "mailto:you@example.com"}],
        "auras": {"repository": "r", "homepage": "h", "documentation": "d", "supportChannel": "s"},
        "suggestions": {"focus": "hypnoscript exec src/main.hyp -- help"},
        "anchors": {"hypnoscript-runtime": "^1.0.0"}, "deepAnchors": {"@hypno/testing-lab": "^0.3.0"},
        "channels": {"binary": "hypno-cli", "entry": "focus", "targets": ["linux-x64"],
                     "telemetry": {"enabled": False, "endpoint": ""}},
        "triggers": {"preFocus": "scripts/pre-focus.hyp", "postRelax": "scripts/post-relax.hyp"},
    }
    assert problems(tmp_path, example) == []


def test_dependencies_round_trip_in_schema_order(tmp_path):
    write(tmp_path / "trance.json", json.dumps({"intent": "x", "mantra": "1.0.0", "ritualName": "app"}))
    project = manifest.load(str(tmp_path))
    project.set_dependency(manifest.Dependency("b", "^2", "registry"))
    project.set_dependency(manifest.Dependency("a", "*", "path", "../a"))
    project.set_dependency(manifest.Dependency("g", "~1.2", "git", "file:///r.git", "main", dev=True))
    project.save()
    text = (tmp_path / "trance.json").read_text()
    data = json.loads(text)
    assert list(data)[:4] == ["ritualName", "mantra", "intent", "induction"]
    assert data["anchors"] == {"b": "^2", "a": {"path": "../a"}}
    assert data["deepAnchors"] == {"g": {"version": "~1.2", "git": "file:///r.git", "rev": "main"}}
    again = manifest.load(str(tmp_path))
    assert [d.describe() for d in again.dependencies()] == ["* (path ../a)", "^2", "~1.2 (git file:///r.git#main)"]
    # moving a dependency between the two maps leaves one entry
    again.set_dependency(manifest.Dependency("b", "^2", "registry", dev=True))
    assert "b" not in again.data["anchors"] and again.data["deepAnchors"]["b"] == "^2"


@pytest.mark.parametrize("range_text, yes, no", [
    ("^1.2.3", ["1.2.3", "1.9.0"], ["1.2.2", "2.0.0"]),
    ("^0.3.0", ["0.3.0", "0.3.9"], ["0.4.0", "0.2.9"]),
    ("~1.2.3", ["1.2.3", "1.2.9"], ["1.3.0", "1.2.2"]),
    ("~1.2", ["1.2.0", "1.2.7"], ["1.3.0"]),
    ("1.2.3", ["1.2.3"], ["1.2.4", "1.2.2"]),
    ("*", ["0.0.1", "9.9.9"], []),
    ("1.x", ["1.0.0", "1.99.0"], ["2.0.0"]),
    (">=1.0.0", ["1.0.0", "7.0.0"], ["0.9.9"]),
    (">=1.2 <1.5", ["1.2.0", "1.4.9"], ["1.5.0", "1.1.9"]),
    (">=1.2, <1.5", ["1.3.0"], ["1.5.0"]),
    ("1.0.0 - 2.0.0", ["1.0.0", "2.0.0"], ["2.0.1"]),
    ("^1.0.0 || ^3.0.0", ["1.5.0", "3.1.0"], ["2.0.0"]),
    ("^1.0.0", ["1.2.0"], ["1.3.0-beta.1", "2.0.0-rc.1"]),
])
def test_version_ranges(range_text, yes, no):
    for v in yes:
        assert versions.satisfies(v, range_text), (v, range_text)
    for v in no:
        assert not versions.satisfies(v, range_text), (v, range_text)


def test_version_parsing_errors():
    with pytest.raises(versions.VersionError):
        versions.parse_version("1.0")
    for bad in ("", "^^1", "not a range", "1.2.3.4", "=>1"):
        with pytest.raises(versions.VersionError):
            versions.parse_range(bad)


def test_best_match_and_tags():
    assert versions.best_match(["1.0.0", "1.4.0", "2.0.0", "junk"], "^1.0") == "1.4.0"
    assert versions.best_match(["2.0.0"], "^1.0") is None
    assert versions.tag_version("v1.2.3") == "1.2.3"
    assert versions.tag_version("release-1") is None
