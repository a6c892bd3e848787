"""Brokers under test: each backend opens on a namespace of its own (a file, a key prefix, a
stream or queue prefix), so tests never see each other's events.

`BACKENDS` maps a backend name to `open(tmp_path, namespace) -> factory`, where `factory()` opens
one more broker on the same queue (a second consumer, or the queue after a restart).
"""

import uuid

import pytest


def _sqlite(tmp_path, namespace):
    from hypnoscript.services.events.sqlite_broker import SqliteBroker

    path = str(tmp_path / f"{namespace}.db")
    return lambda: SqliteBroker(path)


BACKENDS = {"sqlite": _sqlite}


def _amqp(tmp_path, namespace):
    import servers

    servers.require(servers.RABBITMQ)
    from hypnoscript.services.events.amqp_broker import AmqpBroker

    return lambda: AmqpBroker(servers.RABBITMQ_URL, prefix=namespace + ".", timeout=10)


BACKENDS["amqp"] = _amqp


def _redis(tmp_path, namespace):
    import servers

    servers.require(servers.REDIS)
    from hypnoscript.services.events.redis_broker import RedisBroker

    url = f"redis://{servers.REDIS[1]}:{servers.REDIS[2]}/0"
    return lambda: RedisBroker(url, prefix=namespace + ":", timeout=5)


BACKENDS["redis"] = _redis


def _nats(tmp_path, namespace):
    import servers

    servers.require(servers.NATS)
    from hypnoscript.services.events.nats_broker import NatsBroker

    return lambda: NatsBroker(servers.NATS_URL, prefix=namespace, timeout=5)


BACKENDS["nats"] = _nats


@pytest.fixture(params=sorted(BACKENDS))
def broker_factory(request, tmp_path):
    """A factory of brokers on one fresh queue; every broker it made is closed afterwards."""
    namespace = "t" + uuid.uuid4().hex[:10]
    opened = []
    open_one = BACKENDS[request.param](tmp_path, namespace)

    def factory():
        broker = open_one()
        opened.append(broker)
        return broker

    factory.backend = request.param
    factory.namespace = namespace
    yield factory
    for broker in opened:
        broker.close()
    if opened and hasattr(opened[0], "destroy"):
        opened[0].destroy()


@pytest.fixture
def topic():
    return "orders" + uuid.uuid4().hex[:8] + ".created"
