"""Running one ASGI application on uvicorn in this process until SIGTERM or Ctrl+C: what `hyp serve`
(one process) and `hyp worker` share."""

from __future__ import annotations

import signal


def run_single(app, config: dict) -> int:
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, **config))
    # uvicorn re-raises the signal that stopped it once it has shut down; a recorded signal lets the
    # process exit 0 after a graceful stop instead of dying by that signal.
    previous = {sig: signal.signal(sig, lambda *_: None) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0 if server.started else 1
