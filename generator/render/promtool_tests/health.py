"""Scenarios of aicost's health alerts: Prometheus' own rule-group metrics and the recorded spend
fed as input series to the health group alone, each alert at the edge of its `for:`."""

from __future__ import annotations

import math

from generator import names as n
from generator.catalogue.alerts.health import stale_window
from generator.model import Spec
from generator.render.promtool_tests.expect import EVAL, Clock, Expect, edge, landed, minutes_exact, series
from generator.render.promtool_tests.org import JUST_AFTER

CLOCK = Clock(1)  # the health group runs every minute in these files
SELF = {"instance": "127.0.0.1:9090", "job": n.PROMETHEUS_JOB}
SPEND_GROUP = {n.L_RULE_GROUP: f"/etc/prometheus/rules/{n.G_SPEND}.yml;{n.G_SPEND}"}


def _counter_from(spec: Spec, expect: Expect, alert: str, metric: str, value: float) -> dict:
    """A rule-group counter flat at 0 for ten minutes, then growing by one a minute."""
    fire = CLOCK.fires(11, spec.for_(alert))
    exp = expect.alert(alert, "critical", dict(SPEND_GROUP), value, {}, True, per_team=False)
    return {"name": f"health: {alert} when {metric} of {n.G_SPEND} grows", "interval": "1m",
            "input_series": [series(metric, {**SELF, **SPEND_GROUP}, f"0x10 1+1x{math.ceil(fire) + 5}")],
            "alert_rule_test": edge(alert, fire, [exp], CLOCK.step)}


def _slow(spec: Spec, expect: Expect) -> dict:
    # 10 s of a 60 s interval, then 40 s: past the share from minute 11.
    share = spec.thresholds.rule_group_duration_share
    slow = math.ceil(60 * share) + 10
    fire = CLOCK.fires(11, spec.for_(n.A_RULE_GROUP_SLOW))
    exp = expect.alert(n.A_RULE_GROUP_SLOW, "warning", dict(SPEND_GROUP), 100 * slow / 60, {}, True, per_team=False)
    labels = {**SELF, **SPEND_GROUP}
    return {"name": f"health: {n.A_RULE_GROUP_SLOW} when {n.G_SPEND} takes {slow}s of its 60s",
            "interval": "1m",
            "input_series": [series(n.PROM_RULE_LAST_DURATION, labels, f"1x10 {slow}x{math.ceil(fire) + 5}"),
                             series(n.PROM_RULE_INTERVAL, labels, f"60x{math.ceil(fire) + 16}")],
            "alert_rule_test": edge(n.A_RULE_GROUP_SLOW, fire, [exp], CLOCK.step)}


def _stale(spec: Spec, expect: Expect) -> dict:
    # Raw spend keeps coming; the recorded "today" stops after minute 10.
    team = spec.teams[0]
    fire = CLOCK.fires(10 + minutes_exact(stale_window(spec)) + JUST_AFTER, spec.for_(n.A_SPEND_STALE))
    raw = landed(team, {"team": team.name, "project": team.projects[0], "category": "api",
                        "instance": "app-1", "job": n.APP_JOB})
    exp = expect.alert(n.A_SPEND_STALE, "critical", {"team": team.name}, 1, {}, True)
    return {"name": f"health: {n.A_SPEND_STALE} when team {team.name}'s recorded spend stops",
            "interval": "1m",
            "input_series": [series(n.SPEND, raw, f"0+1x{math.ceil(fire) + 5}"),
                             series(n.R_TEAM_TODAY, {"team": team.name}, "0+1x10")],
            "alert_rule_test": edge(n.A_SPEND_STALE, fire, [exp], CLOCK.step)}


def _constants(spec: Spec, expect: Expect) -> dict:
    fire = CLOCK.fires(0, spec.for_(n.A_CONSTANTS_MISSING))
    exp = expect.alert(n.A_CONSTANTS_MISSING, "critical", {}, 0, {}, True, per_team=False)
    return {"name": f"health: {n.A_CONSTANTS_MISSING} when the constants file is not loaded", "interval": "1m",
            "input_series": [], "alert_rule_test": edge(n.A_CONSTANTS_MISSING, fire, [exp], CLOCK.step)}


def health_tests(spec: Spec, expect: Expect) -> list[dict]:
    """Every health alert, on the health group alone."""
    tests = [
        # 12 - 16 of a counter growing one a minute: 5 in the last five minutes, on both Prometheus versions.
        _counter_from(spec, expect, n.A_RULE_FAILURES, n.PROM_RULE_FAILURES, 5),
        # 0 then 1 in the last ten minutes: 1 (a counter is never extrapolated below 0).
        _counter_from(spec, expect, n.A_RULE_GROUP_MISSED, n.PROM_RULE_MISSED, 1),
        _slow(spec, expect), _stale(spec, expect), _constants(spec, expect),
    ]
    tests[0][EVAL] = "1m"
    return tests
