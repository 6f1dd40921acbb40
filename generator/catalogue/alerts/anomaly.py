"""Anomaly alerts: today's spend far from this time of day on previous days, and the weekly trend."""

from __future__ import annotations

from generator import names as n
from generator import promql as q
from generator.catalogue.alert import Alert
from generator.catalogue.constants import spend_floor, threshold
from generator.model import Spec

ACTIONS = {("critical", "spike"): "Investigate immediately, may indicate runaway job",
           ("warning", "spike"): "Check for new deployments, traffic spikes, runaway batch jobs or pricing changes",
           ("warning", "drop"): "Check that the team's services and exporters still report spend"}


def _anomaly(severity: str, direction: str, condition: str) -> Alert:
    return Alert(
        n.A_ANOMALY, severity, f"{n.R_TEAM_ZSCORE} {condition}",
        summary=f"Anomalous cost {direction} for team {{label:team}}",
        description=("Team {label:team} has spent ${query:spend_today:money} today; by this time of day it "
                     "usually has spent ${query:hist_mean:money} +/- ${query:hist_stddev:money} (z-score {value:num})."),
        action=ACTIONS[(severity, direction)],
        labels={n.L_ANOMALY_DIRECTION: direction},
    )


TEAM = q.on(n.L_TEAM)


def _trend(spec: Spec) -> Alert:
    week_before = f"{n.R_TEAM_WEEK} offset 7d"
    return Alert(
        n.A_TREND, "warning",
        (f"{n.R_TEAM_WEEK} > {TEAM} ({week_before} * {TEAM} (1 + {threshold(spec, 'trend_week_over_week')}))\n"
         f"and {TEAM} ({week_before}) >= {TEAM} (7 * {spend_floor(spec)})"),
        summary="AI spend of team {label:team} is trending up week over week",
        description="Team {label:team} spent ${value:money} in the last 7 days against ${query:week_before:money} in the 7 days before.",
        action="Review what changed this week: traffic, models, new jobs",
    )


def alerts(spec: Spec) -> list[Alert]:
    """A spike warns at anomaly_z_warning and pages at anomaly_z_critical; a drop only warns."""
    warn, crit = threshold(spec, "anomaly_z_warning"), threshold(spec, "anomaly_z_critical")
    return [_anomaly("warning", "spike", f"> {TEAM} {warn}"),
            _anomaly("warning", "drop", f"< {TEAM} (-1 * {warn})"),
            _anomaly("critical", "spike", f"> {TEAM} {crit}"),
            _trend(spec)]
