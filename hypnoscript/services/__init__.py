"""`hyp serve`: HypnoScript modules served as HTTP APIs on Starlette and uvicorn.

settings.py reads the configuration, loading.py compiles the services' modules, handlers.py
calls route handlers on a thread pool, app.py assembles the Starlette application, server.py runs
it (workers, reload, SIGTERM), and observability/ holds logs, metrics and tracing.
"""
