"""A harder cap for teams that want one (`enforce.reserve: true`): a per-process pre-call reservation.

Before a call, its most expensive outcome (max input and output tokens at the model's price) is
reserved against the team's daily budget left: what Prometheus recorded today
(`team:ai_spend_dollars:today`, read every `refresh` seconds), plus what this process spent since
that read, plus what calls in flight here have reserved. A call that does not fit is refused
with BudgetExceeded before any money is spent; after it, the reservation is settled with the
call's real cost. Other processes' spend is seen only through Prometheus, so the cap is per
process plus (scrape + evaluation + refresh) of the others' spend. A call without a bound (no
max tokens) or to an unpriced model cannot be reserved: it is refused, never assumed free.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.parse
import urllib.request

from prometheus_client import REGISTRY, CollectorRegistry

from exporter.guard import DAILY, BudgetExceeded, _GuardMetrics, period_bounds
from exporter.registry import per_registry
from generator import names as n

log = logging.getLogger("aicost")


class Reservations:
    """The budget left per reserving team, the reservations in flight, and the check before a call."""

    def __init__(self, prometheus_url: str, budgets: dict[str, float], prices: dict, on_stale: dict[str, str] | None = None,
                 refresh: float = 30.0, stale_after: float = 120.0, timeout: float = 5.0,
                 registry: CollectorRegistry = REGISTRY, clock=time.time):
        self.url, self.budgets, self.prices = prometheus_url.rstrip("/"), budgets, prices
        self.on_stale = on_stale or {}
        self.refresh_every, self.stale_after, self.timeout, self.clock = refresh, stale_after, timeout, clock
        self._lock = threading.Lock()
        self._spent: dict[str, float] = {}  # today's spend as Prometheus recorded it at the last read
        self._local: dict[str, float] = {}  # this process's spend since that read
        self._held: dict[str, float] = {}  # reserved by calls in flight
        self._read_at: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.metrics = per_registry(_GuardMetrics, registry)

    def _fetch(self) -> dict[str, float]:
        query = urllib.parse.urlencode({"query": n.R_TEAM_TODAY})
        with urllib.request.urlopen(f"{self.url}/api/v1/query?{query}", timeout=self.timeout) as r:
            doc = json.loads(r.read())
        return {s["metric"].get(n.L_TEAM, ""): float(s["value"][1]) for s in doc["data"]["result"]}

    def refresh(self) -> bool:
        """Read today's spend of every team; False (and the old state kept) when Prometheus cannot answer."""
        try:
            spent = self._fetch()
        except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
            log.warning("aicost: the reservation could not read %s (%s)", self.url, exc)
            return False
        with self._lock:
            self._spent, self._local, self._read_at = spent, {}, self.clock()
        return True

    def reserve(self, team: str, model: str | None, max_input_tokens: int | None, max_output_tokens: int | None) -> float:
        """Reserve the call's most expensive outcome, in dollars; BudgetExceeded when it does not fit."""
        if team not in self.budgets:
            return 0.0
        now = self.clock()
        reset = period_bounds(DAILY, now)[1]
        price = self.prices.get(model or "")
        if max_input_tokens is None or max_output_tokens is None or price is None:
            self._decide(team, "block", "unbounded")
            raise BudgetExceeded(team, DAILY, reset, "unbounded")
        cost = max_input_tokens * price.input + max_output_tokens * price.output
        with self._lock:
            self._roll(now)
            stale = self._read_at is None or now - self._read_at > self.stale_after
            if stale and self.on_stale.get(team, "allow") == "block":
                self._decide(team, "block", "stale_spend")
                raise BudgetExceeded(team, DAILY, reset, "stale_spend")
            left = self.budgets[team] - self._spent.get(team, 0.0) - self._local.get(team, 0.0) - self._held.get(team, 0.0)
            if cost > left:
                self._decide(team, "block", "reservation")
                raise BudgetExceeded(team, DAILY, reset, "reservation")
            self._held[team] = self._held.get(team, 0.0) + cost
        self._decide(team, "allow", "reserved")
        return cost

    def settle(self, team: str, reserved: float, actual: float) -> None:
        """The call is over: release its reservation and count what it really cost."""
        if team not in self.budgets:
            return
        with self._lock:
            self._held[team] = max(0.0, self._held.get(team, 0.0) - reserved)
            self._local[team] = self._local.get(team, 0.0) + actual

    def _roll(self, now: float) -> None:
        """At 00:00 UTC the day's spend starts again, before Prometheus says so."""
        if self._read_at is not None and period_bounds(DAILY, self._read_at)[0] != period_bounds(DAILY, now)[0]:
            self._spent, self._local, self._read_at = {}, {}, now

    def _decide(self, team: str, decision: str, reason: str) -> None:
        self.metrics.decisions.labels(team, decision, reason).inc()

    def start(self) -> "Reservations":
        """Read now, then every `refresh` seconds in a daemon thread."""
        self.refresh()

        def loop():
            while not self._stop.wait(self.refresh_every):
                self.refresh()

        self._thread = threading.Thread(target=loop, name="aicost-reservations", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the background reads."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
