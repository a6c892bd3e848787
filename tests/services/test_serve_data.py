"""Handlers store and read through the project's database and cache; /readyz follows the
configured servers going away and coming back; database and cache calls show in /metrics and as
spans under the handler's."""

import socket
import threading

from serve_helpers import serving, write_project

STORE = """Focus {
    DbExecute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");

    suggestion add(request) {
        DbExecute("INSERT INTO notes (id, body) VALUES (:id, :body)", {"id": request.body.id, "body": request.body.body});
        CacheDelete("notes");
        awaken Response(201, { id: request.body.id });
    }
    suggestion list(request) {
        awaken CacheGetOrSet("notes", suggestion() {
            awaken DbQuery("SELECT id, body FROM notes ORDER BY id");
        }, 60);
    }
    suggestion views(request) {
        awaken CacheIncrement("views");
    }
} Relax
"""

ROUTES = [
    {"method": "POST", "path": "/notes", "handler": "add"},
    {"method": "GET", "path": "/notes", "handler": "list"},
    {"method": "POST", "path": "/views", "handler": "views"},
]


def test_handlers_store_and_read_through_database_and_cache(tmp_path):
    project = write_project(tmp_path, module=STORE, routes=ROUTES)
    with serving(project) as server:
        assert server.client.post("/notes", json={"id": 1, "body": "first"}).status_code == 201
        assert server.client.get("/notes").json() == [{"id": 1, "body": "first"}]
        assert server.client.post("/notes", json={"id": 2, "body": "zweite ✨"}).status_code == 201
        assert server.client.get("/notes").json() == [{"id": 1, "body": "first"}, {"id": 2, "body": "zweite ✨"}]
        assert [server.client.post("/views").json() for _ in range(3)] == [1, 2, 3]
        duplicate = server.client.post("/notes", json={"id": 1, "body": "again"})
        assert duplicate.status_code == 500
        assert "database error" in duplicate.json()["message"]
        metrics = server.client.get("/metrics").text
        assert 'hyp_db_calls_total{backend="sqlite",operation="execute"}' in metrics
        assert 'hyp_db_errors_total{backend="sqlite",operation="execute"} 1.0' in metrics
        assert 'hyp_cache_calls_total{backend="memory",operation="increment"} 3.0' in metrics
        assert "hyp_db_duration_seconds_bucket" in metrics
        ready = server.client.get("/readyz").json()
        assert ready["checks"]["database"] == "ok" and ready["checks"]["cache"] == "ok"
    assert (tmp_path / "data" / "app.db").is_file()


def test_database_calls_are_spans_under_the_handler(tmp_path):
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    project = write_project(tmp_path, module=STORE, routes=ROUTES)
    with serving(project, tracer_provider=provider) as server:
        server.client.post("/notes", json={"id": 1, "body": "first"})
    spans = {span.name: span for span in exporter.get_finished_spans()}
    handler = spans["handler api.add"]
    execute = spans["db execute"]
    assert execute.parent.span_id == handler.context.span_id
    assert execute.attributes["db.system"] == "sqlite"
    assert execute.attributes["db.statement"].startswith("INSERT INTO notes")
    assert spans["cache delete"].parent.span_id == handler.context.span_id


class Proxy:
    """A TCP forwarder to a real server that the test can take down and bring back."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = None
        self.port = None
        self.connections: list[socket.socket] = []

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port or 0))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            self.connections += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self) -> None:
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread, freeing the port
        except OSError:
            pass
        self.listener.close()
        for s in self.connections:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        self.connections = []


def _readiness_follows(tmp_path, infrastructure: dict, upstream: tuple[str, int], check: str):
    proxy = Proxy(upstream)
    proxy.start()
    config = {"infrastructure": {k: {**v, "url": v["url"].replace("PORT", str(proxy.port))}
                                 for k, v in infrastructure.items()}}
    project = write_project(tmp_path, module=STORE, routes=ROUTES, config=config)
    try:
        with serving(project) as server:
            first = server.client.get("/readyz")
            assert first.status_code == 200, first.text
            proxy.stop()
            down = server.client.get("/readyz")
            assert down.status_code == 503
            body = down.json()
            assert body["status"] == "unavailable"
            assert body["checks"][check] != "ok"
            proxy.start()
            back = server.client.get("/readyz")
            assert back.status_code == 200, back.text
            assert back.json()["checks"][check] == "ok"
    finally:
        proxy.stop()
    return body["checks"][check]


def test_readyz_goes_503_while_postgresql_is_away_and_recovers(tmp_path, postgres_url):
    name = postgres_url.rsplit("/", 1)[1]
    problem = _readiness_follows(tmp_path, {"database": {"url": f"postgresql://root@127.0.0.1:PORT/{name}",
                                                         "timeout": 2}},
                                 ("127.0.0.1", 5432), "database")
    assert problem.startswith("postgresql: ")


def test_readyz_goes_503_while_redis_is_away_and_recovers(tmp_path, redis_cache):
    _, prefix = redis_cache
    problem = _readiness_follows(tmp_path, {"cache": {"url": "redis://127.0.0.1:PORT/0", "prefix": prefix,
                                                      "timeout": 1}},
                                 ("127.0.0.1", 6379), "cache")
    assert problem.startswith("redis: ")
