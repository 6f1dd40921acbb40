"""The budget guard: the library refuses a team's calls while its budget is spent (`enforce: block`).

What is blocked comes from Alertmanager: the active, unsilenced, uninhibited `AIBudgetGuard`
alerts, pulled in the background every `poll_interval` seconds. The check on the call's path
reads a dict: no I/O. An Alertmanager silence of the alert (team, period) is the audited,
time-boxed way to lift a block; the end of the UTC day or month lifts it at once, locally.

This is a soft cap: a call is refused only after Prometheus has scraped the spend, evaluated the
rules and the guard has polled, so a team can overspend by its spend rate times (scrape interval
+ evaluation interval + poll interval). The README says how to shrink it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge

from exporter.periodic import Periodic
from exporter.registry import per_registry
from exporter.series import counter
from generator import names as n
from generator.durations import timestamp

log = logging.getLogger("aicost")
DAILY, MONTHLY = n.PERIODS
STALE = "unknown"  # the period of a block imposed because the guard cannot know


@dataclass(frozen=True)
class Policy:
    """How one team's budget is enforced (the spec's `enforce`)."""

    mode: str = "notify"  # notify | throttle | block
    on_stale: str = "allow"  # allow | block
    exempt_projects: frozenset = frozenset()
    exempt_endpoints: frozenset = frozenset()
    per_minute: float = 0.0  # throttle: calls a minute past the warning level

    @classmethod
    def of(cls, enforce) -> "Policy":
        """The policy of a team's `enforce` (generator.model.Enforce)."""
        return cls(enforce.mode, enforce.on_stale, frozenset(enforce.exempt_projects),
                   frozenset(enforce.exempt_endpoints), enforce.per_minute or 0.0)


def period_bounds(period: str, now: float) -> tuple[float, float]:
    """The UTC day or month holding `now`: (start, end) in Unix seconds."""
    t = datetime.fromtimestamp(now, timezone.utc)
    if period == MONTHLY:
        start = t.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    else:
        start = t.replace(hour=0, minute=0, second=0, microsecond=0)
        end = datetime.fromtimestamp(start.timestamp() + 86400, timezone.utc)
    return start.timestamp(), end.timestamp()


class BudgetExceeded(Exception):
    """A call refused because its team's budget for the period is spent (or, with on_stale: block,
    because the guard cannot know)."""

    def __init__(self, team: str, period: str, reset_at: float, reason: str = "over_budget"):
        self.team, self.period, self.reset_at, self.reason = team, period, reset_at, reason
        when = datetime.fromtimestamp(reset_at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        what = {"over_budget": f"its {period} AI budget is spent",
                "throttled": f"it is throttled past the warning level of its {period} AI budget",
                "reservation": f"this call's most expensive outcome does not fit in what is left of its {period} budget",
                "unbounded": "a reserving team's call needs a priced model and its max input and output tokens",
                "stale_spend": "the reservation cannot read today's spend from Prometheus and the team's on_stale is "
                               "block"}.get(reason, "the budget guard cannot read Alertmanager and the team's on_stale "
                                                    "is block")
        super().__init__(f"team {team} is {'throttled' if reason == 'throttled' else 'blocked'}: {what}; retry after {when}")

    def http(self, now: float | None = None) -> tuple[int, dict[str, str], dict]:
        """The refusal as an HTTP answer: 429, Retry-After (seconds to the reset), an OpenAI-style error body."""
        wait = max(1, int(self.reset_at - (time.time() if now is None else now) + 0.999))
        body = {"error": {"type": "budget_exceeded", "code": "budget_exceeded", "message": str(self),
                          "team": self.team, "period": self.period, "reason": self.reason,
                          "reset_at": datetime.fromtimestamp(self.reset_at, timezone.utc).isoformat()}}
        return 429, {"Retry-After": str(wait), "Content-Type": "application/json"}, body


class _GuardMetrics:
    """The guard's metrics on one registry, created once (a registry refuses a name twice)."""

    def __init__(self, registry: CollectorRegistry):
        self.age = Gauge(n.GUARD_STATE_AGE, "Seconds since the budget guard last read Alertmanager", registry=registry)
        self.errors = Counter(n.GUARD_POLL_ERRORS.removesuffix("_total"), "Failed reads of Alertmanager by the budget guard",
                              [n.L_REASON], registry=registry)
        # on every guarded call's path: the cheaper counter (exporter/series.py)
        self.decisions = counter(n.GUARD_DECISIONS, "Budget guard decisions on enforced teams' calls",
                                 [n.L_TEAM, "decision", n.L_REASON], registry)


class Guard:
    """Which enforced teams are blocked now, from Alertmanager, and the check every call passes."""

    def __init__(self, alertmanager_url: str, policies: dict[str, Policy], free_models: frozenset = frozenset(),
                 registry: CollectorRegistry = REGISTRY, poll_interval: float = 15.0, stale_after: float = 60.0,
                 timeout: float = 5.0, clock=time.time):
        self.url = alertmanager_url.rstrip("/")
        self.policies = {t: p for t, p in policies.items() if p.mode in ("block", "throttle")}
        self.free_models = free_models  # priced at 0 explicitly: never blocked
        self.poll_interval, self.stale_after, self.timeout, self.clock = poll_interval, stale_after, timeout, clock
        self._blocked: dict[str, tuple[str, float]] = {}  # team -> (period, when the period ends)
        self._throttled: dict[str, tuple[str, float]] = {}  # the same, for teams past their warning level
        self._buckets: dict[str, list[float]] = {}  # team -> [tokens, when last refilled]
        self._bucket_lock = threading.Lock()
        self._last_ok: float | None = None
        self._decided: dict[tuple[str, str, str], object] = {}  # each counter child's inc: labels() is slow
        # the same for (team, allow, within_budget) by team: the common case, one lookup with no tuple to
        # build (measured: check + track_ai_call 4.2-4.8x a Counter.inc() without it, 3.9-4.3x with it)
        self._within: dict[str, object] = {}
        self._poller = Periodic(self.poll, poll_interval, "aicost-guard", timeout + 1)
        self.registry, self.metrics = registry, per_registry(_GuardMetrics, registry)
        self.metrics.age.set_function(self.state_age)

    def state_age(self) -> float:
        """Seconds since the last successful read of Alertmanager (infinite before the first)."""
        return float("inf") if self._last_ok is None else max(0.0, self.clock() - self._last_ok)

    def _fetch(self) -> list[dict]:
        query = urllib.parse.urlencode({"active": "true", "silenced": "false", "inhibited": "false",
                                        "filter": f'alertname="{n.A_BUDGET_GUARD}"'})
        with urllib.request.urlopen(f"{self.url}/api/v2/alerts?{query}", timeout=self.timeout) as r:
            alerts = json.loads(r.read())
        if not isinstance(alerts, list) or not all(isinstance(a, dict) and isinstance(a.get("labels"), dict) for a in alerts):
            raise ValueError("not a list of alerts")
        return alerts

    def poll(self) -> bool:
        """Read Alertmanager once and replace the blocked set; False (counted by reason) on failure."""
        try:
            alerts = self._fetch()
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = "timeout" if "timed out" in str(getattr(exc, "reason", exc)) else "unreachable"
            return self._failed(reason, exc)
        except (ValueError, TypeError) as exc:
            return self._failed("invalid", exc)
        now = self.clock()
        state: dict[str, dict[str, tuple[str, float]]] = {"block": {}, "throttle": {}}
        for a in alerts:
            labels = a["labels"]
            team, period, action = labels.get(n.L_TEAM), labels.get(n.L_PERIOD, DAILY), labels.get(n.L_ACTION, "block")
            start, end = period_bounds(period, now)
            # An alert that began before this period is the last period's, not yet resolved.
            if team in self.policies and action in state and _started(a) >= start - 1:
                if end > state[action].get(team, (None, 0.0))[1]:
                    state[action][team] = (period, end)
        self._blocked, self._throttled, self._last_ok = state["block"], state["throttle"], now
        return True

    def _failed(self, reason: str, exc: Exception) -> bool:
        self.metrics.errors.labels(reason).inc()
        log.warning("aicost: the budget guard cannot read %s (%s): %s", self.url, reason, exc)
        return False

    def check(self, team: str, project: str | None = None, endpoint: str | None = None, model: str | None = None) -> None:
        """Raise BudgetExceeded if a call of `team` must not be made now; otherwise return (the hot path)."""
        policy = self.policies.get(team)
        if policy is None:
            return
        count = self._count
        if project in policy.exempt_projects or endpoint in policy.exempt_endpoints:
            return count(team, "allow", "exempt")
        if model in self.free_models:
            return count(team, "allow", "free_model")
        now = self.clock()
        if self._last_ok is None or now - self._last_ok > self.stale_after:
            if policy.on_stale == "block":
                count(team, "block", "stale")
                raise BudgetExceeded(team, STALE, now + self.poll_interval, "stale")
            return count(team, "allow", "stale")
        entry = self._blocked.get(team)
        if entry is not None and now < entry[1]:
            count(team, "block", "over_budget")
            raise BudgetExceeded(team, entry[0], entry[1])
        entry = self._throttled.get(team)
        if entry is not None and now < entry[1]:
            wait = self._take(team, policy.per_minute, now)
            if wait:
                count(team, "block", "throttled")
                raise BudgetExceeded(team, entry[0], now + wait, "throttled")
            return count(team, "allow", "throttled")
        (self._within.get(team) or self._tick(team, "allow", "within_budget"))()  # the common case, one lookup

    def _take(self, team: str, per_minute: float, now: float) -> float:
        """Take a call from the team's token bucket: 0 if there was one, else the seconds until there is.

        The bucket holds a tenth of a minute's calls (at least one), so a throttled team runs at
        its rate, not in bursts of a minute's worth."""
        rate, capacity = per_minute / 60.0, max(1.0, per_minute / 10.0)
        with self._bucket_lock:
            tokens, last = self._buckets.get(team, (capacity, now))
            tokens = min(capacity, tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[team] = [tokens - 1.0, now]
                return 0.0
            self._buckets[team] = [tokens, now]
            return (1.0 - tokens) / rate if rate > 0 else 60.0

    def _count(self, team: str, decision: str, reason: str) -> None:
        """Count one decision."""
        (self._decided.get((team, decision, reason)) or self._tick(team, decision, reason))()

    def _tick(self, team: str, decision: str, reason: str):
        """The inc of the decisions counter's child of (team, decision, reason), created once."""
        tick = self._decided[(team, decision, reason)] = self.metrics.decisions.labels(team, decision, reason).inc
        if (decision, reason) == ("allow", "within_budget"):
            self._within[team] = tick
        return tick

    def start(self) -> "Guard":
        """Poll now, then every poll_interval seconds in a daemon thread."""
        self._poller.start()
        return self

    def stop(self) -> None:
        """Stop polling."""
        self._poller.stop()


def _started(alert: dict) -> float:
    """An Alertmanager alert's startsAt in Unix seconds; 0 when unreadable."""
    return timestamp(str(alert.get("startsAt") or "")) or 0.0
