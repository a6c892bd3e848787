"""The access matrix of a project, from its configuration alone: for every route, who can reach it
(authentication methods, required roles, the API keys whose roles suffice) and its rate limit.
Rows and lists are sorted so that a change of access shows up as a diff in review."""

from __future__ import annotations

from hypnoscript.services.security import methods


def access_matrix(config) -> dict:
    security = config.get("security", {}) or {}
    configured = methods.configured(security)
    apikeys = ((security.get("auth") or {}).get("apikeys") or {}).get("keys") or []
    keys = sorted(({"name": k["name"], "roles": sorted(k.get("roles") or [])} for k in apikeys),
                  key=lambda k: k["name"])
    rows = []
    for service, body in (config.get("services") or {}).items():
        for route in body.get("routes") or []:
            auth = route.get("auth", "none")
            accepted = [] if auth == "none" else configured if auth == "any" else [auth]
            roles = sorted(route.get("roles") or [])
            reach = [k["name"] for k in keys if "apikey" in accepted and set(roles) <= set(k["roles"])]
            limit = route.get("rateLimit")
            rows.append({
                "method": route["method"], "path": route["path"], "service": service, "handler": route["handler"],
                "auth": accepted,
                # a method the configuration does not set up: hyp serve refuses to start
                "unconfigured": [m for m in accepted if m not in configured],
                "roles": roles, "apikeys": reach,
                "rateLimit": None if limit is None else f"{limit} per {route.get('rateLimitKey', 'ip')}",
            })
    rows.sort(key=lambda r: (r["path"], r["method"], r["service"]))
    return {"methods": configured, "apikeys": keys, "routes": rows}


def render(matrix: dict) -> str:
    """The matrix as an aligned text table, then the configured methods and keys."""
    header = ("METHOD", "PATH", "SERVICE", "HANDLER", "AUTH", "ROLES", "API KEYS", "RATE LIMIT")
    table = [header]
    for row in matrix["routes"]:
        auth = ", ".join(m + (" (not configured)" if m in row["unconfigured"] else "") for m in row["auth"])
        table.append((row["method"], row["path"], row["service"], row["handler"], auth or "open",
                      ", ".join(row["roles"]) or "-", ", ".join(row["apikeys"]) or "-", row["rateLimit"] or "-"))
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in table]
    lines.append("")
    lines.append(f"methods: {', '.join(matrix['methods']) or 'none configured'}")
    for key in matrix["apikeys"]:
        lines.append(f"api key {key['name']}: roles {', '.join(key['roles']) or '-'}")
    return "\n".join(lines)
