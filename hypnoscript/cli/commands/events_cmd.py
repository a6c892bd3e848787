"""`hyp events list | inspect | replay | publish | purge`: look into and act on the project's topics
on its configured broker (see docs/events.md)."""

from __future__ import annotations

import argparse

CODE_TOPIC = "HYP5070"
CODE_BROKER = "HYP5072"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", help="configuration profile (default: $HYP_PROFILE)")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="per topic: pending, in flight and dead-lettered events")
    listing.add_argument("--json", action="store_true", help="an array of {topic, pending, inFlight, deadLetter}")
    inspect = sub.add_parser("inspect", help="the events waiting on a topic (or its dead letters)")
    inspect.add_argument("topic")
    inspect.add_argument("--dlq", action="store_true", help="the dead letters instead")
    inspect.add_argument("--limit", type=int, default=20, help="at most this many (default: 20)")
    inspect.add_argument("--json", action="store_true", help="the events as a JSON array")
    replay = sub.add_parser("replay", help="put dead letters back onto their topic")
    replay.add_argument("topic")
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", action="append", dest="ids", metavar="ID", help="the dead letter with this id "
                                                                               "(may be repeated)")
    which.add_argument("--all", action="store_true", help="every dead letter of the topic")
    publish = sub.add_parser("publish", help="publish an event")
    publish.add_argument("topic")
    publish.add_argument("payload", metavar="JSON", help="the payload, as JSON")
    publish.add_argument("--key", help="ordering key")
    publish.add_argument("--header", action="append", default=[], metavar="NAME=VALUE", help="a header (repeatable)")
    publish.add_argument("--delay", type=float, default=0.0, metavar="SECONDS", help="deliver after this long")
    purge = sub.add_parser("purge", help="delete a topic's dead letters")
    purge.add_argument("topic")
    purge.add_argument("--dlq", action="store_true", required=True, help="the dead letters (required: live events "
                                                                         "are never purged)")


def run(args: argparse.Namespace) -> int:
    import os

    from hypnoscript.project import manifest
    from hypnoscript.project.report import guarded

    def action() -> int:
        root = manifest.require_root(os.getcwd())
        return _act(root, args)

    return guarded(action)


def _act(root: str, args) -> int:
    import json

    from hypnoscript.cli.main import UsageError
    from hypnoscript.project.config import load_config
    from hypnoscript.services.infrastructure import Infrastructure, project_name
    from hypnoscript.services.events.broker import BrokerError
    from hypnoscript.services.events.publisher import HypEventError, consumer_groups
    from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError

    config = load_config(root, args.profile)
    topics = consumer_groups(config.get("services", {}))
    infra = Infrastructure(root, config.get("infrastructure", {}), name=project_name(root), topics=topics)
    events = infra.events()

    def problem(code: str, message: str, help: str | None = None):
        return DiagnosticError([Diagnostic(code, message, path=config.path, help=help)])

    topic = getattr(args, "topic", None)
    if topic is not None and topic not in topics:
        import difflib

        close = difflib.get_close_matches(topic, list(topics), 1)
        known = ", ".join(sorted(topics)) or "none"
        raise problem(CODE_TOPIC, f"no consumer is configured for topic \"{topic}\"",
                      f"did you mean \"{close[0]}\"?" if close else f"configured topics: {known}")
    try:
        broker = events.broker()
        if args.action == "list":
            stats = broker.stats(sorted(topics))
            if args.json:
                print(json.dumps(stats))
            else:
                width = max([len("topic")] + [len(s["topic"]) for s in stats])
                print(f"{'topic':<{width}}  {'pending':>8}  {'in flight':>9}  {'dead letters':>12}")
                for s in stats:
                    print(f"{s['topic']:<{width}}  {s['pending']:>8}  {s['inFlight']:>9}  {s['deadLetter']:>12}")
            return 0
        if args.action == "inspect":
            if args.dlq:
                found = broker.dead_letters(topic, args.limit)
            else:
                found = []
                for group in topics[topic]:
                    found += [{"group": group, **e} for e in broker.waiting(topic, group, args.limit)]
            if args.json:
                print(json.dumps(found, ensure_ascii=False))
            else:
                for event in found:
                    print(json.dumps(event, ensure_ascii=False))
                print(f"{len(found)} {'dead letter(s)' if args.dlq else 'event(s) waiting'} on {topic}")
            return 0
        if args.action == "replay":
            moved = broker.replay(topic, None if args.all else args.ids)
            if not args.all and moved < len(set(args.ids)):
                print(f"replayed {moved} of {len(set(args.ids))}: the others are not dead letters of {topic}")
                return 1
            print(f"replayed {moved} dead letter(s) onto {topic}")
            return 0
        if args.action == "publish":
            try:
                payload = json.loads(args.payload)
            except json.JSONDecodeError as error:
                raise UsageError(f"the payload is not JSON (line {error.lineno}, column {error.colno})") from None
            headers = {}
            for item in args.header:
                name, sep, value = item.partition("=")
                if not sep or not name:
                    raise UsageError(f"a header is NAME=VALUE, got \"{item}\"")
                headers[name] = value
            if not 0 <= args.delay < 366 * 86400:
                raise UsageError(f"--delay must be from 0 up to a year, got {args.delay:g}")
            print(events.publish(topic, payload, key=args.key, headers=headers, delay=args.delay))
            return 0
        removed = broker.purge_dead_letters(topic)
        print(f"purged {removed} dead letter(s) of {topic}")
        return 0
    except (BrokerError, HypEventError) as error:
        raise problem(CODE_BROKER, f"the broker ({events.backend}): {error}") from None
    finally:
        infra.close()
