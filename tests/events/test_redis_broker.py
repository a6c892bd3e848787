"""The Redis broker beyond the conformance suite: consumers in two processes, the server's
persistence, a server that crashes or is absent, trimming and cleaning up, stale acknowledgements."""

import json
import shutil
import socket
import subprocess
import sys
import textwrap
import time

import pytest

import servers
from hypnoscript.services.events.broker import BrokerError, new_event


@pytest.fixture
def open_redis(redis_cache):
    """Opens brokers on the test's own prefix (or another URL); closes them afterwards."""
    url, prefix = redis_cache
    opened = []

    def open_one(on=None, **kwargs):
        from hypnoscript.services.events.redis_broker import RedisBroker

        broker = RedisBroker(on or url, prefix=kwargs.pop("prefix", prefix), timeout=kwargs.pop("timeout", 5))
        opened.append(broker)
        return broker

    open_one.url, open_one.prefix = url, prefix
    yield open_one
    for broker in opened:
        broker.close()


@pytest.fixture
def topic():
    return "orders.created"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _ScratchServer:
    """A redis-server of the test's own, appending every write to its file before replying."""

    def __init__(self, folder) -> None:
        self.folder = str(folder)
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.folder,
             "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not servers._listening("127.0.0.1", self.port):
            assert time.monotonic() < deadline, "the scratch redis-server did not start"
            time.sleep(0.05)

    def crash(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture
def scratch_server(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = _ScratchServer(tmp_path)
    server.start()
    yield server
    if server.process.poll() is None:
        server.crash()


@pytest.mark.slow
def test_two_processes_share_one_group(open_redis, topic):
    broker = open_redis()
    broker.declare(topic, ["billing"])
    published = [new_event(topic, i) for i in range(40)]
    for event in published:
        broker.publish(event)
    consumer = textwrap.dedent(f"""
        import json, sys, time
        from hypnoscript.services.events.redis_broker import RedisBroker
        broker = RedisBroker({open_redis.url!r}, prefix={open_redis.prefix!r}, timeout=5)
        seen = []
        while True:
            batch = broker.fetch({topic!r}, "billing", sys.argv[1], 2, lease=30, wait=1.5)
            if not batch:
                break
            for delivery in batch:
                time.sleep(0.05)
                seen.append(delivery.event["id"])
                broker.ack(delivery)
        print(json.dumps(seen))
    """)
    runs = [subprocess.Popen([sys.executable, "-c", consumer, f"worker{i}"], stdout=subprocess.PIPE, text=True)
            for i in range(2)]
    seen = [json.loads(run.communicate(timeout=60)[0]) for run in runs]
    assert all(seen), "both processes handled events"
    assert sorted(seen[0] + seen[1]) == sorted(e["id"] for e in published)
    assert len(seen[0]) + len(seen[1]) == 40, "each event once"
    assert broker.stats([topic]) == [{"topic": topic, "pending": 0, "inFlight": 0, "deadLetter": 0}]


def test_durability_reports_the_server_settings(open_redis):
    import redis

    client = redis.Redis.from_url(open_redis.url, decode_responses=True)
    try:
        config = client.config_get("append*")
    finally:
        client.close()
    assert open_redis().durability() == {
        "appendonly": config["appendonly"], "appendfsync": config["appendfsync"],
        "syncedBeforeReply": config["appendonly"] == "yes" and config["appendfsync"] == "always"}


def test_an_append_only_server_keeps_published_and_leased_events_through_a_crash(scratch_server, topic):
    from hypnoscript.services.events.redis_broker import RedisBroker

    broker = RedisBroker(scratch_server.url, prefix="shop:", timeout=2)
    assert broker.durability() == {"appendonly": "yes", "appendfsync": "always", "syncedBeforeReply": True}
    broker.declare(topic, ["g"])
    events = [new_event(topic, i) for i in range(3)]
    for event in events:
        broker.publish(event)
    (leased,) = broker.fetch(topic, "g", "c1", 1, lease=0.5, wait=2)
    scratch_server.crash()
    with pytest.raises(BrokerError, match=r"^redis broker: publish to orders\.created failed: "):
        broker.publish(new_event(topic, "lost"))
    broker.close()

    scratch_server.start()
    time.sleep(0.6)
    reopened = RedisBroker(scratch_server.url, prefix="shop:", timeout=2)
    got = reopened.fetch(topic, "g", "c2", 10, lease=30, wait=2)
    assert [(d.event, d.attempt) for d in got] == [(events[0], 2), (events[1], 1), (events[2], 1)]
    assert leased.event == events[0]
    reopened.close()


def test_an_absent_server_is_a_broker_error_within_the_timeout():
    from hypnoscript.services.events.redis_broker import RedisBroker

    started = time.monotonic()
    with pytest.raises(BrokerError, match=r"^redis broker: connecting failed: .*[Cc]onnect"):
        RedisBroker(f"redis://127.0.0.1:{_free_port()}/0", prefix="p:", timeout=2)
    assert time.monotonic() - started < 3
    with pytest.raises(BrokerError, match=r"^redis broker: bad URL 'redis://127\.0\.0\.1:port/0': "):
        RedisBroker("redis://127.0.0.1:port/0", prefix="p:", timeout=2)


def test_a_key_of_another_type_is_a_broker_error(open_redis, topic):
    broker = open_redis()
    broker.client.set(broker._stream(topic), "not a stream")
    with pytest.raises(BrokerError, match=r"^redis broker: XGROUP CREATE g on orders\.created failed: WRONGTYPE"):
        broker.declare(topic, ["g"])
    with pytest.raises(BrokerError, match=r"^redis broker: publish to orders\.created failed: .*WRONGTYPE"):
        broker.publish(new_event(topic, 1))


def test_retry_delivers_again_to_that_group_only(open_redis, topic):
    broker = open_redis()
    broker.declare(topic, ["a", "b"])
    broker.publish(new_event(topic, "x"))
    (first_a,) = broker.fetch(topic, "a", "c", 1, lease=30, wait=2)
    (first_b,) = broker.fetch(topic, "b", "c", 1, lease=30, wait=2)
    broker.retry(first_a, 0.3)
    broker.ack(first_b)
    assert broker.fetch(topic, "b", "c", 1, lease=30, wait=0.6) == []
    (again,) = broker.fetch(topic, "a", "c", 1, lease=30, wait=2)
    assert (again.event, again.attempt) == (first_a.event, 2)


def test_a_waiting_fetch_wakes_for_a_retry_from_another_process(open_redis, topic):
    import threading

    waiter, other = open_redis(), open_redis()
    waiter.declare(topic, ["g"])
    other.publish(new_event(topic, "x"))
    (first,) = other.fetch(topic, "g", "c1", 1, lease=30, wait=2)
    got = []
    thread = threading.Thread(target=lambda: got.extend(waiter.fetch(topic, "g", "c2", 1, lease=30, wait=4)))
    thread.start()
    time.sleep(0.3)
    started = time.monotonic()
    other.retry(first, 0)
    thread.join()
    assert [(d.event["id"], d.attempt) for d in got] == [(first.event["id"], 2)]
    assert time.monotonic() - started < 1


def test_an_ack_after_the_lease_ran_out_leaves_the_new_delivery_alone(open_redis, topic):
    broker = open_redis()
    broker.declare(topic, ["g"])
    event = new_event(topic, "x")
    broker.publish(event)
    (late,) = broker.fetch(topic, "g", "slow", 1, lease=0.3, wait=2)
    time.sleep(0.4)
    (current,) = broker.fetch(topic, "g", "fast", 1, lease=30, wait=2)
    assert current.attempt == 2
    broker.ack(late)
    broker.retry(late, 0)
    broker.dead_letter(late, "too late")
    assert broker.stats([topic]) == [{"topic": topic, "pending": 0, "inFlight": 1, "deadLetter": 0}]
    assert broker.waiting(topic, "g") == [event]
    broker.ack(current)
    assert broker.waiting(topic, "g") == []


def test_acknowledged_events_are_trimmed_and_a_topic_without_groups_stores_nothing(open_redis, topic):
    broker = open_redis()
    broker.TIDY_EVERY = 0
    broker.declare(topic, ["a", "b"])
    for i in range(5):
        broker.publish(new_event(topic, i))
    for delivery in broker.fetch(topic, "a", "c", 10, lease=30, wait=2):
        broker.ack(delivery)
    assert broker.client.xlen(broker._stream(topic)) == 5, "b has not had them yet"
    for delivery in broker.fetch(topic, "b", "c", 10, lease=30, wait=2):
        broker.ack(delivery)
    assert broker.client.xlen(broker._stream(topic)) == 1, "only the last delivered entry, as a marker"
    broker.publish(new_event("nobody.listens", 1))
    broker.publish(new_event("nobody.listens", 2), delay=5)
    assert broker.client.exists(broker._stream("nobody.listens"), broker._delayed("nobody.listens")) == 0


def test_consumers_idle_and_holding_nothing_are_deleted(open_redis, topic):
    broker = open_redis()
    broker.TIDY_EVERY, broker.CONSUMER_IDLE = 0, 0.2
    broker.declare(topic, ["g"])
    broker.publish(new_event(topic, 1))
    broker.publish(new_event(topic, 2))
    (gone,) = broker.fetch(topic, "g", "old", 1, lease=30, wait=2)
    broker.ack(gone)
    (held,) = broker.fetch(topic, "g", "holder", 1, lease=30, wait=2)
    time.sleep(0.3)
    broker.publish(new_event(topic, 3))
    (fresh,) = broker.fetch(topic, "g", "new", 1, lease=30, wait=2)
    broker.ack(fresh)
    names = sorted(c["name"] for c in broker.client.xinfo_consumers(broker._stream(topic), "g"))
    assert names == ["holder", "new"]
    broker.ack(held)


def test_waiting_lists_delayed_events_in_publish_order(open_redis, topic):
    broker = open_redis()
    broker.declare(topic, ["g"])
    first, second, third = (new_event(topic, i) for i in range(3))
    broker.publish(first)
    time.sleep(0.01)
    broker.publish(second, delay=30)
    time.sleep(0.01)
    broker.publish(third)
    assert broker.waiting(topic, "g") == [first, second, third]
    assert broker.stats([topic]) == [{"topic": topic, "pending": 3, "inFlight": 0, "deadLetter": 0}]
    assert [d.event for d in broker.fetch(topic, "g", "c", 10, lease=30, wait=0.2)] == [first, third]


def test_destroy_deletes_the_broker_keys_and_nothing_else(open_redis, topic):
    broker = open_redis()
    neighbour = open_redis(prefix=open_redis.prefix + "other:")
    for b in (broker, neighbour):
        b.declare(topic, ["g"])
        b.publish(new_event(topic, 1))
        b.publish(new_event(topic, 2), delay=30)
    broker.client.set(open_redis.prefix + "cached", "kept")
    broker.destroy()
    assert sorted(broker.client.scan_iter(match=open_redis.prefix + "*")) == sorted(
        [open_redis.prefix + "cached"] + list(neighbour.client.scan_iter(match=neighbour.ns + "*")))
    assert broker.stats([topic]) == [{"topic": topic, "pending": 0, "inFlight": 0, "deadLetter": 0}]
    assert neighbour.stats([topic]) == [{"topic": topic, "pending": 2, "inFlight": 0, "deadLetter": 0}]
    neighbour.destroy()


def test_a_fetch_waiting_when_the_broker_closes_returns_nothing(open_redis, topic):
    import threading

    broker = open_redis()
    broker.declare(topic, ["g"])
    got = []
    thread = threading.Thread(target=lambda: got.append(broker.fetch(topic, "g", "c", 1, lease=30, wait=5)))
    thread.start()
    time.sleep(0.3)
    started = time.monotonic()
    broker.close()
    thread.join(5)
    assert got == [[]]
    assert time.monotonic() - started < 1


def test_a_fetch_that_read_the_whole_stream_still_sees_its_lease_run_out(open_redis, topic):
    broker = open_redis()
    broker.declare(topic, ["g"])
    event = new_event(topic, "x")
    broker.publish(event)
    (first,) = broker.fetch(topic, "g", "c", 10, lease=0.5, wait=2)
    started = time.monotonic()
    (again,) = broker.fetch(topic, "g", "c", 10, lease=30, wait=3)
    assert (again.event, again.attempt) == (event, 2)
    assert 0.3 < time.monotonic() - started < 1.5


def test_scripts_flushed_by_the_server_are_loaded_again(open_redis, topic):
    broker = open_redis()
    broker.declare(topic, ["g"])
    broker.publish(new_event(topic, 1))
    broker.client.script_flush()
    (delivery,) = broker.fetch(topic, "g", "c", 10, lease=30, wait=2)
    broker.client.script_flush()
    broker.ack(delivery)
    assert broker.stats([topic]) == [{"topic": topic, "pending": 0, "inFlight": 0, "deadLetter": 0}]


def test_a_connection_the_server_dropped_is_replaced(open_redis, topic):
    broker = open_redis()
    broker.declare(topic, ["g"])
    broker.publish(new_event(topic, 1))
    for conn in broker._connections:
        host, port = conn._sock.getsockname()[:2]
        broker.client.client_kill(f"{host}:{port}")
    broker.publish(new_event(topic, 2))
    assert [d.event["payload"] for d in broker.fetch(topic, "g", "c", 10, lease=30, wait=2)] == [1, 2]
