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
from typing import NoReturn

from prometheus_client import REGISTRY, CollectorRegistry

from exporter.guard import DAILY, BudgetExceeded, _GuardMetrics, period_bounds
from exporter.periodic import Periodic
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
        self._day_end = 0.0  # when the day of the last read ends: past it, that day's spend no longer counts
        self._reader = Periodic(self.refresh, refresh, "aicost-reservations", timeout + 1)
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
            self._start(spent, self.clock())
        return True

    def _start(self, spent: dict[str, float], now: float) -> None:
        """Count from `spent` as read at `now` (under the lock): nothing local yet, the day's end known."""
        self._spent, self._local, self._read_at, self._day_end = spent, {}, now, period_bounds(DAILY, now)[1]

    def reserve(self, team: str, model: str | None, max_input_tokens: int | None, max_output_tokens: int | None) -> float:
        """Reserve the call's most expensive outcome, in dollars; BudgetExceeded when it does not fit."""
        if team not in self.budgets:
            return 0.0
        now = self.clock()
        price = self.prices.get(model or "")
        if max_input_tokens is None or max_output_tokens is None or price is None:
            self._refuse(team, now, "unbounded")
        cost = max_input_tokens * price.input + max_output_tokens * price.output
        with self._lock:
            if self._read_at is not None and now >= self._day_end:
                self._start({}, now)  # 00:00 UTC: the day's spend starts again, before Prometheus says so
            stale = self._read_at is None or now - self._read_at > self.stale_after
            if stale and self.on_stale.get(team, "allow") == "block":
                self._refuse(team, now, "stale_spend")
            left = self.budgets[team] - self._spent.get(team, 0.0) - self._local.get(team, 0.0) - self._held.get(team, 0.0)
            if cost > left:
                self._refuse(team, now, "reservation")
            self._held[team] = self._held.get(team, 0.0) + cost
        self._decide(team, "allow", "reserved")
        return cost

    def _refuse(self, team: str, now: float, reason: str) -> NoReturn:
        """Count the refusal and raise it, lifting at the next 00:00 UTC."""
        self._decide(team, "block", reason)
        raise BudgetExceeded(team, DAILY, period_bounds(DAILY, now)[1], reason)

    def settle(self, team: str, reserved: float, actual: float) -> None:
        """The call is over: release its reservation and count what it really cost."""
        if team not in self.budgets:
            return
        with self._lock:
            self._held[team] = max(0.0, self._held.get(team, 0.0) - reserved)
            self._local[team] = self._local.get(team, 0.0) + actual

    def _decide(self, team: str, decision: str, reason: str) -> None:
        self.metrics.decisions.labels(team, decision, reason).inc()

    def start(self) -> "Reservations":
        """Read now, then every `refresh` seconds in a daemon thread."""
        self._reader.start()
        return self

    def stop(self) -> None:
        """Stop the background reads."""
        self._reader.stop()
