"""`hyp audit verify | tail`: check the hash chain of the project's audit log, show its last entries
(see docs/security.md)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    verify = sub.add_parser("verify", help="check that no entry was edited, removed or reordered")
    tail = sub.add_parser("tail", help="the last entries")
    tail.add_argument("-n", type=int, default=20, metavar="N", help="how many (default: 20)")
    tail.add_argument("--json", action="store_true", help="the entries as JSON lines, as stored")
    for p in (verify, tail):
        p.add_argument("--profile", help="configuration profile (default: $HYP_PROFILE)")


def run(args: argparse.Namespace) -> int:
    import os

    from hypnoscript.project import manifest
    from hypnoscript.project.report import guarded

    def action() -> int:
        root = manifest.require_root(os.getcwd())
        return _act(root, args)

    return guarded(action)


def _act(root: str, args) -> int:
    from hypnoscript.project.config import CONFIG_FILE
    from hypnoscript.services.security import audit
    from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError

    def problem(message: str, help: str | None = None) -> DiagnosticError:
        return DiagnosticError([Diagnostic(audit.CODE_AUDIT, message, path=CONFIG_FILE, help=help)])

    sink = audit.project_sink(root, args.profile)
    if sink is None:
        raise problem("the project keeps no audit log", "set security.audit.sink to \"database\" or \"file:PATH\"")
    if isinstance(sink, audit.StdoutSink):
        raise problem("the audit log goes to stdout, which hyp cannot read back",
                      "set security.audit.sink to \"database\" or \"file:PATH\" to verify or tail it")
    try:
        lines = sink.read()
        head = sink.head()
    except audit.AuditError as error:
        raise problem(str(error)) from None
    except Exception as error:  # noqa: BLE001 - the database cannot be reached: say so in words
        raise problem(f"cannot read the audit log from the database: {_reason(error)}") from None
    if args.action == "verify":
        count, wrong = audit.verify(lines, head)
        if wrong is not None:
            print(f"❌ audit log: {wrong}")
            return 1
        print(f"✅ {count} entr{'y' if count == 1 else 'ies'}, chain intact")
        return 0
    shown = lines[-args.n:] if args.n > 0 else []
    if args.json:
        for _, text in shown:
            print(text.rstrip("\n"))
        return 0
    for where, entry in audit.parse(shown):
        print(_line(where, entry))
    return 0


def _line(where: str, entry: dict | None) -> str:
    if entry is None:
        return f"{where}: not an audit entry"
    head = f"{entry.get('seq', '?'):>6}  {entry.get('time', '')}  {entry.get('event', '')}"
    if "method" in entry:
        head += f"  {entry['method']} {entry.get('path', '')} -> {entry.get('status', '')}"
    rest = {k: v for k, v in entry.items()
            if k not in ("seq", "time", "event", "method", "path", "status", "prev", "hash", "log", "chain")
            and v is not None}
    return head + "".join(f"  {k}={v}" for k, v in rest.items())


def _reason(error: Exception) -> str:
    orig = getattr(error, "orig", None)
    text = str(orig if orig is not None else error).strip().splitlines()
    return text[0] if text else type(error).__name__
