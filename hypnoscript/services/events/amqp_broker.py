"""RabbitMQ (AMQP 0-9-1, `amqp://user:pass@host:5672/vhost`) through aio-pika.

aio-pika is asyncio-based and the interface is synchronous and thread-safe, so each broker object
runs one private event loop in a daemon thread; every method (but ack) submits a coroutine to it
and waits for the result. All state of the object (channels, leases) is only touched on that loop.

Names (all under the prefix, `P`; AMQP allows letters, digits, `-_.:@#,/+` and spaces in them):
- `P#events`: a durable direct exchange; an event is published with its topic as routing key.
  Its alternate exchange `P#unrouted` leads to a queue of length 0, so an event of a topic without
  groups counts as routed and is dropped.
- `P<topic>/<group>`: per group a durable quorum queue bound to `P#events` with the topic as key,
  declared by `declare`, so the group gets every event published after that.
- `P<topic>.dlq`: the dead letters of a topic (durable quorum queue).
- `P#delay.<kind>.<ms>`: quorum queues with `x-message-ttl` that dead-letter their messages when
  the delay is over, at least once (a message that routes nowhere would be kept and tried again
  for ever, hence `P#unrouted`): kind `publish` back to `P#events` (a delayed publish keeps its
  topic as routing key), kind `retry` to the default exchange (a retry is published with the
  group's queue as routing key, so it reaches that group only). They are reached through the
  headers exchange `P#delay` (the routing key must stay the final one) and expire when unused.
- `P#names`: a classic durable queue listing every queue this prefix created (one message each),
  so `stats` of another process finds a topic's groups and `destroy` finds everything.

Mapping:
- publish: persistent message with publisher confirms; it returns when RabbitMQ confirmed it,
  i.e. the quorum queues of the topic's groups hold it on disk.
- fetch: the first fetch of a group starts a `basic.consume` of its queue on this object's
  consuming channel with a prefetch of that fetch's count; RabbitMQ pushes up to that many
  unacknowledged messages (leased or buffered), and fetches take them from the buffer, oldest first.
  When this object's leases use up the prefetch, a fetch takes further ready messages with
  `basic.get`. attempt = the quorum queue's `x-delivery-count` + the `hyp-attempt` header
  (deliveries before a copy was made: a delayed retry, a give-back) + 1.
- give-back: pushed messages that no fetch took go back without counting a delivery: a confirmed
  copy (same id, same attempt) is published to the end of the group's queue, then the original is
  acknowledged. This happens at `close` and when no fetch of the group ran for the longest lease
  its fetches asked for while the buffer held messages (the consumer is cancelled then; the next
  fetch starts it again). `release` gives back a leased delivery the same way.
- leases: RabbitMQ returns unacknowledged messages when the consumer's channel or connection
  closes (a killed or closed worker), counting a delivery. A lease that runs out while the
  consumer lives is enforced here: a timer on the loop rejects (requeues) a delivery whose lease
  ran out, and a later ack/retry of it does nothing, as on the other brokers. This works across
  processes because each process enforces the leases it holds; a process whose loop thread is
  stuck holds its deliveries until its connection drops (or the server's `consumer_timeout`,
  30 minutes by default, closes the channel: leases longer than that end there).
- ack: the calling thread queues it and returns; the loop sends the queued acks (without waiting:
  basic.ack has no answer) before it runs any later call of this object, so those see the event
  settled. An ack lost with the connection only redelivers the event.
- retry(0): reject with requeue (the delivery count grows). retry(delay): a copy goes to the
  `retry` delay queue (confirmed) and then the delivery is acknowledged.
- dead_letter: the event with its `x-` headers is published (confirmed) to `P<topic>.dlq`, then
  the delivery is acknowledged. dead_letters/replay read that queue with `basic.get` and return
  what stays with a requeueing nack, which keeps the order; purge_dead_letters purges it.
- stats: pending = ready messages of the group queues (passive declare) + this object's buffered
  ones, inFlight = this object's leases, deadLetter = messages of the dlq.

Differences:
- inFlight counts the deliveries leased by this broker object only: AMQP reports a queue's ready
  messages and consumers, not the unacknowledged ones of other connections. Likewise the messages
  pushed to another process's buffer (at most its prefetch per group) are in neither pending nor
  inFlight here.
- A given-back message (close, an idle buffer, `release`) goes to the end of its queue, behind
  events published after it. A process that dies (no close) has its buffered messages returned by
  RabbitMQ with its leases, which counts a delivery for them too.
- pending does not count events still waiting in a delay queue (a delayed publish, a retry with
  backoff): they are counted once their delay is over.
- waiting lists this object's leased deliveries and buffered messages (no delivery counted), then
  the queue's ready messages, which it reads with `basic.get` and returns with a requeueing nack:
  RabbitMQ counts that as a delivery, so each listing raises the attempt of the ready events it
  read by one (AMQP has no way to read a quorum queue's message without delivering it). Events
  leased or buffered by other processes (a running `hyp worker`) are not listed, and are not
  counted. A listing by a process that consumes the group allows up to 0.2 s for messages on
  their way to its buffer.
- dead_letters and replay hold the dead letters they read until they return them (milliseconds);
  another reader at that moment sees fewer.
"""

from __future__ import annotations

import _thread
import asyncio
import collections
import functools
import itertools
import json
import logging
import re
import threading
import time
from urllib.parse import urlsplit

from hypnoscript.services.events.broker import Broker, BrokerError, Delivery, dlq_topic, event_text, now_text

_SEPARATORS = ":._-/"
_NAME = re.compile(r"[a-zA-Z0-9\-_.:@#,/+ ]*")
_POLL_FIRST, _POLL_MAX = 0.02, 0.2  # seconds between looks (basic.get, the consumer) while a fetch waits
_IN_TRANSIT = 0.2  # seconds `waiting` allows for deliveries on their way to this object's consumer
_DELAY_GRACE = 60.0  # a delay queue outlives its last use by its delay plus this


class _Lease:
    __slots__ = ("event", "group", "seq", "stream", "timer", "topic")

    def __init__(self, topic, group, event, seq, timer, stream) -> None:
        self.topic, self.group, self.event, self.seq, self.timer = topic, group, event, seq, timer
        self.stream = stream  # the _Stream it was pushed by (its prefetch counts it), None after basic.get


class _Stream:
    """One `basic.consume` of a group's queue on the consuming channel, and what RabbitMQ pushed to
    it that no fetch took yet."""

    __slots__ = ("buffer", "gen", "group", "held", "hold", "last_fetch", "name", "prefetch", "stopped", "tag",
                 "timer", "topic")

    def __init__(self, name, topic, group, gen, prefetch, hold) -> None:
        self.name, self.topic, self.group, self.gen = name, topic, group, gen
        self.prefetch, self.hold = prefetch, hold
        self.buffer: collections.deque = collections.deque()
        self.held = 0  # pushed and not settled: buffered or leased (RabbitMQ stops at `prefetch`)
        self.last_fetch = 0.0
        self.stopped = False
        self.tag = None
        self.timer = None


class AmqpBroker(Broker):
    backend = "amqp"

    def __init__(self, url: str, *, prefix: str, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        try:
            port = parts.port or 5672
        except ValueError as error:  # a port that is not a number from 0 to 65535
            raise BrokerError(f"amqp broker: bad URL {url!r}: {error}") from None
        self.url = url
        self.where = f"RabbitMQ at {parts.hostname or 'localhost'}:{port}"
        self.timeout = timeout
        self.base = prefix if not prefix or prefix[-1] in _SEPARATORS else prefix + "."
        self._exchange = self.base + "#events"
        self._delay_exchange = self.base + "#delay"
        self._registry = self.base + "#names"
        self._unrouted = self.base + "#unrouted"
        self._conn = None
        self._get_channel = None  # consumers (and basic.get), ack and nack of fetched deliveries
        self._get_gen = 0  # delivery tags belong to one consuming channel
        self._pub_channel = None  # publisher confirms
        self._get_raw = self._pub_raw = None  # their underlying channels, for the fast paths
        self._admin_channel = None  # declares and binds
        self._leases: dict[tuple[int, int], _Lease] = {}
        self._streams: dict[str, _Stream] = {}  # queue name -> its consumer on the current channel
        self._acks: collections.deque = collections.deque()  # from any thread, sent by _send_acks
        self._acking = False  # a _send_acks is scheduled
        self._starting = asyncio.Lock()
        self._lease_seq = itertools.count()
        self._declared: dict[str, float] = {}  # queue/exchange name -> when this object declared it
        self._groups: dict[str, set[str]] = {}
        self._waiters: list[asyncio.Future] = []  # fetches waiting for a push, a publish or close
        self._connecting = asyncio.Lock()
        self._opening = asyncio.Lock()
        self._closed = False
        self._closing = False  # set by close(): waiting fetches return at once
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="hyp-amqp-broker", daemon=True)
        self._thread.start()
        try:
            self._call(self._ready(), "connect")
        except BrokerError:
            self._stop_loop()
            raise

    # running coroutines on the private loop

    def _call(self, coro, what: str, extra: float = 0.0):
        if self._closed:
            coro.close()
            raise BrokerError(f"{self.where}: cannot {what}: the broker is closed")
        # a task and a lock: a third lighter than run_coroutine_threadsafe's chained futures
        done = _thread.allocate_lock()
        done.acquire()
        box = []

        def start():
            task = self._loop.create_task(coro)
            box.append(task)
            task.add_done_callback(lambda _task: done.release())

        try:
            self._loop.call_soon_threadsafe(start)
        except RuntimeError:  # the loop was closed meanwhile
            coro.close()
            raise BrokerError(f"{self.where}: cannot {what}: the broker is closed") from None
        if not done.acquire(timeout=self.timeout + extra):
            self._loop.call_soon_threadsafe(_abandon, box)
            raise BrokerError(f"{self.where}: cannot {what}: no answer within {self.timeout:g} s")
        task = box[0]
        if task.cancelled():
            raise BrokerError(f"{self.where}: cannot {what}: the broker was closed meanwhile")
        error = task.exception()
        if error is None:
            return task.result()
        if isinstance(error, BrokerError):
            raise error
        # every client library error becomes a BrokerError
        raise BrokerError(f"{self.where}: cannot {what}: {_reason(error)}") from None

    def _stop_loop(self) -> None:
        async def drain():
            # callers in other threads get a BrokerError now, not after their timeout
            tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.wait(tasks, timeout=1.0)

        try:
            asyncio.run_coroutine_threadsafe(drain(), self._loop).result(2.0)
        except Exception:  # noqa: BLE001 - stopping goes on whatever the tasks did
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(self.timeout)
        if not self._thread.is_alive():
            self._loop.close()

    async def _ready(self):
        """The connection, opened again if it was lost (its leases are gone: RabbitMQ requeued them)."""
        if self._conn is not None and not self._conn.is_closed:
            return self._conn
        async with self._connecting:  # one connect, whichever threads' calls wait for it
            if self._conn is None or self._conn.is_closed:
                await self._connect()
        return self._conn

    async def _connect(self) -> None:
        import aio_pika

        # a failed connect is reported as a BrokerError: the client's own log line would repeat it
        logging.getLogger("aiormq.connection").setLevel(logging.CRITICAL)
        self._drop_leases()
        self._get_channel = self._pub_channel = self._get_raw = self._pub_raw = self._admin_channel = None
        self._conn = await aio_pika.connect(self.url, timeout=self.timeout)

    async def _channel(self, which: str):
        """The open underlying channel `which` (get, pub or admin), opened again if it closed."""
        conn = await self._ready()
        channel = getattr(self, f"_{which}_channel")
        if channel is None or channel.is_closed:
            async with self._opening:  # two channels opened at once would mix up delivery tags
                channel = getattr(self, f"_{which}_channel")
                if channel is None or channel.is_closed:
                    if which == "get":
                        self._drop_leases()
                        self._get_gen += 1
                    confirms = which == "pub"
                    channel = await conn.channel(publisher_confirms=confirms, on_return_raises=confirms)
                    setattr(self, f"_{which}_channel", channel)
        raw = await channel.get_underlay_channel()
        if which in ("get", "pub"):
            setattr(self, f"_{which}_raw", raw)
        return raw

    async def _scratch(self):
        """A channel of its own for operations that may close it (a passive declare of a queue that
        does not exist) or that hold messages (reading dead letters); closing it requeues them."""
        conn = await self._ready()
        return await conn.channel(publisher_confirms=False)

    def _drop_leases(self) -> None:
        """Forget the leases and buffers of the consuming channel (closed: RabbitMQ requeued them)."""
        for lease in self._leases.values():
            lease.timer.cancel()
        self._leases.clear()
        for stream in self._streams.values():
            stream.stopped = True
            stream.buffer.clear()
            if stream.timer is not None:
                stream.timer.cancel()
        self._streams.clear()

    # names and declarations

    def _queue(self, topic: str, group: str) -> str:
        return self._checked(f"{self.base}{topic}/{group}")

    def _dlq(self, topic: str) -> str:
        return self._checked(self.base + dlq_topic(topic))

    def _checked(self, name: str) -> str:
        if not _NAME.fullmatch(name) or len(name.encode()) > 255:
            raise BrokerError(f"{self.where}: cannot name the queue \"{name}\": RabbitMQ allows up to 255 "
                              "letters, digits, spaces and -_.:@#,/+ in topic and group names")
        return name

    async def _count(self, name: str) -> int | None:
        """Ready messages of queue `name`, None when it does not exist."""
        import aiormq

        channel = await self._scratch()
        try:
            raw = await channel.get_underlay_channel()
            return (await raw.queue_declare(name, passive=True)).message_count
        except aiormq.exceptions.ChannelNotFoundEntity:
            return None
        finally:
            if not channel.is_closed:
                await channel.close()

    async def _ensure_queue(self, name: str, arguments: dict, record: dict, refresh: float | None = None) -> None:
        """Declare a durable queue once per object (again after `refresh` seconds), and list it in
        the registry when it did not exist yet."""
        declared = self._declared.get(name)
        if declared is not None and (refresh is None or time.monotonic() - declared < refresh):
            return
        missing = await self._count(name) is None
        admin = await self._channel("admin")
        await admin.queue_declare(name, durable=True, arguments=arguments)
        if missing and name != self._registry:
            await self._ensure_queue(self._registry, {"x-queue-type": "classic"}, {})
            await self._publish_raw(json.dumps({"queue": name, **record}).encode(), "", self._registry)
        self._declared[name] = time.monotonic()

    async def _ensure_exchange(self, name: str, kind: str) -> None:
        if name in self._declared:
            return
        admin = await self._channel("admin")
        arguments = None
        if name == self._exchange:
            # events of a topic without groups go to a queue that keeps none, so a delayed one
            # counts as routed and the at-least-once dead-lettering of its delay queue lets go of it
            await admin.exchange_declare(self._unrouted, exchange_type="fanout", durable=True)
            await self._ensure_queue(self._unrouted, {"x-queue-type": "classic", "x-max-length": 0}, {})
            await admin.queue_bind(self._unrouted, self._unrouted)
            arguments = {"alternate-exchange": self._unrouted}
        await admin.exchange_declare(name, exchange_type=kind, durable=True, arguments=arguments)
        self._declared[name] = time.monotonic()

    async def _ensure_group(self, topic: str, group: str) -> None:
        name = self._queue(topic, group)
        if name in self._declared:
            return
        await self._ensure_exchange(self._exchange, "direct")
        await self._ensure_queue(name, {"x-queue-type": "quorum"}, {"topic": topic, "group": group})
        admin = await self._channel("admin")
        await admin.queue_bind(name, self._exchange, routing_key=topic)
        self._groups.setdefault(topic, set()).add(group)

    async def _delay_route(self, kind: str, delay: float) -> dict:
        """The headers that send a message through the `kind` delay queue for `delay` seconds."""
        ms = max(1, int(delay * 1000 + 0.999))
        name = f"{self.base}#delay.{kind}.{ms}"
        target = self._exchange if kind == "publish" else ""
        await self._ensure_exchange(self._delay_exchange, "headers")
        fresh = name not in self._declared
        await self._ensure_queue(name, {
            "x-queue-type": "quorum", "x-message-ttl": ms, "x-dead-letter-exchange": target,
            "x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish",
            "x-expires": 2 * ms + int(_DELAY_GRACE * 1000),
        }, {"delay": True}, refresh=ms / 1000 + _DELAY_GRACE / 2)
        if fresh:
            admin = await self._channel("admin")
            await admin.queue_bind(name, self._delay_exchange, arguments={"x-match": "all", "hyp-delay": f"{kind}.{ms}"})
        return {"hyp-delay": f"{kind}.{ms}"}

    async def _groups_of(self, topic: str) -> set[str]:
        """The groups of `topic`: those this object declared, else those in the registry."""
        if topic in self._groups:
            return self._groups[topic]
        return {r["group"] for r in await self._read_registry(remove=False)
                if r.get("topic") == topic and "group" in r}

    async def _read_registry(self, remove: bool) -> list[dict]:
        records = []
        async for _raw, _tag, body in self._read_all(self._registry, None, requeue=not remove):
            records.append(json.loads(body))
        return records

    async def _read_all(self, name: str, limit: int | None, requeue: bool):
        """(channel, tag, body) of the ready messages of queue `name` in order, on a scratch channel;
        those not acknowledged by the caller are returned in order (requeue) or acked afterwards."""
        import aiormq

        channel = await self._scratch()
        raw = await channel.get_underlay_channel()
        last = None
        try:
            while limit is None or limit > 0:
                try:
                    message = await raw.basic_get(name, no_ack=False)
                except aiormq.exceptions.ChannelNotFoundEntity:
                    return
                if message.delivery_tag is None:
                    break
                last = message.delivery_tag
                if limit is not None:
                    limit -= 1
                yield raw, last, message.body
            if last is not None:
                if requeue:
                    await raw.basic_nack(last, multiple=True, requeue=True)
                else:
                    await raw.basic_ack(last, multiple=True)
        finally:
            if not channel.is_closed:
                await channel.close()

    # publishing

    async def _publish_raw(self, body: bytes, exchange: str, key: str, headers: dict | None = None,
                           message_id: str | None = None, mandatory: bool = False) -> None:
        import pamqp.commands

        pub = self._pub_raw
        if pub is None or pub.is_closed or self._conn.is_closed:
            pub = await self._channel("pub")
        properties = pamqp.commands.Basic.Properties(
            content_type="application/json", delivery_mode=2, headers=headers or None, message_id=message_id)
        await pub.basic_publish(body, exchange=exchange, routing_key=key, properties=properties,
                                mandatory=mandatory)

    async def _publish_delayed(self, kind: str, delay: float, body: bytes, key: str, headers: dict,
                               message_id: str) -> None:
        import aiormq

        for again in (False, True):
            route = await self._delay_route(kind, delay)
            try:
                return await self._publish_raw(body, self._delay_exchange, key, {**headers, **route},
                                               message_id, mandatory=True)
            except aiormq.exceptions.PublishError:
                # the delay queue expired since this object declared it: declare it again
                self._declared.pop(f"{self.base}#delay.{route['hyp-delay']}", None)
                if again:
                    raise

    def _encode(self, event: dict) -> bytes:
        return event_text(event).encode()

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    # the interface

    def declare(self, topic: str, groups) -> None:
        async def run():
            for group in sorted(set(groups)):
                await self._ensure_group(topic, group)
            self._groups.setdefault(topic, set())
        self._call(run(), f"declare the groups of {topic}")

    def publish(self, event: dict, delay: float = 0.0) -> None:
        body = self._encode(event)  # in the caller's thread: the loop thread has the network to serve

        async def run():
            if self._exchange not in self._declared:
                await self._ensure_exchange(self._exchange, "direct")
            if delay > 0:
                await self._publish_delayed("publish", delay, body, event["topic"], {}, event["id"])
            else:
                await self._publish_raw(body, self._exchange, event["topic"], message_id=event["id"])
            self._wake()
        self._call(run(), f"publish to {event['topic']}")

    def fetch(self, topic: str, group: str, consumer: str, count: int, lease: float, wait: float) -> list[Delivery]:
        return self._call(self._fetch(topic, group, count, lease, wait), f"fetch from {topic} for {group}", wait)

    async def _fetch(self, topic, group, count, lease, wait) -> list[Delivery]:
        loop = asyncio.get_running_loop()
        name = self._queue(topic, group)
        deadline = loop.time() + wait
        pause = _POLL_FIRST
        exists = name in self._declared
        while not self._closing:
            waiter = loop.create_future()
            self._waiters.append(waiter)  # before looking, so that a push meanwhile wakes it
            try:
                got = []
                if not exists:
                    exists = await self._count(name) is not None
                    if exists:
                        self._declared[name] = time.monotonic()
                if exists:
                    stream = await self._stream(name, topic, group, count, lease)
                    if stream is None:
                        exists = False  # deleted meanwhile
                    else:
                        stream.last_fetch = loop.time()
                        while stream.buffer and len(got) < count:
                            got.append(self._lease(topic, group, stream.gen, stream.buffer.popleft()[1], lease, stream))
                        if not got and stream.held >= stream.prefetch:
                            # this object's leases use up the prefetch: take further ready ones directly
                            got = await self._get(name, topic, group, count, lease)
                            exists = got is not None
                            got = got or []
                if got:
                    return got
                left = deadline - loop.time()
                if left <= 0:
                    return []
                try:
                    await asyncio.wait_for(waiter, min(left, pause))
                    pause = _POLL_FIRST
                except asyncio.TimeoutError:
                    pause = min(pause * 2, _POLL_MAX)
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        return []

    async def _stream(self, name, topic, group, count, lease) -> _Stream | None:
        """The consumer of queue `name` on the consuming channel, started if need be; None when the
        queue does not exist."""
        import aiormq

        stream = self._streams.get(name)
        if stream is not None and stream.gen == self._get_gen and stream.tag in self._get_raw_consumers():
            stream.hold = max(stream.hold, lease)
            return stream
        async with self._starting:  # one consumer per queue, whichever threads fetch at once
            stream = self._streams.get(name)
            if stream is not None and stream.gen == self._get_gen and stream.tag in self._get_raw_consumers():
                return stream
            if stream is not None:
                await self._stop(stream)  # RabbitMQ cancelled it (the queue was deleted)
            raw = await self._channel("get")
            stream = _Stream(name, topic, group, self._get_gen, max(count, 1), lease)
            try:
                # the prefetch applies to each consumer started after it on the channel
                await raw.basic_qos(prefetch_count=stream.prefetch)
                stream.tag = (await raw.basic_consume(name, functools.partial(self._arrive, stream))).consumer_tag
            except aiormq.exceptions.ChannelNotFoundEntity:
                self._declared.pop(name, None)
                self._groups.get(topic, set()).discard(group)
                return None  # its channel closed with it; the next fetch opens another
            self._streams[name] = stream
            return stream

    def _get_raw_consumers(self) -> dict:
        raw = self._get_raw
        return {} if raw is None or raw.is_closed else raw.consumers

    async def _arrive(self, stream: _Stream, message) -> None:
        if stream.gen != self._get_gen:
            return  # its channel closed, and RabbitMQ requeued the message then
        stream.held += 1
        if stream.stopped:
            await self._give_back(stream, [message])
            return
        stream.buffer.append((asyncio.get_running_loop().time(), message))
        if stream.timer is None:
            stream.timer = asyncio.get_running_loop().call_later(stream.hold, self._check_hold, stream)
        self._wake()

    def _check_hold(self, stream: _Stream) -> None:
        """A buffer no fetch took from within the lease time goes back to the queue, for the other
        consumers of the group; the next fetch consumes again."""
        stream.timer = None
        if stream.stopped or not stream.buffer:
            return
        now = asyncio.get_running_loop().time()
        oldest = stream.buffer[0][0]
        if now - max(oldest, stream.last_fetch) >= stream.hold:
            asyncio.ensure_future(self._stop(stream))
        else:
            stream.timer = asyncio.get_running_loop().call_later(
                max(oldest, stream.last_fetch) + stream.hold - now, self._check_hold, stream)

    async def _stop(self, stream: _Stream) -> None:
        """Cancel the consumer and give back what it buffered."""
        if stream.stopped:
            return
        stream.stopped = True
        if stream.timer is not None:
            stream.timer.cancel()
            stream.timer = None
        if self._streams.get(stream.name) is stream:
            del self._streams[stream.name]
        messages = [message for _, message in stream.buffer]
        stream.buffer.clear()
        if stream.gen == self._get_gen and stream.tag in self._get_raw_consumers():
            try:
                await self._get_raw.basic_cancel(stream.tag)
            except Exception:  # noqa: BLE001 - the channel is gone, and RabbitMQ requeued the buffer with it
                return
        await self._give_back(stream, messages)

    async def _give_back(self, stream: _Stream, messages: list) -> None:
        """Return pushed messages no fetch took, without counting a delivery: a confirmed copy with
        the same id and attempt goes to the end of the queue, then the original is acknowledged.
        When the copy fails the original is requeued (counted), as closing the channel would do."""
        raw = self._get_raw
        if not messages or stream.gen != self._get_gen or raw is None or raw.is_closed:
            return  # a closed channel gave them back itself

        async def copy(message):
            headers = message.header.properties.headers or {}
            before = int(headers.get("hyp-attempt", 0)) + int(headers.get("x-delivery-count", 0))
            await self._publish_raw(message.body, "", stream.name, {"hyp-attempt": before} if before else None,
                                    message.header.properties.message_id)

        results = await asyncio.gather(*(copy(m) for m in messages), return_exceptions=True)
        if stream.gen != self._get_gen or raw is None or raw.is_closed:
            return  # the originals went back with the channel (a copy may now be there twice: at least once)
        for message, result in zip(messages, results):
            stream.held -= 1
            try:
                if isinstance(result, BaseException):
                    await raw.basic_nack(message.delivery.delivery_tag, requeue=True, wait=False)
                else:
                    await raw.basic_ack(message.delivery.delivery_tag, wait=False)
            except Exception:  # noqa: BLE001 - the channel closed meanwhile, and RabbitMQ requeued the rest
                return

    async def _get(self, name, topic, group, count, lease) -> list[Delivery] | None:
        """Up to `count` ready messages by `basic.get`; None when the queue does not exist."""
        import aiormq

        raw = await self._channel("get")
        gen = self._get_gen
        got = []
        while len(got) < count:
            try:
                message = await raw.basic_get(name, no_ack=False)
            except aiormq.exceptions.ChannelNotFoundEntity:
                self._declared.pop(name, None)
                self._groups.get(topic, set()).discard(group)
                return None
            if message.delivery_tag is None:
                break
            got.append(self._lease(topic, group, gen, message, lease, None))
        return got

    def _lease(self, topic, group, gen, message, lease, stream) -> Delivery:
        headers = message.header.properties.headers or {}
        attempt = int(headers.get("hyp-attempt", 0)) + int(headers.get("x-delivery-count", 0)) + 1
        event = json.loads(message.body)
        key = (gen, message.delivery.delivery_tag)
        timer = asyncio.get_running_loop().call_later(max(lease, 0.0), self._expire, key)
        self._leases[key] = _Lease(topic, group, event, next(self._lease_seq), timer, stream)
        return Delivery(topic, group, event, attempt, key)

    def _expire(self, key) -> None:
        lease = self._leases.pop(key, None)
        if lease is not None:
            self._unhold(lease)
            asyncio.ensure_future(self._requeue(key))

    async def _requeue(self, key) -> None:
        try:
            await self._settle(key, requeue=True)
        except Exception:  # noqa: BLE001 - the channel is gone, and RabbitMQ requeued the delivery with it
            pass

    @staticmethod
    def _unhold(lease: _Lease) -> None:
        if lease.stream is not None:
            lease.stream.held -= 1

    async def _settle(self, key, requeue: bool | None) -> None:
        """Ack (requeue None), or nack with or without requeue, a delivery of the current channel."""
        gen, tag = key
        raw = self._get_raw
        if gen != self._get_gen or raw is None or raw.is_closed:
            return  # its channel closed, and RabbitMQ requeued it then
        if requeue is None:
            await raw.basic_ack(tag, wait=False)
        else:
            await raw.basic_nack(tag, requeue=requeue, wait=False)

    def _take(self, delivery: Delivery) -> _Lease | None:
        """The lease of `delivery`, ended; None when it ran out or was settled already."""
        lease = self._leases.pop(delivery.handle, None)
        if lease is not None:
            lease.timer.cancel()
            self._unhold(lease)
        return lease

    def ack(self, delivery: Delivery) -> None:
        if self._closed:
            raise BrokerError(f"{self.where}: cannot acknowledge an event of {delivery.topic}: the broker is closed")
        # basic.ack has no answer, so this thread need not wait for the loop: acks queue up and one
        # wake-up of the loop sends those queued meanwhile, before any later call of this object
        self._acks.append(delivery)
        if not self._acking:
            self._acking = True
            self._loop.call_soon_threadsafe(self._send_acks)

    def _send_acks(self) -> None:
        self._acking = False
        while self._acks:
            delivery = self._acks.popleft()
            if self._take(delivery) is not None:
                self._loop.create_task(self._give_ack(delivery.handle))

    async def _give_ack(self, key) -> None:
        try:
            await self._settle(key, None)
        except Exception:  # noqa: BLE001 - the channel closed meanwhile: RabbitMQ redelivers it (at least once)
            pass

    def retry(self, delivery: Delivery, delay: float) -> None:
        async def run():
            if self._take(delivery) is None:
                return
            if delay <= 0:
                return await self._settle(delivery.handle, requeue=True)
            try:
                await self._publish_delayed("retry", delay, self._encode(delivery.event),
                                            self._queue(delivery.topic, delivery.group),
                                            {"hyp-attempt": delivery.attempt}, delivery.event.get("id"))
            except BaseException:
                await self._settle(delivery.handle, requeue=True)
                raise
            await self._settle(delivery.handle, None)
        self._call(run(), f"retry an event of {delivery.topic}")

    def release(self, delivery: Delivery) -> None:
        """A copy with the same attempt goes to the end of the queue (confirmed), then the delivery is
        acknowledged: a requeue would count a delivery."""
        async def run():
            if self._take(delivery) is None:
                return
            before = delivery.attempt - 1
            try:
                await self._publish_raw(self._encode(delivery.event), "", self._queue(delivery.topic, delivery.group),
                                        {"hyp-attempt": before} if before else None, delivery.event.get("id"))
            except BaseException:
                await self._settle(delivery.handle, requeue=True)
                raise
            await self._settle(delivery.handle, None)
        self._call(run(), f"give back an event of {delivery.topic}")

    def dead_letter(self, delivery: Delivery, error: str) -> None:
        event = dict(delivery.event)
        event["headers"] = {**(event.get("headers") or {}), "x-error": error, "x-attempts": str(delivery.attempt),
                            "x-group": delivery.group, "x-failed-at": now_text(), "x-topic": delivery.topic}
        event["topic"] = dlq_topic(delivery.topic)

        async def run():
            if self._take(delivery) is None:
                return
            try:
                name = self._dlq(delivery.topic)
                await self._ensure_queue(name, {"x-queue-type": "quorum"}, {"topic": event["topic"]})
                await self._publish_raw(self._encode(event), "", name, message_id=event.get("id"))
            except BaseException:
                await self._settle(delivery.handle, requeue=True)
                raise
            await self._settle(delivery.handle, None)
        self._call(run(), f"dead-letter an event of {delivery.topic}")

    def stats(self, topics) -> list[dict]:
        async def run():
            out = []
            for topic in topics:
                pending = 0
                for group in sorted(await self._groups_of(topic)):
                    name = self._queue(topic, group)
                    pending += await self._count(name) or 0
                    if name in self._streams:
                        pending += len(self._streams[name].buffer)
                in_flight = sum(1 for lease in self._leases.values() if lease.topic == topic)
                dead = await self._count(self._dlq(topic)) or 0
                out.append({"topic": topic, "pending": pending, "inFlight": in_flight, "deadLetter": dead})
            return out
        return self._call(run(), "read the queue statistics")

    def dead_letters(self, topic: str, limit: int = 100) -> list[dict]:
        async def run():
            return [json.loads(body) async for _raw, _tag, body in self._read_all(self._dlq(topic), limit, requeue=True)]
        return self._call(run(), f"read the dead letters of {topic}")

    def waiting(self, topic: str, group: str, limit: int = 100) -> list[dict]:
        async def run():
            name = self._queue(topic, group)
            ready = []
            async for _raw, _tag, body in self._read_all(name, limit, requeue=True):
                ready.append(json.loads(body))
                stream = self._streams.get(name)
                if stream is not None and len(ready) == 1:
                    # the queue has ready messages, so RabbitMQ fills this object's prefetch: while they
                    # are held here, let those already on their way land in the buffer
                    give_up = asyncio.get_running_loop().time() + _IN_TRANSIT
                    while (stream.held < stream.prefetch and not stream.stopped
                           and asyncio.get_running_loop().time() < give_up):
                        await asyncio.sleep(0.005)
            mine = sorted((lease for lease in self._leases.values() if (lease.topic, lease.group) == (topic, group)),
                          key=lambda lease: lease.seq)
            events = [lease.event for lease in mine]
            stream = self._streams.get(name)
            if stream is not None:
                events += [json.loads(message.body) for _, message in stream.buffer]
            return (events + ready)[:limit]
        return self._call(run(), f"list the events waiting in {topic} for {group}")

    def replay(self, topic: str, ids=None) -> int:
        wanted = None if ids is None else set(ids)

        async def run():
            moved = 0
            await self._ensure_exchange(self._exchange, "direct")
            async for raw, tag, body in self._read_all(self._dlq(topic), None, requeue=True):
                event = json.loads(body)
                if wanted is not None and event.get("id") not in wanted:
                    continue
                event["topic"] = topic
                event["headers"] = {k: v for k, v in (event.get("headers") or {}).items() if not k.startswith("x-")}
                await self._publish_raw(self._encode(event), self._exchange, topic, message_id=event.get("id"))
                await raw.basic_ack(tag)
                moved += 1
            if moved:
                self._wake()
            return moved
        return self._call(run(), f"replay the dead letters of {topic}")

    def purge_dead_letters(self, topic: str) -> int:
        async def run():
            import aiormq

            channel = await self._scratch()
            try:
                raw = await channel.get_underlay_channel()
                return (await raw.queue_purge(self._dlq(topic))).message_count
            except aiormq.exceptions.ChannelNotFoundEntity:
                return 0
            finally:
                if not channel.is_closed:
                    await channel.close()
        return self._call(run(), f"purge the dead letters of {topic}")

    def ping(self) -> None:
        async def run():
            admin = await self._channel("admin")
            await admin.exchange_declare("amq.direct", passive=True)
        self._call(run(), "ping")

    def destroy(self) -> None:
        """Delete every queue and exchange of the prefix (tests clean up with it)."""
        async def run(broker):
            for stream in list(broker._streams.values()):
                await broker._stop(stream)  # its queue goes: RabbitMQ would cancel it with a warning
            exchanges = {broker._exchange, broker._delay_exchange, broker._unrouted}
            queues = {r["queue"] for r in await broker._read_registry(remove=True)} | set(broker._declared)
            admin = await broker._channel("admin")
            for name in sorted(queues - exchanges) + [broker._unrouted, broker._registry]:
                await admin.queue_delete(name)
            for name in sorted(exchanges):
                await admin.exchange_delete(name)

        if self._closed:
            other = AmqpBroker(self.url, prefix=self.base, timeout=self.timeout)
            try:
                other._declared.update(self._declared)
                other._call(run(other), "delete the queues of the prefix")
            finally:
                other.close()
        else:
            self._call(run(self), "delete the queues of the prefix")

    def close(self) -> None:
        if self._closed:
            return
        self._closing = True

        async def run():
            for stream in list(self._streams.values()):
                await self._stop(stream)
            self._drop_leases()
            self._wake()
            if self._get_channel is not None and not self._get_channel.is_closed:
                # acks are sent without waiting: the channel's close goes out after them, a
                # connection's close would drop those not written yet
                await self._get_channel.close()
            if self._conn is not None and not self._conn.is_closed:
                await self._conn.close()  # RabbitMQ requeues what this object still leased
        try:
            self._call(run(), "close the connection")
        except BrokerError:
            pass  # the connection is gone either way
        finally:
            self._closed = True
            self._stop_loop()


def _abandon(box: list) -> None:
    """Cancel the task of a call that gave up waiting (or take its late error, unlogged)."""
    task = box[0]
    if not task.done():
        task.cancel()
    elif not task.cancelled():
        task.exception()


def _reason(error: BaseException) -> str:
    """The client library's error in a few plain words."""
    import socket

    seen = error
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, socket.gaierror):
            return "unknown host"
        seen = seen.__cause__
    text = str(error).strip()
    if "got <Connection.Close" in text:
        return "the server closed the connection while opening it (does the virtual host exist?)"
    if "connection unexpectedly closed" in text.lower():
        return "the server closed the connection (is it RabbitMQ?)"
    if not text or text == "None":
        return type(error).__name__
    return text if len(text) < 300 else text[:300] + "..."
