"""API keys: made with `hyp keys create` in a project, then presented to a real `hyp serve`."""

import json
import os
import statistics
import time

import pytest
from serve_helpers import serving, write_project

from hypnoscript.cli.main import main

ROUTES = [
    {"method": "GET", "path": "/me", "handler": "whoami", "auth": "apikey"},
    {"method": "GET", "path": "/billing", "handler": "whoami", "auth": "apikey", "roles": ["billing"]},
    {"method": "GET", "path": "/finance", "handler": "whoami", "auth": "apikey", "roles": ["finance"]},
    {"method": "GET", "path": "/hello/{name}", "handler": "hello"},
]


@pytest.fixture
def hyp(capsys, monkeypatch):
    """`hyp(*args, cwd=...)` in this process: (exit code, stdout, stderr)."""
    for name in list(os.environ):
        if name.startswith("HYP_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NO_COLOR", "1")

    def run(*args: str, cwd) -> tuple[int, str, str]:
        monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def config_path(root) -> str:
    return os.path.join(str(root), "config", "hypnoscript.config.json")


def config_text(root) -> str:
    with open(config_path(root), encoding="utf-8") as fh:
        return fh.read()


@pytest.fixture
def project(tmp_path):
    return write_project(tmp_path, routes=ROUTES, config={"security": {"auth": {"apikeys": {}}}})


def create(hyp, root, name: str, roles: str = "") -> str:
    code, out, err = hyp("keys", "create", name, "--roles", roles, cwd=root)
    assert (code, err) == (0, ""), err
    return out.splitlines()[-1]


def test_a_created_key_works_with_its_roles_and_only_its_hash_is_stored(hyp, project):
    before = json.loads(config_text(project))
    key = create(hyp, project, "billing-ci", "billing,reports")
    assert key.startswith("hyp_billing-ci_") and len(key) == len("hyp_billing-ci_") + 43
    data = json.loads(config_text(project))
    entry = data["security"]["auth"]["apikeys"]["keys"][0]
    assert (entry["name"], entry["roles"]) == ("billing-ci", ["billing", "reports"])
    assert entry["hash"].startswith("$argon2id$")
    assert data["services"] == before["services"]  # the rest of the file is untouched
    assert key not in config_text(project)
    with serving(project) as server:
        for _ in range(2):  # the second answer comes from the cache of verified keys
            r = server.client.get("/me", headers={"X-API-Key": key})
            assert r.status_code == 200, r.text
            assert r.json() == {"sub": "billing-ci", "name": "billing-ci", "roles": ["billing", "reports"],
                                "claims": {}, "method": "apikey"}
        assert server.client.get("/billing", headers={"X-API-Key": key}).status_code == 200
        r = server.client.get("/finance", headers={"X-API-Key": key})
        assert r.status_code == 403
        assert r.json()["message"] == "this route requires the role finance"
        server.client.get("/me", headers={"X-API-Key": key[:-1] + "x"})
        logs = "\n".join(json.dumps(rec) for rec in server.records())
    assert key not in logs and key[len("hyp_billing-ci_"):] not in logs


def test_wrong_truncated_empty_and_unknown_keys_are_401_alike(hyp, project):
    key = create(hyp, project, "ci", "billing")
    secret = key[len("hyp_ci_"):]
    other = "A" if secret[0] != "A" else "B"
    with serving(project) as server:
        def ask(value: str, header: str = "X-API-Key"):
            return server.client.get("/me", headers={header: value})

        wrong_secret = ask("hyp_ci_" + other + secret[1:])
        unknown_name = ask("hyp_nobody_" + secret)
        for r in (wrong_secret, unknown_name, ask(key[:-1]), ask(key[:20]), ask("not-a-key"), ask(key + "x")):
            assert r.status_code == 401
            assert r.headers["www-authenticate"] == 'ApiKey realm="hyp", header="X-API-Key"'
            body = r.json()
            del body["request_id"]
            assert body == {"status": 401, "error": "Unauthorized", "message": "the API key is not valid"}
            assert secret not in r.text
        assert wrong_secret.content.replace(wrong_secret.json()["request_id"].encode(), b"") == \
            unknown_name.content.replace(unknown_name.json()["request_id"].encode(), b"")
        r = ask("")
        assert (r.status_code, r.json()["message"]) == (401, "the API key is empty")
        for r in (ask(key, "X-Api-Token"), ask(key, "Authorization"), server.client.get("/me")):
            assert r.status_code == 401
            assert r.json()["message"] == "this route requires authentication (apikey)"
        assert ask(key).status_code == 200


@pytest.mark.slow
def test_an_unknown_name_costs_as_much_as_a_wrong_secret(hyp, project):
    key = create(hyp, project, "ci")
    secret = key[len("hyp_ci_"):]
    with serving(project) as server:
        def timed(value: str) -> float:
            start = time.perf_counter()
            assert server.client.get("/me", headers={"X-API-Key": value}).status_code == 401
            return time.perf_counter() - start

        samples = [(timed("hyp_ci_" + secret[::-1]), timed("hyp_nobody_" + secret), timed("junk"))
                   for _ in range(9)]  # interleaved, so a busy machine slows all three alike
    wrong, unknown, malformed = (statistics.median(column) for column in zip(*samples))
    assert wrong > 0.01  # an Argon2 verification, not an early exit
    assert 0.5 < unknown / wrong < 2
    assert 0.5 < malformed / wrong < 2


def test_a_revoked_key_is_refused_after_a_restart(hyp, project):
    kept = create(hyp, project, "kept")
    gone = create(hyp, project, "gone")
    code, out, err = hyp("keys", "revoke", "gone", cwd=project)
    assert (code, err) == (0, "")
    assert out == ('✅ API key "gone" removed from config/hypnoscript.config.json; running servers accept it '
                   "until they restart\n")
    with serving(project) as server:
        assert server.client.get("/me", headers={"X-API-Key": kept}).status_code == 200
        r = server.client.get("/me", headers={"X-API-Key": gone})
        assert (r.status_code, r.json()["message"]) == (401, "the API key is not valid")


def test_a_configured_header_replaces_x_api_key(hyp, tmp_path):
    root = write_project(tmp_path, routes=ROUTES, config={"security": {"auth": {"apikeys": {"header": "X-Token"}}}})
    code, out, _ = hyp("keys", "create", "ci", cwd=root)
    assert "Send it in the X-Token header:" in out
    key = out.splitlines()[-1]
    with serving(root) as server:
        assert server.client.get("/me", headers={"x-token": key}).status_code == 200
        r = server.client.get("/me", headers={"X-API-Key": key})
        assert (r.status_code, r.json()["message"]) == (401, "this route requires authentication (apikey)")


def test_list_shows_names_roles_and_dates_never_hashes(hyp, project):
    assert hyp("keys", "list", cwd=project)[:2] == (0, "No API keys configured\n")
    create(hyp, project, "ci", "billing,reports")
    create(hyp, project, "dashboard")
    code, out, err = hyp("keys", "list", cwd=project)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == ["ci", "dashboard"]
    assert lines[0].endswith("billing, reports") and lines[1].endswith("-")
    assert time.strftime("%Y-%m-%dT", time.gmtime()) in lines[0]
    assert "argon2" not in out and "$" not in out


def test_create_and_revoke_mistakes_are_diagnostics(hyp, project):
    create(hyp, project, "ci")
    before = config_text(project)
    code, out, err = hyp("keys", "create", "ci", cwd=project)
    assert (code, out) == (1, "")
    assert err.startswith('error[HYP5116]: an API key named "ci" exists already\n'
                          f"  --> {config_path(project)}:")
    assert "revoke it first" in err
    code, out, err = hyp("keys", "create", "bad name", cwd=project)
    assert (code, out) == (1, "")
    assert err.startswith('error[HYP5116]: invalid key name "bad name": letters, digits')
    code, _, err = hyp("keys", "create", "ok", "--roles", "a b", cwd=project)
    assert (code, err.splitlines()[0]) == (1, 'error[HYP5116]: invalid role "a b": a role has no spaces or commas')
    code, out, err = hyp("keys", "revoke", "nobody", cwd=project)
    assert (code, out) == (1, "")
    assert err.startswith('error[HYP5116]: no API key named "nobody" (keys: ci)')
    code, _, err = hyp("keys", "create", "x", "--profile", "prod", cwd=project)
    assert (code, err.splitlines()[0]) == (1, 'error[HYP5116]: unknown profile "prod" (profiles: none defined)')
    assert config_text(project) == before
    assert "Traceback" not in err


def test_an_invalid_configuration_is_reported_not_rewritten(hyp, project):
    with open(config_path(project), "w", encoding="utf-8") as fh:
        fh.write('{"security": {"auth": {"apikeys": {"keys": "nope"}}}}')
    code, out, err = hyp("keys", "create", "ci", cwd=project)
    assert (code, out) == (1, "")
    assert "$.security.auth.apikeys.keys: expected a list, got a string" in err
    assert config_text(project) == '{"security": {"auth": {"apikeys": {"keys": "nope"}}}}'


def test_a_profile_gets_its_own_list_starting_from_the_base_keys(hyp, tmp_path):
    root = write_project(tmp_path, routes=ROUTES,
                         config={"security": {"auth": {"apikeys": {}}}, "profiles": {"prod": {"gateway": {}}}})
    base = create(hyp, root, "base")
    code, out, _ = hyp("keys", "create", "ops", "--roles", "finance", "--profile", "prod", cwd=root)
    assert out.splitlines()[0] == ('✅ API key "ops" (roles: finance) added to profile prod of '
                                   "config/hypnoscript.config.json")
    ops = out.splitlines()[-1]
    data = json.loads(config_text(root))
    assert [k["name"] for k in data["security"]["auth"]["apikeys"]["keys"]] == ["base"]
    assert [k["name"] for k in data["profiles"]["prod"]["security"]["auth"]["apikeys"]["keys"]] == ["base", "ops"]
    assert list(data)[-1] == "profiles"
    assert [line.split()[0] for line in hyp("keys", "list", "--profile", "prod", cwd=root)[1].splitlines()] == \
        ["base", "ops"]
    with serving(root) as server:  # the base configuration does not know the profile's key
        assert server.client.get("/me", headers={"X-API-Key": base}).status_code == 200
        assert server.client.get("/me", headers={"X-API-Key": ops}).status_code == 401


def test_keys_outside_a_project_is_a_diagnostic(hyp, tmp_path):
    code, out, err = hyp("keys", "list", cwd=tmp_path)
    assert (code, out) == (1, "")
    assert err.startswith("error[HYP5013]: no trance.json found in")


def test_an_unwritable_audit_log_is_a_diagnostic_after_the_key_is_shown(hyp, tmp_path):
    root = write_project(tmp_path, routes=ROUTES, config={"security": {"auth": {"apikeys": {}},
                                                                       "audit": {"sink": "file:logs"}}})
    os.makedirs(os.path.join(str(root), "logs"))
    code, out, err = hyp("keys", "create", "ci", cwd=root)
    assert code == 1 and out.splitlines()[-1].startswith("hyp_ci_")
    assert "the change is made but not in the audit log: cannot append to the audit log: IsADirectoryError" in err
    assert "Traceback" not in err
    code, out, err = hyp("keys", "revoke", "ci", cwd=root)
    assert code == 1 and out.startswith("✅ API key \"ci\" removed")
    assert "the change is made but not in the audit log" in err


def test_a_configuration_that_cannot_be_written_is_a_diagnostic(hyp, tmp_path):
    root = write_project(tmp_path, routes=ROUTES)
    os.remove(config_path(root))
    os.rmdir(os.path.dirname(config_path(root)))
    with open(os.path.dirname(config_path(root)), "w") as fh:
        fh.write("not a folder")
    code, out, err = hyp("keys", "create", "ci", cwd=root)
    assert (code, out) == (1, "")
    assert "error[HYP5116]: cannot write config/hypnoscript.config.json: File exists" in err
