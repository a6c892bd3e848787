"""`/metrics`, the JSON log lines and OpenTelemetry spans of `hyp serve`."""

from prometheus_client.parser import text_string_to_metric_families
from serve_helpers import serving

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


def metric_samples(text: str) -> dict:
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def test_metrics_count_requests_by_route_and_status(server):
    for _ in range(3):
        assert server.client.get("/hello/x").status_code == 200
    server.client.get("/invoices/1")
    server.client.get("/boom")
    server.client.get("/spin")
    server.client.get("/nowhere/at/all")
    r = server.client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    samples = metric_samples(r.text)

    def requests(route, status, service="api", method="GET"):
        key = ("hyp_http_requests_total", (("method", method), ("route", route), ("service", service),
                                           ("status", status)))
        return samples.get(key)

    assert requests("/hello/{name}", "200") == 3
    assert requests("/invoices/{id}", "404") == 1
    assert requests("/boom", "500") == 1
    assert requests("/spin", "504") == 1
    assert requests("unmatched", "404", service="unmatched") == 1
    labels = (("method", "GET"), ("route", "/hello/{name}"), ("service", "api"))
    assert samples[("hyp_http_request_duration_seconds_count", labels)] == 3
    assert samples[("hyp_http_request_duration_seconds_bucket", (("le", "+Inf"),) + labels)] == 3
    assert samples[("hyp_http_request_duration_seconds_sum", labels)] > 0
    assert samples[("hyp_http_requests_in_flight", ())] == 1  # the scrape itself
    errors = {k[1]: v for k, v in samples.items() if k[0] == "hyp_handler_errors_total"}
    assert errors == {(("kind", "error"), ("route", "/boom"), ("service", "api")): 1,
                      (("kind", "timeout"), ("route", "/spin"), ("service", "api")): 1}


def test_one_json_log_line_per_request_with_the_ids(server):
    server.client.get("/hello/x", headers={"X-Request-ID": "kept-id-42"})
    r = server.client.get("/chatty")
    generated = r.headers["x-request-id"]
    assert len(generated) == 32
    server.client.get("/healthz")

    (kept,) = server.records(event="request", request_id="kept-id-42")
    for key in ("time", "level", "service", "route", "status", "duration_ms", "request_id", "trace_id", "span_id"):
        assert key in kept
    assert kept["level"] == "info" and kept["status"] == 200
    assert kept["service"] == "api" and kept["route"] == "/hello/{name}" and kept["path"] == "/hello/x"
    assert len(kept["trace_id"]) == 32 and len(kept["span_id"]) == 16
    assert kept["time"].endswith("Z")

    (request,) = server.records(event="request", request_id=generated)
    (logged,) = server.records(event="order placed")
    assert logged["orderId"] == 5 and logged["customer"] == "Zoë"
    (observed,) = server.records(event="observed /chatty")
    for line in (logged, observed):
        assert line["request_id"] == generated
        assert line["trace_id"] == request["trace_id"]
        assert line["span_id"] == request["span_id"]
        assert line["service"] == "api" and line["route"] == "/chatty"
    assert server.records(event="request", path="/healthz") == []  # probes log at debug level


def test_malformed_request_id_is_replaced(server):
    r = server.client.get("/hello/x", headers={"X-Request-ID": "bad id with spaces"})
    assert r.headers["x-request-id"] != "bad id with spaces" and len(r.headers["x-request-id"]) == 32


def test_incoming_traceparent_is_continued_when_tracing_is_off(server):
    server.client.get("/hello/x", headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01", "X-Request-ID": "t1"})
    (line,) = server.records(event="request", request_id="t1")
    assert line["trace_id"] == TRACE_ID and line["span_id"] != PARENT_ID


def test_spans_continue_the_callers_trace(project):
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
        InMemorySpanExporter,
    )

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with serving(project, tracer_provider=provider) as server:
        r = server.client.get("/chatty", headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"})
        assert r.status_code == 200
        server.client.get("/boom")
        records = server.records(event="order placed")
    spans = {s.name: s for s in exporter.get_finished_spans()}
    request_span = spans["GET /chatty"]
    handler_span = spans["handler api.chatty"]
    assert format(request_span.context.trace_id, "032x") == TRACE_ID
    assert format(request_span.parent.span_id, "016x") == PARENT_ID
    assert handler_span.parent.span_id == request_span.context.span_id
    assert handler_span.context.trace_id == request_span.context.trace_id
    assert request_span.attributes["http.route"] == "/chatty"
    assert request_span.attributes["http.response.status_code"] == 200
    (logged,) = records
    assert logged["trace_id"] == TRACE_ID
    assert logged["span_id"] == format(handler_span.context.span_id, "016x")  # LogEvent inside the handler span
    assert not spans["GET /boom"].status.is_ok and not spans["handler api.boom"].status.is_ok
