"""Scenarios of the alerts that are not per team: the org's budget, untagged spend, missing data."""

from __future__ import annotations

from generator import names as n
from generator.model import Spec
import math
from fractions import Fraction

from generator.catalogue.alerts.infra import GUARD_STALE_SECONDS
from generator.render.promtool_tests.expect import Clock, Expect, cents_rate, crossing, edge, landed, minutes_exact, series

JUST_AFTER = Fraction(1, 60000)  # a millisecond, in minutes: "silent for longer than the window"


def _clock(spec: Spec) -> Clock:
    return Clock(Fraction(str(spec.ledger_interval_seconds)) / 60)


def _org_budget(spec: Spec, expect: Expect, period: str, budget: float) -> dict:
    """Org spend at a steady rate crosses share x the period's org budget; on the 1st the month is
    also today, so the monthly scenario may see the daily alert fire on the way."""
    team = spec.teams[0]
    share = spec.thresholds.org_budget_exceeded
    step = cents_rate(share * budget)
    clock = _clock(spec)
    fires = {p: clock.fires(crossing(share * b, 0, step), spec.for_(n.A_ORG_EXCEEDED))
             for p, b in (("daily", spec.org_daily_budget), ("monthly", spec.org_monthly_budget))}
    fire = fires[period]
    labels = landed(team, {"team": team.name, "project": team.projects[0], "category": "api",
                           "instance": "app-1", "job": n.APP_JOB})

    def firing(time) -> list[dict]:
        budgets = {"daily": spec.org_daily_budget, "monthly": spec.org_monthly_budget}
        return [expect.alert(n.A_ORG_EXCEEDED, "critical", {}, float(step * math.floor(time)), {f"org_budget_{p}": b},
                             True, {"period": p}, per_team=False)
                for p, b in budgets.items() if (p == period or period == "monthly") and fires[p] <= time]

    return {
        "name": f"org: {n.A_ORG_EXCEEDED} ({period}) over {share:g} x ${budget:,.2f}",
        "interval": "1m",
        "input_series": [series(n.SPEND, labels, f"0+{float(step)!r}x{math.ceil(fire) + 5}")],
        "alert_rule_test": edge(n.A_ORG_EXCEEDED, fire, firing(fire), clock.step, before=firing(fire - clock.step)),
    }


def _untagged(spec: Spec, expect: Expect) -> dict:
    labels = {"team": n.UNTAGGED, "project": "unknown", "category": "compute", "instance": "i-0orphan", "job": n.EXPORTER_JOB}
    clock = _clock(spec)
    fire = clock.fires(1, spec.for_(n.A_UNTAGGED))
    # $10 a minute: spend in every ledger window; the alert's value sums the windows that end
    # inside the untagged window (ceil(window / interval) of them)
    covered = math.ceil(minutes_exact(spec.untagged_spend_window) / clock.step) * clock.step
    spent = 10 * min(math.floor(fire), covered)
    exp = expect.alert(n.A_UNTAGGED, "warning", {"team": n.UNTAGGED}, spent, {}, True, per_team=False)
    return {
        "name": f"org: {n.A_UNTAGGED} after {spec.for_(n.A_UNTAGGED)} of spend under team '{n.UNTAGGED}'",
        "interval": "1m",
        "input_series": [series(n.SPEND, labels, f"0+10x{math.ceil(fire) + 5}")],
        "alert_rule_test": edge(n.A_UNTAGGED, fire, [exp], clock.step),
    }


def _silent_team(spec: Spec, expect: Expect) -> dict:
    team = spec.teams[0]
    labels = landed(team, {"team": team.name, "project": team.projects[0], "category": "api",
                           "instance": "app-1", "job": n.APP_JOB})
    clock = _clock(spec)
    last_entry = clock.at_or_after(60)  # the ledger's last entry holds the last sample, at minute 60
    fire = clock.fires(last_entry + minutes_exact(spec.silence_window) + JUST_AFTER, spec.for_(n.A_DATA_MISSING))
    exp = expect.alert(n.A_DATA_MISSING, "warning", {"team": team.name}, 1, {}, True, {"scope": "team"})
    return {
        "name": f"org: {n.A_DATA_MISSING} when team {team.name} goes silent for {spec.silence_window}",
        "interval": "1m",
        "input_series": [series(n.SPEND, labels, "0+1x60")],
        "alert_rule_test": edge(n.A_DATA_MISSING, fire, [exp], clock.step),
    }


def _exporter_down(spec: Spec, expect: Expect) -> dict:
    target = {"job": n.EXPORTER_JOB, "instance": "gpu-host-1:9400"}
    clock = _clock(spec)
    fire = clock.fires(10 + minutes_exact(spec.silence_window) + JUST_AFTER, spec.for_(n.A_DATA_MISSING))
    exp = expect.alert(n.A_DATA_MISSING, "warning", target, 0, {}, True, {"scope": "exporter"}, per_team=False)
    return {
        "name": f"org: {n.A_DATA_MISSING} when an exporter is down for {spec.silence_window}",
        "interval": "1m",
        "input_series": [series("up", target, f"1x10 0x{math.ceil(fire)}")],
        "alert_rule_test": edge(n.A_DATA_MISSING, fire, [exp], clock.step),
    }


def _guard_stale(spec: Spec, expect: Expect) -> dict:
    """A guard whose last read of Alertmanager ages past the limit at minute 10 (one second a second)."""
    target = {"job": n.APP_JOB, "instance": "app-1:8000"}
    clock = _clock(spec)
    # age = 60 x (minute - 1): the sample of minute 7 is the first past the limit (300 s); under
    # sub-minute evaluations the one of minute 6 is still read half a minute later
    past = Fraction(GUARD_STALE_SECONDS, 60) + 2
    fire = clock.fires(past, spec.for_(n.A_GUARD_STALE))
    age = 60 * (math.floor(fire) - 1)
    exp = expect.alert(n.A_GUARD_STALE, "warning", target, age, {}, True, per_team=False)
    return {
        "name": f"org: {n.A_GUARD_STALE} when a guard has not read Alertmanager for {GUARD_STALE_SECONDS} s",
        "interval": "1m",
        "input_series": [series(n.GUARD_STATE_AGE, target, f"0 0+60x{math.ceil(fire) + 5}")],
        "alert_rule_test": edge(n.A_GUARD_STALE, fire, [exp], clock.step),
    }


def org_tests(spec: Spec, expect: Expect) -> list[dict]:
    """Org budget (daily and monthly), untagged spend, a silent team, a down exporter, a stale guard."""
    return [_org_budget(spec, expect, "daily", spec.org_daily_budget),
            _org_budget(spec, expect, "monthly", spec.org_monthly_budget),
            _untagged(spec, expect), _silent_team(spec, expect), _exporter_down(spec, expect), _guard_stale(spec, expect)]
