"""Topics on Redis Streams (`redis://host:6379/0`, `rediss://` for TLS), shared by every process
and machine that uses the same server and prefix.

Keys, all under `<prefix>events:` (so `destroy` and an operator find them, and they never meet
the cache's keys of the same prefix):
- `stream:<topic>`: the topic's events in publish order, one stream entry each (field `e`, the
  event as JSON). A consumer group declared for the topic is a Redis consumer group on it,
  created at `$`, so it gets the events published after it was declared. Dead letters are the
  stream of the topic `<topic>.dlq`.
- `lease:<len>:<group>:<topic>` and `retry:<len>:<group>:<topic>`: sorted sets of the stream
  entry ids the group has fetched but not acknowledged (its pending entries list), scored by the
  server time (ms) when each may be fetched again: the end of its lease, or when its retry is due.
  Every fetched entry is in exactly one of them.
- `delayed:<topic>`: events published with a delay, scored by when they are due; the first fetch
  after that time (of any group) appends them to the stream.
- `wake:<topic>`: a one-entry stream written on retries and delayed publishes, so fetches that
  wait (XREAD BLOCK on the topic's stream and this one) look again at once.

Every change is one Lua script (a publish without delay one XADD NOMKSTREAM), so the stream, the
pending entries and the sorted sets never disagree, whichever process dies when. A fetch claims due
entries (XCLAIM, which counts the delivery: `attempt` is the entry's delivery count) and then reads
new ones (XREADGROUP `>`); `ack`, `retry` and `dead_letter` act only while the delivery count is
still the one handed out, so a consumer whose lease ran out cannot acknowledge the delivery that
replaced its own.

Trimming: once every group of a topic has acknowledged an entry it is trimmed (XTRIM MINID below
the oldest entry some group still needs), at most once a second per topic and process, together
with deleting consumers that hold nothing and were idle for an hour. Dead letters stay until
replayed or purged. Publishing to a topic no group is declared for stores nothing, as nobody
would ever fetch it (`declare` creates the stream with its group, and trimming keeps the key).

Durability: `publish` returns once Redis has executed the XADD, so the event is as durable as the
server's persistence settings make it: with `appendonly yes` and `appendfsync always` it is on
disk before the reply; with `appendfsync everysec` up to a second of events can be lost in a
crash; without the append-only file only the last RDB snapshot survives. The broker never changes
the server's configuration; `durability()` reports what it found when it connected.

Differences from the interface:
- Durability is the server's, as above, not one the broker can guarantee.
- A delayed event enters the stream when it is due, so a group declared between its publish and
  that time receives it too; `waiting` lists delayed events by their publish time.
- A lease that runs out while a fetch of the same group waits is picked up when that fetch's wait
  ends (or when anything is published or retried on the topic), not at the moment it runs out.
- One Redis server (or a primary with replicas), version 6.2 or later (XTRIM MINID, exclusive
  ranges); Redis Cluster is not supported, since the scripts touch several keys of a topic at once.
"""

from __future__ import annotations

import json
import threading
import time
import uuid

from hypnoscript.services.events.broker import (
    DLQ_SUFFIX,
    Broker,
    BrokerError,
    Delivery,
    dlq_topic,
    event_text,
    now_text,
)

_COMMON = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function id_less(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  if tonumber(am) ~= tonumber(bm) then return tonumber(am) < tonumber(bm) end
  return tonumber(as) < tonumber(bs)
end
local function field(list, name)
  for i = 1, #list, 2 do if list[i] == name then return list[i + 1] end end
end
-- KEYS[1] stream; ARGV[1] group, ARGV[2] entry id, ARGV[3] the attempt handed out
local function owns()
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
  return p[1] ~= nil and p[1][4] == tonumber(ARGV[3])
end
-- drop what every group has acknowledged, and consumers idle longer than idle_ms holding nothing
local function tidy(stream, idle_ms)
  if redis.call('EXISTS', stream) == 0 then return end
  local floor = nil
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
    local name = field(g, 'name')
    local keep = field(g, 'last-delivered-id')
    if tonumber(field(g, 'pending')) > 0 then
      local oldest = redis.call('XPENDING', stream, name)[2]
      if id_less(oldest, keep) then keep = oldest end
    end
    if floor == nil or id_less(keep, floor) then floor = keep end
    for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', stream, name)) do
      if tonumber(field(c, 'pending')) == 0 and tonumber(field(c, 'idle')) > idle_ms then
        redis.call('XGROUP', 'DELCONSUMER', stream, name, field(c, 'name'))
      end
    end
  end
  if floor == nil then redis.call('XTRIM', stream, 'MAXLEN', 0) else redis.call('XTRIM', stream, 'MINID', floor) end
end
"""

# A delayed publish (one without delay is a plain XADD). KEYS stream, delayed, wake; ARGV body,
# delay ms, keep without groups ('1' for dead letters), nonce
_PUBLISH = _COMMON + """
if ARGV[3] ~= '1' and (redis.call('EXISTS', KEYS[1]) == 0 or #redis.call('XINFO', 'GROUPS', KEYS[1]) == 0) then
  return 0
end
local now = now_ms()
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), string.format('%013d', now) .. ':' .. ARGV[4] .. '|' .. ARGV[1])
redis.call('XADD', KEYS[3], 'MAXLEN', 1, '*', 'w', '')
return 1
"""

# KEYS stream, lease, retry, delayed, wake; ARGV group, consumer, count, lease ms.
# Returns {{id, attempt, body}...}, then, when fewer than `count` came (the group has read the
# whole stream), the stream's last id, the wake stream's last id and ms until something falls due
# (-1: nothing scheduled); otherwise '', '', 0.
_FETCH = _COMMON + """
local stream, group, consumer = KEYS[1], ARGV[1], ARGV[2]
local count, lease = tonumber(ARGV[3]), tonumber(ARGV[4])
local now = now_ms()
local due = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'LIMIT', 0, 100)
for _, member in ipairs(due) do
  redis.call('XADD', stream, '*', 'e', string.sub(member, string.find(member, '|', 1, true) + 1))
end
if #due > 0 then redis.call('ZREM', KEYS[4], unpack(due)) end
local out = {}
local ready = {}
for _, key in ipairs({KEYS[3], KEYS[2]}) do
  local rows = redis.call('ZRANGEBYSCORE', key, '-inf', now, 'WITHSCORES', 'LIMIT', 0, count)
  for i = 1, #rows, 2 do table.insert(ready, {rows[i], tonumber(rows[i + 1]), key}) end
end
table.sort(ready, function(a, b)
  if a[2] ~= b[2] then return a[2] < b[2] end
  return id_less(a[1], b[1])
end)
for i = 1, math.min(count, #ready) do
  local id = ready[i][1]
  redis.call('ZREM', ready[i][3], id)
  local got = redis.call('XCLAIM', stream, group, consumer, 0, id)
  if got[1] then
    local times = redis.call('XPENDING', stream, group, id, id, 1)[1][4]
    redis.call('ZADD', KEYS[2], now + lease, id)
    table.insert(out, {id, times, got[1][2][2]})
  end
end
if #out < count then
  local read = redis.pcall('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count - #out, 'STREAMS', stream, '>')
  if type(read) == 'table' and read.err then
    if not string.find(read.err, 'NOGROUP', 1, true) then return redis.error_reply(read.err) end
  elseif read then
    for _, entry in ipairs(read[1][2]) do
      redis.call('ZADD', KEYS[2], now + lease, entry[1])
      table.insert(out, {entry[1], 1, entry[2][2]})
    end
  end
end
if #out >= count then return {out, '', '', 0} end
local last = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)
local wake = redis.call('XREVRANGE', KEYS[5], '+', '-', 'COUNT', 1)
local next_due = -1
for _, key in ipairs({KEYS[2], KEYS[3], KEYS[4]}) do
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if first[2] then
    local wait = math.max(tonumber(first[2]) - now, 0)
    if next_due < 0 or wait < next_due then next_due = wait end
  end
end
return {out, last[1] and last[1][1] or '0-0', wake[1] and wake[1][1] or '0-0', next_due}
"""

# KEYS stream, lease, retry; ARGV group, id, attempt, tidy idle ms (-1: do not tidy)
_ACK = _COMMON + """
if not owns() then return 0 end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[2])
if tonumber(ARGV[4]) >= 0 then tidy(KEYS[1], tonumber(ARGV[4])) end
return 1
"""

# KEYS stream, lease, retry, wake; ARGV group, id, attempt, delay ms
_RETRY = _COMMON + """
if not owns() then return 0 end
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], now_ms() + tonumber(ARGV[4]), ARGV[2])
redis.call('XADD', KEYS[4], 'MAXLEN', 1, '*', 'w', '')
return 1
"""

# KEYS stream, lease, retry, dead-letter stream; ARGV group, id, attempt, tidy idle ms, body
_DEAD_LETTER = _COMMON + """
if not owns() then return 0 end
redis.call('XADD', KEYS[4], '*', 'e', ARGV[5])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[2])
if tonumber(ARGV[4]) >= 0 then tidy(KEYS[1], tonumber(ARGV[4])) end
return 1
"""

# Removes dead letters, appending each to the topic when a body is given (replay) and the topic
# has a group. KEYS dead-letter stream, topic stream, then lease and retry of each group of the
# dead-letter stream; ARGV n groups, their names, then entry id and body ('' to drop) pairs.
_REMOVE = """
local n = tonumber(ARGV[1])
local live = redis.call('EXISTS', KEYS[2]) == 1 and #redis.call('XINFO', 'GROUPS', KEYS[2]) > 0
local removed = 0
for i = n + 2, #ARGV, 2 do
  local id, body = ARGV[i], ARGV[i + 1]
  if redis.call('XDEL', KEYS[1], id) == 1 then
    removed = removed + 1
    if body ~= '' and live then redis.call('XADD', KEYS[2], '*', 'e', body) end
    for g = 1, n do
      redis.call('XACK', KEYS[1], ARGV[g + 1], id)
      redis.call('ZREM', KEYS[1 + 2 * g], id)
      redis.call('ZREM', KEYS[2 + 2 * g], id)
    end
  end
end
return removed
"""

# KEYS delayed, dead-letter stream, then the lease set of each group; returns their sizes, the
# lease counts only for leases that have not run out
_COUNTS = _COMMON + """
local now = now_ms()
local out = {redis.call('ZCARD', KEYS[1]), redis.call('XLEN', KEYS[2])}
for i = 3, #KEYS do table.insert(out, redis.call('ZCOUNT', KEYS[i], '(' .. string.format('%d', now), '+inf')) end
return out
"""


def _ms(seconds: float) -> int:
    return max(0, int(round(seconds * 1000)))


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "\\*?[]" else c for c in text)


def _id_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


class RedisBroker(Broker):
    backend = "redis"
    TIDY_EVERY = 1.0  # seconds between trims of one topic's stream by this process
    CONSUMER_IDLE = 3600.0  # seconds after which a consumer holding nothing is deleted

    def __init__(self, url: str, *, prefix: str, timeout: float = 10.0) -> None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self._errors = (redis.RedisError,)
        self.url = url
        self.prefix = prefix
        self.timeout = timeout
        self.ns = prefix + "events:"
        self._lock = threading.Lock()
        self._declared: dict[str, set[str]] = {}
        self._tidied: dict[str, float] = {}
        # per (topic, group): the stream's and wake stream's last ids when a fetch had read the whole
        # stream, and when something it knew of falls due (time.monotonic())
        self._seen: dict[tuple[str, str], tuple[str, str, float]] = {}
        self._closed = False
        self._connections: list = []  # every connection of `_command`, for `close`
        self._idle: list = []
        try:
            # no retries while connecting, so an unreachable server fails within `timeout`
            self.client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                               decode_responses=True, health_check_interval=30,
                                               retry=Retry(NoBackoff(), 0))
        except (ValueError, redis.RedisError) as error:
            raise BrokerError(f"redis broker: bad URL {url!r}: {error}") from None
        self._durability = self._read_durability()
        # from now on one retry, so a connection the server closed (a restart) is replaced
        self.client.set_retry(Retry(NoBackoff(), 1))
        register = self.client.register_script
        self._publish, self._fetch, self._ack = register(_PUBLISH), register(_FETCH), register(_ACK)
        self._retry, self._dead_letter = register(_RETRY), register(_DEAD_LETTER)
        self._remove, self._counts = register(_REMOVE), register(_COUNTS)

    # the hot paths (publish, fetch, ack, retry, dead letter) send their one command on connections
    # of the broker's own: redis-py's client adds tens of microseconds to every call (pool checks,
    # instrumentation), about as much as the round trip itself

    def _command(self, what: str, *args):
        """One command on a connection of the broker's own; a dropped connection is replaced and
        the command sent once more, as the client's one retry does."""
        import redis

        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            pool = self.client.connection_pool
            conn = pool.connection_class(**pool.connection_kwargs)
            with self._lock:
                self._connections.append(conn)
        try:
            for again in (False, True):
                try:
                    conn.send_packed_command(conn.pack_command(*args))
                    return conn.read_response()
                except (redis.ConnectionError, redis.TimeoutError) as error:
                    conn.disconnect()
                    if again or self._closed:
                        raise BrokerError(f"redis broker: {what} failed: {error}") from None
                except redis.ResponseError:
                    raise
                except redis.RedisError as error:
                    conn.disconnect()
                    raise BrokerError(f"redis broker: {what} failed: {error}") from None
        finally:
            with self._lock:
                if self._closed:
                    conn.disconnect()
                else:
                    self._idle.append(conn)

    def _script(self, what: str, script, keys: list, args: list):
        import redis

        try:
            try:
                return self._command(what, "EVALSHA", script.sha, len(keys), *keys, *args)
            except redis.exceptions.NoScriptError:  # the server restarted or its scripts were flushed
                self._command(what, "SCRIPT", "LOAD", script.script)
                return self._command(what, "EVALSHA", script.sha, len(keys), *keys, *args)
        except redis.ResponseError as error:
            raise BrokerError(f"redis broker: {what} failed: {error}") from None

    def _call(self, what: str, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except self._errors as error:
            raise BrokerError(f"redis broker: {what} failed: {error}") from None

    def _read_durability(self) -> dict:
        import redis

        self._call("connecting", self.client.ping)
        try:
            config = self.client.config_get("append*")
            appendonly, appendfsync = config.get("appendonly"), config.get("appendfsync")
        except redis.ResponseError:  # CONFIG is disabled on some hosted servers; INFO still says
            info = self._call("INFO persistence", self.client.info, "persistence")
            appendonly, appendfsync = ("yes" if info.get("aof_enabled") else "no"), None
        except redis.RedisError as error:
            raise BrokerError(f"redis broker: CONFIG GET appendonly failed: {error}") from None
        return {"appendonly": appendonly, "appendfsync": appendfsync,
                "syncedBeforeReply": appendonly == "yes" and appendfsync == "always"}

    def durability(self) -> dict:
        """The server's persistence when the broker connected: {appendonly, appendfsync,
        syncedBeforeReply} (appendfsync is None where CONFIG is disabled)."""
        return dict(self._durability)

    # key names (a length before the group keeps any two topic and group names apart)

    def _stream(self, topic: str) -> str:
        return f"{self.ns}stream:{topic}"

    def _lease(self, topic: str, group: str) -> str:
        return f"{self.ns}lease:{len(group)}:{group}:{topic}"

    def _retries(self, topic: str, group: str) -> str:
        return f"{self.ns}retry:{len(group)}:{group}:{topic}"

    def _delayed(self, topic: str) -> str:
        return f"{self.ns}delayed:{topic}"

    def _wake(self, topic: str) -> str:
        return f"{self.ns}wake:{topic}"

    def _tidy_idle(self, topic: str) -> int:
        """The idle limit to tidy `topic` with now, or -1 when it was tidied a moment ago."""
        if topic.endswith(DLQ_SUFFIX):
            return -1  # dead letters stay until replayed or purged
        now = time.monotonic()
        with self._lock:
            if now - self._tidied.get(topic, -self.TIDY_EVERY) < self.TIDY_EVERY:
                return -1
            self._tidied[topic] = now
        return _ms(self.CONSUMER_IDLE)

    def _groups(self, stream: str) -> list[dict]:
        if not self._call("EXISTS", self.client.exists, stream):
            return []
        return self._call("XINFO GROUPS", self.client.xinfo_groups, stream)

    # the interface

    def declare(self, topic: str, groups) -> None:
        import redis

        with self._lock:
            missing = set(groups) - self._declared.get(topic, set())
        for group in sorted(missing):
            try:
                self.client.xgroup_create(self._stream(topic), group, id="$", mkstream=True)
            except redis.ResponseError as error:
                if "BUSYGROUP" not in str(error):
                    raise BrokerError(f"redis broker: XGROUP CREATE {group} on {topic} failed: {error}") from None
            except redis.RedisError as error:
                raise BrokerError(f"redis broker: XGROUP CREATE {group} on {topic} failed: {error}") from None
        with self._lock:
            self._declared.setdefault(topic, set()).update(missing)

    def publish(self, event: dict, delay: float = 0.0) -> None:
        topic = event["topic"]
        if delay <= 0:
            # one XADD: `declare` makes the stream together with its group and trimming keeps the
            # key, so NOMKSTREAM stores nothing exactly when no group was ever declared
            import redis

            keep = () if topic.endswith(DLQ_SUFFIX) else ("NOMKSTREAM",)
            try:
                self._command(f"publish to {topic}", "XADD", self._stream(topic), *keep, "*", "e", event_text(event))
            except redis.ResponseError as error:
                raise BrokerError(f"redis broker: publish to {topic} failed: {error}") from None
            return
        self._script(f"publish to {topic}", self._publish,
                     [self._stream(topic), self._delayed(topic), self._wake(topic)],
                     [event_text(event), _ms(delay), "1" if topic.endswith(DLQ_SUFFIX) else "0", uuid.uuid4().hex[:8]])

    def fetch(self, topic: str, group: str, consumer: str, count: int, lease: float, wait: float) -> list[Delivery]:
        now = time.monotonic()
        deadline = now + wait
        keys = [self._stream(topic), self._lease(topic, group), self._retries(topic, group),
                self._delayed(topic), self._wake(topic)]
        with self._lock:
            seen = self._seen.pop((topic, group), None)
        if seen is not None and wait > 0:
            # the last fetch read the whole stream: wait for something new before asking again,
            # which saves the round trip of a fetch that would find nothing
            last, woke, due = seen
            self._block(topic, keys, last, woke, min(wait, due - now))
            if self._closed:
                return []
        while True:
            rows, last, woke, next_due = self._script(f"fetch from {topic}", self._fetch, keys,
                                                      [group, consumer, max(1, count), _ms(lease)])
            now = time.monotonic()
            if last:
                due = now + next_due / 1000 if next_due >= 0 else now + self.timeout / 2
                with self._lock:
                    self._seen[(topic, group)] = (last, woke, due)
            if rows:
                return [Delivery(topic, group, json.loads(body), int(attempt), (entry_id, int(attempt)))
                        for entry_id, attempt, body in rows]
            left = deadline - now
            if left <= 0 or self._closed:
                return []
            self._block(topic, keys, last, woke, min(left, next_due / 1000 if next_due >= 0 else left))
            if self._closed:  # closed while waiting
                return []

    def _block(self, topic: str, keys: list[str], last: str, woke: str, seconds: float) -> None:
        """Wait up to `seconds` for an entry after `last` on the topic's stream or `woke` on its wake stream."""
        if seconds <= 0 or self._closed:
            return
        import redis

        block = max(1, _ms(min(seconds, self.timeout / 2)))
        try:
            self._command(f"waiting on {topic}", "XREAD", "COUNT", 1, "BLOCK", block,
                          "STREAMS", keys[0], keys[4], last, woke)
        except redis.ResponseError as error:
            raise BrokerError(f"redis broker: waiting on {topic} failed: {error}") from None
        except BrokerError:
            if not self._closed:  # closing ends a wait with an error; the fetch then finds nothing
                raise

    def ack(self, delivery: Delivery) -> None:
        entry_id, attempt = delivery.handle
        topic, group = delivery.topic, delivery.group
        self._script(f"ack on {topic}", self._ack,
                     [self._stream(topic), self._lease(topic, group), self._retries(topic, group)],
                     [group, entry_id, attempt, self._tidy_idle(topic)])

    def retry(self, delivery: Delivery, delay: float) -> None:
        entry_id, attempt = delivery.handle
        topic, group = delivery.topic, delivery.group
        self._script(f"retry on {topic}", self._retry,
                     [self._stream(topic), self._lease(topic, group), self._retries(topic, group),
                      self._wake(topic)],
                     [group, entry_id, attempt, _ms(delay)])

    def dead_letter(self, delivery: Delivery, error: str) -> None:
        entry_id, attempt = delivery.handle
        topic, group = delivery.topic, delivery.group
        event = dict(delivery.event)
        event["headers"] = {**(event.get("headers") or {}), "x-error": error, "x-attempts": str(delivery.attempt),
                            "x-group": group, "x-failed-at": now_text(), "x-topic": topic}
        event["topic"] = dlq_topic(topic)
        self._script(f"dead letter on {topic}", self._dead_letter,
                     [self._stream(topic), self._lease(topic, group), self._retries(topic, group),
                      self._stream(event["topic"])],
                     [group, entry_id, attempt, self._tidy_idle(topic), event_text(event)])

    def _unread(self, stream: str, info: dict) -> int:
        """Entries after the group's last delivered one (XINFO's lag, counted when it has none)."""
        if info.get("lag") is not None:
            return int(info["lag"])
        start, total = "(" + info["last-delivered-id"], 0
        while True:
            rows = self._call("XRANGE", self.client.xrange, stream, min=start, max="+", count=1000)
            if not rows:
                return total
            total += len(rows)
            start = "(" + rows[-1][0]

    def stats(self, topics) -> list[dict]:
        out = []
        for topic in topics:
            stream = self._stream(topic)
            groups = self._groups(stream)
            counts = self._call(f"stats of {topic}", self._counts,
                                keys=[self._delayed(topic), self._stream(dlq_topic(topic))]
                                + [self._lease(topic, g["name"]) for g in groups])
            delayed, dead, leased = counts[0], counts[1], counts[2:]
            pending = sum(self._unread(stream, g) + int(g["pending"]) - live + delayed
                          for g, live in zip(groups, leased))
            out.append({"topic": topic, "pending": pending, "inFlight": sum(leased), "deadLetter": int(dead)})
        return out

    def dead_letters(self, topic: str, limit: int = 100) -> list[dict]:
        rows = self._call("XRANGE", self.client.xrange, self._stream(dlq_topic(topic)), count=limit)
        return [json.loads(fields["e"]) for _, fields in rows]

    def waiting(self, topic: str, group: str, limit: int = 100) -> list[dict]:
        stream = self._stream(topic)
        info = next((g for g in self._groups(stream) if g["name"] == group), None)
        if info is None:
            return []
        found = []  # (order, event)
        pending = self._call("XPENDING", self.client.xpending_range, stream, group, min="-", max="+", count=limit)
        with self.client.pipeline(transaction=False) as pipe:
            for row in pending:
                pipe.xrange(stream, min=row["message_id"], max=row["message_id"])
            bodies = self._call("XRANGE", pipe.execute)
        for rows in bodies:
            found += [(_id_key(entry_id), json.loads(fields["e"])) for entry_id, fields in rows]
        unread = self._call("XRANGE", self.client.xrange, stream, min="(" + info["last-delivered-id"], max="+",
                            count=limit)
        found += [(_id_key(entry_id), json.loads(fields["e"])) for entry_id, fields in unread]
        for member in self._call("ZRANGE", self.client.zrange, self._delayed(topic), 0, limit - 1):
            stamp, _, body = member.partition("|")
            found.append(((int(stamp.split(":", 1)[0]), 0), json.loads(body)))
        found.sort(key=lambda pair: pair[0])
        return [event for _, event in found[:limit]]

    def _remove_dead(self, topic: str, ids, replay: bool) -> int:
        dlq = self._stream(dlq_topic(topic))
        names = [g["name"] for g in self._groups(dlq)]
        keys = [dlq, self._stream(topic)]
        for name in names:
            keys += [self._lease(dlq_topic(topic), name), self._retries(dlq_topic(topic), name)]
        wanted = None if ids is None else set(ids)
        start, removed = "-", 0
        while True:
            rows = self._call("XRANGE", self.client.xrange, dlq, min=start, max="+", count=500)
            if not rows:
                return removed
            pairs = []
            for entry_id, fields in rows:
                event = json.loads(fields["e"])
                if wanted is not None and event.get("id") not in wanted:
                    continue
                body = ""
                if replay:
                    event["topic"] = topic
                    event["headers"] = {k: v for k, v in (event.get("headers") or {}).items()
                                        if not k.startswith("x-")}
                    body = event_text(event)
                pairs += [entry_id, body]
            if pairs:
                removed += self._call(f"dead letters of {topic}", self._remove, keys=keys,
                                      args=[len(names), *names, *pairs])
            start = "(" + rows[-1][0]

    def replay(self, topic: str, ids=None) -> int:
        return self._remove_dead(topic, ids, replay=True)

    def purge_dead_letters(self, topic: str) -> int:
        return self._remove_dead(topic, None, replay=False)

    def ping(self) -> None:
        self._call("PING", self.client.ping)

    def destroy(self) -> None:
        """Delete every key of this broker (all under `<prefix>events:`): its topics, groups,
        pending and delayed events and dead letters."""
        keys = self._call("SCAN", lambda: list(self.client.scan_iter(match=_glob_escape(self.ns) + "*", count=1000)))
        for i in range(0, len(keys), 500):
            self._call("DEL", self.client.delete, *keys[i:i + 500])
        with self._lock:
            self._declared.clear()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            connections, self._connections, self._idle = self._connections, [], []
        for conn in connections:  # a fetch waiting on one of them returns at once
            conn.disconnect()
        self._call("closing", self.client.close)
