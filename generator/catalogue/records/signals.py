"""Signals read from the calendar spend: forecast, anomaly statistics, the weekly trend, cost per
user of a tier, an experiment's training spend. All in the ledger's group, after the calendar."""

from __future__ import annotations

from generator import names as n
from generator import promql as q
from generator.catalogue.records.calendar import rolling_days
from generator.catalogue.constants import constant, spend_floor, threshold
from generator.model import Spec

# A deviation under a cent, or under a millionth of the mean, is float noise: amounts in cents
# summed by Prometheus leave ~1e-11 where the true deviation is 0 (identical days).
CENT = 0.01
RELATIVE_NOISE = 1e-6


def month_forecast() -> str:
    """Month-end spend if this month's average daily spend so far continues (none at 00:00 on the 1st)."""
    elapsed_days = f"day_of_month() - 1 + (vector(time()) % {q.DAY}) / {q.DAY}"
    return f"{n.R_TEAM_MONTH} / {q.on()} group_left () ({elapsed_days} > 0) * scalar(days_in_month())"


def same_time_history(window_days: int) -> str:
    """Each team's spend at this time of day on each of the previous `window_days` days."""
    terms = [f'label_replace({n.R_TEAM_TODAY} offset {k}d, "{n.L_DAYS_AGO}", "{k}", "", "")'
             for k in range(1, window_days + 1)]
    return "\nor ".join(terms)


def sample_stddev_or_tenth_of_mean() -> str:
    """The seed's deviation: *sample* stddev (n-1) of the history; 10 % of the mean when it is 0.

    Two-pass (sum of squared deviations from the mean). A deviation under a cent or under a
    millionth of the mean counts as 0: with amounts in cents, float noise would otherwise leave
    ~1e-11 and turn a +30 % day into a z-score of 1e12.
    """
    team = q.on(n.L_TEAM)
    squares = (f"sum {q.by(n.L_TEAM)} (({n.R_TEAM_HISTORY} - {team} group_left () {n.R_TEAM_HIST_MEAN}) ^ 2)\n"
               f"/ {team} ({n.R_TEAM_HIST_COUNT} - 1)")
    deviation = f"sqrt({q.parens(squares)})"
    real = q.join(f"and {team}", f"{deviation} >= {CENT}",
                  f"{deviation} >= {team} ({n.R_TEAM_HIST_MEAN} * {RELATIVE_NOISE})")
    return q.join(f"or {team}", real, f"{n.R_TEAM_HIST_MEAN} * 0.1")


def zscore(spec: Spec) -> str:
    """(today - mean) / deviation, once there is enough history and enough spend to judge."""
    team = q.on(n.L_TEAM)
    floor = spend_floor(spec)
    min_days = threshold(spec, "anomaly_min_history_days")
    enough_spend = q.join(f"or {team}", f"{n.R_TEAM_TODAY} >= {team} {floor}", f"{n.R_TEAM_HIST_MEAN} >= {team} {floor}")
    return "\n".join([
        f"(({n.R_TEAM_TODAY} - {team} {n.R_TEAM_HIST_MEAN}) / {team} {n.R_TEAM_HIST_STDDEV})",
        f"and {team}",
        q.parens(f"{n.R_TEAM_HIST_COUNT} >= {team} {min_days}"),
        f"and {team}",
        q.parens(enough_spend),
    ])


def signal_rules(spec: Spec) -> list[dict]:
    """Forecast, the anomaly detector's statistics, the last 7 days, cost per user, training spend."""
    tier = (n.L_TEAM, n.L_TIER)
    per_user = (f"sum {q.by(*tier)} ({n.R_TPC_MONTH} * {q.on(n.L_TEAM, n.L_PROJECT)} group_left ({n.L_TIER}) "
                f"{constant(spec, n.C_TIER_PROJECT)})\n/ {q.on(*tier)} {constant(spec, n.C_TIER_USERS)}")
    return [
        {"record": n.R_TEAM_FORECAST, "expr": month_forecast()},
        {"record": n.R_TEAM_HISTORY, "expr": same_time_history(spec.thresholds.anomaly_window_days)},
        {"record": n.R_TEAM_HIST_COUNT, "expr": f"count {q.by(n.L_TEAM)} ({n.R_TEAM_HISTORY})"},
        {"record": n.R_TEAM_HIST_MEAN, "expr": f"avg {q.by(n.L_TEAM)} ({n.R_TEAM_HISTORY})"},
        {"record": n.R_TEAM_HIST_STDDEV, "expr": sample_stddev_or_tenth_of_mean()},
        {"record": n.R_TEAM_ZSCORE, "expr": zscore(spec)},
        {"record": n.R_TEAM_WEEK, "expr": rolling_days(7, (n.L_TEAM,))},
        {"record": n.R_TEAM_TIER_COST_PER_USER, "expr": per_user},
        {"record": n.R_TEAM_PROJECT_TRAINING,
         "expr": rolling_days(spec.training_window_days, (n.L_TEAM, n.L_PROJECT), **{n.L_CATEGORY: "training"})},
    ]
