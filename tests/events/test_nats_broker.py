"""What the NATS JetStream broker does beyond the shared conformance suite: how it lays out the
server, leases longer than the consumers' ack wait, consumers in other processes (sharing a
group, dying with a lease), delayed events' attempts, and errors."""

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
import uuid

import pytest
import servers

from hypnoscript.services.events.broker import BrokerError, new_event

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def nats_prefix():
    servers.require(servers.NATS)
    from hypnoscript.services.events.nats_broker import NatsBroker

    prefix = "t" + uuid.uuid4().hex[:10]
    yield prefix
    cleaner = NatsBroker(servers.NATS_URL, prefix=prefix, timeout=5)
    cleaner.destroy()
    cleaner.close()


@pytest.fixture
def open_broker(nats_prefix):
    """Opens brokers on the test's prefix (optionally a subclass with shorter ack waits)."""
    from hypnoscript.services.events.nats_broker import NatsBroker

    opened = []

    def open_one(kind=NatsBroker):
        broker = kind(servers.NATS_URL, prefix=nats_prefix, timeout=5)
        opened.append(broker)
        return broker

    yield open_one
    for broker in opened:
        broker.close()


def _quick_leases():
    from hypnoscript.services.events.nats_broker import NatsBroker

    class QuickLeases(NatsBroker):
        ACK_WAIT = 2.0
        HEARTBEAT = 0.5

    return QuickLeases


def _api(subject: str, request: dict | None = None) -> dict:
    import asyncio

    import nats

    async def ask():
        nc = await nats.connect(servers.NATS_URL)
        try:
            reply = await nc.request("$JS.API." + subject, json.dumps(request or {}).encode(), timeout=5)
            return json.loads(reply.data)
        finally:
            await nc.close()

    return asyncio.run(ask())


def test_streams_are_file_backed_and_groups_are_durable_pull_consumers(open_broker, nats_prefix):
    broker = open_broker()
    broker.declare("orders.created", ["billing"])
    events = _api(f"STREAM.INFO.hyp-{nats_prefix}-events")["config"]
    assert (events["storage"], events["retention"], events["subjects"]) == (
        "file", "interest", [f"hyp.{nats_prefix}.e.*"])
    dlq = _api(f"STREAM.INFO.hyp-{nats_prefix}-dlq")["config"]
    assert (dlq["storage"], dlq["retention"], dlq["subjects"]) == ("file", "limits", [f"hyp.{nats_prefix}.d.*"])
    consumer = _api(f"CONSUMER.INFO.hyp-{nats_prefix}-events.orders_2ecreated-billing")["config"]
    assert consumer["durable_name"] == "orders_2ecreated-billing"
    assert consumer["filter_subject"] == f"hyp.{nats_prefix}.e.orders_2ecreated"
    assert (consumer["deliver_policy"], consumer["ack_policy"], consumer["ack_wait"]) == ("new", "explicit", 10 * 10**9)
    assert "deliver_subject" not in consumer


def test_an_event_of_a_topic_without_groups_is_not_kept(open_broker, nats_prefix):
    broker = open_broker()
    broker.publish(new_event("nobody.listens", 1))
    assert _api(f"STREAM.INFO.hyp-{nats_prefix}-events")["state"]["messages"] == 0
    broker.declare("nobody.listens", ["g"])
    assert broker.fetch("nobody.listens", "g", "c", 10, lease=30, wait=0.3) == []


def test_topics_whose_names_encode_alike_stay_apart(open_broker):
    broker = open_broker()
    topics = ["a.b", "a_2eb", "a b", "a*b", "a>b", "Zoë.✨"]
    for topic in topics:
        broker.declare(topic, ["g"])
        broker.publish(new_event(topic, topic))
    for topic in topics:
        (delivery,) = broker.fetch(topic, "g", "c", 10, lease=30, wait=2)
        assert delivery.event["payload"] == topic
        broker.ack(delivery)
    assert [s["pending"] + s["inFlight"] for s in broker.stats(topics)] == [0] * len(topics)


@pytest.mark.slow
def test_a_lease_longer_than_the_ack_wait_is_kept_then_given_back(open_broker):
    broker = open_broker(_quick_leases())
    other = open_broker(_quick_leases())
    broker.declare("jobs", ["g"])
    broker.publish(new_event("jobs", "long"))
    (first,) = broker.fetch("jobs", "g", "c1", 1, lease=4.0, wait=2)
    assert other.fetch("jobs", "g", "c2", 1, lease=30, wait=3.0) == [], "kept past the 2 s ack wait"
    (again,) = other.fetch("jobs", "g", "c2", 1, lease=30, wait=2.5)
    assert (again.event["id"], again.attempt) == (first.event["id"], 2)
    broker.ack(first)  # too late: ignored, the event stays with c2
    assert other.stats(["jobs"]) == [{"topic": "jobs", "pending": 0, "inFlight": 1, "deadLetter": 0}]
    other.ack(again)
    assert other.stats(["jobs"]) == [{"topic": "jobs", "pending": 0, "inFlight": 0, "deadLetter": 0}]


def test_a_delayed_event_counts_its_attempts_from_one(open_broker):
    broker = open_broker()
    broker.declare("later", ["g"])
    broker.publish(new_event("later", "early fetch"), delay=0.5)
    assert broker.fetch("later", "g", "c", 1, lease=30, wait=0.2) == []
    (due,) = broker.fetch("later", "g", "c", 1, lease=30, wait=2)
    assert (due.event["payload"], due.attempt) == ("early fetch", 1)
    broker.retry(due, 0)
    (retried,) = broker.fetch("later", "g", "c", 1, lease=30, wait=2)
    assert retried.attempt == 2
    broker.ack(retried)

    broker.publish(new_event("later", "late fetch"), delay=0.3)
    time.sleep(0.5)
    (late,) = broker.fetch("later", "g", "c", 1, lease=30, wait=2)
    assert (late.event["payload"], late.attempt) == ("late fetch", 1)
    broker.ack(late)


def test_one_broker_serves_many_threads(open_broker):
    broker = open_broker()
    broker.declare("busy", ["g"])
    published = [new_event("busy", i) for i in range(60)]
    seen, lock = [], threading.Lock()

    def produce(events):
        for event in events:
            broker.publish(event)

    def consume(name):
        while True:
            batch = broker.fetch("busy", "g", name, 5, lease=30, wait=1.0)
            if not batch:
                return
            for d in batch:
                broker.ack(d)
                with lock:
                    seen.append(d.event["id"])

    threads = [threading.Thread(target=produce, args=(published[i::3],)) for i in range(3)]
    threads += [threading.Thread(target=consume, args=(f"c{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == sorted(e["id"] for e in published)


CONSUMER = textwrap.dedent("""
    import json, os, sys
    sys.path.insert(0, {root!r})
    from hypnoscript.services.events.nats_broker import NatsBroker

    class QuickLeases(NatsBroker):
        ACK_WAIT = 2.0
        HEARTBEAT = 0.5

    broker = QuickLeases({url!r}, prefix={prefix!r}, timeout=5)
    print("ready", flush=True)
    mode = sys.argv[1]
    if mode == "die":
        (d,) = broker.fetch("work", "g", "doomed", 1, lease=60, wait=5)
        print(json.dumps([d.event["id"]]), flush=True)
        os._exit(0)
    got = []
    while True:
        batch = broker.fetch("work", "g", mode, 4, lease=30, wait=1.5)
        if not batch:
            break
        for d in batch:
            got.append(d.event["id"])
            broker.ack(d)
    broker.close()
    print(json.dumps(got))
""")


def _consumer(prefix: str, mode: str) -> subprocess.Popen:
    script = CONSUMER.format(root=ROOT, url=servers.NATS_URL, prefix=prefix)
    return subprocess.Popen([sys.executable, "-c", script, mode], stdout=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_consumers_in_two_processes_share_a_group(open_broker, nats_prefix):
    broker = open_broker()
    broker.declare("work", ["g"])
    workers = [_consumer(nats_prefix, f"p{i}") for i in range(2)]
    assert [w.stdout.readline() for w in workers] == ["ready\n"] * 2
    published = []
    for i in range(40):
        event = new_event("work", i)
        published.append(event["id"])
        broker.publish(event)
        time.sleep(0.01)
    outputs = [json.loads(w.communicate(timeout=60)[0]) for w in workers]
    assert sorted(outputs[0] + outputs[1]) == sorted(published), "each event once"
    assert outputs[0] and outputs[1], "both processes took a share"


def test_the_lease_of_a_process_that_died_runs_out(open_broker, nats_prefix):
    broker = open_broker(_quick_leases())
    broker.declare("work", ["g"])
    event = new_event("work", "orphan")
    broker.publish(event)
    doomed = _consumer(nats_prefix, "die")
    assert doomed.stdout.readline() == "ready\n"
    assert json.loads(doomed.communicate(timeout=30)[0]) == [event["id"]]
    died = time.monotonic()
    (again,) = broker.fetch("work", "g", "c", 1, lease=30, wait=5)
    assert (again.event["id"], again.attempt) == (event["id"], 2)
    assert time.monotonic() - died < 3.5, "within the 2 s ack wait, not the 60 s lease"
    broker.ack(again)


def test_an_unreachable_server_is_a_broker_error_in_time():
    from hypnoscript.services.events.nats_broker import NatsBroker

    started = time.monotonic()
    with pytest.raises(BrokerError) as error:
        NatsBroker("nats://127.0.0.1:1", prefix="x", timeout=1.5)
    assert time.monotonic() - started < 3
    assert str(error.value) == "NATS 127.0.0.1:1: cannot connect: connection refused"


def test_a_fetch_for_an_undeclared_group_is_a_broker_error(open_broker):
    broker = open_broker()
    with pytest.raises(BrokerError) as error:
        broker.fetch("never", "g", "c", 1, lease=30, wait=0.2)
    assert str(error.value).endswith("cannot fetch never: the group g is not declared")


def test_a_closed_broker_says_so(open_broker):
    broker = open_broker()
    broker.close()
    with pytest.raises(BrokerError) as error:
        broker.publish(new_event("t", 1))
    assert str(error.value) == "NATS 127.0.0.1:4222: cannot publish to t: the broker is closed"


def test_acks_not_yet_confirmed_are_counted_by_stats_and_waiting(open_broker):
    broker = open_broker()
    broker.declare("quick", ["g"])
    for i in range(20):
        broker.publish(new_event("quick", i))
    got = []
    while len(got) < 20:
        batch = broker.fetch("quick", "g", "c", 10, lease=30, wait=2)
        assert batch
        got += batch
    for delivery in got[:15]:
        broker.ack(delivery)
    assert broker.stats(["quick"]) == [{"topic": "quick", "pending": 0, "inFlight": 5, "deadLetter": 0}]
    assert [e["payload"] for e in broker.waiting("quick", "g")] == list(range(15, 20))
    for delivery in got[15:]:
        broker.ack(delivery)
    assert broker.waiting("quick", "g") == []


def test_acks_sent_before_close_reach_the_server(open_broker):
    broker = open_broker()
    broker.declare("closing", ["g"])
    broker.publish(new_event("closing", 1))
    (delivery,) = broker.fetch("closing", "g", "c", 1, lease=30, wait=2)
    broker.ack(delivery)
    broker.close()
    assert open_broker().stats(["closing"]) == [{"topic": "closing", "pending": 0, "inFlight": 0, "deadLetter": 0}]
    with pytest.raises(BrokerError) as error:
        broker.ack(delivery)
    assert str(error.value) == "NATS 127.0.0.1:4222: cannot acknowledge closing for g: the broker is closed"


def test_a_publishing_connection_the_server_dropped_is_replaced(open_broker):
    import socket

    broker = open_broker()
    broker.declare("dropped", ["g"])
    broker.publish(new_event("dropped", 1))
    for publisher in broker._plain_idle:
        publisher.sock.shutdown(socket.SHUT_RDWR)
    broker.publish(new_event("dropped", 2))
    got = broker.fetch("dropped", "g", "c", 10, lease=30, wait=2)
    assert [d.event["payload"] for d in got] == [1, 2]


def test_a_publish_after_the_streams_were_deleted_makes_them_again(open_broker):
    broker, other = open_broker(), open_broker()
    broker.declare("gone", ["g"])
    broker.publish(new_event("gone", "before"))
    other.destroy()
    broker.publish(new_event("gone", "unheard"))  # no group any more: not kept
    other.declare("gone", ["g"])
    broker.publish(new_event("gone", "after"))
    assert [d.event["payload"] for d in other.fetch("gone", "g", "c", 10, lease=30, wait=2)] == ["after"]


@pytest.mark.parametrize("auth, credentials", [(["--auth", "s3cret"], "s3cret@"),
                                               (["--user", "hyp", "--pass", "pw1"], "hyp:pw1@")])
def test_a_server_that_wants_credentials_gets_those_of_the_url(tmp_path, auth, credentials):
    import shutil
    import socket

    from hypnoscript.services.events.nats_broker import NatsBroker

    server = shutil.which("nats-server")
    if server is None:
        pytest.skip("nats-server is not installed")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen([server, "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(tmp_path), *auth],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not servers._listening("127.0.0.1", port):
            assert time.monotonic() < deadline, "the scratch nats-server did not start"
            time.sleep(0.05)
        broker = NatsBroker(f"nats://{credentials}127.0.0.1:{port}", prefix="auth", timeout=5)
        try:
            broker.declare("secured", ["g"])
            broker.publish(new_event("secured", "in"))
            broker.publish(new_event("secured", "later"), delay=0.2)
            got = broker.fetch("secured", "g", "c", 10, lease=30, wait=2)
            got += broker.fetch("secured", "g", "c", 10, lease=30, wait=2)
            assert [d.event["payload"] for d in got] == ["in", "later"]
        finally:
            broker.close()
    finally:
        process.terminate()
        process.wait(10)


def test_a_publishing_connection_the_server_closed_as_stale_is_replaced(open_broker):
    import socket

    broker = open_broker()
    broker.declare("stale", ["g"])
    broker.publish(new_event("stale", 1))
    # what an idle connection finds when it is used again: the server's last word, then the end
    with socket.create_server(("127.0.0.1", 0)) as listener:
        for publisher in broker._plain_idle:
            publisher.sock.close()
            publisher.sock = socket.create_connection(listener.getsockname())
            server_side, _ = listener.accept()
            server_side.sendall(b"-ERR 'Stale Connection'\r\n")
            server_side.close()
    broker.publish(new_event("stale", 2))
    got = broker.fetch("stale", "g", "c", 10, lease=30, wait=2)
    assert [d.event["payload"] for d in got] == [1, 2]


def test_without_plain_connections_publishes_go_through_the_client(open_broker):
    broker = open_broker()
    broker._plain = None  # as for a TLS server or a list of servers
    broker.declare("client", ["g"])
    broker.publish(new_event("client", "now"))
    broker.publish(new_event("client", "later"), delay=0.2)
    got = broker.fetch("client", "g", "c", 10, lease=30, wait=2)
    got += broker.fetch("client", "g", "c", 10, lease=30, wait=2)
    assert [d.event["payload"] for d in got] == ["now", "later"]
    assert broker._plain_idle == []
    broker.close()
    with pytest.raises(BrokerError) as error:
        broker.publish(new_event("client", 1))
    assert str(error.value) == "NATS 127.0.0.1:4222: cannot publish to client: the broker is closed"
