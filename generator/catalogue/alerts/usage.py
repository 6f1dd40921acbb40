"""Usage alerts: cost per request, daily token budgets, cost per user of a tier, training experiments."""

from __future__ import annotations

from generator import names as n
from generator.catalogue.alert import Alert
from generator.catalogue.thresholds import threshold
from generator.model import Spec


def _cost_per_request(spec: Spec) -> Alert:
    return Alert(
        n.A_COST_PER_REQUEST, "warning",
        (f"{n.R_TEAM_ENDPOINT_P95} > on (team, endpoint)\n"
         f"({n.R_TEAM_ENDPOINT_P95_BASELINE} * on (team) group_left () {threshold(spec, 'cost_per_request_factor')})"),
        summary="Cost per request of {label:endpoint} is far above its baseline",
        description=("p95 cost per request of endpoint {label:endpoint} (team {label:team}) is ${value:money}; "
                     "its p95 over the previous 7 days is ${query:p95_baseline:money}."),
        action="Check for prompt bloat or model misconfiguration",
    )


def _tokens() -> Alert:
    return Alert(
        n.A_TOKEN_BUDGET, "warning",
        f"{n.R_TEAM_MODEL_TOKENS_TODAY} > on (team, model) {n.C_TOKEN_BUDGET}",
        summary="Team {label:team} is over its daily {label:model} token budget",
        description="Team {label:team} has used {value:int} {label:model} tokens today; its daily budget is {query:token_budget:int}.",
        action="Review usage, consider rate limiting or a cheaper model",
    )


def _cost_per_user() -> Alert:
    return Alert(
        n.A_COST_PER_USER, "warning",
        f"{n.R_TEAM_TIER_COST_PER_USER} > on (team, tier) {n.C_TIER_REVENUE}",
        summary="Cost per user of tier {label:tier} exceeds its revenue per user",
        description=("This month tier {label:tier} of team {label:team} has cost ${value:money} per user, "
                     "more than its revenue of ${query:tier_revenue:money} per user."),
        action="Review the tier's model choice, quotas or pricing",
    )


def _training(spec: Spec) -> Alert:
    exp = n.C_EXPERIMENT_BUDGET
    return Alert(
        n.A_TRAINING, "warning",
        (f"{n.R_TEAM_PROJECT_TRAINING} > on (team, project) group_left () {exp}\n"
         f"or ({n.R_TEAM_PROJECT_TRAINING} unless on (team, project) {exp})"
         f" > on (team) group_left () {n.C_TRAINING_DEFAULT_BUDGET}"),
        summary="Training experiment {label:project} of team {label:team} is over budget",
        description=f"Experiment {{label:project}} has cost ${{value:money}} over the last {spec.training_window}.",
        action="Stop or checkpoint the experiment and review its budget",
    )


def alerts(spec: Spec) -> list[Alert]:
    """Cost per request, token budgets, cost per user, training experiments."""
    return [_cost_per_request(spec), _tokens(), _cost_per_user(), _training(spec)]
