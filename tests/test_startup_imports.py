"""`hyp exec hello.hyp` stays fast: no server, database, cache, broker, SQL or telemetry library is
imported until a program or command uses it."""

import json
import os
import pathlib
import subprocess
import sys

HEAVY = ("sqlalchemy", "psycopg", "pymysql", "redis", "cachetools", "sqlparse", "sqlglot", "argon2", "starlette",
         "uvicorn", "opentelemetry", "prometheus_client", "httpx", "jsonschema", "structlog")
ROOT = pathlib.Path(__file__).parent.parent


def test_running_a_program_imports_no_heavy_library(tmp_path):
    code = ("import sys\nfrom hypnoscript.cli.main import main\nstatus = main(['exec', sys.argv[1]])\n"
            "import json\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n")
    result = subprocess.run([sys.executable, "-c", code, str(ROOT / "examples" / "hello.hyp")], capture_output=True,
                            text=True, cwd=tmp_path, env={**os.environ, "HYP_CACHE_DIR": str(tmp_path)}, timeout=60)
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout.splitlines()[-1]))
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))
