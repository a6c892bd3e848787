"""HTTP builtins against a local server on 127.0.0.1 (never the internet)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from builtin_helpers import call

from hypnoscript.runtime.context import Capabilities
from hypnoscript.runtime.errors import HypIOError, HypPermissionError


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _reply(self, status, body, content_type="application/json"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _echo(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        payload = {"method": self.command, "path": self.path, "body": body, "auth": self.headers.get("Authorization"), "ctype": self.headers.get("Content-Type")}
        self._reply(200, json.dumps(payload))

    def do_GET(self):
        if self.path == "/json":
            self._reply(200, '{"ok": true, "items": [1, 2]}')
        elif self.path == "/missing":
            self._reply(404, "not here", "text/plain")
        elif self.path == "/file":
            self._reply(200, b"\x00\x01binary", "application/octet-stream")
        elif self.path == "/text":
            self._reply(200, "not json", "text/plain")
        else:
            self._echo()

    do_POST = do_PUT = do_PATCH = do_DELETE = _echo

    def do_HEAD(self):
        self._reply(200, "")


@pytest.fixture(scope="module")
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)


def test_get_json_and_health(ctx, server):
    assert call("ApiGetJson", server + "/json") == {"ok": True, "items": [1.0, 2.0]}
    assert call("ApiHealthCheck", server + "/json") is True
    assert call("ApiHealthCheck", server + "/missing", 404.0) is True
    assert call("HttpGet", server + "/missing") == "not here"


def test_post_json(ctx, server):
    echoed = call("ApiPostJson", server + "/echo", {"a": [1.0, "x"]})
    assert echoed["method"] == "POST" and json.loads(echoed["body"]) == {"a": [1, "x"]}
    assert echoed["ctype"] == "application/json"
    assert json.loads(call("HttpPost", server + "/p", "raw text"))["body"] == "raw text"


def test_api_send(ctx, server):
    response = call(
        "ApiSend",
        {"method": "put", "url": server + "/put", "query": {"q": "1 2"}, "body": "data", "auth": {"type": "bearer", "token": "t0k"}, "timeoutMs": 5000.0},
    )
    assert response["status"] == 200.0 and response["ok"] is True
    assert response["headers"]["content-type"] == "application/json"
    echoed = json.loads(response["body"])
    assert echoed == {"method": "PUT", "path": "/put?q=1+2", "body": "data", "auth": "Bearer t0k", "ctype": None}
    assert response["elapsedMs"] >= 0
    basic = json.loads(call("ApiSend", {"url": server + "/b", "auth": {"type": "basic", "username": "u", "password": "p"}})["body"])
    assert basic["auth"] == "Basic dTpw"
    assert call("HttpSend", {"method": "HEAD", "url": server + "/"})["body"] == ""


def test_download_and_upload(ctx, server, tmp_path):
    dest = str(tmp_path / "f.bin")
    assert call("DownloadFile", server + "/file", dest) == 8.0
    assert open(dest, "rb").read() == b"\x00\x01binary"
    with pytest.raises(HypIOError):
        call("DownloadFile", server + "/missing", dest)
    assert json.loads(call("UploadFile", server + "/up", dest))["method"] == "POST"


def test_network_failures(ctx, server):
    with pytest.raises(HypIOError, match="Invalid URL"):
        call("HttpGet", "ftp://example.com/x")
    with pytest.raises(HypIOError, match="Invalid URL"):
        call("ApiSend", {"url": ""})
    with pytest.raises(HypIOError, match="Serialization error"):
        call("ApiGetJson", server + "/text")
    closed = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = closed.server_address[1]
    closed.server_close()
    with pytest.raises(HypIOError, match="Network error"):
        call("HttpGet", f"http://127.0.0.1:{port}/")


def test_network_capability(ctx, server):
    ctx.capabilities = Capabilities(network=("localhost",))
    with pytest.raises(HypPermissionError):
        call("HttpGet", server + "/json")
    ctx.capabilities = Capabilities(network=("127.0.0.1",))
    assert call("HttpGet", server + "/missing") == "not here"
