"""Scenarios of the alerts that are not per team: the org's budget, untagged spend, missing data."""

from __future__ import annotations

from generator import names as n
from generator.model import Spec
from generator.render.promtool_tests.expect import Expect, cents_rate, crossing, edge, minutes, series


def _org_budget(spec: Spec, expect: Expect, period: str, budget: float) -> dict:
    team = spec.teams[0]
    limit = spec.thresholds.org_budget_exceeded * budget
    step = cents_rate(limit)
    fire = crossing(limit, 0, step) + minutes(spec.for_(n.A_ORG_EXCEEDED))
    value = float(step * fire)
    labels = {"team": team.name, "project": team.projects[0], "category": "api", "instance": "app-1", "job": n.APP_JOB}

    def org(v: float, p: str, b: float) -> dict:
        return expect.alert(n.A_ORG_EXCEEDED, "critical", {}, v, {f"org_budget_{p}": b}, True, {"period": p}, per_team=False)

    exp, before = [org(value, period, budget)], []
    if period == "monthly":  # on the 1st the month is today, so the daily budget is long gone too
        exp.insert(0, org(value, "daily", spec.org_daily_budget))
        before = [org(float(step * (fire - 1)), "daily", spec.org_daily_budget)]
    return {
        "name": f"org: {n.A_ORG_EXCEEDED} ({period}) over {spec.thresholds.org_budget_exceeded:g} x ${budget:,.2f}",
        "interval": "1m",
        "input_series": [series(n.SPEND, labels, f"0+{float(step)!r}x{fire + 5}")],
        "alert_rule_test": edge(n.A_ORG_EXCEEDED, fire, exp, before=before),
    }


def _untagged(spec: Spec, expect: Expect) -> dict:
    labels = {"team": n.UNTAGGED, "project": "unknown", "category": "compute", "instance": "i-0orphan", "job": n.EXPORTER_JOB}
    fire = 1 + minutes(spec.for_(n.A_UNTAGGED))
    exp = expect.alert(n.A_UNTAGGED, "warning", {"team": n.UNTAGGED}, 10, {}, True, per_team=False)
    return {
        "name": f"org: {n.A_UNTAGGED} after {spec.for_(n.A_UNTAGGED)} of spend under team '{n.UNTAGGED}'",
        "interval": "1m",
        "input_series": [series(n.SPEND, labels, f"0 10x{fire + 5}")],
        "alert_rule_test": edge(n.A_UNTAGGED, fire, [exp]),
    }


def _silent_team(spec: Spec, expect: Expect) -> dict:
    team = spec.teams[0]
    labels = {"team": team.name, "project": team.projects[0], "category": "api", "instance": "app-1", "job": n.APP_JOB}
    fire = 60 + minutes(spec.silence_window) + 1 + minutes(spec.for_(n.A_DATA_MISSING))
    exp = expect.alert(n.A_DATA_MISSING, "warning", {"team": team.name}, 1, {}, True, {"scope": "team"})
    return {
        "name": f"org: {n.A_DATA_MISSING} when team {team.name} goes silent for {spec.silence_window}",
        "interval": "1m",
        "input_series": [series(n.SPEND, labels, "0+1x60")],
        "alert_rule_test": edge(n.A_DATA_MISSING, fire, [exp]),
    }


def _exporter_down(spec: Spec, expect: Expect) -> dict:
    target = {"job": n.EXPORTER_JOB, "instance": "gpu-host-1:9400"}
    fire = 10 + minutes(spec.silence_window) + 1 + minutes(spec.for_(n.A_DATA_MISSING))
    exp = expect.alert(n.A_DATA_MISSING, "warning", target, 0, {}, True, {"scope": "exporter"}, per_team=False)
    return {
        "name": f"org: {n.A_DATA_MISSING} when an exporter is down for {spec.silence_window}",
        "interval": "1m",
        "input_series": [series("up", target, f"1x10 0x{fire}")],
        "alert_rule_test": edge(n.A_DATA_MISSING, fire, [exp]),
    }


def org_tests(spec: Spec, expect: Expect) -> list[dict]:
    """Org budget (daily and monthly), untagged spend, a silent team, a down exporter."""
    return [_org_budget(spec, expect, "daily", spec.org_daily_budget),
            _org_budget(spec, expect, "monthly", spec.org_monthly_budget),
            _untagged(spec, expect), _silent_team(spec, expect), _exporter_down(spec, expect)]
