"""What every broker does, whatever it runs on (the embedded SQLite queue, Redis Streams, NATS
JetStream, RabbitMQ). One implementation per file; the worker, `Publish` and `hyp events` see only
this interface, so they behave the same on all four.

Semantics every broker keeps:
- A topic is delivered to each consumer group declared for it (`declare`): every group gets every
  event published after it was declared; consumers of one group share the group's events.
- `publish` returns only once the event is durable (synced to disk, acknowledged by a persistent
  stream or queue). An event published with a delay is not delivered before it.
- A fetched delivery is leased to its consumer. `ack` ends it; `retry` delivers it again after a
  delay; a lease that runs out (the consumer died) delivers it again. `attempt` counts deliveries,
  from 1.
- `dead_letter` moves a delivery to the topic `<topic>.dlq` (durably, with the error in its
  headers) and then acknowledges it; `replay` moves dead letters back onto their topic.

Methods are synchronous and thread-safe: the worker calls them from its consumer threads and
`Publish` from handler threads.
"""

from __future__ import annotations

import abc
import datetime
import json
import uuid

DLQ_SUFFIX = ".dlq"


def now_text() -> str:
    """The current UTC time as ISO 8601 with milliseconds (`2026-12-06T04:15:00.123Z`)."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_event(topic: str, payload: object, *, headers: dict | None = None, key: str | None = None) -> dict:
    """The envelope every broker stores (as JSON): id, topic, payload, headers, key, publishedAt."""
    return {"id": uuid.uuid4().hex, "topic": topic, "payload": payload, "headers": dict(headers or {}),
            "key": key, "publishedAt": now_text()}


# how every broker stores an event (json.dumps would build an encoder per call)
event_text = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def dlq_topic(topic: str) -> str:
    return topic + DLQ_SUFFIX


class BrokerError(Exception):
    """The broker cannot be reached or refused an operation; the message names the backend."""


class Delivery:
    """One delivery of an event to a consumer of a group. `handle` is the broker's own."""

    __slots__ = ("attempt", "event", "group", "handle", "topic")

    def __init__(self, topic: str, group: str, event: dict, attempt: int, handle: object) -> None:
        self.topic = topic
        self.group = group
        self.event = event
        self.attempt = attempt
        self.handle = handle

    def __repr__(self) -> str:
        return f"Delivery({self.topic!r}, {self.group!r}, id={self.event.get('id')!r}, attempt={self.attempt})"


class Broker(abc.ABC):
    backend = "?"

    @abc.abstractmethod
    def declare(self, topic: str, groups) -> None:
        """Make sure `topic` exists and that each of `groups` receives its events from now on.
        Idempotent, and cheap to call again."""

    @abc.abstractmethod
    def publish(self, event: dict, delay: float = 0.0) -> None:
        """Store `event` (from `new_event`) on `event["topic"]` durably, for every group declared
        for it; not delivered before `delay` seconds."""

    @abc.abstractmethod
    def fetch(self, topic: str, group: str, consumer: str, count: int, lease: float, wait: float) -> list[Delivery]:
        """Up to `count` deliveries for `group`, waiting up to `wait` seconds for the first; each
        leased to `consumer` for `lease` seconds."""

    @abc.abstractmethod
    def ack(self, delivery: Delivery) -> None:
        """The delivery was handled: it is never delivered to this group again."""

    @abc.abstractmethod
    def retry(self, delivery: Delivery, delay: float) -> None:
        """Deliver it again (attempt + 1) after `delay` seconds."""

    def release(self, delivery: Delivery) -> None:
        """Give back a delivery whose handler never ran (a worker stopping): deliver it again at
        once. Brokers that can do so do not count it as an attempt; the others retry it."""
        self.retry(delivery, 0.0)

    @abc.abstractmethod
    def dead_letter(self, delivery: Delivery, error: str) -> None:
        """Publish the event to `<topic>.dlq` with headers `x-error`, `x-attempts`, `x-group` and
        `x-failed-at`, then acknowledge the delivery."""

    @abc.abstractmethod
    def stats(self, topics) -> list[dict]:
        """Per topic of `topics`: {topic, pending, inFlight, deadLetter} summed over its groups
        (pending: waiting or delayed; inFlight: leased to a consumer)."""

    @abc.abstractmethod
    def dead_letters(self, topic: str, limit: int = 100) -> list[dict]:
        """The dead-lettered events of `topic`, oldest first (their headers name the error)."""

    @abc.abstractmethod
    def waiting(self, topic: str, group: str, limit: int = 100) -> list[dict]:
        """Events of `topic` not yet acknowledged by `group`, oldest first, without leasing them."""

    @abc.abstractmethod
    def replay(self, topic: str, ids=None) -> int:
        """Move the dead letters of `topic` (all, or those whose id is in `ids`) back onto `topic`,
        with their original ids and fresh attempts; returns how many moved."""

    @abc.abstractmethod
    def purge_dead_letters(self, topic: str) -> int:
        """Delete the dead letters of `topic`; returns how many."""

    @abc.abstractmethod
    def ping(self) -> None:
        """Raise BrokerError unless the broker answers."""

    @abc.abstractmethod
    def close(self) -> None:
        ...
