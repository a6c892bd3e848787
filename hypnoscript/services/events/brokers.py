"""Opening the broker that `infrastructure.messaging.url` names."""

from __future__ import annotations

import os

from hypnoscript.services.events.broker import Broker, BrokerError

SCHEMES = {
    "sqlite": "sqlite",
    "redis": "redis", "rediss": "redis",
    "nats": "nats", "tls": "nats",
    "amqp": "amqp", "amqps": "amqp",
}


def open_broker(url: str, root: str, *, prefix: str, timeout: float = 10.0) -> Broker:
    """The broker for `url`; a relative SQLite path is taken from `root`. `prefix` keeps the
    streams, keys and queues of one project apart from others' on a shared server."""
    scheme = url.split("://", 1)[0].lower()
    kind = SCHEMES.get(scheme)
    if kind == "sqlite":
        from hypnoscript.services.events.sqlite_broker import SqliteBroker

        path = url.split("://", 1)[1]
        path = path[1:] if path.startswith("/") else path  # sqlite:///data/queue.db -> data/queue.db
        if path in ("", ":memory:"):
            raise BrokerError("the embedded queue needs a file (sqlite:///data/queue.db): "
                              "an in-memory queue would lose every event")
        return SqliteBroker(path if os.path.isabs(path) else os.path.join(root, path), timeout)
    if kind == "redis":
        from hypnoscript.services.events.redis_broker import RedisBroker

        return RedisBroker(url, prefix=prefix, timeout=timeout)
    if kind == "nats":
        from hypnoscript.services.events.nats_broker import NatsBroker

        return NatsBroker(url, prefix=prefix, timeout=timeout)
    if kind == "amqp":
        from hypnoscript.services.events.amqp_broker import AmqpBroker

        return AmqpBroker(url, prefix=prefix, timeout=timeout)
    raise BrokerError(f"unsupported messaging URL scheme \"{scheme}://\" "
                      "(expected sqlite://, redis://, nats:// or amqp://)")
