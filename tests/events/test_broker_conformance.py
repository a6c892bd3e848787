"""Every broker keeps the semantics of services.events.broker: the same tests on each."""

import threading
import time

import pytest

from hypnoscript.services.events.broker import new_event


def test_round_trip_keeps_the_envelope(broker_factory, topic):
    broker = broker_factory()
    broker.declare(topic, ["billing"])
    event = new_event(topic, {"n": 1, "items": ["a", {"b": None}], "text": "Zoë ✨"}, headers={"h": "v"}, key="k1")
    broker.publish(event)
    (delivery,) = broker.fetch(topic, "billing", "c1", 10, lease=30, wait=2)
    assert delivery.event == event
    assert (delivery.topic, delivery.group, delivery.attempt) == (topic, "billing", 1)
    broker.ack(delivery)
    assert broker.fetch(topic, "billing", "c1", 10, lease=30, wait=0.3) == []


def test_events_come_in_publish_order(broker_factory, topic):
    broker = broker_factory()
    broker.declare(topic, ["g"])
    ids = []
    for i in range(20):
        event = new_event(topic, i)
        ids.append(event["id"])
        broker.publish(event)
    got = []
    while len(got) < 20:
        batch = broker.fetch(topic, "g", "c1", 7, lease=30, wait=2)
        assert batch
        for d in batch:
            got.append(d.event["id"])
            broker.ack(d)
    assert got == ids


def test_every_group_gets_every_event_and_a_group_shares_them(broker_factory, topic):
    broker = broker_factory()
    other = broker_factory()
    broker.declare(topic, ["billing", "reporting"])
    published = set()
    for i in range(30):
        event = new_event(topic, i)
        published.add(event["id"])
        broker.publish(event)
    for group in ("billing", "reporting"):
        seen = []
        lock = threading.Lock()

        def consume(b, consumer):
            while True:
                batch = b.fetch(topic, group, consumer, 3, lease=30, wait=0.5)
                if not batch:
                    return
                for d in batch:
                    with lock:
                        seen.append((consumer, d.event["id"]))
                    b.ack(d)

        threads = [threading.Thread(target=consume, args=(b, f"c{i}")) for i, b in enumerate((broker, other))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(e for _, e in seen) == sorted(published), group
        assert len(seen) == 30, "each event once per group"


def test_a_group_gets_the_events_published_after_it_was_declared(broker_factory, topic):
    broker = broker_factory()
    broker.declare(topic, ["early"])
    broker.publish(new_event(topic, "before"))
    broker.declare(topic, ["early", "late"])
    after = new_event(topic, "after")
    broker.publish(after)
    early = []
    while len(early) < 2:
        batch = broker.fetch(topic, "early", "c", 10, lease=30, wait=2)
        assert batch
        early += batch
    assert [d.event["payload"] for d in early] == ["before", "after"]
    late = broker.fetch(topic, "late", "c", 10, lease=30, wait=2)
    assert [d.event["id"] for d in late] == [after["id"]]


def test_retry_delivers_again_after_the_delay(broker_factory, topic):
    broker = broker_factory()
    broker.declare(topic, ["g"])
    broker.publish(new_event(topic, "x"))
    (first,) = broker.fetch(topic, "g", "c", 1, lease=30, wait=2)
    broker.retry(first, 1.0)
    assert broker.fetch(topic, "g", "c", 1, lease=30, wait=0.3) == []
    (second,) = broker.fetch(topic, "g", "c", 1, lease=30, wait=3)
    assert second.event["id"] == first.event["id"]
    assert second.attempt == 2
    broker.ack(second)


def test_an_expired_lease_delivers_again(broker_factory, topic):
    broker = broker_factory()
    broker.declare(topic, ["g"])
    broker.publish(new_event(topic, "x"))
    (first,) = broker.fetch(topic, "g", "dead-consumer", 1, lease=1.0, wait=2)
    assert broker.fetch(topic, "g", "c2", 1, lease=30, wait=0.2) == [], "leased, so not delivered twice at once"
    time.sleep(1.2)
    (again,) = broker.fetch(topic, "g", "c2", 1, lease=30, wait=3)
    assert again.event["id"] == first.event["id"]
    assert again.attempt == 2
    broker.ack(again)
    assert broker.fetch(topic, "g", "c2", 1, lease=30, wait=0.3) == []


def test_a_delayed_event_waits(broker_factory, topic):
    broker = broker_factory()
    broker.declare(topic, ["g"])
    broker.publish(new_event(topic, "later"), delay=1.0)
    broker.publish(new_event(topic, "now"))
    (now,) = broker.fetch(topic, "g", "c", 10, lease=30, wait=2)
    assert now.event["payload"] == "now"
    broker.ack(now)
    assert broker.fetch(topic, "g", "c", 10, lease=30, wait=0.2) == []
    (later,) = broker.fetch(topic, "g", "c", 10, lease=30, wait=3)
    assert later.event["payload"] == "later"
    broker.ack(later)


def test_dead_letters_replay_and_purge(broker_factory, topic):
    broker = broker_factory()
    broker.declare(topic, ["g"])
    events = [new_event(topic, i, headers={"keep": "yes"}) for i in range(3)]
    for event in events:
        broker.publish(event)
    deliveries = broker.fetch(topic, "g", "c", 3, lease=30, wait=2)
    assert len(deliveries) == 3
    for d in deliveries:
        broker.dead_letter(d, f"boom {d.event['payload']}")
    assert broker.fetch(topic, "g", "c", 3, lease=30, wait=0.3) == []
    dead = broker.dead_letters(topic)
    assert [e["id"] for e in dead] == [e["id"] for e in events]
    assert dead[0]["headers"]["x-error"] == "boom 0"
    assert dead[0]["headers"]["x-attempts"] == "1"
    assert dead[0]["headers"]["x-group"] == "g"
    assert dead[0]["headers"]["keep"] == "yes"
    assert broker.stats([topic]) == [{"topic": topic, "pending": 0, "inFlight": 0, "deadLetter": 3}]

    assert broker.replay(topic, [events[1]["id"]]) == 1
    (back,) = broker.fetch(topic, "g", "c", 3, lease=30, wait=2)
    assert back.event["id"] == events[1]["id"]
    assert back.event["payload"] == 1
    assert back.event["headers"] == {"keep": "yes"}
    assert back.attempt == 1
    broker.ack(back)
    assert [e["id"] for e in broker.dead_letters(topic)] == [events[0]["id"], events[2]["id"]]
    assert broker.purge_dead_letters(topic) == 2
    assert broker.dead_letters(topic) == []
    assert broker.replay(topic) == 0


def test_stats_and_waiting(broker_factory, topic):
    broker = broker_factory()
    broker.declare(topic, ["g"])
    events = [new_event(topic, i) for i in range(4)]
    for event in events:
        broker.publish(event)
    leased = broker.fetch(topic, "g", "c", 1, lease=30, wait=2)
    assert len(leased) == 1
    assert broker.stats([topic]) == [{"topic": topic, "pending": 3, "inFlight": 1, "deadLetter": 0}]
    assert [e["id"] for e in broker.waiting(topic, "g")] == [e["id"] for e in events]
    broker.ack(leased[0])
    assert [e["id"] for e in broker.waiting(topic, "g")] == [e["id"] for e in events[1:]]


def test_published_events_survive_a_restart(broker_factory, topic):
    broker = broker_factory()
    broker.declare(topic, ["g"])
    event = new_event(topic, "durable")
    broker.publish(event)
    broker.close()
    reopened = broker_factory()
    (delivery,) = reopened.fetch(topic, "g", "c", 1, lease=30, wait=2)
    assert delivery.event == event
    reopened.ack(delivery)


def test_a_waiting_fetch_wakes_for_a_new_event(broker_factory, topic):
    broker = broker_factory()
    producer = broker_factory()
    broker.declare(topic, ["g"])
    got = []
    consumer = threading.Thread(target=lambda: got.extend(broker.fetch(topic, "g", "c", 1, lease=30, wait=5)))
    consumer.start()
    time.sleep(0.3)
    started = time.monotonic()
    producer.publish(new_event(topic, "wake"))
    consumer.join()
    assert [d.event["payload"] for d in got] == ["wake"]
    assert time.monotonic() - started < 2.5
    broker.ack(got[0])


def test_ping(broker_factory):
    broker_factory().ping()


def test_a_released_delivery_comes_back_at_once_with_its_attempt_not_counted(broker_factory, topic):
    from hypnoscript.services.events.broker import Broker

    broker = broker_factory()
    if type(broker).release is Broker.release:
        pytest.skip(f"{broker_factory.backend} gives back by retrying (the default release)")
    broker.declare(topic, ["g"])
    events = [new_event(topic, i) for i in range(2)]
    for event in events:
        broker.publish(event)

    def fetch(consumer, n):
        got = []
        deadline = time.monotonic() + 3  # well within the 30 s lease
        while len(got) < n and time.monotonic() < deadline:
            got += broker.fetch(topic, "g", consumer, n - len(got), lease=30, wait=0.5)
        return [(d.event["id"], d.attempt) for d in got], got

    seen, fetched = fetch("stopping", 2)
    assert seen == [(e["id"], 1) for e in events]
    for delivery in fetched:
        broker.release(delivery)
    seen, (first, second) = fetch("c2", 2)
    assert seen == [(e["id"], 1) for e in events]

    broker.ack(second)
    broker.retry(first, 0.0)
    seen, (retried,) = fetch("c2", 1)
    assert seen == [(events[0]["id"], 2)]
    broker.release(retried)
    seen, (released,) = fetch("c3", 1)
    assert seen == [(events[0]["id"], 2)]
    broker.ack(released)
    assert broker.fetch(topic, "g", "c3", 2, lease=30, wait=0.3) == []


def test_a_sqlite_queue_file_of_the_earlier_layout_keeps_its_events(tmp_path, topic):
    import json
    import sqlite3

    from hypnoscript.services.events.sqlite_broker import SqliteBroker

    path = str(tmp_path / "queue.db")
    old = sqlite3.connect(path, isolation_level=None)
    old.executescript("""
        CREATE TABLE hyp_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, topic TEXT NOT NULL,
                                 body TEXT NOT NULL);
        CREATE INDEX hyp_events_topic ON hyp_events (topic, seq);
        CREATE TABLE hyp_groups (topic TEXT NOT NULL, grp TEXT NOT NULL, PRIMARY KEY (topic, grp));
        CREATE TABLE hyp_deliveries (grp TEXT NOT NULL, seq INTEGER NOT NULL, topic TEXT NOT NULL,
                                     visible_at REAL NOT NULL, attempt INTEGER NOT NULL DEFAULT 0, consumer TEXT,
                                     PRIMARY KEY (grp, seq)) WITHOUT ROWID;
        CREATE INDEX hyp_deliveries_due ON hyp_deliveries (topic, grp, visible_at, seq);
    """)
    events = [new_event(topic, i) for i in range(3)]
    dead = new_event(topic + ".dlq", "dead", headers={"x-error": "boom"})
    old.executemany("INSERT INTO hyp_groups VALUES (?, ?)", [(topic, "a"), (topic, "b")])
    for event in events + [dead]:
        old.execute("INSERT INTO hyp_events (id, topic, body) VALUES (?, ?, ?)",
                    (event["id"], event["topic"], json.dumps(event)))
    # group a is done with the first event; the second is retried (attempt 1 counted)
    old.executemany("INSERT INTO hyp_deliveries (grp, seq, topic, visible_at, attempt) VALUES (?, ?, ?, 0, ?)",
                    [("a", 2, topic, 1), ("a", 3, topic, 0), ("b", 1, topic, 0), ("b", 2, topic, 0),
                     ("b", 3, topic, 0)])
    old.close()

    broker = SqliteBroker(path)
    try:
        got = {group: broker.fetch(topic, group, "c", 10, lease=30, wait=0) for group in ("a", "b")}
        assert [(d.event["id"], d.attempt) for d in got["a"]] == [(events[1]["id"], 2), (events[2]["id"], 1)]
        assert [d.event["id"] for d in got["b"]] == [e["id"] for e in events]
        assert [e["id"] for e in broker.dead_letters(topic)] == [dead["id"]]
        for delivery in got["a"] + got["b"]:
            broker.ack(delivery)
        assert broker.stats([topic]) == [{"topic": topic, "pending": 0, "inFlight": 0, "deadLetter": 1}]
        remaining = sqlite3.connect(path).execute("SELECT id FROM hyp_events").fetchall()
        assert remaining == [(dead["id"],)]  # acknowledged by both groups: gone
    finally:
        broker.close()
