"""`/openapi.json`: an OpenAPI 3.1 description generated from the configured routes (path
parameters typed by their convertor, one operation per route, the shared JSON error shape)."""

from __future__ import annotations

from starlette.convertors import FloatConvertor, IntegerConvertor, UUIDConvertor
from starlette.routing import compile_path

from hypnoscript.services.security import methods
from hypnoscript.services.settings import HEALTH_PATH, READY_PATH, ServeSettings

_ERROR = {"$ref": "#/components/schemas/Error"}
_BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def _security_scheme(method: str, auth: dict) -> dict:
    if method == "apikey":
        return {"type": "apiKey", "in": "header", "name": (auth.get("apikeys") or {}).get("header", "X-API-Key")}
    if method == "ldap":
        return {"type": "http", "scheme": "basic"}
    return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}  # jwt, oidc


def _param_schema(convertor) -> dict:
    if isinstance(convertor, IntegerConvertor):
        return {"type": "integer", "minimum": 0}
    if isinstance(convertor, FloatConvertor):
        return {"type": "number", "minimum": 0}
    if isinstance(convertor, UUIDConvertor):
        return {"type": "string", "format": "uuid"}
    return {"type": "string"}


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


def openapi_document(settings: ServeSettings) -> dict:
    paths: dict[str, dict] = {}
    schemes: dict[str, dict] = {}
    security = settings.config.get("security", {}) or {}
    configured = methods.configured(security)
    for route in settings.routes:
        _, template, convertors = compile_path(route.path)
        op: dict = {
            "operationId": f"{route.service}.{route.handler}",
            "tags": [route.service],
            "summary": f"{route.handler} ({route.service})",
            "responses": {
                "200": {"description": "the handler's result", "content": {"application/json": {"schema": {}}}},
                "400": _error("malformed request body"),
                "4XX": _error("rejected by the handler (Fail)"),
                "500": _error("the handler failed"),
                "504": _error(f"the handler ran past its timeout ({settings.timeout_for(route):g} s)"),
            },
        }
        params = [{"name": name, "in": "path", "required": True, "schema": _param_schema(conv)}
                  for name, conv in convertors.items()]
        if params:
            op["parameters"] = params
        if route.method in _BODY_METHODS:
            op["requestBody"] = {"required": False, "content": {"application/json": {"schema": {}}}}
        if route.auth != "none":
            # the methods the guard tries (hyp serve refuses to start when one is not configured)
            kinds = configured if route.auth == "any" else [route.auth]
            op["security"] = [{kind: list(route.roles)} for kind in kinds]
            schemes.update({kind: _security_scheme(kind, security.get("auth") or {}) for kind in kinds})
            op["responses"]["401"] = _error("no valid credentials (see WWW-Authenticate)")
            if route.roles:
                op["responses"]["403"] = _error(f"the caller lacks a required role ({', '.join(route.roles)})")
        if route.rate_limit:
            op["responses"]["429"] = _error(f"over the rate limit of {route.rate_limit} per "
                                            f"{route.rate_limit_key} (see Retry-After)")
        paths.setdefault(template, {})[route.method.lower()] = op
    for path, summary in ((HEALTH_PATH, "the process is alive"), (READY_PATH, "the process can serve requests")):
        paths[path] = {"get": {"operationId": path.strip("/"), "tags": ["system"], "summary": summary,
                               "responses": {"200": {"description": summary},
                                             "503": {"description": "not ready"}}}}
    components: dict = {"schemas": {"Error": {
        "type": "object",
        "required": ["status", "error", "message", "request_id"],
        "properties": {"status": {"type": "integer"}, "error": {"type": "string"},
                       "message": {"type": "string"}, "request_id": {"type": "string"},
                       "code": {"type": "string", "description": "the HypnoScript error code of a 500"}},
    }}}
    if schemes:
        components["securitySchemes"] = {kind: schemes[kind] for kind in sorted(schemes)}
    return {"openapi": "3.1.0", "info": {"title": settings.name, "version": settings.version},
            "paths": paths, "components": components}
