"""The spec as constant series: budgets, thresholds that differ from the org's, tiers, experiments."""

from __future__ import annotations

from generator import names as n
from generator import promql as q
from generator.model import Spec


def _const(metric: str, value: float, **labels: str) -> dict:
    # labels as given: every reader looks them up by name, and the YAML writer sorts keys
    return {"record": metric, "expr": f"vector({q.number(value)})", "labels": labels}


def constant_rules(spec: Spec) -> list[dict]:
    """Every number of the spec the rules join on; model prices live in the ledger's group."""
    rules = [_const(n.C_ORG_BUDGET, spec.org_daily_budget, period="daily"),
             _const(n.C_ORG_BUDGET, spec.org_monthly_budget, period="monthly")]
    for g in spec.gpus:
        rules.append(_const(n.C_GPU_PRICE, g.hourly, type=g.name))
    for t in spec.teams:
        rules.append(_const(n.C_TEAM_INFO, 1, team=t.name, owner=t.owner, cost_center=t.cost_center,
                            environment=t.environment))
        rules.append(_const(n.C_TEAM_BUDGET, t.daily_budget, team=t.name, period="daily"))
        rules.append(_const(n.C_TEAM_BUDGET, t.monthly_budget, team=t.name, period="monthly"))
        for key, value in t.overrides:
            rules.append(_const(n.C_TEAM_THRESHOLD, value, team=t.name, threshold=key))
        for ai_model, tokens in t.token_budgets:
            rules.append(_const(n.C_TOKEN_BUDGET, tokens, team=t.name, model=ai_model))
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
