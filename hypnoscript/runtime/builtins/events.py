"""`Publish(topic, payload, options?)`: an event on the project's broker (`infrastructure.messaging`;
the embedded queue `data/queue.db` by default). It returns the event's id once the event is
durable; inside `DbTransaction` the event is published if and only if the transaction commits.
"""

from __future__ import annotations

import re

from hypnoscript.runtime import infrastructure
from hypnoscript.runtime.builtins.args import as_number, as_object, as_string
from hypnoscript.runtime.builtins.registry import builtin
from hypnoscript.runtime.builtins.support import to_json
from hypnoscript.runtime.context import current
from hypnoscript.runtime.errors import HypArgumentError, HypTypeError
from hypnoscript.runtime.values import display

TOPIC = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,199}\Z")
_OPTIONS = ("key", "headers", "delaySeconds")


def check_topic(topic: str, name: str) -> str:
    if not TOPIC.match(topic) or topic.endswith(".dlq") or ".." in topic:
        raise HypArgumentError(f"Builtin '{name}' expected a topic name (letters, digits, '.', '_', '-'; "
                               f"not ending in .dlq), got \"{topic}\"")
    return topic


@builtin(
    "events",
    "Publish(topic: string, payload: any, options?: object) -> string",
    "Publish a JSON-able payload on topic and return the event's id once it is durable; options: key "
    "(ordering key), headers (object of strings), delaySeconds. Inside DbTransaction the event goes out "
    "only if the transaction commits",
    pure=False,
)
def _publish(topic, payload, options=None):
    topic = check_topic(as_string(topic, "Publish", 1), "Publish")
    try:
        body = to_json(payload, "Publish")
    except RecursionError:
        raise HypTypeError("Builtin 'Publish' cannot convert a value that contains itself to JSON") from None
    opts = {} if options is None else as_object(options, "Publish", 3)
    for name in opts:
        if name not in _OPTIONS:
            raise HypArgumentError(f"Builtin 'Publish' has no option \"{name}\" (options: {', '.join(_OPTIONS)})")
    key = opts.get("key")
    if key is not None:
        key = display(key)
    headers = {}
    if opts.get("headers") is not None:
        headers = {str(k): display(v) for k, v in as_object(opts["headers"], "Publish", 3).items()}
    delay = 0.0
    if opts.get("delaySeconds") is not None:
        delay = as_number(opts["delaySeconds"], "Publish", 3)
        if not 0 <= delay < 366 * 86400:
            raise HypArgumentError(f"Builtin 'Publish' expected delaySeconds from 0 up to a year, got {display(delay)}")
    return infrastructure.of(current()).events().publish(topic, body, key=key, headers=headers, delay=delay)
