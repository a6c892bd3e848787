"""Topics on NATS JetStream (`nats://host:4222`, JetStream enabled).

Layout, per `prefix` (every name carries it, so projects and tests never meet):
- stream `hyp-<P>-events`, subjects `hyp.<P>.e.<T>` (one token per topic), file storage and
  interest retention: an event stays until every group declared for its topic has acknowledged
  it, and an event of a topic without groups is not kept, like the embedded queue;
- stream `hyp-<P>-dlq`, subjects `hyp.<P>.d.<T>` (the dead letters of `<T>.dlq`), file storage,
  kept until replayed or purged;
- one durable pull consumer `<T>-<G>` per topic and group on the events stream, created by
  `declare` with deliver policy "new" (the group gets what is published after it), explicit acks
  and no limit on deliveries.
<P>, <T> and <G> are the prefix, topic and group with every byte other than an ASCII letter or
digit written as `_xx` (hex): valid subject tokens and names, and no two topics share one.

`publish` returns on JetStream's PubAck, once the stream has stored the event; where the URL
names one server without TLS it publishes on plain connections of its own, in the calling thread
(one per thread publishing at once), since the hand-off to the client's event loop costs more
than the round trip to the server. `fetch` sends its own pull requests and waits for the server
to end each one, so no request outlives the call and takes events nobody reads. `attempt` is the
consumer's delivery count. `ack` sends the ack and returns without waiting for the server's
confirmation (see Differences); `retry` and `dead_letter` wait for it.

Leases: JetStream leases with the consumer's ack wait, one value for every fetch, while `lease`
differs per call. The consumers wait ACK_WAIT seconds; while the process lives, this broker
keeps each delivery it handed out for exactly its `lease`: it tells the server "in progress"
every HEARTBEAT seconds if the lease is longer, and sends a NAK when the lease runs out, which
delivers the event again at once with the next attempt. A process that dies stops both, and the
server delivers its events again ACK_WAIT seconds after the last word from it (earlier than the
lease would have ended when the lease was longer, which only matters for a dead consumer).

`retry(delay)` is a NAK with that delay. A delayed publish carries the header `Hyp-Not-Before`;
the first delivery of such an event to a group is always turned away with a NAK delayed until
its time (or at once, when it is already due), so the count of turned-away deliveries is known
and `attempt` starts at 1 again when it is handed out.

Differences:
- Durability: the PubAck means the event is in the stream's file (a crash of the server keeps
  it). The server syncs its files to disk on its own interval (`sync_interval`, two minutes
  unless configured; `always` on servers that have it), so only that setting makes a publish
  survive a power cut the way the embedded queue's synced commit does. Streams have one replica;
  a clustered server keeps them on one node.
- `stats`: JetStream counts a delivery waiting out a retry delay, or a delayed publish after
  its first (turned-away) delivery, as unacknowledged like a leased one, so these show under
  `inFlight`, not `pending`.
- `waiting` lists the events of the topic after the group's acknowledgement floor. Acknowledged
  events go from the stream once every group has them, so with one group the list is exact;
  with several, an event this group acknowledged ahead of an earlier one it still holds is
  listed while another group has not acknowledged it yet.
- `ack` returns once the ack is handed to the client, before the server confirms it, and
  a connection lost meanwhile is not reported: the ack is then lost and the server delivers the
  event again when ACK_WAIT runs out. At-least-once delivery allows that (a handler may always
  see an event twice), and it saves a round trip per event. The server handles an ack a moment
  after reading it, so this broker's own `stats`, `waiting` and `close` first make sure it has
  handled them (they send the last ack of each group again, asking for a reply, and wait up to
  `timeout`); another process may count an acknowledged event as in flight for that moment.
- An `ack` from a consumer whose lease ran out in another process (or whose process lost its
  connection for longer than ACK_WAIT) acknowledges the event for the group even though it was
  delivered again; within one process such a late ack is ignored, as on the embedded queue.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import itertools
import json
import socket
import threading
import time
import urllib.parse
import uuid

from hypnoscript.services.events.broker import Broker, BrokerError, Delivery, dlq_topic, event_text, now_text

NOT_BEFORE = "Hyp-Not-Before"


def _token(text: str) -> str:
    """`text` as one subject token and name part: ASCII letters and digits kept, every other byte `_xx`."""
    return "".join(c if c.isascii() and c.isalnum() else "".join(f"_{b:02x}" for b in c.encode()) for c in text)


class _Lease:
    """A delivery this process handed out: its ack subject and the timer that tends its lease."""

    __slots__ = ("deadline", "done", "reply", "timer")

    def __init__(self, reply: str, deadline: float) -> None:
        self.reply = reply
        self.deadline = deadline
        self.done = False
        self.timer = None


class NatsBroker(Broker):
    backend = "nats"
    ACK_WAIT = 10.0  # seconds the server waits for word on a delivery before delivering it again
    HEARTBEAT = 3.0  # seconds between "in progress" notes for a lease longer than ACK_WAIT allows

    def __init__(self, url: str, *, prefix: str, timeout: float = 10.0) -> None:
        self.url = url
        self.timeout = timeout
        self.prefix = prefix
        parts = urllib.parse.urlsplit(url)
        try:
            port = parts.port or 4222
        except ValueError as error:  # a port that is not a number from 0 to 65535
            raise BrokerError(f"nats broker: bad URL {url!r}: {error}") from None
        self._where = f"NATS {parts.hostname or '127.0.0.1'}:{port}"
        # publishing on plain connections of the broker's own (see _PlainPublisher), where the URL
        # names one server without TLS; None: through the client
        self._plain = None
        if parts.scheme == "nats" and "," not in parts.netloc:
            # credentials as the client reads them (not percent-decoded)
            self._plain = (parts.hostname or "127.0.0.1", port,
                           parts.username or "", parts.password or "")
        self._plain_idle: list[_PlainPublisher] = []
        self._plain_lock = threading.Lock()
        self._closing = False
        p = _token(prefix) or "_"
        self._subject_base = f"hyp.{p}"
        self._events = f"hyp-{p}-events"
        self._dlq = f"hyp-{p}-dlq"
        self._declared: set[tuple[str, str]] = set()
        self._drained: set[tuple[str, str]] = set()  # (topic, group) whose last pull left nothing behind
        self._nc = None
        self._last_error: Exception | None = None
        # replies (PubAcks, ack confirmations) come to one lasting inbox, `<inbox>.<token>`, and
        # pulled messages to lasting inboxes used by one pull at a time; everything `publish` and
        # `ack` send goes through one sender task, so each costs the caller one hand-off to the
        # loop and no task of its own
        self._inbox = ""
        self._tokens = itertools.count()
        self._replies: dict[str, concurrent.futures.Future] = {}  # publish token -> its PubAck
        self._pull_inboxes: list[_PullInbox] = []  # idle ones
        self._outbox: asyncio.Queue | None = None
        self._sender: asyncio.Task | None = None
        # per (topic, group), the reply subject of the last ack sent since `_confirmed` ran
        self._acked: dict[tuple[str, str], str] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="hyp-nats", daemon=True)
        self._thread.start()
        try:
            self._call("connect", self._connect(), timeout)
            self._call("create the streams", self._ensure_streams())
        except BrokerError:
            self._stop_loop()
            raise

    # plumbing: every call runs on the broker's loop; errors become BrokerError

    def _call(self, what: str, coro, timeout: float | None = None):
        if self._loop.is_closed() or not self._thread.is_alive():
            coro.close()
            raise BrokerError(f"{self._where}: cannot {what}: the broker is closed")
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        limit = (timeout if timeout is not None else self.timeout) + 1.0
        try:
            return future.result(limit)
        except BrokerError:
            raise
        except Exception as error:  # noqa: BLE001 - every client failure is reported the same way
            future.cancel()
            raise BrokerError(f"{self._where}: cannot {what}: {self._reason(error)}") from None

    def _reason(self, error: Exception) -> str:
        import nats.errors

        if isinstance(error, nats.errors.NoRespondersError):
            return "nothing answers (is JetStream enabled on the server?)"
        if isinstance(error, (nats.errors.TimeoutError, asyncio.TimeoutError, TimeoutError)):
            last = self._last_error
            if self._nc is None and last is not None:
                return self._reason(last)
            return f"no answer within {self.timeout:g} s"
        if isinstance(error, (nats.errors.ConnectionClosedError, nats.errors.StaleConnectionError)):
            return "the connection is closed"
        if isinstance(error, ConnectionRefusedError):
            return "connection refused"
        if isinstance(error, OSError):
            return error.strerror or str(error)
        return str(error) or type(error).__name__

    async def _connect(self) -> None:
        import nats

        async def noted(error: Exception) -> None:
            self._last_error = error

        self._nc = await asyncio.wait_for(
            nats.connect(self.url, connect_timeout=self.timeout, reconnect_time_wait=0.5,
                         max_reconnect_attempts=-1, error_cb=noted, name="hypnoscript"),
            self.timeout)
        self._last_error = None
        self._inbox = self._nc.new_inbox()
        await self._nc.subscribe(self._inbox + ".*", cb=self._on_reply)
        self._outbox = asyncio.Queue()
        self._sender = asyncio.get_running_loop().create_task(self._send_all())

    async def _send_all(self) -> None:
        """The sender task: publishes what `publish` and `ack` queue, in order."""
        while True:
            subject, payload, token, headers = await self._outbox.get()
            try:
                await self._nc.publish(subject, payload, reply=f"{self._inbox}.{token}" if token else "",
                                       headers=headers)
            except Exception as error:  # noqa: BLE001 - reported to the waiter; a lost ack only redelivers
                waiter = self._replies.pop(token, None)
                if waiter is not None and not waiter.done():
                    waiter.set_exception(error)

    async def _on_reply(self, message) -> None:
        token = message.subject[len(self._inbox) + 1:]
        waiter = self._replies.pop(token, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(message)

    async def _confirmed(self) -> None:
        """Wait until the server has processed the acks sent so far (it counts them only then),
        for up to `timeout`. The server handles the acks of a group in order, so sending the last
        one of each group again, asking for a reply this time, and waiting for the replies does."""
        if not self._acked or not self._nc.is_connected:  # acks sent before a disconnect may be lost
            self._acked.clear()
            return
        loop = asyncio.get_running_loop()
        waiters = {}
        for subject in self._acked.values():
            token = f"c{next(self._tokens)}"
            waiters[token] = self._replies[token] = loop.create_future()
            self._outbox.put_nowait((subject, b"+ACK", token, None))
        self._acked.clear()
        try:
            await asyncio.wait_for(asyncio.gather(*waiters.values(), return_exceptions=True), self.timeout)
        except asyncio.TimeoutError:
            pass  # a reply that never comes is not waited for again
        finally:
            for token in waiters:
                self._replies.pop(token, None)

    async def _api(self, subject: str, request: dict | None = None) -> dict:
        """A JetStream API request; an error answer raises BrokerError with the server's words."""
        message = await self._nc.request("$JS.API." + subject, json.dumps(request or {}).encode(),
                                         timeout=self.timeout)
        answer = json.loads(message.data)
        if "error" in answer:
            raise _ApiError(answer["error"])
        return answer

    async def _ensure_streams(self) -> None:
        base = {"storage": "file", "discard": "old", "num_replicas": 1, "max_msgs": -1, "max_bytes": -1,
                "max_age": 0}
        for name, subjects, retention in ((self._events, f"{self._subject_base}.e.*", "interest"),
                                          (self._dlq, f"{self._subject_base}.d.*", "limits")):
            try:
                await self._api(f"STREAM.CREATE.{name}",
                                {**base, "name": name, "subjects": [subjects], "retention": retention})
            except _ApiError as error:
                if error.code != 10058:  # the stream exists already
                    raise

    def _subject(self, kind: str, topic: str) -> str:
        return f"{self._subject_base}.{kind}.{_token(topic)}"

    @staticmethod
    def _consumer(topic: str, group: str) -> str:
        return f"{_token(topic)}-{_token(group)}"

    # the interface

    def declare(self, topic: str, groups) -> None:
        missing = [g for g in sorted(set(groups)) if (topic, g) not in self._declared]
        if missing:
            self._call(f"declare the groups of {topic}", self._declare(topic, missing))
            self._declared.update((topic, g) for g in missing)

    async def _declare(self, topic: str, groups) -> None:
        for group in groups:
            name = self._consumer(topic, group)
            try:
                await self._api(f"CONSUMER.INFO.{self._events}.{name}")
                continue
            except _ApiError as error:
                if error.code == 10059:  # the stream is gone (destroyed meanwhile): make it again
                    await self._ensure_streams()
                elif error.code != 10014:  # consumer not found
                    raise
            config = {"durable_name": name, "deliver_policy": "new", "ack_policy": "explicit",
                      "ack_wait": int(self.ACK_WAIT * 1e9), "max_deliver": -1, "max_ack_pending": -1,
                      "filter_subject": self._subject("e", topic), "replay_policy": "instant"}
            await self._api(f"CONSUMER.DURABLE.CREATE.{self._events}.{name}",
                            {"stream_name": self._events, "config": config})

    def publish(self, event: dict, delay: float = 0.0) -> None:
        import nats.errors

        headers = {NOT_BEFORE: repr(time.time() + delay)} if delay > 0 else None
        what = f"publish to {event['topic']}"
        subject, body = self._subject("e", event["topic"]), _encode(event)
        for again in (False, True):
            status, data = self._request(what, subject, body, headers)
            if status != "503":
                break
            if again:
                raise BrokerError(f"{self._where}: cannot {what}: {self._reason(nats.errors.NoRespondersError())}")
            self._call("create the streams", self._ensure_streams())  # destroyed meanwhile
        answer = json.loads(data)
        if "error" in answer:
            raise BrokerError(f"{self._where}: cannot {what}: {_ApiError(answer['error'])}")

    def _request(self, what: str, subject: str, body: bytes, headers: dict | None) -> tuple[str | None, bytes]:
        """Publish and wait for the reply: (its status header, its data)."""
        if self._plain is None:
            message = self._send(what, subject, body, headers)
            return (message.headers or {}).get("Status"), message.data
        if self._loop.is_closed() or not self._thread.is_alive():
            raise BrokerError(f"{self._where}: cannot {what}: the broker is closed")
        with self._plain_lock:
            publisher = self._plain_idle.pop() if self._plain_idle else None
        for again in (False, True):
            try:
                if publisher is None:
                    publisher = _PlainPublisher(*self._plain, self.timeout)
                answer = publisher.request(subject, body, headers)
            except _Refused as error:
                if publisher is not None:
                    publisher.close()
                raise BrokerError(f"{self._where}: cannot {what}: {error}") from None
            except _Unsupported:  # the server wants TLS: publish through the client from now on
                self._plain = None
                return self._request(what, subject, body, headers)
            except OSError as error:
                if publisher is not None:
                    publisher.close()
                    publisher = None
                if again or isinstance(error, TimeoutError):
                    reason = f"no answer within {self.timeout:g} s" if isinstance(error, TimeoutError) \
                        else self._reason(error)
                    raise BrokerError(f"{self._where}: cannot {what}: {reason}") from None
                continue  # the server closed it (a restart): once more on a new connection
            with self._plain_lock:
                if self._closing:
                    publisher.close()
                else:
                    self._plain_idle.append(publisher)
            return answer

    def _send(self, what: str, subject: str, body: bytes, headers: dict | None):
        """Publish through the sender task and wait for the reply (the PubAck)."""
        token = f"p{next(self._tokens)}"
        waiter = concurrent.futures.Future()
        self._replies[token] = waiter
        try:
            self._hand_over(what, (subject, body, token, headers))
            return waiter.result(self.timeout)
        except concurrent.futures.TimeoutError:
            raise BrokerError(f"{self._where}: cannot {what}: no answer within {self.timeout:g} s") from None
        except BrokerError:
            raise
        except Exception as error:  # noqa: BLE001 - every client failure is reported the same way
            raise BrokerError(f"{self._where}: cannot {what}: {self._reason(error)}") from None
        finally:
            self._replies.pop(token, None)

    def _hand_over(self, what: str, item) -> None:
        if self._loop.is_closed() or not self._thread.is_alive():
            raise BrokerError(f"{self._where}: cannot {what}: the broker is closed")
        try:
            self._loop.call_soon_threadsafe(self._outbox.put_nowait, item)
        except RuntimeError:  # closed meanwhile
            raise BrokerError(f"{self._where}: cannot {what}: the broker is closed") from None

    async def _publish(self, subject: str, body: bytes, headers: dict | None) -> None:
        import nats.errors

        try:
            message = await self._nc.request(subject, body, timeout=self.timeout, headers=headers)
        except nats.errors.NoRespondersError:
            await self._ensure_streams()  # destroyed meanwhile
            message = await self._nc.request(subject, body, timeout=self.timeout, headers=headers)
        answer = json.loads(message.data)
        if "error" in answer:
            raise _ApiError(answer["error"])

    def fetch(self, topic: str, group: str, consumer: str, count: int, lease: float, wait: float) -> list[Delivery]:
        return self._call(f"fetch {topic} for {group}", self._fetch(topic, group, count, lease, wait),
                          wait + self.timeout)

    async def _fetch(self, topic: str, group: str, count: int, lease: float, wait: float) -> list[Delivery]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        if (topic, group) not in self._declared:  # a pull from a missing consumer gets no answer at all
            try:
                await self._api(f"CONSUMER.INFO.{self._events}.{self._consumer(topic, group)}")
            except _ApiError as error:
                if error.code in (10014, 10059):
                    raise BrokerError(f"{self._where}: cannot fetch {topic}: "
                                      f"the group {group} is not declared") from None
                raise
            self._declared.add((topic, group))
        api = f"$JS.API.CONSUMER.MSG.NEXT.{self._events}.{self._consumer(topic, group)}"
        out: list[Delivery] = []
        # first take what is there; only then wait, for one, then top up. When the group's last
        # pull left nothing behind, the first look is the wait (it ends at once if one is there).
        available_now = (topic, group) not in self._drained or wait < 0.01
        while len(out) < count:
            if available_now:
                messages = await self._pull(api, count - len(out), None)
            else:
                left = deadline - loop.time()
                if left < 0.01:
                    break
                messages = await self._pull(api, 1, left)
            got = []
            left_behind = 0  # the server says with each message how many more the group has waiting
            for message in messages:
                metadata = message.metadata
                left_behind = metadata.num_pending
                delivery = await self._accept(topic, group, message, metadata.num_delivered, lease)
                if delivery is not None:
                    got.append(delivery)
            out += got
            drained = left_behind == 0
            if drained:
                self._drained.add((topic, group))
            else:
                self._drained.discard((topic, group))
            if available_now:
                if out:
                    break
                if not messages:
                    available_now = False
            elif got:
                if drained:
                    break
                available_now = True
            elif not messages:
                break
        return out

    async def _pull(self, api: str, batch: int, expires: float | None) -> list:
        """One pull request, read until the server ends it (batch filled, nothing there, expired)."""
        import nats.errors

        if self._pull_inboxes:
            inbox = self._pull_inboxes.pop()
        else:
            inbox = _PullInbox(self._nc.new_inbox())
            inbox.sub = await self._nc.subscribe(inbox.subject, cb=inbox.receive)
        pull = inbox.pull = _Pull(batch, asyncio.get_running_loop().create_future())
        if expires is None:
            request = b'{"batch":%d,"no_wait":true}' % batch
        else:
            request = b'{"batch":%d,"expires":%d}' % (batch, int(expires * 1e9))
        try:
            await self._nc.publish(api, request, reply=inbox.subject)
            await asyncio.wait_for(pull.ended, (expires or 0.0) + self.timeout)
        except asyncio.TimeoutError:
            if not pull.messages:
                raise nats.errors.TimeoutError from None
        finally:
            inbox.pull = None
            if pull.ended.done() and not pull.ended.cancelled():
                self._pull_inboxes.append(inbox)
            else:  # the server may still end this request: the inbox is not used again
                await inbox.sub.unsubscribe()
        return pull.messages

    async def _accept(self, topic: str, group: str, message, delivered: int, lease: float) -> Delivery | None:
        """A Delivery leased for `lease`, or None for a delayed event turned away until its time."""
        not_before = (message.headers or {}).get(NOT_BEFORE)
        attempt = delivered
        if not_before is not None:
            left = float(not_before) - time.time()
            if delivered == 1 or left > 0:
                payload = b"-NAK" + (b' {"delay": %d}' % int((left + 0.005) * 1e9) if left > 0 else b"")
                await self._nc.publish(message.reply, payload)
                return None
            attempt = delivered - 1
        loop = asyncio.get_running_loop()
        held = _Lease(message.reply, loop.time() + lease)
        self._tend(held)
        return Delivery(topic, group, json.loads(message.data), attempt, held)

    def _tend(self, held: _Lease) -> None:
        """Keep a lease alive until its deadline, then give the event back."""
        if held.done:
            return
        loop = self._loop
        left = held.deadline - loop.time()
        if left <= 0.001:
            held.done = True
            loop.create_task(self._quietly(held.reply, b"-NAK"))
            return
        if held.timer is not None:  # a note after the first period
            loop.create_task(self._quietly(held.reply, b"+WPI"))
        held.timer = loop.call_later(left if left < self.ACK_WAIT - 1.0 else self.HEARTBEAT, self._tend, held)

    async def _quietly(self, subject: str, payload: bytes) -> None:
        try:
            await self._nc.publish(subject, payload)
        except Exception:  # noqa: BLE001 - a lost note ends as the server's own lease expiry
            pass

    def _settle(self, delivery: Delivery, what: str, payload: bytes, before=None) -> None:
        self._call(f"{what} {delivery.topic} for {delivery.group}", self._settled(delivery.handle, payload, before))

    async def _settled(self, held: _Lease, payload: bytes, before) -> None:
        if held.done:  # the lease ran out in this process: the event was given back already
            if before is not None:
                before.close()
            return
        held.done = True
        if held.timer is not None:
            held.timer.cancel()
        if before is not None:
            await before
        await self._nc.request(held.reply, payload, timeout=self.timeout)

    def ack(self, delivery: Delivery) -> None:
        # sent without waiting for the server: a lost ack only delivers the event again, which
        # at-least-once delivery allows; `stats`, `waiting` and `close` wait until it has them
        what = f"acknowledge {delivery.topic} for {delivery.group}"
        if self._loop.is_closed() or not self._thread.is_alive():
            raise BrokerError(f"{self._where}: cannot {what}: the broker is closed")
        try:
            self._loop.call_soon_threadsafe(self._ack_now, delivery.handle, (delivery.topic, delivery.group))
        except RuntimeError:
            raise BrokerError(f"{self._where}: cannot {what}: the broker is closed") from None

    def _ack_now(self, held: _Lease, key: tuple[str, str]) -> None:
        if held.done:  # the lease ran out in this process: the event was given back already
            return
        held.done = True
        if held.timer is not None:
            held.timer.cancel()
        self._acked[key] = held.reply
        self._outbox.put_nowait((held.reply, b"+ACK", None, None))

    def retry(self, delivery: Delivery, delay: float) -> None:
        payload = b"-NAK" + (b' {"delay": %d}' % int(delay * 1e9) if delay > 0 else b"")
        self._settle(delivery, "retry", payload)

    def dead_letter(self, delivery: Delivery, error: str) -> None:
        event = dict(delivery.event)
        event["headers"] = {**(event.get("headers") or {}), "x-error": error, "x-attempts": str(delivery.attempt),
                            "x-group": delivery.group, "x-failed-at": now_text(), "x-topic": delivery.topic}
        event["topic"] = dlq_topic(delivery.topic)
        store = self._publish(self._subject("d", delivery.topic), _encode(event), None)
        self._settle(delivery, "dead-letter", b"+ACK", before=store)

    def stats(self, topics) -> list[dict]:
        return self._call("read the stats", self._stats(list(topics)))

    async def _stats(self, topics: list[str]) -> list[dict]:
        await self._confirmed()
        counts: dict[str, list[int]] = {self._subject("e", t): [0, 0] for t in topics}
        offset = 0
        while True:
            page = await self._api(f"CONSUMER.LIST.{self._events}", {"offset": offset})
            for info in page.get("consumers") or []:
                sums = counts.get(info["config"].get("filter_subject"))
                if sums is not None:
                    sums[0] += info["num_pending"]
                    sums[1] += info["num_ack_pending"]
            offset += len(page.get("consumers") or [])
            if not page.get("consumers") or offset >= page.get("total", 0):
                break
        dead = await self._api(f"STREAM.INFO.{self._dlq}", {"subjects_filter": f"{self._subject_base}.d.*"})
        by_subject = dead.get("state", {}).get("subjects") or {}
        return [{"topic": t, "pending": counts[self._subject("e", t)][0], "inFlight": counts[self._subject("e", t)][1],
                 "deadLetter": by_subject.get(self._subject("d", t), 0)} for t in topics]

    async def _read(self, stream: str, subject: str, after: int, limit: int) -> list[tuple[int, dict]]:
        """Up to `limit` (sequence, event) of `subject` in `stream` after sequence `after`, oldest first."""
        out = []
        seq = after + 1
        while len(out) < limit:
            try:
                answer = await self._api(f"STREAM.MSG.GET.{stream}", {"seq": seq, "next_by_subj": subject})
            except _ApiError as error:
                if error.code == 10037:  # no message at or after seq
                    break
                raise
            message = answer["message"]
            out.append((message["seq"], json.loads(base64.b64decode(message["data"]))))
            seq = message["seq"] + 1
        return out

    def dead_letters(self, topic: str, limit: int = 100) -> list[dict]:
        rows = self._call(f"read the dead letters of {topic}",
                          self._read(self._dlq, self._subject("d", topic), 0, limit))
        return [event for _, event in rows]

    def waiting(self, topic: str, group: str, limit: int = 100) -> list[dict]:
        return self._call(f"read what {group} has not acknowledged on {topic}", self._waiting(topic, group, limit))

    async def _waiting(self, topic: str, group: str, limit: int) -> list[dict]:
        await self._confirmed()
        try:
            info = await self._api(f"CONSUMER.INFO.{self._events}.{self._consumer(topic, group)}")
        except _ApiError as error:
            if error.code in (10014, 10059):  # group never declared
                return []
            raise
        floor = info["ack_floor"]["stream_seq"]
        return [event for _, event in await self._read(self._events, self._subject("e", topic), floor, limit)]

    def replay(self, topic: str, ids=None) -> int:
        return self._call(f"replay the dead letters of {topic}", self._replay(topic, None if ids is None else set(ids)))

    async def _replay(self, topic: str, wanted: set | None) -> int:
        moved = 0
        after = 0
        while True:
            rows = await self._read(self._dlq, self._subject("d", topic), after, 100)
            if not rows:
                return moved
            for seq, event in rows:
                after = seq
                if wanted is not None and event["id"] not in wanted:
                    continue
                event["topic"] = topic
                event["headers"] = {k: v for k, v in (event.get("headers") or {}).items() if not k.startswith("x-")}
                await self._publish(self._subject("e", topic), _encode(event), None)
                await self._api(f"STREAM.MSG.DELETE.{self._dlq}", {"seq": seq})
                moved += 1

    def purge_dead_letters(self, topic: str) -> int:
        answer = self._call(f"purge the dead letters of {topic}",
                            self._api(f"STREAM.PURGE.{self._dlq}", {"filter": self._subject("d", topic)}))
        return int(answer.get("purged", 0))

    def ping(self) -> None:
        self._call("reach JetStream", self._api("INFO"))

    def destroy(self) -> None:
        """Delete the streams (and with them the groups and dead letters) of this prefix."""
        if self._loop.is_closed():
            other = NatsBroker(self.url, prefix=self.prefix, timeout=self.timeout)
            try:
                other.destroy()
            finally:
                other.close()
            return
        self._call("delete the streams", self._destroy())
        self._declared.clear()

    async def _destroy(self) -> None:
        self._acked.clear()  # their consumers go with the streams
        for name in (self._events, self._dlq):
            try:
                await self._api(f"STREAM.DELETE.{name}")
            except _ApiError as error:
                if error.code != 10059:  # already gone
                    raise

    def close(self) -> None:
        if self._loop.is_closed():
            return
        with self._plain_lock:
            self._closing = True
            idle, self._plain_idle = self._plain_idle, []
        for publisher in idle:
            publisher.close()
        if self._nc is not None and self._thread.is_alive():
            future = asyncio.run_coroutine_threadsafe(self._shut(), self._loop)
            try:
                future.result(self.timeout)
            except Exception:  # noqa: BLE001 - closing a dead connection has nothing left to do
                pass
        self._stop_loop()

    async def _shut(self) -> None:
        await self._confirmed()
        if self._sender is not None:
            self._sender.cancel()
        await self._nc.close()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(self.timeout)
        if not self._thread.is_alive():
            self._loop.close()


class _Unsupported(Exception):
    """The server wants what _PlainPublisher does not speak (TLS)."""


class _Refused(Exception):
    """The server answered -ERR."""


class _PlainPublisher:
    """A blocking connection of its own that publishes and reads the reply in the calling thread.

    Publishing through the client means a hand-off to its event loop thread and back, which
    costs more than the round trip to the server; this speaks the few words of the NATS protocol
    a request needs (CONNECT, SUB, PUB/HPUB, MSG/HMSG, PING/PONG) on a plain socket instead. One
    request at a time; the broker keeps one per thread publishing at once."""

    def __init__(self, host: str, port: int, user: str, password: str, timeout: float) -> None:
        self.sock = socket.create_connection((host, port), timeout)
        try:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buffer = bytearray()
            self.inbox = f"_INBOX.{uuid.uuid4().hex}"
            self.sequence = 0
            greeting = self._line()
            if not greeting.startswith(b"INFO "):
                raise ConnectionError("the server did not introduce itself")
            if json.loads(greeting[5:]).get("tls_required"):
                raise _Unsupported
            hello = {"verbose": False, "pedantic": False, "headers": True, "no_responders": True,
                     "protocol": 1, "name": "hypnoscript", "lang": "python", "version": "1"}
            if user and password:
                hello.update({"user": user, "pass": password})
            elif user:
                hello["auth_token"] = user
            self.sock.sendall(b"CONNECT " + json.dumps(hello).encode() + b"\r\nPING\r\n")
            while (line := self._line()) != b"PONG":
                if line.startswith(b"-ERR"):
                    raise _Refused(line[4:].strip(b" '").decode(errors="replace").lower())
            self.sock.sendall(f"SUB {self.inbox}.* 1\r\n".encode())
        except BaseException:
            self.sock.close()
            raise

    def request(self, subject: str, body: bytes, headers: dict | None) -> tuple[str | None, bytes]:
        self.sequence += 1
        reply = f"{self.inbox}.{self.sequence}".encode()
        if headers:
            head = ("NATS/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode()
            self.sock.sendall(b"HPUB %s %s %d %d\r\n%s%s\r\n"
                              % (subject.encode(), reply, len(head), len(head) + len(body), head, body))
        else:
            self.sock.sendall(b"PUB %s %s %d\r\n%s\r\n" % (subject.encode(), reply, len(body), body))
        while True:
            line = self._line()
            if line.startswith((b"MSG ", b"HMSG ")):
                words = line.split()
                size = int(words[-1])
                head_size = int(words[-2]) if words[0] == b"HMSG" else 0
                data = self._exactly(size)
                if words[1] != reply:  # the reply to a request given up on
                    continue
                status = data[:head_size].split(b"\r\n", 1)[0][9:12].decode() or None
                return status, data[head_size:]
            if line == b"PING":
                self.sock.sendall(b"PONG\r\n")
            elif line.startswith(b"-ERR"):
                error = line[4:].strip(b" '").decode(errors="replace").lower()
                if error.startswith("permissions violation"):  # the connection stays; the publish is refused
                    raise _Refused(error)
                raise ConnectionResetError(error)  # the server closes the connection after the others
            # +OK, PONG and INFO updates need nothing

    def _line(self) -> bytes:
        while (end := self.buffer.find(b"\r\n")) < 0:
            self._receive()
        line = bytes(self.buffer[:end])
        del self.buffer[:end + 2]
        return line

    def _exactly(self, size: int) -> bytes:
        while len(self.buffer) < size + 2:
            self._receive()
        data = bytes(self.buffer[:size])
        del self.buffer[:size + 2]
        return data

    def _receive(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionResetError("the server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


class _PullInbox:
    """A lasting inbox for pulled messages, serving one pull request at a time."""

    __slots__ = ("pull", "sub", "subject")

    def __init__(self, subject: str) -> None:
        self.subject = subject
        self.sub = None
        self.pull: _Pull | None = None

    async def receive(self, message) -> None:
        if self.pull is not None:
            self.pull.add(message)


class _Pull:
    """The messages of one pull request, and a future that ends when the server ends the request."""

    __slots__ = ("batch", "ended", "messages")

    def __init__(self, batch: int, ended: asyncio.Future) -> None:
        self.batch = batch
        self.ended = ended
        self.messages: list = []

    def add(self, message) -> None:
        if self.ended.done():
            return
        status = (message.headers or {}).get("Status")
        if status is None:
            self.messages.append(message)
            if len(self.messages) >= self.batch:
                self.ended.set_result(None)
        elif status != "100":  # 404 nothing there, 408 expired, 409 consumer changed
            self.ended.set_result(None)


class _ApiError(Exception):
    """An error answer of the JetStream API."""

    def __init__(self, error: dict) -> None:
        super().__init__(error.get("description") or "JetStream refused the request")
        self.code = error.get("err_code")


def _encode(event: dict) -> bytes:
    return event_text(event).encode()
