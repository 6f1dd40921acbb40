"""The library's own series (exporter/series.py) expose exactly what prometheus_client's objects would."""

from __future__ import annotations

import threading

import pytest
from prometheus_client import CollectorRegistry, Counter, generate_latest

from exporter.library import CostTracker, Price
from exporter.series import CallSeries, FastCounter
from generator import names as n

# $0.01 and $1 a call land exactly on bucket bounds (le is inclusive), $0.0000125 in the first bucket
PRICES = {"cent": Price(0.01, 0.0), "dollar": Price(0.5, 0.25), "mini": Price(1.25e-8, 0.0)}
TEAMS = {"search": ("product-search", "ranking"), "chatbot": ("support",)}
CALLS = [("cent", "search", "/search", 1, 0, None), ("cent", "search", "/search", 1, 0, "ranking"),
         ("dollar", "search", "/q", 1, 2, "ranking"), ("mini", "chatbot", "/chat", 1000, 7, None),
         ("gpt-9", "chatbot", "/chat", 10, 10, None), ("dollar", "nobody", "/x", 3, 1, None),
         ("dollar", "search", "/search", 0, 0, "elsewhere")]


def _exposition(registry: CollectorRegistry) -> list[str]:
    """The text Prometheus scrapes, without the `_created` samples' values (creation times differ)."""
    return [line.rsplit(" ", 1)[0] if "_created{" in line else line
            for line in generate_latest(registry).decode().splitlines()]


def _tracked(monkeypatch, multiprocess: bool) -> CollectorRegistry:
    if multiprocess:  # ClientSeries is chosen as in multiprocess mode; its values stay in this process
        monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "/nonexistent")
    else:
        monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
        monkeypatch.delenv("prometheus_multiproc_dir", raising=False)
    registry = CollectorRegistry()
    tracker = CostTracker(PRICES, TEAMS, registry=registry)
    for call in CALLS:
        tracker.track(*call)
    tracker.prime("cent", "chatbot", "/later")
    return registry


def test_call_series_expose_what_prometheus_client_objects_would(monkeypatch):
    fast, client = _tracked(monkeypatch, False), _tracked(monkeypatch, True)
    assert isinstance(fast._names_to_collectors[n.SPEND], CallSeries)
    assert isinstance(client._names_to_collectors[n.SPEND], Counter)  # ClientSeries' object
    assert _exposition(fast) == _exposition(client)
    lines = _exposition(fast)
    assert f'{n.REQUEST_COST}_bucket{{endpoint="/search",le="0.01",model="cent",team="search"}} 2.0' in lines
    assert f'{n.REQUEST_COST}_bucket{{endpoint="/q",le="1.0",model="dollar",team="search"}} 1.0' in lines
    assert f'{n.SPEND}{{category="api",project="ranking",team="search"}} 1.01' in lines
    assert f'{n.API_TOKENS}{{direction="input",model="cent",team="chatbot"}} 0.0' in lines  # primed


def test_a_second_metric_under_a_call_series_name_is_refused():
    registry = CollectorRegistry()
    CostTracker(PRICES, TEAMS, registry=registry)
    with pytest.raises(ValueError, match="Duplicated timeseries"):
        Counter(n.SPEND.removesuffix("_total"), "again", registry=registry)


def test_fast_counter_exposes_what_counter_does():
    fast_registry, client_registry = CollectorRegistry(), CollectorRegistry()
    fast = FastCounter(n.GUARD_DECISIONS, "decisions", ["team", "reason"], fast_registry)
    client = Counter(n.GUARD_DECISIONS.removesuffix("_total"), "decisions", ["team", "reason"], registry=client_registry)
    for counter in (fast, client):
        counter.labels("search", "within_budget").inc()
        counter.labels("search", "within_budget").inc(2.5)
        counter.labels("chatbot", "exempt")
    assert _exposition(fast_registry) == _exposition(client_registry)
    assert fast.labels("search", "within_budget").value == 3.5


def test_no_update_is_lost_across_threads():
    registry = CollectorRegistry()
    tracker = CostTracker(PRICES, TEAMS, registry=registry)
    decisions = FastCounter("ticks_total", "ticks", ["team"], registry)
    child = decisions.labels("search")

    def work():
        for _ in range(5000):
            tracker.track("cent", "search", "/search", 1, 3)
            child.inc()
            child.inc(0.5)

    threads = [threading.Thread(target=work) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    sample = registry.get_sample_value
    assert sample(n.API_TOKENS, {"model": "cent", "direction": "output", "team": "search"}) == 60_000
    assert sample(n.REQUEST_COST + "_count", {"model": "cent", "team": "search", "endpoint": "/search"}) == 20_000
    assert sample(n.SPEND, {"team": "search", "project": "product-search", "category": "api"}) == pytest.approx(200.0)
    assert sample("ticks_total", {"team": "search"}) == 30_000
