"""The recording rules of the catalogue: the spec as constant series, calendar spend, signals."""

from __future__ import annotations

from generator import names as n
from generator import promql as q
from generator.catalogue.thresholds import idle_gpus, spend_floor
from generator.model import Spec


def _const(metric: str, value: float, **labels: str) -> dict:
    return {"record": metric, "expr": f"vector({q.number(value)})", "labels": dict(sorted(labels.items()))}


def constant_rules(spec: Spec) -> list[dict]:
    """The spec as constant series: budgets, prices, thresholds that differ from the org's."""
    rules = [_const(n.C_ORG_BUDGET, spec.org_daily_budget, period="daily"),
             _const(n.C_ORG_BUDGET, spec.org_monthly_budget, period="monthly")]
    for mp in spec.models:
        rules.append(_const(n.C_MODEL_PRICE, mp.input_per_million / 1e6, model=mp.name, direction="input"))
        rules.append(_const(n.C_MODEL_PRICE, mp.output_per_million / 1e6, model=mp.name, direction="output"))
    for g in spec.gpus:
        rules.append(_const(n.C_GPU_PRICE, g.hourly, type=g.name))
    for t in spec.teams:
        rules.append(_const(n.C_TEAM_INFO, 1, team=t.name, owner=t.owner, cost_center=t.cost_center,
                            environment=t.environment))
        rules.append(_const(n.C_TEAM_BUDGET, t.daily_budget, team=t.name, period="daily"))
        rules.append(_const(n.C_TEAM_BUDGET, t.monthly_budget, team=t.name, period="monthly"))
        for key, value in t.overrides:
            rules.append(_const(n.C_TEAM_THRESHOLD, value, team=t.name, threshold=key))
        for model_name, tokens in t.token_budgets:
            rules.append(_const(n.C_TOKEN_BUDGET, tokens, team=t.name, model=model_name))
        if t.training_default_budget is not None:
            rules.append(_const(n.C_TRAINING_DEFAULT_BUDGET, t.training_default_budget, team=t.name))
        for exp, budget in t.experiments:
            rules.append(_const(n.C_EXPERIMENT_BUDGET, budget, team=t.name, project=exp))
        for tier in t.user_tiers:
            rules.append(_const(n.C_TIER_USERS, tier.users, team=t.name, tier=tier.name))
            rules.append(_const(n.C_TIER_REVENUE, tier.revenue_per_user, team=t.name, tier=tier.name))
            for p in tier.projects:
                rules.append(_const(n.C_TIER_PROJECT, 1, team=t.name, tier=tier.name, project=p))
    return rules


def spend_rules() -> list[dict]:
    """Calendar spend: today, yesterday, month to date, at every level the alerts read."""
    return [
        {"record": n.R_TPC_TODAY, "expr": q.spend_today()},
        {"record": n.DAILY_SPEND, "expr": f"sum by (team, category) ({n.R_TPC_TODAY})"},
        {"record": n.R_TEAM_TODAY, "expr": f"sum by (team) ({n.R_TPC_TODAY})"},
        {"record": n.R_ORG_TODAY, "expr": f"sum({n.R_TPC_TODAY})"},
        {"record": n.R_TPC_YESTERDAY, "expr": q.spend_yesterday()},
        {"record": n.R_TPC_MONTH, "expr": q.month_to_date()},
        {"record": n.R_TEAM_MONTH, "expr": f"sum by (team) ({n.R_TPC_MONTH})"},
        {"record": n.R_ORG_MONTH, "expr": f"sum({n.R_TPC_MONTH})"},
        {"record": n.BUDGET_UTILIZATION, "labels": {"period": "daily"},
         "expr": f'{n.R_TEAM_TODAY} / on (team) {n.C_TEAM_BUDGET}{{period="daily"}}'},
        {"record": n.BUDGET_UTILIZATION, "labels": {"period": "monthly"},
         "expr": f'{n.R_TEAM_MONTH} / on (team) {n.C_TEAM_BUDGET}{{period="monthly"}}'},
        {"record": n.R_TEAM_MODEL_TOKENS_TODAY, "expr": q.tokens_today()},
    ]


def signal_rules(spec: Spec) -> list[dict]:
    """Forecast, anomaly statistics, trend, cost per request, per user and per experiment."""
    t = spec.thresholds
    return [
        {"record": n.R_TEAM_FORECAST, "expr": q.month_forecast()},
        {"record": n.R_TEAM_HISTORY, "expr": q.same_time_history(t.anomaly_window_days)},
        {"record": n.R_TEAM_HIST_COUNT, "expr": f"count by (team) ({n.R_TEAM_HISTORY})"},
        {"record": n.R_TEAM_HIST_MEAN, "expr": f"avg by (team) ({n.R_TEAM_HISTORY})"},
        {"record": n.R_TEAM_HIST_STDDEV, "expr": q.sample_stddev_or_tenth_of_mean()},
        {"record": n.R_TEAM_ZSCORE, "expr": (
            f"(({n.R_TEAM_TODAY} - on (team) {n.R_TEAM_HIST_MEAN}) / on (team) {n.R_TEAM_HIST_STDDEV})\n"
            f"and on (team) ({n.R_TEAM_HIST_COUNT} >= on (team) {q.team_threshold('anomaly_min_history_days', t.anomaly_min_history_days)})\n"
            f"and on (team) ({n.R_TEAM_TODAY} >= on (team) {spend_floor(spec)}"
            f" or on (team) {n.R_TEAM_HIST_MEAN} >= on (team) {spend_floor(spec)})")},
        {"record": n.R_TEAM_WEEK, "expr": q.week_spend()},
        {"record": n.R_TEAM_ENDPOINT_P95, "expr": q.p95_cost("5m")},
        # The baseline skips the last hour so that a regression does not raise its own bar.
        {"record": n.R_TEAM_ENDPOINT_P95_BASELINE, "expr": q.p95_cost("7d", offset="1h")},
        {"record": n.R_TEAM_TIER_COST_PER_USER, "expr": (
            f"sum by (team, tier) ({n.R_TPC_MONTH} * on (team, project) group_left (tier) {n.C_TIER_PROJECT})\n"
            f"/ on (team, tier) {n.C_TIER_USERS}")},
        # Idle dollars today: each 5-minute step of today in which the GPU was idle costs 1/12 of its hour.
        {"record": n.R_GPU_IDLE_COST_TODAY, "expr": (
            f"sum_over_time((({n.GPU_HOURLY_COST} and on (instance, gpu) ({idle_gpus(spec)})) / 12"
            f" and on () {q.in_today()})[1d:{q.STEP}])")},
        {"record": n.R_TEAM_PROJECT_TRAINING, "expr": (
            f'sum by (team, project) (increase({n.SPEND}{{category="training"}}[{spec.training_window}]))')},
    ]
