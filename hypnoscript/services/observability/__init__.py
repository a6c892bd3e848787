"""Logs (structlog, JSON lines on stdout), metrics (prometheus-client) and tracing (OpenTelemetry)
for the HTTP services."""
