"""HTTP builtins on httpx (imported on first use). Every request checks the `network` capability
for its host and has a timeout; failures are `HypIOError`s."""

from __future__ import annotations

import time

from hypnoscript.runtime.builtins.args import as_number, as_object, as_string, optional
from hypnoscript.runtime.builtins.registry import builtin
from hypnoscript.runtime.builtins.support import check_path, json_dumps, os_error, parse_json
from hypnoscript.runtime.context import current
from hypnoscript.runtime.errors import HypArgumentError, HypIOError
from hypnoscript.runtime.values import display

_N = "network"
DEFAULT_TIMEOUT_MS = 15000.0
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise HypIOError(f"Invalid URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HypIOError(f"Invalid URL: {url or 'URL is empty'}")
    return parts.hostname


def send(
    url: str,
    method: str = "GET",
    headers: dict | None = None,
    query: dict | None = None,
    body: bytes | str | None = None,
    timeout_ms: float = DEFAULT_TIMEOUT_MS,
    auth: tuple[str, str] | None = None,
) -> dict:
    """Perform one request; the response as {status, ok, headers, body, bytes, elapsedMs}."""
    current().capabilities.check("network", _host(url))
    import httpx

    started = time.perf_counter()
    try:
        with httpx.Client(timeout=max(timeout_ms, 1.0) / 1000.0, follow_redirects=True) as client:
            response = client.request(method, url, headers=headers, params=query, content=body, auth=auth)
    except httpx.TimeoutException:
        raise HypIOError(f"Network error: {method} {url} timed out after {timeout_ms:g} ms") from None
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        raise HypIOError(f"Invalid URL: {exc}") from None
    except (httpx.HTTPError, OSError, ValueError) as exc:
        raise HypIOError(f"Network error: {exc}") from None
    elapsed = (time.perf_counter() - started) * 1000.0
    return {
        "status": float(response.status_code),
        "ok": 200 <= response.status_code < 300,
        "headers": {k.lower(): v for k, v in response.headers.items()},
        "body": response.text,
        "bytes": response.content,
        "elapsedMs": float(int(elapsed)),
    }


def _public(response: dict) -> dict:
    return {k: v for k, v in response.items() if k != "bytes"}


def _body(value: object, name: str) -> str | None:
    if value is None:
        return None
    return value if type(value) is str else json_dumps(value, name)


def _string_map(value: object, name: str, field: str) -> dict[str, str]:
    if value is None:
        return {}
    if type(value) is not dict:
        raise HypArgumentError(f"Builtin '{name}' expected an object for '{field}'")
    return {str(k): display(v) for k, v in value.items()}


@builtin(
    "network",
    "ApiSend(request: object) -> object",
    "HTTP request from {method, url, headers, query, body, timeoutMs, auth}; returns {status, ok, headers, body, elapsedMs}",
    capability=_N,
    aliases=("HttpSend",),
)
def _api_send(request):
    req = as_object(request, "ApiSend", 1)
    url = as_string(req.get("url", ""), "ApiSend", 1)
    if not url:
        raise HypIOError("Invalid URL: URL is empty")
    method = display(req.get("method") or "GET").upper()
    if method not in _METHODS:
        raise HypArgumentError(f"Builtin 'ApiSend' does not support the method '{method}'")
    headers = _string_map(req.get("headers"), "ApiSend", "headers")
    query = _string_map(req.get("query"), "ApiSend", "query")
    timeout = req.get("timeoutMs", req.get("timeout_ms"))
    timeout_ms = as_number(optional(timeout, DEFAULT_TIMEOUT_MS), "ApiSend", 1)
    auth = None
    spec = req.get("auth")
    if spec is not None:
        spec = as_object(spec, "ApiSend", 1)
        kind = display(spec.get("type", "")).lower()
        if kind == "bearer":
            headers["Authorization"] = f"Bearer {display(spec.get('token', ''))}"
        elif kind == "basic":
            auth = (display(spec.get("username", "")), display(spec.get("password", "")))
        elif kind == "apikey":
            headers[display(spec.get("header", "X-Api-Key"))] = display(spec.get("value", ""))
        else:
            raise HypArgumentError("Builtin 'ApiSend' expected auth.type bearer, basic or apikey")
    return _public(send(url, method, headers, query, _body(req.get("body"), "ApiSend"), timeout_ms, auth))


def _json_response(response: dict) -> object:
    try:
        return parse_json(response["body"])
    except ValueError as exc:
        raise HypIOError(f"Serialization error: {exc}") from None


@builtin(
    "network",
    "ApiGetJson(url: string) -> any",
    "GET a URL and parse the JSON response",
    capability=_N,
    aliases=("HttpGetJson",),
)
def _api_get_json(url):
    url = as_string(url, "ApiGetJson", 1)
    return _json_response(send(url, headers={"Accept": "application/json"}))


@builtin(
    "network",
    "ApiPostJson(url: string, payload: any) -> any",
    "POST a value as JSON and parse the JSON response",
    capability=_N,
    aliases=("HttpPostJson",),
)
def _api_post_json(url, payload):
    url = as_string(url, "ApiPostJson", 1)
    body = json_dumps(payload, "ApiPostJson")
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    return _json_response(send(url, "POST", headers, body=body))


@builtin(
    "network",
    "ApiHealthCheck(url: string, expectedStatus?: number) -> boolean",
    "Whether a GET answers with the expected status (200 by default)",
    capability=_N,
    aliases=("HttpHealthCheck",),
)
def _api_health_check(url, expected=None):
    url = as_string(url, "ApiHealthCheck", 1)
    status = as_number(optional(expected, 200.0), "ApiHealthCheck", 2)
    return send(url)["status"] == status


@builtin("network", "HttpGet(url: string) -> string", "GET a URL and return the response body", capability=_N)
def _http_get(url):
    return send(as_string(url, "HttpGet", 1))["body"]


@builtin(
    "network",
    "HttpPost(url: string, data: any) -> string",
    "POST text (other values as JSON) and return the response body",
    capability=_N,
)
def _http_post(url, data):
    url = as_string(url, "HttpPost", 1)
    headers = None if type(data) is str else {"Content-Type": "application/json"}
    return send(url, "POST", headers, body=_body(data, "HttpPost"))["body"]


@builtin(
    "network",
    "DownloadFile(url: string, path: string) -> number",
    "Save the response body of a GET to a file; returns the number of bytes",
    capability=_N,
)
def _download_file(url, path):
    url = as_string(url, "DownloadFile", 1)
    path = as_string(path, "DownloadFile", 2)
    check_path(path)
    response = send(url)
    if not response["ok"]:
        raise HypIOError(f"Network error: GET {url} answered {int(response['status'])}")
    try:
        with open(path, "wb") as fh:
            fh.write(response["bytes"])
    except OSError as exc:
        raise os_error(exc) from None
    return float(len(response["bytes"]))


@builtin(
    "network",
    "UploadFile(url: string, path: string) -> string",
    "POST a file's bytes and return the response body",
    capability=_N,
)
def _upload_file(url, path):
    url = as_string(url, "UploadFile", 1)
    path = as_string(path, "UploadFile", 2)
    check_path(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise os_error(exc) from None
    return send(url, "POST", {"Content-Type": "application/octet-stream"}, body=data)["body"]
