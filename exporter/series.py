"""The series the library writes on every call: the token counters, the cost histogram and spend.

prometheus_client takes a lock for every update, and a call makes five (two token counters, the
histogram's sum and bucket, the spend counter): that made `track_ai_call` 7-9x a bare
`Counter.inc()`. `CallSeries` adds a call to plain floats under one lock and builds the metric
families when Prometheus scrapes. In multiprocess mode (PROMETHEUS_MULTIPROC_DIR) the values must
live in prometheus_client's shared files, so `ClientSeries` writes through its metric objects.
Both expose the same samples (tests/test_series.py compares them).
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from bisect import bisect_left

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client import metrics as client_metrics
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString

from exporter.registry import per_registry
from generator import names as n

HELP_COST = "Cost of one AI request in dollars"
HELP_TOKENS = "Tokens consumed by AI API calls"
HELP_SPEND = "Dollars spent on AI, every category"
BOUNDS = tuple(float(b) for b in n.REQUEST_COST_BUCKETS) + (float("inf"),)
LE = tuple(floatToGoString(b) for b in BOUNDS)
COST_LABELS = (n.L_MODEL, n.L_TEAM, n.L_ENDPOINT)
TOKEN_LABELS = (n.L_MODEL, n.L_DIRECTION, n.L_TEAM)
SPEND_LABELS = (n.L_TEAM, n.L_PROJECT, n.L_CATEGORY)


def counter(name: str, help_text: str, labelnames, registry: CollectorRegistry):
    """A labelled counter with prometheus_client's `.labels(...).inc()`: a FastCounter, or a Counter in
    multiprocess mode."""
    if multiprocess():
        return Counter(name.removesuffix("_total"), help_text, labelnames, registry=registry)
    return FastCounter(name, help_text, labelnames, registry)


def _counter_family(name: str, help_text: str, labelnames, rows) -> CounterMetricFamily:
    """A counter family of (label values, value, created) rows; `_created` as prometheus_client emits it."""
    created = getattr(client_metrics, "_use_created", True)
    family = CounterMetricFamily(name, help_text, labels=labelnames)
    for labels, value, born in rows:
        family.add_metric(labels, value, created=born if created else None)
    return family


class _Child:
    """One series of a FastCounter. Adding 1 takes no lock: `next()` of an itertools.count is one C
    call, atomic under the interpreter lock; other amounts add to a float under the counter's lock."""

    __slots__ = ("_float", "_ticks", "created", "_lock")

    def __init__(self, lock: threading.Lock):
        self._float, self._ticks, self.created, self._lock = 0.0, itertools.count(), time.time(), lock

    def inc(self, amount: float = 1.0) -> None:
        """Add `amount` (callers pass non-negative amounts: this is on hot paths, unchecked)."""
        if amount == 1.0:
            next(self._ticks)
            return
        with self._lock:
            self._float += amount

    @property
    def value(self) -> float:
        """The counter's value: the amounts added plus the ticks (an itertools.count shows its next value
        only in its repr, `count(N)`)."""
        return self._float + int(repr(self._ticks)[6:-1])


class FastCounter(Collector):
    """A labelled counter as plain floats: what prometheus_client's Counter exposes, at about half its
    cost per inc (one lock, no per-call validation); not for multiprocess mode."""

    def __init__(self, name: str, help_text: str, labelnames, registry: CollectorRegistry):
        self.name, self.help, self.labelnames = name, help_text, tuple(labelnames)
        self._lock = threading.Lock()
        self._children: dict[tuple, _Child] = {}
        registry.register(self)

    def labels(self, *values: str) -> _Child:
        """The child of these label values, created at 0."""
        with self._lock:
            child = self._children.get(values)
            if child is None:
                child = self._children[values] = _Child(self._lock)
            return child

    def describe(self):
        """The family's name, so that the registry refuses a second metric under it."""
        return [CounterMetricFamily(self.name, self.help, labels=self.labelnames)]

    def collect(self):
        """The family as it stands."""
        with self._lock:
            rows = [(k, c.value, c.created) for k, c in self._children.items()]
        return [_counter_family(self.name, self.help, self.labelnames, rows)]


def multiprocess() -> bool:
    """Whether prometheus_client runs in multiprocess mode (it reads the same variables)."""
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir"))


def call_series(registry: CollectorRegistry):
    """The call series of this registry, created once: CallSeries, or ClientSeries in multiprocess mode."""
    return per_registry(ClientSeries if multiprocess() else CallSeries, registry)


class CallSeries(Collector):
    """The call series as plain floats, one lock per call, turned into families at scrape time.

    A cell is a list: [value, created] for a counter; [sum, created, count per bucket...] for the
    histogram (per bucket, not cumulative: a call adds to one).
    """

    def __init__(self, registry: CollectorRegistry):
        self._lock = threading.Lock()
        self._cost: dict[tuple, list] = {}
        self._tokens: dict[tuple, list] = {}
        self._spend: dict[tuple, list] = {}
        registry.register(self)

    def _cell(self, table: dict, key: tuple, size: int) -> list:
        with self._lock:
            cell = table.get(key)
            if cell is None:
                cell = table[key] = [0.0, time.time()] + [0.0] * size
            return cell

    def spend_cell(self, team: str, project: str, category: str) -> list:
        """The spend counter of (team, project, category), created at 0."""
        return self._cell(self._spend, (team, project, category), 0)

    def cells(self, model: str, team: str, endpoint: str, project: str) -> tuple:
        """What one call of (model, team, endpoint, project) adds to, created at 0; labels already bounded."""
        return (self._cell(self._cost, (model, team, endpoint), len(BOUNDS)),
                self._cell(self._tokens, (model, n.DIRECTIONS[0], team), 0),  # input
                self._cell(self._tokens, (model, n.DIRECTIONS[1], team), 0),  # output
                self.spend_cell(team, project, "api"))

    def record(self, cells: tuple, input_tokens: float, output_tokens: float, cost: float | None) -> None:
        """Add one call (cost None: an unpriced model, tokens only)."""
        cost_cell, tokens_in, tokens_out, spend = cells
        with self._lock:
            tokens_in[0] += input_tokens
            tokens_out[0] += output_tokens
            if cost is not None:
                cost_cell[0] += cost
                cost_cell[2 + bisect_left(BOUNDS, cost)] += 1
                spend[0] += cost

    def describe(self):
        """The families' names, so that the registry refuses a second metric under one of them."""
        return [HistogramMetricFamily(n.REQUEST_COST, HELP_COST, labels=COST_LABELS),
                CounterMetricFamily(n.API_TOKENS, HELP_TOKENS, labels=TOKEN_LABELS),
                CounterMetricFamily(n.SPEND, HELP_SPEND, labels=SPEND_LABELS)]

    def collect(self):
        """The families as they stand, read under the lock once."""
        with self._lock:
            cost = [(k, list(v)) for k, v in self._cost.items()]
            tokens = [(k, v[0], v[1]) for k, v in self._tokens.items()]
            spend = [(k, v[0], v[1]) for k, v in self._spend.items()]
        created = getattr(client_metrics, "_use_created", True)
        histogram = HistogramMetricFamily(n.REQUEST_COST, HELP_COST, labels=COST_LABELS)
        for labels, (total, born, *counts) in cost:
            running, buckets = 0, []
            for le, count in zip(LE, counts):
                running += count
                buckets.append((le, running))
            histogram.add_metric(labels, buckets, total)
            if created:
                histogram.samples.append(Sample(n.REQUEST_COST + "_created", dict(zip(COST_LABELS, labels)), born))
        return [histogram, _counter_family(n.API_TOKENS, HELP_TOKENS, TOKEN_LABELS, tokens),
                _counter_family(n.SPEND, HELP_SPEND, SPEND_LABELS, spend)]


class ClientSeries:
    """The call series as prometheus_client metric objects (multiprocess mode), same interface."""

    def __init__(self, registry: CollectorRegistry):
        self.cost = Histogram(n.REQUEST_COST, HELP_COST, COST_LABELS, buckets=n.REQUEST_COST_BUCKETS, registry=registry)
        self.tokens = Counter(n.API_TOKENS.removesuffix("_total"), HELP_TOKENS, TOKEN_LABELS, registry=registry)
        self.spend = Counter(n.SPEND.removesuffix("_total"), HELP_SPEND, SPEND_LABELS, registry=registry)

    def spend_cell(self, team: str, project: str, category: str):
        """The spend counter child of (team, project, category), created at 0."""
        return self.spend.labels(team, project, category)

    def cells(self, model: str, team: str, endpoint: str, project: str) -> tuple:
        """The metric children one call of (model, team, endpoint, project) updates."""
        return (self.cost.labels(model, team, endpoint), self.tokens.labels(model, n.DIRECTIONS[0], team),
                self.tokens.labels(model, n.DIRECTIONS[1], team), self.spend_cell(team, project, "api"))

    def record(self, cells: tuple, input_tokens: float, output_tokens: float, cost: float | None) -> None:
        """Add one call (cost None: an unpriced model, tokens only)."""
        cost_child, tokens_in, tokens_out, spend = cells
        tokens_in.inc(input_tokens)
        tokens_out.inc(output_tokens)
        if cost is not None:
            cost_child.observe(cost)
            spend.inc(cost)
