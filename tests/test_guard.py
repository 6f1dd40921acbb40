"""The budget guard against a stand-in Alertmanager: blocks, exemptions, staleness under both
policies, a silence, the end of the period, a slow or broken Alertmanager."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from prometheus_client import CollectorRegistry

from exporter.guard import BudgetExceeded, Guard, Policy, period_bounds
from exporter.library import CostTracker, Price
from generator import names as n

NOW = datetime(2026, 11, 28, 15, 30, tzinfo=timezone.utc).timestamp()
MIDNIGHT = datetime(2026, 11, 29, tzinfo=timezone.utc).timestamp()


class FakeAlertmanager:
    """Serves /api/v2/alerts: `alerts` as JSON, or `body` as is, after `delay` seconds."""

    def __init__(self):
        fake = self
        self.alerts: list[dict] = []
        self.body: bytes | None = None
        self.delay = 0.0
        self.queries: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                fake.queries.append(self.path)
                time.sleep(fake.delay)
                data = fake.body if fake.body is not None else json.dumps(fake.alerts).encode()
                self.send_response(200)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def guard(self, team: str, period: str = "daily", started: str = "2026-11-28T15:00:00.123456789Z") -> None:
        self.alerts.append({"labels": {"alertname": n.A_BUDGET_GUARD, "team": team, "period": period,
                                       "severity": "critical"}, "startsAt": started, "status": {"state": "active"}})


@pytest.fixture
def am():
    fake = FakeAlertmanager()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


class Clock:
    def __init__(self, t: float = NOW):
        self.t = t

    def __call__(self) -> float:
        return self.t


POLICIES = {"search": Policy("block", "allow", frozenset({"query-understanding"}), frozenset({"/incident"})),
            "strict": Policy("block", "block"),
            "chatbot": Policy("notify")}


def _guard(am, clock=None, **kw) -> Guard:
    return Guard(am.url, POLICIES, frozenset({"local-llama"}), registry=CollectorRegistry(), poll_interval=15,
                 stale_after=60, timeout=0.5, clock=clock or Clock(), **kw)


def _decisions(g: Guard, team: str, decision: str, reason: str) -> float:
    """A decision count as Prometheus scrapes it."""
    labels = {n.L_TEAM: team, "decision": decision, n.L_REASON: reason}
    return g.registry.get_sample_value(n.GUARD_DECISIONS, labels) or 0.0


def test_a_blocked_team_is_refused_until_midnight_and_others_are_not(am):
    am.guard("search")
    am.guard("chatbot")  # not opted in: its guard alert (if any) changes nothing
    g = _guard(am)
    assert g.poll()
    with pytest.raises(BudgetExceeded) as e:
        g.check("search", "product-search", "/search", "gpt-4o")
    assert (e.value.team, e.value.period, e.value.reset_at, e.value.reason) == ("search", "daily", MIDNIGHT, "over_budget")
    assert str(e.value) == "team search is blocked: its daily AI budget is spent; retry after 2026-11-29T00:00:00Z"
    g.check("chatbot", "customer-support", "/chat", "gpt-4o")
    g.check("strict", "x", "/x", "gpt-4o")
    assert _decisions(g, "search", "block", "over_budget") == 1
    assert _decisions(g, "strict", "allow", "within_budget") == 1
    assert 'filter=alertname%3D%22AIBudgetGuard%22' in am.queries[0] and "silenced=false" in am.queries[0]
    assert "inhibited=false" in am.queries[0] and "active=true" in am.queries[0]


def test_the_http_form_is_429_with_retry_after_to_the_reset(am):
    am.guard("search", "monthly")
    g = _guard(am)
    g.poll()
    with pytest.raises(BudgetExceeded) as e:
        g.check("search", "product-search")
    status, headers, body = e.value.http(now=NOW)
    month_end = datetime(2026, 12, 1, tzinfo=timezone.utc).timestamp()
    assert status == 429 and headers["Retry-After"] == str(int(month_end - NOW))
    assert body["error"]["type"] == "budget_exceeded" and body["error"]["period"] == "monthly"
    assert body["error"]["reset_at"] == "2026-12-01T00:00:00+00:00"


def test_exempt_projects_endpoints_and_free_models_pass_but_unpriced_ones_do_not(am):
    am.guard("search")
    g = _guard(am)
    g.poll()
    g.check("search", "query-understanding", "/search", "gpt-4o")
    g.check("search", "product-search", "/incident", "gpt-4o")
    g.check("search", "product-search", "/search", "local-llama")  # priced at 0 explicitly
    with pytest.raises(BudgetExceeded):
        g.check("search", "product-search", "/search", "some-unpriced-model")  # unknown is never free
    assert _decisions(g, "search", "allow", "exempt") == 2 and _decisions(g, "search", "allow", "free_model") == 1


def test_a_silence_lifts_the_block_at_the_next_poll(am):
    am.guard("search")
    g = _guard(am)
    g.poll()
    with pytest.raises(BudgetExceeded):
        g.check("search", "product-search")
    am.alerts.clear()  # silenced: Alertmanager no longer lists it with silenced=false
    g.poll()
    g.check("search", "product-search")


def test_the_end_of_the_period_lifts_the_block_without_a_poll_and_a_late_alert_is_ignored(am):
    am.guard("search")
    clock = Clock()
    g = _guard(am, clock)
    g.poll()
    clock.t = MIDNIGHT - 1
    g._last_ok = clock.t  # fresh state, so staleness is not what decides
    with pytest.raises(BudgetExceeded):
        g.check("search", "product-search")
    clock.t = MIDNIGHT + 1
    g._last_ok = clock.t
    g.check("search", "product-search")
    g.poll()  # Alertmanager still lists yesterday's alert for a moment: it began before today
    g.check("search", "product-search")


def test_stale_state_allows_or_blocks_by_policy_and_counts_the_errors(am):
    clock = Clock()
    g = _guard(am, clock)
    assert g.poll() and g.state_age() == 0
    am.body = b"<html>not json"
    assert not g.poll()
    assert g.metrics.errors.labels("invalid")._value.get() == 1
    clock.t += 61
    assert g.state_age() == 61
    g.check("search", "product-search")  # on_stale: allow
    with pytest.raises(BudgetExceeded) as e:
        g.check("strict", "x")
    assert (e.value.period, e.value.reason) == ("unknown", "stale")
    assert "cannot read Alertmanager" in str(e.value)


def test_a_slow_or_unreachable_alertmanager_is_a_counted_error_not_a_hang(am):
    am.delay = 2
    g = _guard(am)
    t0 = time.monotonic()
    assert not g.poll()
    assert time.monotonic() - t0 < 1.5
    assert g.metrics.errors.labels("timeout")._value.get() == 1
    g2 = Guard("http://127.0.0.1:9", POLICIES, registry=CollectorRegistry(), timeout=0.5)
    assert not g2.poll() and g2.metrics.errors.labels("unreachable")._value.get() == 1
    assert g2.state_age() == float("inf")


def test_the_tracker_checks_before_the_call(am):
    am.guard("search")
    g = _guard(am)
    g.poll()
    tracker = CostTracker({"gpt-4o": Price(2.5e-6, 1e-5)}, {"search": ("product-search",)}, registry=CollectorRegistry(),
                          guard=g)
    calls = []

    @tracker.tracked("search", "/search", model="gpt-4o")
    def ask():
        calls.append(1)
        return {"usage": {"prompt_tokens": 10, "completion_tokens": 1}}

    with pytest.raises(BudgetExceeded):
        ask()
    with pytest.raises(BudgetExceeded):
        with tracker.call("search", "/search", model="gpt-4o"):
            calls.append(2)
    assert calls == []  # no call was made, so no money was spent


def test_period_bounds_are_utc_days_and_months():
    assert period_bounds("daily", NOW) == (datetime(2026, 11, 28, tzinfo=timezone.utc).timestamp(), MIDNIGHT)
    dec = datetime(2026, 12, 31, 23, 59, tzinfo=timezone.utc).timestamp()
    assert period_bounds("monthly", dec)[1] == datetime(2027, 1, 1, tzinfo=timezone.utc).timestamp()


def test_a_throttled_team_gets_its_rate_and_is_blocked_past_its_budget(am):
    clock = Clock()
    g = Guard(am.url, {"ml": Policy("throttle", "allow", per_minute=60)}, registry=CollectorRegistry(), clock=clock)
    am.alerts.append({"labels": {"alertname": n.A_BUDGET_GUARD, "team": "ml", "period": "daily", "action": "throttle",
                                 "severity": "warning"}, "startsAt": "2026-11-28T15:00:00Z"})
    g.poll()
    for _ in range(6):  # a tenth of a minute's calls at once
        g.check("ml", "feature-store")
    with pytest.raises(BudgetExceeded) as e:
        g.check("ml", "feature-store")
    assert (e.value.reason, e.value.period) == ("throttled", "daily") and e.value.reset_at == pytest.approx(NOW + 1)
    assert e.value.http(now=NOW)[1]["Retry-After"] == "1"
    assert str(e.value).startswith("team ml is throttled: it is throttled past the warning level of its daily AI budget")
    clock.t += 1  # one call a second
    g._last_ok = clock.t
    g.check("ml", "feature-store")
    with pytest.raises(BudgetExceeded):
        g.check("ml", "feature-store")
    am.alerts.append({"labels": {"alertname": n.A_BUDGET_GUARD, "team": "ml", "period": "daily", "action": "block",
                                 "severity": "critical"}, "startsAt": "2026-11-28T15:10:00Z"})
    g.poll()
    clock.t += 30
    with pytest.raises(BudgetExceeded) as e:
        g.check("ml", "feature-store")
    assert e.value.reason == "over_budget"
    assert _decisions(g, "ml", "allow", "throttled") == 7 and _decisions(g, "ml", "block", "throttled") == 2
