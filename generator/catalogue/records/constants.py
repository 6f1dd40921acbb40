"""The spec as constant series: budgets, thresholds that differ from the org's, tiers, experiments."""

from __future__ import annotations

from typing import NamedTuple

from generator import names as n
from generator import promql as q
from generator.model import Spec


class Constant(NamedTuple):
    """One number of the spec as a series: what the constants group records, and what a promtool
    test feeds instead where loading the whole organisation's constants would be too much."""

    metric: str
    value: float
    labels: dict  # as given: every reader looks them up by name, and the YAML writer sorts keys

    @property
    def literal(self) -> str:
        """The value as PromQL and promtool write it."""
        return q.number(self.value)

    def rule(self) -> dict:
        """The recording rule of the constants group."""
        return {"record": self.metric, "expr": f"vector({self.literal})", "labels": self.labels}


def _const(metric: str, value: float, **labels: str) -> Constant:
    return Constant(metric, value, labels)


def constants(spec: Spec) -> list[Constant]:
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
        for action in t.enforce.actions:
            rules.append(_const(n.C_TEAM_ENFORCE, 1, team=t.name, action=action))
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
