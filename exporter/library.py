"""The instrumentation library: price every AI call from specs/ and emit the contract's metrics.

    from exporter import track_ai_call
    cost = track_ai_call("gpt-4o", team="search", endpoint="/search", input_tokens=812, output_tokens=95)

Label values are bounded so that user input cannot explode cardinality: a team outside the
spec is recorded as team="untagged" (AIUntaggedSpend then fires), a project outside the team's
projects as project="other", endpoints past `max_endpoints` per team as endpoint="other", and a
model without a price as model="unpriced" in the cost and token series, counted by name (up to
`max_unpriced_models` names) in ai_unpriced_calls_total and logged once.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, Counter

from exporter.guard import BudgetExceeded, Guard, Policy
from exporter.registry import per_registry
from exporter.reserve import Reservations
from exporter.series import call_series
from generator import names as n

__all__ = ["BudgetExceeded", "CostTracker", "Price", "check_budget", "default_tracker", "track_ai_call", "usage_tokens"]

log = logging.getLogger("aicost")
_SAFE = re.compile(r"^[A-Za-z0-9_./:@-]{1,128}$")
UNTAGGED, OTHER, UNPRICED, INVALID = n.UNTAGGED, "other", "unpriced", "invalid"


@dataclass(frozen=True)
class Price:
    """Dollars per input and per output token."""

    input: float
    output: float


class _Metrics:
    """The library's rare-path counters for one registry, created once and shared by every tracker on it.

    prometheus_client refuses to register the same name twice in a registry, so a second tracker
    (say `CostTracker.from_specs(...)` beside `track_ai_call`) reuses these instead of crashing.
    """

    def __init__(self, registry: CollectorRegistry):
        self.unpriced = Counter(n.UNPRICED_CALLS.removesuffix("_total"), "AI calls to models without a price in specs/",
                                [n.L_MODEL], registry=registry)
        self.errors = Counter(n.TRACKING_ERRORS.removesuffix("_total"),
                              "AI calls the library refused to record (reason: invalid_tokens)", [n.L_REASON],
                              registry=registry)


def _valid_tokens(x) -> bool:
    """A token count: a finite, non-negative number (NaN or -5 would poison the counters)."""
    if type(x) is int:
        return x >= 0
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x >= 0


class CostTracker:
    """Prices calls and records ai_request_cost_dollars, ai_api_tokens_total and ai_spend_dollars_total.

    Thread-safe. In a multi-process server set PROMETHEUS_MULTIPROC_DIR before the workers start
    (prometheus_client's multiprocess mode); the metrics here need nothing else.
    """

    def __init__(self, prices: dict[str, Price], teams: dict[str, tuple[str, ...]],
                 registry: CollectorRegistry = REGISTRY, max_endpoints: int = 50, max_unpriced_models: int = 20,
                 guard: Guard | None = None, reservations: Reservations | None = None):
        self._prices, self._teams, self.guard, self.reservations = prices, teams, guard, reservations
        self._max_endpoints, self._max_unpriced = max_endpoints, max_unpriced_models
        self._lock = threading.Lock()
        self._endpoints: dict[str, set[str]] = {}
        self._unpriced: set[str] = set()
        self._children: dict[tuple, tuple] = {}
        self._refused_logged = False
        metrics = per_registry(_Metrics, registry)
        self.unpriced, self.errors, self.registry = metrics.unpriced, metrics.errors, registry
        self._series = call_series(registry)
        # Series start at 0 so that the first call's dollars are an increase, not a new series.
        for team, projects in teams.items():
            for project in projects:
                self._series.spend_cell(team, project, "api")

    @classmethod
    def from_specs(cls, specs: str | Path, alertmanager_url: str | None = None, poll_interval: float = 15.0,
                   stale_after: float = 60.0, prometheus_url: str | None = None, **kwargs) -> "CostTracker":
        """A tracker priced from a spec folder (loaded and checked once); with `alertmanager_url`, the
        budget guard of the teams with `enforce: block` polls it in the background; with
        `prometheus_url`, the teams with `enforce.reserve` reserve each call's maximum cost."""
        from generator.load import load_spec

        spec, _ = load_spec(specs)
        prices = {m.name: Price(m.input_per_million / 1e6, m.output_per_million / 1e6) for m in spec.models}
        policies = {t.name: Policy.of(t.enforce) for t in spec.teams}
        guard = None
        if alertmanager_url and any(p.mode != "notify" for p in policies.values()):
            free = frozenset(m.name for m in spec.models if m.input_per_million == 0 and m.output_per_million == 0)
            guard = Guard(alertmanager_url, policies, free, registry=kwargs.get("registry", REGISTRY),
                          poll_interval=poll_interval, stale_after=stale_after).start()
        reserving = {t.name: t for t in spec.teams if t.enforce.reserve}
        reservations = None
        if prometheus_url and reserving:
            reservations = Reservations(prometheus_url, {name: t.daily_budget for name, t in reserving.items()}, prices,
                                        {name: t.enforce.on_stale for name, t in reserving.items()},
                                        registry=kwargs.get("registry", REGISTRY)).start()
        return cls(prices, {t.name: t.projects for t in spec.teams}, guard=guard, reservations=reservations, **kwargs)

    def check(self, team: str, endpoint: str | None = None, model: str | None = None, project: str | None = None) -> None:
        """Before a call: raise BudgetExceeded if the team's budget is enforced and spent (no I/O)."""
        if self.guard is not None:
            self.guard.check(team, project, endpoint, model)

    def _bounded(self, model: str, team: str, endpoint: str, project: str | None) -> tuple:
        """Cached metric children and price for one label combination; bounds label values."""
        key = (model, team, endpoint, project)
        hit = self._children.get(key)
        if hit is not None:
            return hit
        with self._lock:
            price = self._prices.get(model)
            model_label = model if price is not None else UNPRICED
            if price is None:
                name = model if _SAFE.match(str(model)) else INVALID
                if name not in self._unpriced and len(self._unpriced) >= self._max_unpriced:
                    name = OTHER
                if name not in self._unpriced:
                    self._unpriced.add(name)
                    log.warning("aicost: model %r has no price in specs/prices.yaml; its calls are counted in %s",
                                model, n.UNPRICED_CALLS)
            else:
                name = model
            if team not in self._teams:
                log.warning("aicost: team %r is not in specs/teams/; its spend is recorded as team=%r", team, UNTAGGED)
                team_label, projects = UNTAGGED, ()
            else:
                team_label, projects = team, self._teams[team]
            proj = (project if project in projects else OTHER) if project else (projects[0] if projects else UNTAGGED)
            ep = endpoint if _SAFE.match(str(endpoint)) else INVALID
            seen = self._endpoints.setdefault(team_label, set())
            if ep not in seen:
                if len(seen) >= self._max_endpoints:
                    ep = OTHER
                seen.add(ep)
            hit = (self._series.cells(model_label, team_label, ep, proj),
                   self.unpriced.labels(name) if price is None else None, price)
            self._children[key] = hit
            return hit

    def track(self, model: str, team: str, endpoint: str, input_tokens: int, output_tokens: int,
              project: str | None = None) -> float:
        """Record one call and return its cost in dollars.

        An unpriced model costs 0.0 and is counted; token counts that are not finite and
        non-negative are refused (0.0, counted in ai_tracking_errors_total, logged once).
        """
        # ints are the common case: checked inline, as a function call per count costs a tenth of the call
        if not (type(input_tokens) is int and type(output_tokens) is int and input_tokens >= 0 and output_tokens >= 0
                or _valid_tokens(input_tokens) and _valid_tokens(output_tokens)):
            return self._refuse(model, team, input_tokens, output_tokens)
        cells, unpriced, price = self._children.get((model, team, endpoint, project)) or \
            self._bounded(model, team, endpoint, project)
        if price is None:
            self._series.record(cells, input_tokens, output_tokens, None)
            unpriced.inc()
            return 0.0
        cost = input_tokens * price.input + output_tokens * price.output
        self._series.record(cells, input_tokens, output_tokens, cost)
        return cost

    def prime(self, model: str, team: str, endpoint: str, project: str | None = None) -> None:
        """Create a call's series at 0 before its first call, so that the first call is an increase."""
        self._bounded(model, team, endpoint, project)

    def _refuse(self, model, team, input_tokens, output_tokens) -> float:
        self.errors.labels("invalid_tokens").inc()
        if not self._refused_logged:
            self._refused_logged = True
            log.warning("aicost: refused a call of %r for team %r with token counts %r/%r; counts must be finite and "
                        "non-negative (counted in %s)", model, team, input_tokens, output_tokens, n.TRACKING_ERRORS)
        return 0.0

    def track_response(self, response, team: str, endpoint: str, model: str | None = None,
                       project: str | None = None) -> float:
        """Record an OpenAI-style response (usage.prompt_tokens/completion_tokens, or input/output_tokens)."""
        inp, out = usage_tokens(response)
        return self.track(model or _get(response, "model"), team, endpoint, inp, out, project)

    @contextmanager
    def call(self, team: str, endpoint: str, model: str | None = None, project: str | None = None,
             max_input_tokens: int | None = None, max_output_tokens: int | None = None):
        """`with tracker.call(team, endpoint) as call: call.record(client.chat.completions.create(...))`;
        raises BudgetExceeded on entry, before the call, when the team is blocked or, for a team with
        `enforce.reserve`, when the call's maximum cost does not fit in the day's budget left."""
        self.check(team, endpoint, model, project)
        reserved = 0.0
        if self.reservations is not None:
            reserved = self.reservations.reserve(team, model, max_input_tokens, max_output_tokens)
        rec = _Recorder(self, team, endpoint, model, project)
        try:
            yield rec
        finally:
            if self.reservations is not None:
                # a call that ended without a recorded cost may still have been billed: count the worst case
                self.reservations.settle(team, reserved, reserved if rec.cost is None else rec.cost)

    def tracked(self, team: str, endpoint: str, model: str | None = None, project: str | None = None):
        """Decorator for a function that returns an OpenAI-style response; checks the budget before it runs."""

        def wrap(fn):
            @functools.wraps(fn)
            def inner(*args, **kwargs):
                self.check(team, endpoint, model, project)
                response = fn(*args, **kwargs)
                self.track_response(response, team, endpoint, model, project)
                return response
            return inner
        return wrap


class _Recorder:
    def __init__(self, tracker: CostTracker, team, endpoint, model, project):
        self._t, self._team, self._endpoint, self._model, self._project = tracker, team, endpoint, model, project
        self.cost: float | None = None

    def record(self, response) -> float:
        """Price and record the response of the call."""
        self.cost = self._t.track_response(response, self._team, self._endpoint, self._model, self._project)
        return self.cost


def _get(obj, name):
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def usage_tokens(response) -> tuple[int, int]:
    """(input, output) tokens of an OpenAI-style (or Anthropic-style) response object or dict."""
    usage = _get(response, "usage")
    if usage is None:
        raise ValueError("response has no usage; pass input_tokens/output_tokens to track_ai_call instead")
    inp = _get(usage, "prompt_tokens")
    out = _get(usage, "completion_tokens")
    if inp is None:
        inp, out = _get(usage, "input_tokens"), _get(usage, "output_tokens")
    return int(inp or 0), int(out or 0)


_default: CostTracker | None = None
_default_lock = threading.Lock()


def default_tracker() -> CostTracker:
    """The process-wide tracker, priced once from $AICOST_SPECS (default ./specs); with
    $AICOST_ALERTMANAGER_URL, the budget guard polls that Alertmanager; with $AICOST_PROMETHEUS_URL,
    teams with `enforce.reserve` reserve each call's maximum cost against the day's budget left."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = CostTracker.from_specs(os.environ.get("AICOST_SPECS", "specs"),
                                                  os.environ.get("AICOST_ALERTMANAGER_URL") or None,
                                                  prometheus_url=os.environ.get("AICOST_PROMETHEUS_URL") or None)
    return _default


def check_budget(team: str, endpoint: str | None = None, model: str | None = None, project: str | None = None) -> None:
    """Before an AI call: raise BudgetExceeded if `team`'s budget is enforced and spent."""
    default_tracker().check(team, endpoint, model, project)


def track_ai_call(model: str, team: str, endpoint: str, input_tokens: int, output_tokens: int,
                  project: str | None = None) -> float:
    """Price one AI call from specs/, record it, return its cost in dollars."""
    return default_tracker().track(model, team, endpoint, input_tokens, output_tokens, project)
