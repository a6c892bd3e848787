"""Service helpers: retry back-off schedules, health reports and circuit-breaker decisions."""

from __future__ import annotations

from hypnoscript.runtime.builtins.args import (
    as_array,
    as_count,
    as_number,
    as_numeric_array,
    check_size,
    optional,
    round_half_away,
)
from hypnoscript.runtime.builtins.registry import builtin
from hypnoscript.runtime.context import current
from hypnoscript.runtime.values import truthy


@builtin(
    "service",
    "RetrySchedule(attempts: number, baseDelayMs: number, multiplier?: number, jitterMs?: number, maxDelayMs?: number) -> number[]",
    "Exponential back-off delays in ms (capped by maxDelayMs, plus random jitter up to jitterMs)",
    pure=False,
)
def _retry_schedule(attempts, base, multiplier=None, jitter=None, max_delay=None):
    attempts = as_count(attempts, "RetrySchedule", 1)
    current_delay = float(as_count(base, "RetrySchedule", 2))
    factor = max(as_number(optional(multiplier, 2.0), "RetrySchedule", 3), 1.0)
    jitter_ms = as_count(optional(jitter, 0.0), "RetrySchedule", 4)
    cap = None if max_delay is None else as_count(max_delay, "RetrySchedule", 5)
    check_size(attempts, "RetrySchedule", 1 << 20)
    rng = None
    if jitter_ms > 0:
        ctx = current()
        ctx.capabilities.check("random")
        rng = ctx.rng
    delays: list[float] = []
    for _ in range(attempts):
        delay = int(min(current_delay, 1.8e19))
        if cap is not None:
            delay = min(delay, cap)
        if rng is not None:
            delay += rng.randint(0, jitter_ms)
        delays.append(float(delay))
        current_delay *= factor
    return delays


@builtin(
    "service",
    "HealthReport(latenciesMs: number[], successful: number, total: number, sloMs: number) -> object",
    "{uptimePercentage, averageLatencyMs, p95LatencyMs, sloBreached} of a service",
    aliases=("ServiceHealth",),
)
def _health_report(latencies, ok, total, slo):
    samples = sorted(as_count(x, "HealthReport", 1) for x in as_numeric_array(latencies, "HealthReport", 1))
    ok = as_count(ok, "HealthReport", 2)
    total = as_count(total, "HealthReport", 3)
    slo = as_count(slo, "HealthReport", 4)
    uptime = 100.0 if total == 0 else ok / total * 100.0
    average = sum(samples) / len(samples) if samples else 0.0
    p95 = samples[int(round_half_away((len(samples) - 1) * 0.95))] if samples else 0
    return {
        "uptimePercentage": float(uptime),
        "averageLatencyMs": float(average),
        "p95LatencyMs": float(p95),
        "sloBreached": p95 > slo,
    }


@builtin(
    "service",
    "ShouldOpenCircuit(failures: array, threshold: number) -> boolean",
    "Whether the share of truthy entries (failures) reaches threshold (0 to 1)",
    aliases=("CircuitShouldOpen",),
)
def _should_open_circuit(failures, threshold):
    items = as_array(failures, "ShouldOpenCircuit", 1)
    threshold = as_number(threshold, "ShouldOpenCircuit", 2)
    if not items:
        return False
    return sum(1 for f in items if truthy(f)) / len(items) >= threshold
