"""What `hyp serve` takes from a project: its manifest, the effective configuration
(`hypnoscript.project.config`) and the checks the schema cannot make (a route's path template, two
routes on one method and path, a route on a path the server keeps for itself).

Keys read (see docs/serve.md): `services.<name>.{module, routes[]}`, each route's `method`,
`path`, `handler`, `auth`, `roles`, `timeout`; `observability.{logging, metrics, tracing}`;
`security.limits.{requestTimeout, maxBodyBytes}` (the request timeout caps every route's own) and
`security.capabilities` (what each service's code may touch).
"""

from __future__ import annotations

import os

from hypnoscript.project import jsonfile
from hypnoscript.project.config import CODE_INVALID, Config, load_config
from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
OPENAPI_PATH = "/openapi.json"


class RouteSpec:
    __slots__ = ("auth", "handler", "index", "method", "path", "rate_limit", "rate_limit_key", "roles", "service",
                 "timeout")

    def __init__(self, service: str, index: int, method: str, path: str, handler: str, auth: str,
                 roles: list[str], timeout: float, rate_limit: str | None = None, rate_limit_key: str = "ip") -> None:
        self.service = service
        self.index = index
        self.method = method
        self.path = path
        self.handler = handler
        self.auth = auth
        self.roles = roles
        self.timeout = timeout
        self.rate_limit = rate_limit  # "5/minute" (services.security.ratelimit)
        self.rate_limit_key = rate_limit_key

    @property
    def key(self) -> tuple:
        """Where the route sits in the configuration (for diagnostics)."""
        return ("services", self.service, "routes", self.index)


class ConsumerSpec:
    """`services.<name>.events[i]`: a handler for the events of a topic, in a consumer group."""

    __slots__ = ("attempts", "backoff", "concurrency", "group", "handler", "index", "prefetch", "service", "timeout",
                 "topic", "visibility")

    def __init__(self, service: str, index: int, body: dict) -> None:
        self.service = service
        self.index = index
        self.topic: str = body["topic"]
        self.handler: str = body["handler"]
        self.group: str = body.get("group") or service
        self.attempts = int(body["attempts"])
        self.concurrency = int(body["concurrency"])
        self.timeout = float(body["timeout"])
        self.prefetch = int(body["prefetch"])
        # long enough for a whole prefetched batch; a worker that died delivers again after it
        self.visibility = float(body.get("visibilityTimeout") or self.timeout * self.prefetch + 30.0)
        backoff = body["backoff"]
        self.backoff = (float(backoff["initial"]), float(backoff["multiplier"]), float(backoff["max"]))

    @property
    def key(self) -> tuple:
        return ("services", self.service, "events", self.index)

    def delay(self, attempt: int) -> float:
        """Seconds before delivery `attempt + 1`, after delivery `attempt` failed."""
        initial, multiplier, cap = self.backoff
        return min(cap, initial * multiplier ** max(attempt - 1, 0))


class ScheduleSpec:
    """`services.<name>.schedules[i]`: a handler run on a cron expression or an interval."""

    __slots__ = ("cron", "handler", "index", "interval", "service", "timeout")

    def __init__(self, service: str, index: int, body: dict) -> None:
        self.service = service
        self.index = index
        self.handler: str = body["handler"]
        self.cron: str | None = body.get("cron")
        every = body.get("every", body.get("interval"))
        self.interval: float | None = None if every is None else duration_seconds(every)
        self.timeout = float(body["timeout"])

    @property
    def key(self) -> tuple:
        return ("services", self.service, "schedules", self.index)

    @property
    def name(self) -> str:
        """The schedule's identity across processes (its runs are recorded under it)."""
        return f"{self.service}.{self.handler}.{self.index}"


def duration_seconds(value) -> float:
    """Seconds from a number or a duration text (500ms, 30s, 5m, 2h, 1d)."""
    if isinstance(value, (int, float)):
        return float(value)
    units = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
    for unit in ("ms", "s", "m", "h", "d"):
        if value.endswith(unit):
            return float(value[: -len(unit)]) * units[unit]
    return float(value)


class ServiceSpec:
    __slots__ = ("capabilities", "consumers", "module", "name", "routes", "schedules")

    def __init__(self, name: str, module: str, routes: list[RouteSpec], capabilities: dict,
                 consumers: list[ConsumerSpec] | None = None, schedules: list[ScheduleSpec] | None = None) -> None:
        self.name = name
        self.module = module  # absolute path of the service's .hyp file
        self.routes = routes
        self.capabilities = capabilities
        self.consumers = consumers or []
        self.schedules = schedules or []

    def entries(self) -> list:
        """Everything of the service that names a handler: routes, consumers, schedules."""
        return [*self.routes, *self.consumers, *self.schedules]


class ServeSettings:
    """Everything the server needs, read once from the project."""

    def __init__(self, root: str, config: Config, services: list[ServiceSpec], name: str, version: str) -> None:
        self.root = root
        self.config = config
        self.services = services
        self.name = name
        self.version = version
        obs = config["observability"]
        self.log_level: str = obs["logging"]["level"]
        self.log_format: str = obs["logging"]["format"]
        self.metrics_enabled: bool = obs["metrics"]["enabled"]
        self.metrics_path: str = obs["metrics"]["path"]
        tracing = obs["tracing"]
        self.trace_exporter: str = tracing["exporter"]
        self.trace_endpoint: str | None = tracing.get("endpoint")
        self.trace_sampling: float = float(tracing["sampling"])
        self.trace_service_name: str = tracing.get("serviceName") or name
        limits = config["security"]["limits"]
        self.request_timeout = float(limits["requestTimeout"])
        self.max_body_bytes = int(limits["maxBodyBytes"])

    @property
    def routes(self) -> list[RouteSpec]:
        return [r for s in self.services for r in s.routes]

    def system_paths(self) -> list[str]:
        paths = [HEALTH_PATH, READY_PATH, OPENAPI_PATH]
        if self.metrics_enabled:
            paths.append(self.metrics_path)
        return paths

    def timeout_for(self, route: RouteSpec) -> float:
        return min(route.timeout, self.request_timeout)


def load_settings(root: str, profile: str | None = None, selected: list[str] | tuple = (),
                  env=None) -> ServeSettings:
    """Read the project at `root`; raises DiagnosticError naming the file and key of each problem."""
    from hypnoscript.project import manifest

    man = manifest.load(root)
    config = load_config(root, profile, env)
    doc = jsonfile.read(config.path, "the configuration file") if config.exists else None

    def problem(path: tuple, message: str, help: str | None = None) -> Diagnostic:
        if doc is not None:
            return doc.diagnostic(CODE_INVALID, path, message, help)
        return Diagnostic(CODE_INVALID, f"{jsonfile.json_path(path)}: {message}", path=config.path, help=help)

    configured = config["services"]
    if not configured:
        raise DiagnosticError([Diagnostic(CODE_INVALID, "no services are configured", path=config.path,
                                          help="add a service with its module and routes under \"services\" "
                                               "(see docs/serve.md)")])
    unknown = [name for name in selected if name not in configured]
    if unknown:
        raise DiagnosticError([problem(("services",), f"no service named \"{n}\" "
                                                      f"(configured: {', '.join(sorted(configured))})")
                               for n in unknown])
    names = list(selected) or list(configured)
    diags: list[Diagnostic] = []
    services = []
    for name in dict.fromkeys(names):
        body = configured[name]
        module = os.path.normpath(os.path.join(root, body["module"]))
        if not os.path.isfile(module):
            diags.append(problem(("services", name, "module"), f"module file not found: {body['module']}"))
        routes = [RouteSpec(name, i, r["method"], r["path"], r["handler"], r["auth"], list(r["roles"]),
                            float(r["timeout"]), r.get("rateLimit"), r.get("rateLimitKey", "ip"))
                  for i, r in enumerate(body["routes"])]
        consumers = [ConsumerSpec(name, i, e) for i, e in enumerate(body["events"])]
        schedules = [ScheduleSpec(name, i, e) for i, e in enumerate(body["schedules"])]
        services.append(ServiceSpec(name, module, routes, _capabilities(config, name, root), consumers, schedules))
    settings = ServeSettings(root, config, services, man.name, man.version)
    diags += _check_routes(settings, problem)
    diags += _check_schedules(settings, problem)
    if diags:
        raise DiagnosticError(diags)
    return settings


def _check_routes(settings: ServeSettings, problem) -> list[Diagnostic]:
    from starlette.routing import compile_path

    diags = []
    seen: dict[tuple[str, str], RouteSpec] = {}
    reserved = settings.system_paths()
    for route in settings.routes:
        try:
            _, shape, _ = compile_path(route.path)
        except (ValueError, AssertionError) as exc:
            diags.append(problem(route.key + ("path",), f"invalid path template: {exc}",
                                 help="parameters are written {name} or {name:int|float|str|path|uuid}"))
            continue
        if route.path in reserved:
            diags.append(problem(route.key + ("path",), f"{route.path} is served by the server itself"))
        first = seen.setdefault((route.method, shape), route)
        if first is not route:
            where = f"services.{first.service}.routes[{first.index}]"
            diags.append(problem(route.key, f"{route.method} {route.path} is already routed by {where}"))
    return diags


def _check_schedules(settings: ServeSettings, problem) -> list[Diagnostic]:
    """Cron expressions the schema's shape check lets through but croniter cannot run (`99 * * * *`)."""
    crons = [s for service in settings.services for s in service.schedules if s.cron is not None]
    if not crons:
        return []
    from croniter import croniter

    return [problem(s.key + ("cron",), f"\"{s.cron}\" is not a valid cron expression",
                    help="minute hour day-of-month month day-of-week, e.g. \"0 6 * * *\"")
            for s in crons if not croniter.is_valid(s.cron)]


def _capabilities(config: Config, service: str, root: str) -> dict:
    """The service's grants: its own entry over the `*` entry; file paths relative to the project."""
    grants = config["security"]["capabilities"]
    merged = {**grants.get("*", {}), **grants.get(service, {})}
    if "files" in merged:
        merged["files"] = [os.path.normpath(os.path.join(root, p)) for p in merged["files"]]
    return merged
