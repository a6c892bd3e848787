"""Running the application on uvicorn.

- One process (the default): the app is built here and served by `uvicorn.Server`.
- `--workers N`: uvicorn's supervisor starts N processes sharing the socket; each builds its own
  app through `worker_app` (options travel in `HYP_SERVE_OPTIONS`) and metrics switch to
  prometheus-client's multiprocess mode in a shared directory.
- `--reload`: uvicorn's watchfiles reloader restarts the process when a `.hyp` or `.json` file of
  the project changes; a change that does not compile is reported and the reloader waits for the
  next one.

Before any worker starts, the supervisor loads the configuration and compiles every module, so
a mistake is one diagnostic and exit status 1, not N crashing workers. On SIGTERM (or Ctrl+C)
uvicorn stops accepting connections, lets in-flight requests finish for up to the grace period,
runs the shutdown hooks, and the process exits 0.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile

from hypnoscript.project.report import emit
from hypnoscript.services.process import run_single
from hypnoscript.syntax.diagnostics import DiagnosticError

OPTIONS_ENV = "HYP_SERVE_OPTIONS"
STARTUP_FAILURE = 3  # uvicorn's supervisor stops instead of restarting a worker that exits so


class ServeOptions:
    FIELDS = ("root", "profile", "services", "host", "port", "workers", "reload", "grace", "threads")

    def __init__(self, root: str, profile: str | None = None, services: list[str] | None = None,
                 host: str = "127.0.0.1", port: int = 8000, workers: int = 1, reload: bool = False,
                 grace: float = 30.0, threads: int | None = None) -> None:
        self.root = root
        self.profile = profile
        self.services = services or []
        self.host = host
        self.port = port
        self.workers = workers
        self.reload = reload
        self.grace = grace
        self.threads = threads

    def to_env(self) -> str:
        return json.dumps({name: getattr(self, name) for name in self.FIELDS})

    @classmethod
    def from_env(cls) -> ServeOptions:
        return cls(**json.loads(os.environ[OPTIONS_ENV]))


def _build(options: ServeOptions):
    from hypnoscript.services.app import build_app
    from hypnoscript.services.observability.logging import Logs
    from hypnoscript.services.observability.tracing import Tracing
    from hypnoscript.services.settings import load_settings

    settings = load_settings(options.root, options.profile, options.services)
    tracing = Tracing.from_settings(settings)
    if tracing.provider is not None:
        from opentelemetry import trace

        trace.set_tracer_provider(tracing.provider)
    logs = Logs(settings.log_level, settings.log_format)
    return settings, build_app(settings, logs=logs, tracing=tracing, threads=options.threads)


def worker_app():
    """The uvicorn app factory of worker and reloaded processes."""
    try:
        return _build(ServeOptions.from_env())[1]
    except DiagnosticError as exc:
        emit(exc.diagnostics)
        sys.exit(STARTUP_FAILURE)


def _uvicorn_config(options: ServeOptions, settings) -> dict:
    """uvicorn's options; DiagnosticError when `security.tls` names files that cannot serve."""
    from hypnoscript.services.observability.logging import uvicorn_log_config
    from hypnoscript.services.security import tls

    return {"host": options.host, "port": options.port, "lifespan": "on", "access_log": False,
            "server_header": False, "timeout_graceful_shutdown": options.grace,
            "log_config": uvicorn_log_config(settings.log_level, settings.log_format),
            **tls.uvicorn_options(tls.tls_settings(settings.config, settings.root))}


def serve(options: ServeOptions) -> int:
    """Serve until SIGTERM or Ctrl+C; 0 after a clean shutdown, 1 for a project that cannot be served."""
    try:
        if options.workers == 1 and not options.reload:
            settings, app = _build(options)
            return run_single(app, _uvicorn_config(options, settings))
        from hypnoscript.services.loading import ServiceModules
        from hypnoscript.services.settings import load_settings

        settings = load_settings(options.root, options.profile, options.services)
        ServiceModules(settings).compile()
        config = _uvicorn_config(options, settings)
    except DiagnosticError as exc:
        emit(exc.diagnostics)
        return 1
    return _run_supervised(options, config)


def _run_supervised(options: ServeOptions, config: dict) -> int:
    import uvicorn

    os.environ[OPTIONS_ENV] = options.to_env()
    metrics_dir = None
    if options.workers > 1 and not options.reload:
        metrics_dir = _metrics_dir()
    extra: dict = {"factory": True}
    if options.reload:
        extra.update(reload=True, reload_dirs=[options.root], reload_includes=["*.hyp", "*.json"])
    else:
        extra["workers"] = options.workers
    try:
        uvicorn.run("hypnoscript.services.server:worker_app", **config, **extra)
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0


def _metrics_dir() -> str | None:
    """The directory the workers share their metrics through: the operator's PROMETHEUS_MULTIPROC_DIR
    (emptied, as prometheus-client requires at start) or a temporary one, removed at exit."""
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        os.makedirs(given, exist_ok=True)
        for name in os.listdir(given):
            if name.endswith(".db"):
                os.unlink(os.path.join(given, name))
        return None
    path = tempfile.mkdtemp(prefix="hyp-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    return path
