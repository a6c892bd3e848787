"""The cache builtins behave the same on the memory cache and on Redis: JSON round trips, TTLs,
atomic increments across processes, and concurrent misses of CacheGetOrSet computing once."""

import os
import pathlib
import subprocess
import sys
import threading
import time

import pytest

from hypnoscript.services.data.cache import open_cache

PROGRAMS = pathlib.Path(__file__).parent / "programs"
HYP = os.path.join(os.path.dirname(sys.executable), "hyp")


@pytest.fixture(params=["memory", "redis"])
def cache_env(request):
    """Environment variables that point `hyp` at the cache under test."""
    if request.param == "memory":
        return {"HYP_INFRASTRUCTURE__CACHE__URL": "memory://"}
    url, prefix = request.getfixturevalue("redis_cache")
    return {"HYP_INFRASTRUCTURE__CACHE__URL": url, "HYP_INFRASTRUCTURE__CACHE__PREFIX": prefix}


def open_from(env: dict):
    return open_cache(env["HYP_INFRASTRUCTURE__CACHE__URL"], prefix=env.get("HYP_INFRASTRUCTURE__CACHE__PREFIX", "t:"),
                      default_ttl=300, max_entries=100, timeout=5)


def test_program_output_is_the_same_on_every_cache(cache_env, tmp_path):
    env = {**os.environ, **cache_env}
    result = subprocess.run([HYP, "exec", str(PROGRAMS / "cache.hyp")], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=120)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (PROGRAMS / "cache.out").read_text()


def test_concurrent_misses_compute_once(cache_env):
    cache = open_from(cache_env)
    calls = []
    barrier = threading.Barrier(20)
    results = []

    def compute():
        calls.append(1)
        time.sleep(0.2)
        return {"value": 7.0}

    def worker():
        barrier.wait()
        results.append(cache.get_or_set("shared", compute, 30))

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert results == [{"value": 7.0}] * 20
    cache.close()


def test_a_failing_computation_caches_nothing_and_releases_the_key(cache_env):
    cache = open_from(cache_env)

    def fail():
        raise RuntimeError("no data")

    with pytest.raises(RuntimeError):
        cache.get_or_set("flaky", fail, 30)
    assert cache.get("flaky") is None
    assert cache.get_or_set("flaky", lambda: "ok", 30) == "ok"
    cache.close()


def test_increments_from_many_threads_are_atomic(cache_env):
    cache = open_from(cache_env)

    def worker():
        for _ in range(200):
            cache.increment("counter", 1.0)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.get("counter") == 1600.0
    cache.close()


def test_increments_from_several_processes_are_atomic(redis_cache, tmp_path):
    url, prefix = redis_cache
    env = {**os.environ, "HYP_INFRASTRUCTURE__CACHE__URL": url, "HYP_INFRASTRUCTURE__CACHE__PREFIX": prefix}
    script = tmp_path / "count.hyp"
    script.write_text('Focus { induce i = 0; loop (i = 0; i < 250; i = i + 1) { CacheIncrement("visits"); } } Relax')
    procs = [subprocess.Popen([HYP, "exec", str(script)], env=env, cwd=tmp_path) for _ in range(4)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    cache = open_from(env)
    assert cache.get("visits") == 1000.0
    cache.close()


def test_entries_expire_after_their_ttl(cache_env):
    cache = open_from(cache_env)
    cache.set("short", "v", 0.2)
    cache.set("kept", "v", 0)
    assert cache.get("short") == "v"
    time.sleep(0.4)
    assert cache.get("short") is None
    assert cache.get("kept") == "v"
    cache.close()


def test_the_memory_cache_is_bounded():
    cache = open_cache("memory://", prefix="", default_ttl=300, max_entries=3, timeout=5)
    for i in range(5):
        cache.set(f"k{i}", i, None)
    cache.get("k2")
    cache.set("k5", 5, None)
    present = [k for k in ("k0", "k1", "k2", "k3", "k4", "k5") if cache.get(k) is not None]
    assert present == ["k2", "k4", "k5"]


def test_an_unreachable_redis_is_a_catchable_error(tmp_path):
    script = tmp_path / "down.hyp"
    script.write_text('Focus {\n  try { CacheGet("x"); } catch (e) { observe "caught"; }\n  CacheSet("x", 1);\n} Relax')
    env = {**os.environ, "HYP_INFRASTRUCTURE__CACHE__URL": "redis://127.0.0.1:1/0",
           "HYP_INFRASTRUCTURE__CACHE__TIMEOUT": "1"}
    result = subprocess.run([HYP, "exec", str(script)], capture_output=True, text=True, env=env, cwd=tmp_path,
                            timeout=60)
    assert (result.returncode, result.stdout) == (1, "caught\n")
    assert result.stderr.startswith("error[HYP4031]: cache error: redis: SET failed")
    assert "down.hyp:3:3" in result.stderr
