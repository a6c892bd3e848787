"""`/healthz` (the process is alive) and `/readyz` (it can serve: the configuration is loaded and
the modules are compiled and run, which the app is not built without, plus every check registered
with `add_check`, such as a database or broker answering)."""

from __future__ import annotations

import asyncio

from starlette.responses import JSONResponse


class Health:
    def __init__(self, services: list[str]) -> None:
        self.services = services
        self._checks: dict[str, object] = {}

    def add_check(self, name: str, check) -> None:
        """`check` is an async callable returning None when healthy or a problem description."""
        self._checks[name] = check

    async def healthz(self, request) -> JSONResponse:
        return JSONResponse({"status": "alive"})

    async def readyz(self, request) -> JSONResponse:
        checks: dict[str, str] = {"config": "ok", "modules": "ok"}
        if self._checks:
            names = list(self._checks)
            results = await asyncio.gather(*(self._run(self._checks[n]) for n in names))
            checks.update(zip(names, results))
        status = "ready" if all(v == "ok" for v in checks.values()) else "unavailable"
        return JSONResponse({"status": status, "services": self.services, "checks": checks},
                            status_code=200 if status == "ready" else 503)

    @staticmethod
    async def _run(check) -> str:
        try:
            problem = await check()
        except Exception as exc:  # noqa: BLE001 - a failing check is a reported problem, not a crash
            problem = f"{type(exc).__name__}: {exc}"
        return "ok" if problem is None else str(problem)
