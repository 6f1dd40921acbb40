"""The second engine: VictoriaMetrics scraping the same targets as the stack's Prometheus, and vmalert
evaluating the same rendered rule files against it. Used by the comparison test and benchmark.

The flags are the ones the rules need on VictoriaMetrics (README: A second engine):
- no `-search.latencyOffset` (30 s by default: the ledger would not see the last 30 s of scrapes)
  and no `-rule.evalDelay` (the same 30 s, on vmalert's side);
- `-search.maxPointsSubqueryPerTimeseries` raised: MetricsQL widens a subquery by the query's
  step, so `[1ms:1ms] @ end()` (the evaluation time inside the month's subquery) asks for
  300,000 points at the default 5m step;
- the scrape configuration without `external_labels`: VictoriaMetrics adds them to every scraped
  series (Prometheus only when talking to the outside), and they would split aicost's joins
  (and without the rule settings, which VictoriaMetrics' strict parser refuses).
"""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import yaml

from generator import names as n
from generator.errors import StackError
from generator.serialise import to_yaml
from generator.prometheus_api import instant_query
from generator.stack import find_binary, free_port, wait_http

VICTORIA_METRICS = "victoria-metrics"
VMALERT = "vmalert"


def scrape_config(prometheus_yml: dict) -> dict:
    """The stack's Prometheus configuration as VictoriaMetrics should scrape it."""
    out = {k: v for k, v in prometheus_yml.items() if k in ("global", "scrape_configs")}
    out["global"] = {k: v for k, v in out.get("global", {}).items() if k in ("scrape_interval", "scrape_timeout")}
    return out


class SecondEngine:
    """VictoriaMetrics and vmalert beside a started Stack, on free loopback ports, stopped with it."""

    def __init__(self, stack, interval: str):
        self.stack, self.interval = stack, interval
        self.binaries = (find_binary(VICTORIA_METRICS), find_binary(VMALERT))
        self.port, self.vmalert_port = free_port(), free_port()

    @property
    def url(self) -> str:
        """VictoriaMetrics' Prometheus-compatible query API."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "SecondEngine":
        """Start both and wait until they answer; the stack stops them (they join its processes)."""
        vm_bin, vmalert_bin = self.binaries
        folder: Path = self.stack.dir
        config = folder / "victoria-metrics.yml"
        prometheus_yml = yaml.safe_load((folder / "rendered" / n.PROMETHEUS_CONFIG).read_text())
        config.write_bytes(to_yaml(scrape_config(prometheus_yml)))
        self.stack.spawn("victoria-metrics", [
            vm_bin, f"-httpListenAddr=127.0.0.1:{self.port}", f"-storageDataPath={folder / 'vm'}",
            f"-promscrape.config={config}", "-search.latencyOffset=0s", "-search.disableCache",
            "-search.maxPointsSubqueryPerTimeseries=1000000", "-loggerLevel=ERROR"])
        wait_http(f"{self.url}/health", dict(self.stack.procs)["victoria-metrics"], "victoria-metrics")
        rules = folder / "rendered" / n.RULES_DIR
        self.stack.spawn("vmalert", [
            vmalert_bin, f"-httpListenAddr=127.0.0.1:{self.vmalert_port}", f"-rule={rules}/*.yml",
            f"-datasource.url={self.url}", f"-remoteWrite.url={self.url}", f"-remoteRead.url={self.url}",
            "-remoteWrite.flushInterval=200ms", "-notifier.blackhole", f"-evaluationInterval={self.interval}",
            "-rule.evalDelay=0s", "-loggerLevel=ERROR"])
        wait_http(f"http://127.0.0.1:{self.vmalert_port}/health", dict(self.stack.procs)["vmalert"], "vmalert")
        return self

    def query(self, promql: str) -> list[dict]:
        """An instant query against VictoriaMetrics."""
        return instant_query(self.url, promql, timeout=10)

    def rule_errors(self) -> list[tuple[str, str, str]]:
        """(group, rule, error) of every rule vmalert failed to evaluate last time."""
        url = f"http://127.0.0.1:{self.vmalert_port}/api/v1/rules"
        try:
            groups = json.loads(urllib.request.urlopen(url, timeout=10).read())["data"]["groups"]
        except OSError as exc:
            raise StackError(f"vmalert did not answer on {url}: {exc}") from None
        return [(g["name"], r.get("name", ""), r["lastError"]) for g in groups for r in g["rules"] if r.get("lastError")]


def _by_labels(rows: list[dict]) -> dict[tuple, float]:
    return {tuple(sorted(r["metric"].items())): float(r["value"][1]) for r in rows}


def compare(prometheus, engine: SecondEngine, series: list[str], tolerance: float = 1e-9) -> list[dict]:
    """Each series on both engines now: how many, how many agree within `tolerance` (relative),
    the largest difference and one example of it (labels, Prometheus' value, VictoriaMetrics')."""
    rows = []
    for name in series:
        a, b = _by_labels(prometheus.query(name)), _by_labels(engine.query(name))
        worst, example, agree = 0.0, None, 0
        for key in sorted(set(a) | set(b)):
            x, y = a.get(key), b.get(key)
            if x is not None and y is not None and (x == y or abs(x - y) <= tolerance * max(1.0, abs(x)) or x != x and y != y):
                agree += 1
                continue
            gap = abs((x or 0.0) - (y or 0.0))
            if example is None or gap > worst:
                worst, example = gap, (dict(key), x, y)
        rows.append({"series": name, "prometheus": len(a), "victoria": len(b), "agree": agree,
                     "max_diff": worst, "example": example})
    return rows



def spend_today(engine) -> dict[tuple[str, str, str], float]:
    """Today's recorded spend per (team, project, category) on one engine."""
    return {(r["metric"].get(n.L_TEAM, ""), r["metric"].get(n.L_PROJECT, ""), r["metric"].get(n.L_CATEGORY, "")):
            float(r["value"][1]) for r in engine.query(n.R_TPC_TODAY)}


def run_scenario(stack, engine: SecondEngine, warm_up: float = 20, settle: float = 20) -> tuple[dict, dict]:
    """The end-to-end scenario on both engines; what each recorded per (team, project, category)
    between a snapshot taken once both ledgers run and one taken after everything settled.

    VictoriaMetrics starts after Prometheus: what was spent before a ledger's first evaluation is
    the backfill's business on either engine, so only the spend between the snapshots is compared.
    `settle` must outlast what the runaway call's spend takes to reach an entry (a scrape interval,
    spend_delay and an evaluation interval: 15 s at 5 s intervals): AIGPUIdle can fire before it.
    """
    stack.traffic(20)
    time.sleep(warm_up)
    before = spend_today(stack), spend_today(engine)
    for _ in range(4):
        stack.traffic(20)
        time.sleep(3)
    stack.tracker.track("gpt-4o", "search", "/search", 20_000_000, 1_125_000)  # a runaway call: $61.25
    firing = f'ALERTS{{alertname="{n.A_GPU_IDLE}",alertstate="firing"}}'
    deadline = time.monotonic() + 90
    while not (stack.query(firing) and engine.query(firing)):
        if time.monotonic() > deadline:
            raise StackError("AIGPUIdle did not fire on both engines within 90 s")
        time.sleep(1)
    time.sleep(settle)
    after = spend_today(stack), spend_today(engine)
    prometheus, victoria = ({k: a.get(k, 0.0) - b.get(k, 0.0) for k in a.keys() | b.keys()} for a, b in zip(after, before))
    return prometheus, victoria
