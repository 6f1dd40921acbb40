"""The GPU cost collector against a fake NVML, the library against the bundled prices, the real promtool."""

from __future__ import annotations

import base64
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from types import SimpleNamespace

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from conftest import ACME, ROOT, require_tool
from exporter.collector import GpuCostCollector, GpuPrices, HostTags
from exporter.library import CostTracker, Price, usage_tokens
from exporter.nvml import GpuReadError, GpuReading
from generator import names as n

TAGS = HostTags("i-0abc", "ml-platform", "recommendation", "production", "CC-2001", "mlp-lead@acme.example", "training")
PRICES = GpuPrices([("A10G", 1.006, ("A10G",)), ("A100", 4.096, ("A100",)), ("H100", 6.88, ("H100",))])
LABELS = {"instance": "i-0abc", "team": "ml-platform", "project": "recommendation", "environment": "production"}


class FakeNvml:
    """count() and read(i) like exporter.nvml.Nvml; a GPU can be made to fail with a reason."""

    def __init__(self, names, fail=None):
        self.names, self.fail = names, fail or {}

    def count(self):
        return len(self.names)

    def read(self, i):
        if i in self.fail:
            raise GpuReadError(self.fail[i])
        return GpuReading(i, self.names[i], f"GPU-{i}", 10.0 * (i + 1), 1e9 * i, 80e9, 300.0 if i else None)

    def close(self):
        pass


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def _registry(source, clock=None):
    reg = CollectorRegistry()
    reg.register(GpuCostCollector(source, PRICES, TAGS, clock or Clock()))
    return reg


def test_gauges_carry_the_contract_labels_and_prices():
    reg = _registry(FakeNvml(["NVIDIA A10G", "NVIDIA A100-SXM4-80GB", "NVIDIA H100 80GB HBM3"]))
    assert reg.get_sample_value(n.GPU_UTILIZATION, {**LABELS, "gpu": "1", "type": "A100"}) == 20.0
    assert reg.get_sample_value(n.GPU_HOURLY_COST, {**LABELS, "gpu": "2", "type": "H100"}) == 6.88
    assert reg.get_sample_value(n.GPU_MEMORY_TOTAL, {**LABELS, "gpu": "0", "type": "A10G"}) == 80e9
    assert reg.get_sample_value(n.GPU_POWER, {**LABELS, "gpu": "0", "type": "A10G"}) is None  # not reported
    assert reg.get_sample_value("ai_exporter_host_info", {"instance": "i-0abc", "team": "ml-platform", "project": "recommendation",
                                                          "environment": "production", "cost_center": "CC-2001",
                                                          "owner": "mlp-lead@acme.example"}) == 1


def test_spend_accrues_by_wall_clock_so_a_missed_scrape_loses_nothing():
    clock = Clock()
    reg = _registry(FakeNvml(["NVIDIA A100-SXM4-80GB", "NVIDIA H100 80GB HBM3"]), clock)
    spend = {"team": "ml-platform", "project": "recommendation", "category": "training", "instance": "i-0abc"}
    assert reg.get_sample_value(n.SPEND, spend) == 0.0  # first scrape: GPUs identified, nothing billed yet
    clock.t += 1800  # half an hour, scraped once...
    clock.t += 1800  # ...or not at all: the next scrape bills the whole hour
    assert reg.get_sample_value(n.SPEND, spend) == pytest.approx(4.096 + 6.88)


def test_a_failing_gpu_is_counted_and_the_others_are_served():
    clock = Clock()
    reg = _registry(FakeNvml(["NVIDIA A10G", "NVIDIA A100-SXM4-80GB"], fail={1: "gpu_lost"}), clock)
    assert reg.get_sample_value(n.GPU_UTILIZATION, {**LABELS, "gpu": "0", "type": "A10G"}) == 10.0
    assert reg.get_sample_value(n.GPU_UTILIZATION, {**LABELS, "gpu": "1", "type": "A100"}) is None
    # every get_sample_value is a scrape: the third has counted three failed reads of GPU 1
    assert reg.get_sample_value(n.EXPORTER_ERRORS, {"gpu": "1", "reason": "gpu_lost"}) == 3


def test_an_unpriced_gpu_type_is_an_error_not_a_silent_zero():
    reg = _registry(FakeNvml(["NVIDIA T4"]))
    assert reg.get_sample_value(n.GPU_UTILIZATION, {**LABELS, "gpu": "0", "type": "unknown"}) == 10.0
    assert reg.get_sample_value(n.GPU_HOURLY_COST, {**LABELS, "gpu": "0", "type": "unknown"}) is None
    assert reg.get_sample_value(n.EXPORTER_ERRORS, {"gpu": "0", "reason": "unpriced_type"}) == 3  # third scrape


def test_nvml_missing_gives_one_clear_line_and_exit_1():
    r = subprocess.run([sys.executable, "-m", "exporter", "--specs", str(ACME), "--team", "a", "--project", "b",
                        "--environment", "c", "--cost-center", "d", "--owner", "e"], capture_output=True, text=True, timeout=60)
    if "serving" in r.stdout:  # a machine with a GPU
        pytest.skip("NVML is available here")
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("aicost exporter: ") and "--simulate" in r.stderr


@pytest.mark.tools
def test_exposition_passes_promtool_check_metrics():
    from exporter.simulate import SimulatedGpus

    reg = _registry(SimulatedGpus(8))
    body = generate_latest(reg)
    r = subprocess.run([require_tool("promtool"), "check", "metrics"], input=body, capture_output=True)
    assert r.returncode == 0 and not r.stdout and not r.stderr, (r.stdout + r.stderr).decode()


def test_basic_auth_guards_metrics():
    from exporter.server import serve

    reg = _registry(FakeNvml(["NVIDIA A10G"]))
    httpd = serve(reg, "127.0.0.1", 0, auth=("prom", "s3cret"))
    url = f"http://127.0.0.1:{httpd.server_port}/metrics"
    try:
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(url, timeout=5)
        assert err.value.code == 401
        req = urllib.request.Request(url, headers={"Authorization": "Basic " + base64.b64encode(b"prom:s3cret").decode()})
        assert b"ai_gpu_utilization_percent" in urllib.request.urlopen(req, timeout=5).read()
    finally:
        httpd.shutdown()


# --- the instrumentation library -----------------------------------------------------------------

@pytest.fixture
def registry():
    return CollectorRegistry()


@pytest.fixture
def tracker(registry):
    return CostTracker.from_specs(ACME, registry=registry, max_endpoints=3)


def _cost_sum(registry, ai_model, team, endpoint):
    return registry.get_sample_value(n.REQUEST_COST + "_sum", {"model": ai_model, "team": team, "endpoint": endpoint})


def _tokens(registry, ai_model, direction, team):
    return registry.get_sample_value(n.API_TOKENS, {"model": ai_model, "direction": direction, "team": team})


def _spend(registry, team, project):
    return registry.get_sample_value(n.SPEND, {"team": team, "project": project, "category": "api"})


def test_track_ai_call_prices_from_the_spec(tracker, registry):
    cost = tracker.track("gpt-4o", "search", "/search", input_tokens=1_000_000, output_tokens=100_000)
    assert cost == pytest.approx(2.50 + 1.00)  # $2.50/1M in, $10/1M out
    assert _cost_sum(registry, "gpt-4o", "search", "/search") == pytest.approx(3.5)
    assert _tokens(registry, "gpt-4o", "output", "search") == 100_000
    assert _spend(registry, "search", "product-search") == pytest.approx(3.5)


def test_unknown_model_is_counted_not_a_crash_and_not_silent(tracker, registry, caplog):
    assert tracker.track("gpt-9", "search", "/x", 10, 10) == 0.0
    assert tracker.track("gpt-9", "search", "/x", 10, 10) == 0.0
    assert registry.get_sample_value(n.UNPRICED_CALLS, {"model": "gpt-9"}) == 2
    assert sum("gpt-9" in r.message for r in caplog.records) == 1  # logged once


def test_label_values_are_bounded(tracker, registry):
    for i in range(10):
        tracker.track("gpt-4o-mini", "search", f"/e{i}", 1, 1)
    endpoints = {s.labels["endpoint"] for m in registry.collect() if m.name == n.REQUEST_COST for s in m.samples}
    assert endpoints == {"/e0", "/e1", "/e2", "other"}
    tracker.track("gpt-4o-mini", "nobody", "/e0", 1, 1)
    assert _spend(registry, "untagged", "untagged") > 0
    tracker.track("gpt-4o-mini", "search", "/e99", 1, 1)  # past max_endpoints: bucketed
    assert _cost_sum(registry, "gpt-4o-mini", "search", "other") > 0
    tracker.track("gpt-4o-mini", "chatbot", 'bad"{label}', 1, 1)  # unsafe characters: never a label value
    assert _cost_sum(registry, "gpt-4o-mini", "chatbot", "invalid") > 0


def test_thread_safe_totals(tracker, registry):
    def work():
        for _ in range(2000):
            tracker.track("gpt-4o-mini", "chatbot", "/chat", 100, 10)

    threads = [threading.Thread(target=work) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert _tokens(registry, "gpt-4o-mini", "input", "chatbot") == 8000 * 100


def test_openai_style_responses(tracker, registry):
    resp = SimpleNamespace(model="gpt-4o", usage=SimpleNamespace(prompt_tokens=1000, completion_tokens=500))
    with tracker.call(team="chatbot", endpoint="/chat") as call:
        call.record(resp)
    assert call.cost == pytest.approx(1000 * 2.5e-6 + 500 * 10e-6)

    @tracker.tracked(team="chatbot", endpoint="/chat")
    def complete():
        return {"model": "gpt-4o-mini", "usage": {"input_tokens": 2000, "output_tokens": 0}}

    complete()
    assert _tokens(registry, "gpt-4o-mini", "input", "chatbot") == 2000
    with pytest.raises(ValueError):
        usage_tokens({"model": "x"})


def test_multiprocess_mode_adds_up_across_workers(tmp_path):
    code = ("import os, sys; sys.path.insert(0, %r)\n"
            "from prometheus_client import CollectorRegistry\n"
            "from exporter.library import CostTracker, Price\n"
            "t = CostTracker({'m': Price(1e-6, 0)}, {'search': ('p',)})\n"
            "t.track('m', 'search', '/s', 1_000_000, 0)\n") % str(ROOT)
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    from prometheus_client import multiprocess
    reg = CollectorRegistry()
    multiprocess.MultiProcessCollector(reg, path=str(tmp_path))
    assert reg.get_sample_value(n.SPEND, {"team": "search", "project": "p", "category": "api"}) == pytest.approx(2.0)


def test_library_and_rules_share_metric_names():
    registry = CollectorRegistry()
    CostTracker({"m": Price(1, 1)}, {"t": ("p",)}, registry=registry).track("m", "t", "/e", 1, 1)
    exposed = {s.name for m in registry.collect() for s in m.samples}
    assert {n.SPEND, n.API_TOKENS, n.REQUEST_COST_BUCKET} <= exposed


def test_concurrent_scrapes_share_one_collection():
    """Scrapers that overlap a collection wait for it and get its result; the GPUs are read once."""
    from exporter.server import SingleFlight

    class Slow:
        def __init__(self):
            self.calls = 0

        def collect(self):
            self.calls += 1
            time.sleep(0.2)
            return [f"family-{self.calls}"]

    slow = Slow()
    flight = SingleFlight(slow)
    results = []
    threads = [threading.Thread(target=lambda: results.append(list(flight.collect()))) for _ in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert slow.calls == 1 and results == [["family-1"]] * 8
    assert list(flight.collect()) == ["family-2"]  # a later scrape collects anew
