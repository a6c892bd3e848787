"""The RabbitMQ broker beyond the shared suite: several processes on one group, a killed
consumer, what it keeps on the server and how it fails."""

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import time
import uuid

import pytest
import servers

from hypnoscript.services.events.broker import BrokerError, new_event


@pytest.fixture
def amqp():
    """(factory, prefix): brokers on a fresh prefix, closed and deleted from the server afterwards."""
    servers.require(servers.RABBITMQ)
    from hypnoscript.services.events.amqp_broker import AmqpBroker

    prefix = "t" + uuid.uuid4().hex[:10] + "."
    opened = []

    def factory(timeout=10):
        broker = AmqpBroker(servers.RABBITMQ_URL, prefix=prefix, timeout=timeout)
        opened.append(broker)
        return broker

    yield factory, prefix
    for broker in opened:
        broker.close()
    if opened:
        opened[0].destroy()


@pytest.fixture
def topic():
    return "orders" + uuid.uuid4().hex[:8] + ".created"


def _server(coro_fn):
    """Run `coro_fn(channel)` on a connection of its own (to look at the server directly)."""
    import aio_pika

    async def run():
        connection = await aio_pika.connect(servers.RABBITMQ_URL, timeout=10)
        try:
            channel = await connection.channel()
            return await coro_fn(await channel.get_underlay_channel())
        finally:
            await connection.close()

    return asyncio.run(run())


def _exists(name):
    import aiormq

    async def probe(channel):
        try:
            await channel.queue_declare(name, passive=True)
            return True
        except aiormq.exceptions.ChannelNotFoundEntity:
            return False

    return _server(probe)


_CONSUMER = textwrap.dedent("""
    import json, sys, time
    from hypnoscript.services.events.amqp_broker import AmqpBroker
    url, prefix, topic, mode = sys.argv[1:5]
    broker = AmqpBroker(url, prefix=prefix, timeout=10)
    print("ready", flush=True)
    seen = []
    while True:
        batch = broker.fetch(topic, "g", "p", 2, lease=60, wait=5 if mode == "hold" else 0.5)
        for d in batch:
            seen.append([d.event["id"], d.attempt])
            if mode == "hold":
                print(json.dumps(seen), flush=True)
                time.sleep(60)
            time.sleep(0.05)  # some work, so that the other process gets its share
            broker.ack(d)
        if not batch:
            break
    print(json.dumps(seen), flush=True)
    broker.close()
""")


def _consumer(prefix, topic, mode):
    process = subprocess.Popen([sys.executable, "-c", _CONSUMER, servers.RABBITMQ_URL, prefix, topic, mode],
                               stdout=subprocess.PIPE, text=True, cwd=os.getcwd())
    assert process.stdout.readline().strip() == "ready"
    return process


@pytest.mark.slow
def test_two_processes_share_a_group(amqp, topic):
    factory, prefix = amqp
    broker = factory()
    broker.declare(topic, ["g"])
    published = []
    for i in range(40):
        event = new_event(topic, i)
        published.append(event["id"])
        broker.publish(event)
    consumers = [_consumer(prefix, topic, "ack") for _ in range(2)]
    seen = []
    for process in consumers:
        out, _ = process.communicate(timeout=60)
        mine = [tuple(pair) for pair in json.loads(out.strip().splitlines()[-1])]
        assert mine, "both processes get some of the group's events"
        seen += mine
    assert sorted(i for i, _ in seen) == sorted(published), "each event once to the group"
    assert {attempt for _, attempt in seen} == {1}
    assert broker.stats([topic]) == [{"topic": topic, "pending": 0, "inFlight": 0, "deadLetter": 0}]


def test_a_killed_consumer_gives_its_events_back_before_the_lease_ends(amqp, topic):
    factory, prefix = amqp
    broker = factory()
    broker.declare(topic, ["g"])
    event = new_event(topic, "held")
    broker.publish(event)
    process = _consumer(prefix, topic, "hold")
    held = json.loads(process.stdout.readline())
    assert held == [[event["id"], 1]]
    process.kill()
    process.wait(10)
    (again,) = broker.fetch(topic, "g", "c", 1, lease=30, wait=5)  # the lease was 60 s
    assert (again.event["id"], again.attempt) == (event["id"], 2)
    broker.ack(again)


def test_a_retry_goes_to_its_group_only(amqp, topic):
    broker = amqp[0]()
    broker.declare(topic, ["a", "b"])
    broker.publish(new_event(topic, "x"))
    (for_a,) = broker.fetch(topic, "a", "c", 5, lease=30, wait=2)
    (for_b,) = broker.fetch(topic, "b", "c", 5, lease=30, wait=2)
    broker.ack(for_b)
    broker.retry(for_a, 0.3)
    (again,) = broker.fetch(topic, "a", "c", 5, lease=30, wait=3)
    assert (again.event, again.attempt) == (for_a.event, 2)
    broker.retry(again, 0)
    (third,) = broker.fetch(topic, "a", "c", 5, lease=30, wait=3)
    assert third.attempt == 3
    broker.ack(third)
    assert broker.fetch(topic, "b", "c", 5, lease=30, wait=0.5) == []


def test_an_ack_after_the_lease_ran_out_changes_nothing(amqp, topic):
    broker = amqp[0]()
    broker.declare(topic, ["g"])
    first, second = new_event(topic, 1), new_event(topic, 2)
    broker.publish(first)
    broker.publish(second)
    late, kept = broker.fetch(topic, "g", "c", 2, lease=0.3, wait=2)
    broker.ack(kept)
    time.sleep(0.6)
    broker.ack(late)  # its lease ran out: RabbitMQ has it again, the ack must not remove it
    (again,) = broker.fetch(topic, "g", "c", 5, lease=30, wait=2)
    assert (again.event["id"], again.attempt) == (first["id"], 2)
    broker.ack(again)


def test_events_are_kept_in_durable_quorum_queues_as_persistent_messages(amqp, topic):
    factory, prefix = amqp
    broker = factory()
    broker.declare(topic, ["g"])
    event = new_event(topic, "kept")
    broker.publish(event)

    async def look(channel):
        # a declare whose properties differ from the queue's is refused, so this one passing
        # says the queue is durable and a quorum queue (replicated, written to disk)
        await channel.queue_declare(f"{prefix}{topic}/g", durable=True, arguments={"x-queue-type": "quorum"})
        message = await channel.basic_get(f"{prefix}{topic}/g", no_ack=True)
        return message.header.properties.delivery_mode, json.loads(message.body)

    assert _server(look) == (2, event)


def test_destroy_deletes_every_queue_of_the_prefix(amqp, topic):
    factory, prefix = amqp
    first, second = factory(), factory()
    first.declare(topic, ["g"])
    second.declare(topic + ".other", ["h"])  # declared by another broker object
    second.publish(new_event(topic, "later"), delay=5)
    first.publish(new_event(topic, "x"))
    (delivery,) = first.fetch(topic, "g", "c", 1, lease=30, wait=2)
    first.dead_letter(delivery, "boom")
    names = [f"{prefix}{topic}/g", f"{prefix}{topic}.other/h", f"{prefix}{topic}.dlq", f"{prefix}#delay.publish.5000"]
    assert [_exists(name) for name in names] == [True] * 4
    second.close()
    first.destroy()
    assert [_exists(name) for name in names + [f"{prefix}#names"]] == [False] * 5


def test_stats_of_another_process_find_the_groups(amqp, topic):
    factory, _ = amqp
    worker = factory()
    worker.declare(topic, ["a", "b"])
    for i in range(3):
        worker.publish(new_event(topic, i))
    assert factory().stats([topic]) == [{"topic": topic, "pending": 6, "inFlight": 0, "deadLetter": 0}]


def test_a_fetch_for_an_undeclared_group_waits_and_finds_nothing(amqp, topic):
    broker = amqp[0]()
    started = time.monotonic()
    assert broker.fetch(topic, "nobody", "c", 1, lease=30, wait=0.3) == []
    assert time.monotonic() - started >= 0.3


def test_unreachable_server_is_a_broker_error_within_the_timeout():
    from hypnoscript.services.events.amqp_broker import AmqpBroker

    started = time.monotonic()
    with pytest.raises(BrokerError) as refused:
        AmqpBroker("amqp://guest:guest@127.0.0.1:1/", prefix="x.", timeout=2)
    assert str(refused.value) == "RabbitMQ at 127.0.0.1:1: cannot connect: connection refused"
    assert time.monotonic() - started < 3


def test_refused_login_is_a_broker_error():
    servers.require(servers.RABBITMQ)
    from hypnoscript.services.events.amqp_broker import AmqpBroker

    url = servers.RABBITMQ_URL.replace("guest:guest@", "guest:wrong@")
    with pytest.raises(BrokerError, match=r"cannot connect: ACCESS_REFUSED"):
        AmqpBroker(url, prefix="x.", timeout=5)


def test_a_lost_connection_is_opened_again(amqp, topic):
    broker = amqp[0]()
    broker.declare(topic, ["g"])

    async def drop():
        await broker._conn.close()

    broker._call(drop(), "drop the connection")
    event = new_event(topic, "after")
    broker.publish(event)
    (delivery,) = broker.fetch(topic, "g", "c", 1, lease=30, wait=2)
    assert delivery.event == event
    broker.ack(delivery)


def test_close_ends_a_waiting_fetch(amqp, topic):
    import threading

    broker = amqp[0]()
    broker.declare(topic, ["g"])
    got = []
    waiting = threading.Thread(target=lambda: got.append(broker.fetch(topic, "g", "c", 1, lease=30, wait=10)))
    waiting.start()
    time.sleep(0.3)
    started = time.monotonic()
    broker.close()
    waiting.join(5)
    assert got == [[]]
    assert time.monotonic() - started < 2
    with pytest.raises(BrokerError, match="the broker is closed"):
        broker.publish(new_event(topic, "late"))


def test_a_topic_name_amqp_refuses_is_a_broker_error(amqp):
    broker = amqp[0]()
    with pytest.raises(BrokerError, match=r'cannot name the queue ".*orders\?/g": RabbitMQ allows up to 255'):
        broker.declare("orders?", ["g"])


def test_a_server_that_never_answers_is_a_broker_error_after_the_timeout():
    import socket

    from hypnoscript.services.events.amqp_broker import AmqpBroker

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(BrokerError) as timed_out:
            AmqpBroker(f"amqp://guest:guest@127.0.0.1:{port}/", prefix="x.", timeout=1)
        assert str(timed_out.value) == f"RabbitMQ at 127.0.0.1:{port}: cannot connect: no answer within 1 s"
        assert time.monotonic() - started < 2.5


def test_threads_share_one_broker(amqp, topic):
    import threading

    broker = amqp[0]()
    broker.declare(topic, ["g"])
    published = [new_event(topic, i) for i in range(60)]
    seen = []
    lock = threading.Lock()

    def consume(name):
        while True:
            batch = broker.fetch(topic, "g", name, 3, lease=30, wait=1)
            if not batch:
                return
            for d in batch:
                with lock:
                    seen.append(d.event["id"])
                broker.ack(d) if d.event["payload"] % 5 else broker.retry(d, 0) if d.attempt == 1 else broker.ack(d)

    producer = threading.Thread(target=lambda: [broker.publish(e) for e in published])
    consumers = [threading.Thread(target=consume, args=(f"c{i}",)) for i in range(4)]
    for thread in [producer, *consumers]:
        thread.start()
    for thread in [producer, *consumers]:
        thread.join(60)
    retried = [e["id"] for e in published if e["payload"] % 5 == 0]
    assert sorted(seen) == sorted([e["id"] for e in published] + retried)
    assert broker.stats([topic]) == [{"topic": topic, "pending": 0, "inFlight": 0, "deadLetter": 0}]


def _publish(broker, topic, n):
    events = [new_event(topic, i) for i in range(n)]
    for event in events:
        broker.publish(event)
    return [e["id"] for e in events]


def _buffered(broker, topic, group, n):
    """Wait until RabbitMQ has pushed `n` messages to `broker`'s buffer of the group."""
    deadline = time.monotonic() + 5
    while broker.stats([topic])[0]["pending"] and time.monotonic() < deadline:
        stream = broker._streams.get(broker._queue(topic, group))
        if stream is not None and len(stream.buffer) == n:
            return
        time.sleep(0.01)
    raise AssertionError(f"{n} messages were not pushed")


def test_close_gives_back_the_buffered_events_without_counting_a_delivery(amqp, topic):
    factory, _ = amqp
    broker = factory()
    broker.declare(topic, ["g"])
    ids = _publish(broker, topic, 5)
    first = broker.fetch(topic, "g", "c", 2, lease=30, wait=2)  # a prefetch of 2
    first += broker.fetch(topic, "g", "c", 2 - len(first), lease=30, wait=2)
    for delivery in first:
        broker.ack(delivery)
    _buffered(broker, topic, "g", 2)
    broker.close()
    other = factory()
    rest = other.fetch(topic, "g", "c", 10, lease=30, wait=2)
    while len(rest) < 3:
        rest += other.fetch(topic, "g", "c", 10, lease=30, wait=2)
    # the given-back copies go to the end of the queue
    assert [(d.event["id"], d.attempt) for d in rest] == [(ids[4], 1), (ids[2], 1), (ids[3], 1)]
    assert [d.event["id"] for d in first] == ids[:2]


def test_a_buffer_no_fetch_takes_from_goes_back_after_the_lease(amqp, topic):
    factory, _ = amqp
    idle, other = factory(), factory()
    idle.declare(topic, ["g"])
    ids = _publish(idle, topic, 3)
    (delivery,) = idle.fetch(topic, "g", "c", 1, lease=0.5, wait=2)
    idle.ack(delivery)
    _buffered(idle, topic, "g", 1)
    assert other.fetch(topic, "g", "c", 10, lease=30, wait=0.2)[0].event["id"] == ids[2]
    (back,) = other.fetch(topic, "g", "c", 10, lease=30, wait=3)
    assert (back.event["id"], back.attempt) == (ids[1], 1)
    assert idle.stats([topic]) == [{"topic": topic, "pending": 0, "inFlight": 0, "deadLetter": 0}]


def test_release_does_not_count_a_delivery(amqp, topic):
    broker = amqp[0]()
    broker.declare(topic, ["g"])
    ids = _publish(broker, topic, 1)
    (delivery,) = broker.fetch(topic, "g", "c", 1, lease=30, wait=2)
    broker.retry(delivery, 0)
    (again,) = broker.fetch(topic, "g", "c", 1, lease=30, wait=2)
    assert again.attempt == 2
    broker.release(again)
    (released,) = broker.fetch(topic, "g", "c", 1, lease=30, wait=2)
    assert (released.event["id"], released.attempt) == (ids[0], 2)
    broker.ack(released)


def test_waiting_counts_a_delivery_only_for_the_ready_events_it_read(amqp, topic):
    broker = amqp[0]()
    broker.declare(topic, ["g"])
    ids = _publish(broker, topic, 4)
    (leased,) = broker.fetch(topic, "g", "c", 1, lease=30, wait=2)  # a prefetch of 1
    assert [e["id"] for e in broker.waiting(topic, "g")] == ids
    broker.ack(leased)
    _buffered(broker, topic, "g", 1)
    assert [e["id"] for e in broker.waiting(topic, "g")] == ids[1:]
    seen = []
    while len(seen) < 3:
        for delivery in broker.fetch(topic, "g", "c", 1, lease=30, wait=2):
            seen.append((delivery.event["id"], delivery.attempt))
            broker.ack(delivery)
    # ids[1] was read as ready by the first listing only, ids[2] and ids[3] by both
    assert seen == [(ids[1], 2), (ids[2], 3), (ids[3], 3)]
