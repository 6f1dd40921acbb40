"""The pre-call reservation (`enforce.reserve`): each call's maximum cost against the day's budget left."""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from prometheus_client import CollectorRegistry

from exporter.guard import BudgetExceeded
from exporter.library import CostTracker, Price
from exporter.reserve import Reservations
from generator import names as n

PRICES = {"gpt-4o": Price(2.5e-6, 10e-6)}
NOON = 1_764_331_200.0  # 2025-11-28 12:00 UTC
BUDGET = 10.0


class Clock:
    def __init__(self, t=NOON):
        self.t = t

    def __call__(self):
        return self.t


def _reservations(spent=6.0, on_stale="allow", clock=None):
    r = Reservations("http://prometheus.invalid", {"search": BUDGET}, PRICES, {"search": on_stale},
                     registry=CollectorRegistry(), clock=clock or Clock())
    r._fetch = lambda: {"search": spent, "chatbot": 99.0}
    assert r.refresh()
    return r


def test_a_call_is_reserved_at_its_maximum_cost_and_refused_when_it_does_not_fit():
    r = _reservations(spent=6.0)  # $4 left
    assert r.reserve("search", "gpt-4o", 100_000, 100_000) == pytest.approx(1.25)  # 0.25 + 1.00
    assert r.reserve("search", "gpt-4o", 100_000, 100_000) == pytest.approx(1.25)  # 2.50 held: $1.50 left
    assert r.reserve("search", "gpt-4o", 100_000, 100_000) == pytest.approx(1.25)  # $0.25 left
    with pytest.raises(BudgetExceeded) as err:
        r.reserve("search", "gpt-4o", 100_000, 100_000)
    assert err.value.reason == "reservation" and "does not fit in what is left of its daily budget" in str(err.value)
    assert r.reserve("search", "gpt-4o", 10_000, 20_000) == pytest.approx(0.225)  # a smaller call still fits


def test_reservations_in_flight_count_and_settling_frees_them():
    r = _reservations(spent=8.0)  # $2 left
    held = r.reserve("search", "gpt-4o", 100_000, 100_000)  # 1.25
    with pytest.raises(BudgetExceeded) as err:
        r.reserve("search", "gpt-4o", 100_000, 100_000)  # 1.25 more than the 0.75 left
    assert err.value.reason == "reservation" and err.value.http(NOON)[0] == 429
    assert err.value.http(NOON)[1]["Retry-After"] == str(12 * 3600)  # the next UTC midnight
    r.settle("search", held, 0.10)  # the call cost 10 cents
    assert r.reserve("search", "gpt-4o", 100_000, 100_000) == pytest.approx(1.25)  # 8.10 + 1.25 fits


def test_a_read_of_prometheus_replaces_the_local_count():
    r = _reservations(spent=9.0)
    r.settle("search", 0.0, 0.9)  # this process spent 0.90 since the read: $0.10 left
    with pytest.raises(BudgetExceeded):
        r.reserve("search", "gpt-4o", 10_000, 10_000)  # 0.125
    r._fetch = lambda: {"search": 2.0}  # a new day's figures, say, or another read
    assert r.refresh()
    assert r.reserve("search", "gpt-4o", 10_000, 10_000) == pytest.approx(0.125)


def test_unbounded_and_unpriced_calls_are_refused_never_assumed_free():
    r = _reservations()
    for model, inp, out in (("gpt-4o", None, 100), ("gpt-4o", 100, None), ("llama-local", 100, 100), (None, 100, 100)):
        with pytest.raises(BudgetExceeded) as err:
            r.reserve("search", model, inp, out)
        assert err.value.reason == "unbounded"
    assert r.reserve("chatbot", None, None, None) == 0.0  # a team that did not opt in is not reserved


def test_stale_state_follows_on_stale_and_midnight_starts_a_new_day():
    clock = Clock()
    strict = _reservations(spent=9.9, on_stale="block", clock=clock)
    clock.t += 121
    with pytest.raises(BudgetExceeded) as err:
        strict.reserve("search", "gpt-4o", 1, 1)
    assert err.value.reason == "stale_spend"
    lenient = _reservations(spent=9.0, clock=Clock(NOON + 12 * 3600 - 1))
    lenient.clock = Clock(NOON + 12 * 3600 + 1)  # just past 00:00 UTC: yesterday's spend no longer counts
    assert lenient.reserve("search", "gpt-4o", 1_000_000, 500_000) == pytest.approx(7.5)


def test_the_tracker_reserves_before_the_call_and_settles_with_its_real_cost():
    r = _reservations(spent=8.0)
    tracker = CostTracker(PRICES, {"search": ("product-search",), "chatbot": ("chat",)}, registry=CollectorRegistry(),
                          reservations=r)
    with tracker.call("search", "/q", "gpt-4o", max_input_tokens=100_000, max_output_tokens=100_000) as call:
        with pytest.raises(BudgetExceeded):  # a second call while the first holds 1.25 of the $2 left
            with tracker.call("search", "/q", "gpt-4o", max_input_tokens=100_000, max_output_tokens=100_000):
                pass
        call.record({"model": "gpt-4o", "usage": {"prompt_tokens": 1000, "completion_tokens": 100}})
    assert r._held["search"] == 0 and r._local["search"] == pytest.approx(0.0035)
    with pytest.raises(BudgetExceeded) as err:
        with tracker.call("search", "/q", "gpt-4o"):  # no max tokens: cannot be bounded
            pass
    assert err.value.reason == "unbounded"
    with tracker.call("chatbot", "/c", "gpt-4o"):  # not reserving: unaffected
        pass


def test_refresh_reads_todays_spend_from_the_prometheus_api():
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            assert n.R_TEAM_TODAY in urllib.parse.unquote(self.path)
            body = json.dumps({"status": "success", "data": {"resultType": "vector", "result": [
                {"metric": {"team": "search"}, "value": [NOON, "7.25"]}]}}).encode()
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        r = Reservations(f"http://127.0.0.1:{server.server_port}", {"search": BUDGET}, PRICES, registry=CollectorRegistry())
        assert r.refresh() and r._spent == {"search": 7.25}
        down = Reservations("http://127.0.0.1:9", {"search": BUDGET}, PRICES, registry=CollectorRegistry(), timeout=1)
        assert down.refresh() is False
    finally:
        server.shutdown()
        server.server_close()
