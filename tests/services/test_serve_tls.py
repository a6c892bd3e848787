"""TLS in hyp serve and hyp worker: a real server process with a certificate made by `hyp cert dev`
speaks HTTPS only, refuses protocol versions below the minimum, sends HSTS, and a certificate that
cannot serve stops start-up with a diagnostic naming the configuration key."""

import contextlib
import json
import os
import signal
import socket
import ssl
import stat
import subprocess
import sys
import threading
import time
import warnings

import httpx
import pytest
from serve_helpers import free_port, hyp_serve, write_project

CERT = "config/tls/dev.crt"
KEY = "config/tls/dev.key"


def hyp(root, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYP_")}
    return subprocess.run([sys.executable, "-m", "hypnoscript", *args], cwd=str(root), capture_output=True,
                          text=True, timeout=60, env=env)


def tls_project(tmp_path, **tls) -> str:
    root = write_project(tmp_path, config={"security": {
        "auth": {"jwt": {"secret": "x" * 40}},
        "tls": {"cert": CERT, "key": KEY, **tls}}})
    done = hyp(root, "cert", "dev")
    assert done.returncode == 0, done.stderr
    return root


def trust(cafile: str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=cafile)


def wait_https(port: int, proc: subprocess.Popen, cafile: str, timeout: float = 20.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"hyp exited with {proc.returncode}: {proc.stderr.read()}")
        try:
            if httpx.get(f"https://127.0.0.1:{port}/readyz", verify=trust(cafile), timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError("the server did not become ready over HTTPS")


@contextlib.contextmanager
def served(root, *args: str):
    port = free_port()
    proc = hyp_serve(root, *args, port=port)
    try:
        wait_https(port, proc, os.path.join(root, CERT))
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0


def client_context(cafile: str, newest: ssl.TLSVersion) -> ssl.SSLContext:
    """A client that speaks at most `newest`, old versions allowed (security level 0), trusting `cafile`."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cafile)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = newest
    return context


def handshake(port: int, context: ssl.SSLContext) -> str:
    """The protocol version agreed with the server on `port`, or the handshake's error."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        try:
            with context.wrap_socket(raw, server_hostname="localhost") as tls:
                return tls.version()
        except (ssl.SSLError, ConnectionError) as error:
            return f"refused: {error}"


def permissive_server(root: str) -> int:
    """A one-connection TLS server accepting TLS 1.0 and later: it shows that the old clients below
    can really connect, so that hyp serve's refusal is its own."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        context.minimum_version = ssl.TLSVersion.TLSv1
    context.load_cert_chain(os.path.join(root, CERT), os.path.join(root, KEY))
    listener = socket.create_server(("127.0.0.1", 0))

    def accept() -> None:
        conn, _ = listener.accept()
        with contextlib.suppress(ssl.SSLError, OSError):
            context.wrap_socket(conn, server_side=True).close()
        listener.close()

    threading.Thread(target=accept, daemon=True).start()
    return listener.getsockname()[1]


def test_cert_dev_writes_a_localhost_certificate_and_a_private_key(tmp_path):
    from cryptography import x509

    root = write_project(tmp_path)
    done = hyp(root, "cert", "dev", "--days", "30")
    assert done.returncode == 0, done.stderr
    snippet = done.stdout[done.stdout.index("{"):done.stdout.rindex("}") + 1]
    assert json.loads(snippet) == {"security": {"tls": {"cert": CERT, "key": KEY}}}
    assert stat.S_IMODE(os.stat(os.path.join(root, KEY)).st_mode) == 0o600
    with open(os.path.join(root, CERT), "rb") as fh:
        cert = x509.load_pem_x509_certificate(fh.read())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1", "::1"]
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert round(lifetime.total_seconds() / 86400) == 30
    again = hyp(root, "cert", "dev")
    assert again.returncode == 2
    assert "config/tls/dev.crt already exists (--force replaces it)" in again.stderr
    assert hyp(root, "cert", "dev", "--force", "--out", "certs").returncode == 0
    assert os.path.isfile(os.path.join(root, "certs", "dev.key"))


def test_https_serves_with_hsts_and_plain_http_is_refused(tmp_path):
    root = tls_project(tmp_path, hstsMaxAge=600)
    cafile = os.path.join(root, CERT)
    with served(root) as port:
        r = httpx.get(f"https://localhost:{port}/hello/Ada", verify=trust(cafile))
        assert r.status_code == 200
        assert r.json()["message"] == "Hallo Ada"
        assert r.headers["strict-transport-security"] == "max-age=600"
        missing = httpx.get(f"https://127.0.0.1:{port}/nowhere", verify=trust(cafile))
        assert missing.status_code == 404
        assert missing.headers["strict-transport-security"] == "max-age=600"
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/hello/Ada", timeout=5)
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"https://127.0.0.1:{port}/hello/Ada", timeout=5)  # not trusted by default


def test_tls_1_1_is_refused_and_1_2_accepted(tmp_path):
    root = tls_project(tmp_path)
    cafile = os.path.join(root, CERT)
    old = client_context(cafile, ssl.TLSVersion.TLSv1_1)
    assert handshake(permissive_server(root), old) == "TLSv1.1"
    with served(root) as port:
        assert handshake(port, old).startswith("refused")
        assert handshake(port, client_context(cafile, ssl.TLSVersion.TLSv1_2)) == "TLSv1.2"
        r = httpx.get(f"https://127.0.0.1:{port}/hello/x", verify=trust(cafile))
        assert r.headers["strict-transport-security"] == "max-age=31536000"


def test_min_version_1_3_refuses_a_1_2_client_with_two_workers(tmp_path):
    root = tls_project(tmp_path, minVersion="1.3", hstsMaxAge=0)
    cafile = os.path.join(root, CERT)
    only_1_2 = client_context(cafile, ssl.TLSVersion.TLSv1_2)
    assert handshake(permissive_server(root), only_1_2) == "TLSv1.2"
    with served(root, "--workers", "2") as port:
        for _ in range(6):  # new connections, spread over both workers
            assert handshake(port, only_1_2).startswith("refused")
            assert handshake(port, client_context(cafile, ssl.TLSVersion.TLSv1_3)) == "TLSv1.3"
        r = httpx.get(f"https://127.0.0.1:{port}/hello/x", verify=trust(cafile))
        assert r.status_code == 200
        assert "strict-transport-security" not in r.headers


@pytest.mark.parametrize("tls, key, message", [
    ({"cert": "config/tls/missing.crt"}, "cert", "file not found: config/tls/missing.crt"),
    ({"key": "config/tls/dev.crt"}, "key", "config/tls/dev.crt is not a PEM private key"),
    ({"cert": "trance.json"}, "cert", "trance.json is not a PEM certificate"),
    ({"key": "other/dev.key"}, "key", "other/dev.key is not the key of the certificate config/tls/dev.crt"),
])
def test_a_certificate_that_cannot_serve_stops_start_up(tmp_path, tls, key, message):
    root = tls_project(tmp_path)
    assert hyp(root, "cert", "dev", "--out", "other").returncode == 0
    path = os.path.join(root, "config", "hypnoscript.config.json")
    with open(path) as fh:
        config = json.load(fh)
    config["security"]["tls"].update(tls)
    with open(path, "w") as fh:
        json.dump(config, fh)
    with open(os.path.join(root, KEY)) as fh:
        secret_line = fh.read().splitlines()[1]
    for args in ((), ("--workers", "2")):
        done = hyp(root, "serve", "--port", str(free_port()), *args)
        assert done.returncode == 1
        assert f"$.security.tls.{key}: {message}" in done.stderr
        assert "Traceback" not in done.stderr
        assert secret_line not in done.stderr


WORKER_MODULE = """Focus {
    suggestion tick() {
        awaken true;
    }
} Relax
"""


def test_hyp_worker_serves_its_port_over_the_same_tls(tmp_path):
    root = write_project(tmp_path, module=WORKER_MODULE, routes=[], config={"security": {
        "auth": {"jwt": {"secret": "x" * 40}}, "tls": {"cert": CERT, "key": KEY, "hstsMaxAge": 60}}})
    path = os.path.join(root, "config", "hypnoscript.config.json")
    with open(path) as fh:
        config = json.load(fh)
    config["services"]["api"]["schedules"] = [{"handler": "tick", "every": "1h"}]
    with open(path, "w") as fh:
        json.dump(config, fh)
    assert hyp(root, "cert", "dev").returncode == 0
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HYP_", "PROMETHEUS_"))}
    proc = subprocess.Popen([sys.executable, "-m", "hypnoscript", "worker", "--port", str(port)], cwd=root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    try:
        wait_https(port, proc, os.path.join(root, CERT))
        r = httpx.get(f"https://127.0.0.1:{port}/healthz", verify=trust(os.path.join(root, CERT)))
        assert r.status_code == 200
        assert r.headers["strict-transport-security"] == "max-age=60"
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
