"""LDAP authentication in hyp serve against a real slapd: HTTP Basic credentials checked by a bind
as the user (at a DN from userDnTemplate, or found by a search with bindDn), groups as roles,
injection through the user name, the cache of successes, and a server that is down."""

import base64
import os
import socket
import time

import httpx
import pytest
from ldap_server import PEOPLE, READER_DN, READER_PASSWORD, SUFFIX, ldap_server, slapd  # noqa: F401
from serve_helpers import free_port, hyp_serve, serving, wait_ready, write_project

from hypnoscript.services.security import ldap_auth
from hypnoscript.syntax.diagnostics import DiagnosticError

ROUTES = [
    {"method": "GET", "path": "/me", "handler": "whoami", "auth": "ldap"},
    {"method": "GET", "path": "/billing", "handler": "whoami", "auth": "ldap", "roles": ["billing"]},
    {"method": "GET", "path": "/open/{name}", "handler": "hello"},
]
ADA_DN = f"uid=ada,ou=people,{SUFFIX}"
ADA = ("ada", PEOPLE["ada"][0])
GRACE = ("grace", PEOPLE["grace"][0])
WRONG = "not-adas-password-42"
UNREACHABLE = "the directory server cannot be reached now; try again later"
INJECTIONS = ["*", "admin)(|(uid=*", "uid=x,ou=people", "admin\x00", "*)(uid=*))(|(uid=*", "admin,ou=people," + SUFFIX,
              "ada+cn=ada", "#ada", " ada", "a\\2a"]


def basic(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def ldap_settings(url: str, mode: str, **extra) -> dict:
    if mode == "template":
        settings = {"url": url, "userDnTemplate": f"uid={{user}},ou=people,{SUFFIX}", "baseDn": SUFFIX}
    else:
        settings = {"url": url, "bindDn": READER_DN, "bindPassword": READER_PASSWORD, "baseDn": SUFFIX}
    return {**settings, "cacheSeconds": 0, **extra}


def project(root, settings: dict) -> str:
    return write_project(root, routes=ROUTES, config={"security": {"auth": {"ldap": settings}}})


@pytest.fixture(scope="module", params=["template", "search"])
def server(request, ldap_server, tmp_path_factory):  # noqa: F811
    root = project(tmp_path_factory.mktemp("ldap-project"), ldap_settings(ldap_server.url, request.param))
    with serving(root) as running:
        yield running


def assert_401(r, message: str, *secrets: str) -> None:
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"] == 'Basic realm="hyp"'
    body = r.json()
    assert (body["status"], body["error"], body["message"]) == (401, "Unauthorized", message)
    for secret in (*secrets, READER_PASSWORD, "Traceback", "ldap3"):
        assert secret not in r.text


def test_the_right_password_reaches_the_handler_with_groups_as_roles(server):
    r = server.client.get("/me", headers=basic(*ADA))
    assert r.status_code == 200, r.text
    assert r.json() == {"sub": ADA_DN, "name": "ada", "roles": ["billing", "staff"], "claims": {"dn": ADA_DN},
                        "method": "ldap"}
    r = server.client.get("/billing", headers=basic(*ADA))
    assert (r.status_code, r.json()["roles"]) == (200, ["billing", "staff"])


def test_a_user_without_the_routes_role_is_403(server):
    assert server.client.get("/me", headers=basic(*GRACE)).json()["roles"] == ["staff"]
    r = server.client.get("/billing", headers=basic(*GRACE))
    assert r.status_code == 403
    assert r.json()["message"] == "this route requires the role billing"
    assert GRACE[1] not in r.text


def test_bad_credentials_are_401_with_a_basic_challenge(server):
    assert_401(server.client.get("/me", headers=basic("ada", WRONG)), "the user name or password is wrong", WRONG)
    assert_401(server.client.get("/me", headers=basic("ada", GRACE[1])), "the user name or password is wrong",
               GRACE[1])
    assert_401(server.client.get("/me", headers=basic("nobody", ADA[1])), "the user name or password is wrong",
               ADA[1])
    assert_401(server.client.get("/me", headers=basic("ada", "")), "the password is empty")
    assert_401(server.client.get("/me", headers=basic("", ADA[1])), "the user name is empty", ADA[1])
    assert_401(server.client.get("/me", headers=basic("a" * 257, WRONG)), "the user name is too long", WRONG)


def test_sub_is_the_dn_as_the_directory_spells_it(server):
    r = server.client.get("/me", headers=basic("ADA", ADA[1]))
    assert (r.status_code, r.json()["sub"], r.json()["name"]) == (200, ADA_DN, "ADA")


def test_missing_and_malformed_credentials_are_401(server):
    assert_401(server.client.get("/me"), "this route requires authentication (ldap)")
    assert_401(server.client.get("/me", headers={"Authorization": "Bearer abc"}),
               "this route requires authentication (ldap)")
    malformed = ["Basic", "Basic !!!not-base64!!!", "Basic " + base64.b64encode(b"no-colon").decode(),
                 "Basic " + base64.b64encode(b"ada:\xff\xfe").decode(), "Basic " + "QUFB" * 3000]
    for value in malformed:
        assert_401(server.client.get("/me", headers={"Authorization": value}), "the Basic credentials are malformed")
    # the scheme is case-insensitive
    r = server.client.get("/me", headers={"Authorization": basic(*ADA)["Authorization"].replace("Basic", "bAsIc")})
    assert r.status_code == 200
    assert server.client.get("/open/x").status_code == 200


def test_ldap_and_dn_injection_in_the_user_name_is_refused(server):
    for user in INJECTIONS:
        for password in (ADA[1], PEOPLE["admin"][0], WRONG):
            r = server.client.get("/me", headers=basic(user, password))
            assert_401(r, "the user name contains characters that are not allowed", password)


def test_without_the_character_check_escaping_alone_still_refuses_injection(server, ldap_server,  # noqa: F811
                                                                             monkeypatch):
    monkeypatch.setattr(ldap_auth, "check_user", lambda user: None)
    before = ldap_server.binds(f"uid=admin,ou=people,{SUFFIX}")
    for user in INJECTIONS:
        for password in (ADA[1], PEOPLE["admin"][0]):
            r = server.client.get("/me", headers=basic(user, password))
            if (user, password) == (" ada", ADA[1]):  # the server ignores the escaped space: ada's entry and password
                assert (r.status_code, r.json()["sub"]) == (200, ADA_DN)
                continue
            assert r.status_code == 401, (user, r.text)
            assert r.json()["message"] in ("the user name or password is wrong",
                                           "the directory server refused the sign-in")
    assert ldap_server.binds(f"uid=admin,ou=people,{SUFFIX}") == before
    assert server.client.get("/me", headers=basic(*ADA)).status_code == 200


def wait_for(predicate, timeout: float = 2.0) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_successes_are_cached_for_cache_seconds(tmp_path):
    with slapd(str(tmp_path / "slapd")) as directory:
        root = project(tmp_path / "project", ldap_settings(directory.url, "template", cacheSeconds=2))
        with serving(root) as server:
            started = time.monotonic()
            assert server.client.get("/me", headers=basic(*ADA)).status_code == 200
            assert wait_for(lambda: directory.binds(ADA_DN) == 1)
            assert server.client.get("/billing", headers=basic(*ADA)).json()["roles"] == ["billing", "staff"]
            time.sleep(0.2)
            assert directory.binds(ADA_DN) == 1
            # the cache is keyed by user and password: another password goes to the server
            assert_401(server.client.get("/me", headers=basic("ada", WRONG)), "the user name or password is wrong",
                       WRONG)
            assert wait_for(lambda: directory.binds(ADA_DN) == 2)
            directory.stop()
            r = server.client.get("/me", headers=basic(*ADA))
            assert time.monotonic() - started < 2
            assert (r.status_code, r.json()["sub"]) == (200, ADA_DN)
            time.sleep(max(0.0, started + 2.3 - time.monotonic()))
            assert_401(server.client.get("/me", headers=basic(*ADA)), UNREACHABLE, ADA[1])


def test_a_server_that_does_not_answer_times_out_into_401(tmp_path):
    with socket.socket() as silent:  # accepts connections (the backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"ldap://127.0.0.1:{silent.getsockname()[1]}"
        with serving(project(tmp_path, ldap_settings(url, "template", timeout=1))) as server:
            started = time.monotonic()
            r = server.client.get("/me", headers=basic(*ADA))
            elapsed = time.monotonic() - started
    assert_401(r, UNREACHABLE, ADA[1])
    assert 0.9 < elapsed < 3


def test_slapd_down_is_401_with_a_clear_message_logged_once(tmp_path):
    url = f"ldap://127.0.0.1:{free_port()}"
    project(tmp_path, ldap_settings(url, "search", timeout=2))
    port = free_port()
    proc = hyp_serve(tmp_path, port=port)
    try:
        wait_ready(port, proc)
        for _ in range(3):
            r = httpx.get(f"http://127.0.0.1:{port}/me", headers=basic(*ADA), timeout=10)
            assert_401(r, UNREACHABLE, ADA[1])
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=20)
    with open(os.path.join(tmp_path, "serve.log")) as fh:
        log = fh.read()
    assert [line for line in stderr.splitlines() if "cannot be reached" in line] == [
        f"the LDAP server {url} cannot be reached: socket connection error while opening: "
        "[Errno 111] Connection refused"]
    assert "Traceback" not in stderr + log
    assert READER_PASSWORD not in stderr + log


@pytest.mark.parametrize(("settings", "message"), [
    ({}, "$.security.auth.ldap.url: set userDnTemplate (e.g. uid={user},ou=people,dc=example,dc=org), "
         "or bindDn and bindPassword to search for the user"),
    ({"userDnTemplate": "uid=ada,ou=people"},
     "$.security.auth.ldap.userDnTemplate: userDnTemplate must contain {user}"),
    ({"bindDn": READER_DN, "baseDn": SUFFIX}, "$.security.auth.ldap.bindDn: bindDn needs bindPassword too"),
    ({"bindDn": READER_DN, "bindPassword": "x"},
     "$.security.auth.ldap.bindDn: bindDn needs baseDn, where the user is searched"),
    ({"userDnTemplate": "uid={user}", "groupFilter": "(member={dn}"},
     "$.security.auth.ldap.groupFilter: groupFilter is not a valid LDAP filter such as (member={dn})"),
])
def test_an_unusable_configuration_stops_start_up(tmp_path, settings, message):
    root = project(tmp_path, {"url": "ldap://127.0.0.1:1", **settings})
    with pytest.raises(DiagnosticError) as error:
        with serving(root):
            pass
    diagnostic = error.value.diagnostics[0]
    assert diagnostic.message == message
    assert diagnostic.path == os.path.join(root, "config", "hypnoscript.config.json")
    assert diagnostic.span is not None


@pytest.fixture(scope="module")
def tls_slapd(tmp_path_factory):
    with slapd(str(tmp_path_factory.mktemp("slapd-tls")), tls=True) as directory:
        yield directory


@pytest.mark.parametrize("transport", ["ldaps", "startTls"])
def test_tls_verifies_the_servers_certificate(tmp_path, tls_slapd, monkeypatch, transport):
    if transport == "ldaps":
        settings = ldap_settings(tls_slapd.ldaps_url, "search")
    else:
        settings = ldap_settings(tls_slapd.url, "search", startTls=True)
    with serving(project(tmp_path, settings)) as server:
        monkeypatch.setenv("SSL_CERT_FILE", tls_slapd.ca)
        r = server.client.get("/me", headers=basic(*ADA))
        assert (r.status_code, r.json()["roles"]) == (200, ["billing", "staff"])
        # a certificate that no trusted CA signed is an unreachable server, not a sign-in
        monkeypatch.setenv("SSL_CERT_FILE", os.path.join(str(tmp_path), "no-such-bundle.pem"))
        assert_401(server.client.get("/me", headers=basic(*GRACE)), UNREACHABLE, GRACE[1])


def test_tls_checks_the_host_name(tmp_path, tls_slapd, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", tls_slapd.ca)
    url = tls_slapd.ldaps_url.replace("localhost", "127.0.0.1")  # the certificate names localhost only
    with serving(project(tmp_path, ldap_settings(url, "template"))) as server:
        assert_401(server.client.get("/me", headers=basic(*ADA)), UNREACHABLE, ADA[1])
