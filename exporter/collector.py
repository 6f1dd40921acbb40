"""GpuCostCollector: reads the injected GPU source at scrape time and yields the contract's metrics."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from exporter.nvml import GpuReadError
from generator import names as n


@dataclass(frozen=True)
class HostTags:
    """The host's labels: the seed's required tags, the instance id and what its GPUs are for."""

    instance: str
    team: str
    project: str
    environment: str
    cost_center: str
    owner: str
    category: str = "compute"  # compute | training | inference


class GpuPrices:
    """Maps NVML device names to priced GPU types from the spec (prices.yaml `gpus`)."""

    def __init__(self, gpus: Iterable[tuple[str, float, tuple[str, ...]]]):
        # Longest pattern first, so "A100" does not swallow a hypothetical "A100X".
        self._patterns = sorted(((p.lower(), name, hourly) for name, hourly, pats in gpus for p in pats),
                                key=lambda x: -len(x[0]))

    def lookup(self, device_name: str) -> tuple[str, float] | None:
        """(type, dollars per hour) of a device name, or None when no type matches."""
        low = device_name.lower()
        for pattern, name, hourly in self._patterns:
            if pattern in low:
                return name, hourly
        return None


class GpuCostCollector(Collector):
    """A custom collector: no background loop, nothing read until Prometheus scrapes.

    Spend is accrued from the hourly price over wall-clock time between scrapes and exported as
    a counter, so a missed scrape loses no money. One failing GPU is counted in
    ai_exporter_errors_total{gpu,reason} and the others are still served.
    """

    def __init__(self, source, prices: GpuPrices, tags: HostTags, clock: Callable[[], float] = time.monotonic):
        self._source, self._prices, self._tags, self._clock = source, prices, tags, clock
        self._lock = threading.Lock()
        self._last = clock()
        self._priced: dict[str, tuple[str, float]] = {}  # gpu index -> (type, hourly), once identified
        self._spend = 0.0
        self._errors: dict[tuple[str, str], int] = {}

    def _labels(self, gpu: str, gpu_type: str) -> list[str]:
        t = self._tags
        return [t.instance, gpu, gpu_type, t.team, t.project, t.environment]

    def collect(self):
        """Read every GPU now and yield the gauges, the spend counter and the error counter."""
        label_names = [n.L_INSTANCE, n.L_GPU, n.L_GPU_TYPE, n.L_TEAM, n.L_PROJECT, n.L_ENVIRONMENT]
        util = GaugeMetricFamily(n.GPU_UTILIZATION, "GPU utilization in percent (NVML)", labels=label_names)
        hourly = GaugeMetricFamily(n.GPU_HOURLY_COST, "What this GPU costs per hour, from specs/prices.yaml", labels=label_names)
        mem_used = GaugeMetricFamily(n.GPU_MEMORY_USED, "GPU memory in use, bytes", labels=label_names)
        mem_total = GaugeMetricFamily(n.GPU_MEMORY_TOTAL, "GPU memory, bytes", labels=label_names)
        power = GaugeMetricFamily(n.GPU_POWER, "GPU power draw, watts", labels=label_names)
        with self._lock:
            now = self._clock()
            elapsed, self._last = max(0.0, now - self._last), now
            # Bill the GPUs identified so far for the time since the last scrape, before reading:
            # a GPU that fails this scrape is still on the cloud bill.
            self._spend += sum(h for _, h in self._priced.values()) * elapsed / 3600.0
            for i in range(self._source.count()):
                gpu = str(i)
                try:
                    r = self._source.read(i)
                except GpuReadError as exc:
                    self._errors[(gpu, exc.reason)] = self._errors.get((gpu, exc.reason), 0) + 1
                    continue
                priced = self._prices.lookup(r.name)
                if priced is None:
                    self._errors[(gpu, "unpriced_type")] = self._errors.get((gpu, "unpriced_type"), 0) + 1
                    util.add_metric(self._labels(gpu, "unknown"), r.utilization_percent)
                    continue
                self._priced[gpu] = priced
                labels = self._labels(gpu, priced[0])
                util.add_metric(labels, r.utilization_percent)
                hourly.add_metric(labels, priced[1])
                mem_used.add_metric(labels, r.memory_used_bytes)
                mem_total.add_metric(labels, r.memory_total_bytes)
                if r.power_watts is not None:
                    power.add_metric(labels, r.power_watts)
            spend_value = self._spend
            errors = dict(self._errors)
        t = self._tags
        spend = CounterMetricFamily(n.SPEND, "Dollars spent, accrued from GPU-hour prices",
                                    labels=[n.L_TEAM, n.L_PROJECT, n.L_CATEGORY, n.L_INSTANCE])
        spend.add_metric([t.team, t.project, t.category, t.instance], spend_value)
        err = CounterMetricFamily(n.EXPORTER_ERRORS, "GPU reads that failed, by GPU and reason", labels=[n.L_GPU, n.L_REASON])
        for (gpu, reason), count in sorted(errors.items()):
            err.add_metric([gpu, reason], count)
        info = GaugeMetricFamily(n.EXPORTER_HOST_INFO, "The host's cost-allocation tags",
                                 labels=[n.L_INSTANCE, *n.REQUIRED_TAGS])
        info.add_metric([t.instance, t.team, t.project, t.environment, t.cost_center, t.owner], 1)
        yield from (util, hourly, mem_used, mem_total, power, spend, err, info)
