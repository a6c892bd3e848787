"""The checks `hyp serve` and `hyp worker` make before they start, for `hyp validate`: so that a
configuration `hyp validate` accepts also starts (handlers that exist, routes that do not clash,
every protected route's authentication method configured)."""

from __future__ import annotations

from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError


def start_problems(root: str, profile: str | None = None) -> list[Diagnostic]:
    """What would stop the project's services from starting (empty when nothing would)."""
    from hypnoscript.project.config import load_config
    from hypnoscript.services.loading import ServiceModules
    from hypnoscript.services.security import methods
    from hypnoscript.services.settings import load_settings

    config = load_config(root, profile)
    if not config.get("services"):
        return []
    try:
        settings = load_settings(root, profile)
        ServiceModules(settings).compile()
    except DiagnosticError as error:
        return list(error.diagnostics)
    configured = {name: name for name in methods.configured(settings.config.get("security", {}))}
    problems = []
    for route in settings.routes:
        if route.auth == "none":
            if route.roles:
                problems.append(methods.problem(settings.config, route.key + ("roles",),
                                                "roles need an authentication method (auth) to check them"))
            continue
        try:
            methods.for_route(route.auth, configured,
                              lambda m, r=route: methods.problem(settings.config, r.key + ("auth",), m))
        except DiagnosticError as error:
            problems += error.diagnostics
    return problems
