"""aicost watching itself: rule groups that fail, lag or miss evaluations; spend gone stale while
raw data keeps arriving; the spec's constants missing.

A cost monitor that is silently blind is worse than none: when the spend group times out,
every budget alert falls silent and the team believes it is under budget. These alerts read
Prometheus' own rule-group metrics (its self-scrape, job aicost-prometheus) and the raw series,
never a result of the groups they watch, and live in their own group `aicost-health`.
"""

from __future__ import annotations

from generator import durations
from generator import names as n
from generator.catalogue.alert import Alert
from generator.model import Spec

WATCHED = (n.G_CONSTANTS, n.G_SPEND, n.G_SIGNALS)
FAILURE_WINDOW = "5m"
MISSED_WINDOW = "10m"


def watched_groups() -> str:
    """A matcher of the rule groups aicost watches: Prometheus labels them `<file>;<group>`."""
    return f'{n.L_RULE_GROUP}=~".+;({"|".join(WATCHED)})"'


def group_load() -> str:
    """Each watched group's last evaluation time as a share of its interval (1 = it uses all of it)."""
    sel = watched_groups()
    return f"max by ({n.L_RULE_GROUP}) (\n  {n.PROM_RULE_LAST_DURATION}{{{sel}}}\n  / {n.PROM_RULE_INTERVAL}{{{sel}}}\n)"


def group_increase(metric: str, window: str) -> str:
    """How much a rule-group counter (failures, missed iterations) of the watched groups grew in `window`."""
    return f"sum by ({n.L_RULE_GROUP}) (increase({metric}{{{watched_groups()}}}[{window}]))"


def recorded_spend_age() -> str:
    """Seconds since each team's recorded spend was last written."""
    return f"time() - max by ({n.L_TEAM}) (timestamp({n.R_TEAM_TODAY}))"


def stale_window(spec: Spec) -> str:
    """How long recorded spend may go without a sample: five minutes, or three ledger intervals."""
    return durations.render(max(300.0, 3 * spec.ledger_interval_seconds))


def _failures(spec: Spec) -> Alert:
    return Alert(
        n.A_RULE_FAILURES, "critical",
        f"{group_increase(n.PROM_RULE_FAILURES, FAILURE_WINDOW)} > 0",
        summary="aicost rules are failing in {label:rule_group}",
        description=("{value:num} rule evaluations of {label:rule_group} failed in the last " + FAILURE_WINDOW +
                     ": the spend they record is missing, and every alert on it is blind."),
        action="Read the rule's lastError on Prometheus' /rules page (a timeout, too many samples, a missing series) and fix it",
        per_team=False, group=n.G_HEALTH,
    )


def _slow(spec: Spec) -> Alert:
    share = spec.thresholds.rule_group_duration_share
    return Alert(
        n.A_RULE_GROUP_SLOW, "warning",
        f"100 * {group_load()} > {share * 100:g}",
        summary="aicost rule group {label:rule_group} is slow",
        description=("Its last evaluation took {value:pct}% of its interval (the limit is " + f"{share:.0%}" +
                     "). Past 100% Prometheus skips evaluations and the ledger loses the spend of each one skipped."),
        action="Give Prometheus more CPU or raise evaluation_interval (benchmarks/rules.py sizes it)",
        per_team=False, group=n.G_HEALTH,
    )


def _missed(spec: Spec) -> Alert:
    return Alert(
        n.A_RULE_GROUP_MISSED, "critical",
        f"{group_increase(n.PROM_RULE_MISSED, MISSED_WINDOW)} > 0",
        summary="aicost rule group {label:rule_group} missed evaluations",
        description=("It missed about {value:num} evaluations in the last " + MISSED_WINDOW + ": the spend of "
                     "each missed window is not in today's totals, and budget alerts lag."),
        action="Make the group fit its interval (see AICostRuleGroupSlow), then run aicost backfill for the lost time",
        per_team=False, group=n.G_HEALTH,
    )


def _spend_stale(spec: Spec) -> Alert:
    window = stale_window(spec)
    raw = f"present_over_time({n.SPEND}[{window}]) or present_over_time({n.API_TOKENS}[{window}])"
    # Shifted back a millisecond: a recorded sample exactly one window old counts the same under
    # Prometheus 2's closed and 3's left-open ranges.
    recorded = f"present_over_time({n.R_TEAM_TODAY}[{window}] offset 1ms)"
    # After a long outage of the ledger, today is withheld on purpose until its next recount
    # (at most ten minutes): the spend group says so, and is not stale.
    withheld = f"last_over_time({n.R_TODAY_TRUSTED}[{window}]) == 0"
    return Alert(
        n.A_SPEND_STALE, "critical",
        f"group by ({n.L_TEAM}) ({raw})\nunless on ({n.L_TEAM}) {recorded}\nunless on () {withheld}",
        summary="Team {label:team}'s recorded spend is stale",
        description=(f"Raw spend of team {{label:team}} keeps arriving, but its recorded spend has no sample for {window}: "
                     "its budget, anomaly and forecast alerts are blind."),
        action="Check the aicost-spend group on Prometheus' /rules page (errors, evaluation time) and that its rule file is loaded",
        group=n.G_HEALTH,
    )


def _constants_missing(spec: Spec) -> Alert:
    teams = len(spec.teams)
    loaded = f"count(present_over_time({n.C_TEAM_INFO}[5m])) or vector(0)"
    return Alert(
        n.A_CONSTANTS_MISSING, "critical",
        f"({loaded}) < {teams}",
        summary="aicost's constant series are missing",
        description=("Only {value:int} of the spec's " + f"{teams} teams have their constants (budgets, thresholds) in "
                     "Prometheus: without them budget alerts cannot fire."),
        action="Load rendered/prometheus/rules/aicost-constants.yml (rule_files) and reload Prometheus",
        per_team=False, group=n.G_HEALTH,
    )


def alerts(spec: Spec) -> list[Alert]:
    """Failing, slow and missed rule groups, stale recorded spend, missing constants."""
    return [_failures(spec), _slow(spec), _missed(spec), _spend_stale(spec), _constants_missing(spec)]
