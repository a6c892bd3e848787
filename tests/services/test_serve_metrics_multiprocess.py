"""Multiprocess metrics (`--workers N`): a worker's counts and durations reach the shared files in
batches, and what any worker answers adds up every worker's observations exactly."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
from prometheus_client.parser import text_string_to_metric_families

from hypnoscript.services.observability.metrics import BUCKETS, Metrics

ROUTE = ("shop", "/items/{id}", "GET")


@pytest.fixture
def shared_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    return tmp_path


def _duration_samples(text: str) -> dict[str, float]:
    """bucket bound (and "count", "sum") -> value, for ROUTE's duration histogram."""
    found = {}
    for family in text_string_to_metric_families(text):
        if family.name != "hyp_http_request_duration_seconds":
            continue
        for s in family.samples:
            if (s.labels.get("service"), s.labels.get("route"), s.labels.get("method")) != ROUTE:
                continue
            if s.name.endswith("_bucket"):
                found[s.labels["le"]] = s.value
            else:
                found[s.name.rsplit("_", 1)[1]] = s.value
    return found


def _requests(text: str, status: str) -> float:
    return sum(s.value for f in text_string_to_metric_families(text) for s in f.samples
               if s.name == "hyp_http_requests_total" and s.labels.get("status") == status)


# prometheus-client picks its shared-file values when first imported, so workers are processes
WORKER = """
import sys
from hypnoscript.services.observability.metrics import Metrics
m = Metrics()
assert m.multiprocess
for step in sys.argv[1:]:
    if step == "publish":
        m.publish()
    elif step == "render":
        sys.stdout.write(m.render().decode())
    else:
        seconds, status = step.split(":")
        m.started()
        m.observe("shop", "/items/{id}", "GET", int(status), float(seconds))
m.close()
"""


def _worker(*steps: str) -> str:
    return subprocess.run([sys.executable, "-c", WORKER, *steps], check=True, capture_output=True,
                          text=True).stdout


def test_batched_observations_add_up_across_publishes_and_workers(shared_dir):
    # one worker publishes three times (once with nothing new), the other only when it answers
    _worker("0.0004:200", "0.003:200", "0.003:200", "0.2:200", "publish", "0.003:200", "7.0:500", "publish",
            "publish")
    text = _worker("0.0009:200", "45.0:200", "render")
    observed = [0.0004, 0.003, 0.003, 0.2, 0.003, 7.0, 0.0009, 45.0]
    samples = _duration_samples(text)
    assert samples["count"] == len(observed)
    assert math.isclose(samples["sum"], sum(observed))
    for bound in BUCKETS:
        assert samples[repr(bound)] == sum(1 for s in observed if s <= bound), bound
    assert samples["+Inf"] == len(observed)
    assert _requests(text, "200") == 7 and _requests(text, "500") == 1
