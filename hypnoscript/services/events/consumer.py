"""Consuming events: the `event` value a handler receives, the call of the handler (on the same
handler threads, with the same deadlines, context and error reports as route handlers), and what
follows its outcome: acknowledge, retry with back-off, or dead-letter after the last attempt.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time

from hypnoscript.runtime.builtins.support import from_json
from hypnoscript.runtime.context import activate
from hypnoscript.runtime.errors import HypExit
from hypnoscript.services.handlers import TIMED_OUT, Job, failure_report
from hypnoscript.services.scope import CURRENT


class EventInfo:
    """What is known about the event being handled, for its log lines and spans."""

    __slots__ = ("attempt", "event_id", "group", "service", "span_id", "topic", "trace_id")

    def __init__(self, service: str, topic: str, group: str, event_id: str, attempt: int) -> None:
        self.service = service
        self.topic = topic
        self.group = group
        self.event_id = event_id
        self.attempt = attempt
        self.trace_id = ""
        self.span_id = ""

    def ids(self) -> dict:
        return {"service": self.service, "topic": self.topic, "group": self.group, "event_id": self.event_id,
                "attempt": self.attempt, "trace_id": self.trace_id, "span_id": self.span_id}


class ScheduleInfo:
    """A scheduled run, for its log lines and span."""

    __slots__ = ("schedule", "service", "slot", "span_id", "trace_id")

    def __init__(self, service: str, schedule: str, slot: str) -> None:
        self.service = service
        self.schedule = schedule
        self.slot = slot
        self.trace_id = ""
        self.span_id = ""

    def ids(self) -> dict:
        return {"service": self.service, "schedule": self.schedule, "slot": self.slot, "trace_id": self.trace_id,
                "span_id": self.span_id}


def event_value(delivery) -> dict:
    """The `event` a handler receives: {id, topic, payload, attempt, headers, publishedAt, key}."""
    event = delivery.event
    return {"id": event["id"], "topic": delivery.topic, "payload": from_json(event.get("payload")),
            "attempt": float(delivery.attempt), "headers": dict(event.get("headers") or {}),
            "publishedAt": event.get("publishedAt"), "key": event.get("key")}


class HandlerCall:
    """Runs an event or scheduled handler in a handler thread under its service's context; returns
    None when it returned, else the error report (message, code, HypnoScript stack)."""

    def __init__(self, service, handler, tracing, sources: dict, flush, kind: str) -> None:
        self.service = service
        self.handler = handler
        self.name = f"{service.spec.name}.{handler.name}"
        self.tracing = tracing
        self.sources = sources
        self.flush = flush
        self.kind = kind

    def __call__(self, argument, info, headers: dict | None):
        activate(self.service.context)
        started = None
        if self.tracing.enabled:
            started = self.tracing.consumer_start(f"{self.kind} {self.name}", headers or {},
                                                  {"hyp.service": self.service.spec.name, "hyp.handler": self.name,
                                                   **({"messaging.destination.name": info.topic,
                                                       "messaging.message.id": info.event_id}
                                                      if isinstance(info, EventInfo) else {})})
            info.trace_id, info.span_id = started[2], started[3]
        CURRENT.set(info)
        report = None
        try:
            handler = self.handler
            handler.fn(argument) if handler.takes_request else handler.fn()
        except HypExit as exc:
            report = {"error": f"Exit({exc.status}) called in an {self.kind} handler"}
        except Exception as exc:  # noqa: BLE001 - every handler error is reported, never a crash
            report = failure_report(self.service, exc, self.sources)
        finally:
            self.flush()
            if started is not None:
                self.tracing.consumer_end(started, None if report is None else report["error"])
            CURRENT.set(None)
        return report


class _CallThenAck:
    """In the handler thread: the handler, then the acknowledgement if it succeeded, so that an
    event costs one hand-off to a thread and back rather than two (a failure is settled from the
    event loop, as it is rare). Returns (report, when the handler finished, the ack's error)."""

    __slots__ = ("ack", "call")

    def __init__(self, call: HandlerCall, ack) -> None:
        self.call = call
        self.ack = ack

    def __call__(self, delivery, info, headers):
        report = self.call(event_value(delivery), info, headers)
        finished = time.perf_counter()
        if report is None:
            try:
                self.ack(delivery)
            except Exception as error:  # noqa: BLE001 - reported by the consumer, on its loop
                return report, finished, error
        return report, finished, None


class Consumer:
    """One `services.<name>.events[i]`: `concurrency` loops that fetch, handle and settle events."""

    IDLE_WAIT = 1.0  # seconds a fetch waits for events before looking at the stop flag again

    def __init__(self, spec, call: HandlerCall, broker, pool, metrics, logs, concurrency: int | None = None) -> None:
        self.spec = spec
        self.broker = broker
        self.pool = pool
        self.metrics = metrics
        self.logs = logs
        self.concurrency = concurrency or spec.concurrency
        self.name = f"{socket.gethostname()}-{os.getpid()}-{spec.service}-{spec.index}"
        self.stopping = False
        self.in_flight = 0
        self._call_then_ack = _CallThenAck(call, broker.ack)

    async def run(self) -> None:
        await asyncio.to_thread(self.broker.declare, self.spec.topic, [self.spec.group])
        await asyncio.gather(*(self._loop(i) for i in range(self.concurrency)))

    async def _loop(self, slot: int) -> None:
        spec = self.spec
        consumer = f"{self.name}-{slot}"
        while not self.stopping:
            try:
                deliveries = await asyncio.to_thread(self.broker.fetch, spec.topic, spec.group, consumer,
                                                     spec.prefetch, spec.visibility, self.IDLE_WAIT)
            except Exception as error:  # noqa: BLE001 - the broker is away: wait, then try again
                self.logs.event("error", "event fetch failed", service=spec.service, topic=spec.topic,
                                group=spec.group, error=str(error))
                await asyncio.sleep(1.0)
                continue
            for index, delivery in enumerate(deliveries):
                if self.stopping:
                    # fetched but not started: back to the queue for another worker
                    for left in deliveries[index:]:
                        await asyncio.to_thread(self.broker.release, left)
                    break
                await self._handle(delivery)

    async def _handle(self, delivery) -> None:
        spec = self.spec
        info = EventInfo(spec.service, spec.topic, spec.group, delivery.event.get("id", ""), delivery.attempt)
        headers = delivery.event.get("headers") or {}
        job = Job(self._call_then_ack, (delivery, info, headers), self.pool.loop().create_future(), spec.timeout)
        self.in_flight += 1
        started = time.perf_counter()
        try:
            self.pool.submit(job)
            result = await job.future
        finally:
            self.in_flight -= 1
        if result is TIMED_OUT:
            result = ({"error": f"the handler did not finish within {spec.timeout:g} s"}, time.perf_counter(), None)
        report, finished, unacked = result
        seconds = finished - started
        try:
            if report is None:
                outcome = "acked"
                if unacked is not None:
                    raise unacked
            elif delivery.attempt >= spec.attempts:
                outcome = "dead_lettered"
                await asyncio.to_thread(self.broker.dead_letter, delivery, report["error"])
            else:
                outcome = "retried"
                await asyncio.to_thread(self.broker.retry, delivery, spec.delay(delivery.attempt))
        except Exception as error:  # noqa: BLE001 - unsettled: the lease runs out and it comes again
            self.logs.event("error", "event settle failed", **info.ids(), error=str(error))
            return
        self.metrics.handled(spec.topic, spec.group, outcome, seconds, delivery.event.get("publishedAt"))
        if report is None:
            self.logs.event("debug", "event handled", **info.ids(), duration_ms=round(seconds * 1000, 3))
        else:
            level = "error" if outcome == "dead_lettered" else "warning"
            message = "event dead-lettered" if outcome == "dead_lettered" else "event handler failed"
            self.logs.event(level, message, **info.ids(), **report, duration_ms=round(seconds * 1000, 3))

    def stop(self) -> None:
        self.stopping = True
