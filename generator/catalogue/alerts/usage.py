"""Usage alerts: cost per request, daily token budgets, unpriced tokens, cost per user of a tier, training experiments."""

from __future__ import annotations

from generator import names as n
from generator import promql as q
from generator.catalogue.alert import Alert
from generator.catalogue.constants import constant, threshold
from generator.model import Spec


def _cost_per_request(spec: Spec) -> Alert:
    return Alert(
        n.A_COST_PER_REQUEST, "warning",
        (f"{n.R_TEAM_ENDPOINT_P95} > {q.on(n.L_TEAM, n.L_ENDPOINT)}\n"
         f"({n.R_TEAM_ENDPOINT_P95_BASELINE} * {q.on(n.L_TEAM)} group_left () {threshold(spec, 'cost_per_request_factor')})"),
        summary="Cost per request of {label:endpoint} is far above its baseline",
        description=("p95 cost per request of endpoint {label:endpoint} (team {label:team}) is ${value:money}; "
                     "its p95 over the previous 7 days is ${query:p95_baseline:money}."),
        action="Check for prompt bloat or model misconfiguration",
        group=n.G_SIGNALS,
    )


def _tokens(spec: Spec) -> Alert:
    return Alert(
        n.A_TOKEN_BUDGET, "warning",
        f"{n.R_TEAM_MODEL_TOKENS_TODAY} > {q.on(n.L_TEAM, n.L_MODEL)} {constant(spec, n.C_TOKEN_BUDGET)}",
        summary="Team {label:team} is over its daily {label:model} token budget",
        description="Team {label:team} has used {value:int} {label:model} tokens today; its daily budget is {query:token_budget:int}.",
        action="Review usage, consider rate limiting or a cheaper model",
    )


def _unpriced_tokens(spec: Spec) -> Alert:
    return Alert(
        n.A_UNPRICED_TOKENS, "warning",
        f"{n.R_UNPRICED_TOKENS_TODAY} > 0",
        summary="Team {label:team} uses model {label:model}, which has no price",
        description=("Team {label:team} has used {value:int} tokens of {label:model} today; no price in prices.yaml "
                     "covers that name, so they are not in its spend."),
        action="Add the model, or the name as an alias of its model, to prices.yaml",
    )


def _cost_per_user(spec: Spec) -> Alert:
    return Alert(
        n.A_COST_PER_USER, "warning",
        f"{n.R_TEAM_TIER_COST_PER_USER} > {q.on(n.L_TEAM, n.L_TIER)} {constant(spec, n.C_TIER_REVENUE)}",
        summary="Cost per user of tier {label:tier} exceeds its revenue per user",
        description=("This month tier {label:tier} of team {label:team} has cost ${value:money} per user, "
                     "more than its revenue of ${query:tier_revenue:money} per user."),
        action="Review the tier's model choice, quotas or pricing",
    )


def _training(spec: Spec) -> Alert:
    exp, default = constant(spec, n.C_EXPERIMENT_BUDGET), constant(spec, n.C_TRAINING_DEFAULT_BUDGET)
    return Alert(
        n.A_TRAINING, "warning",
        (f"# an experiment with its own budget\n"
         f"{n.R_TEAM_PROJECT_TRAINING} > {q.on(n.L_TEAM, n.L_PROJECT)} group_left () {exp}\n"
         f"or\n# the others, against the team's default\n"
         f"({n.R_TEAM_PROJECT_TRAINING} unless {q.on(n.L_TEAM, n.L_PROJECT)} {exp})\n"
         f"> {q.on(n.L_TEAM)} group_left () {default}"),
        summary="Training experiment {label:project} of team {label:team} is over budget",
        description=f"Experiment {{label:project}} has cost ${{value:money}} over the last {spec.training_window}.",
        action="Stop or checkpoint the experiment and review its budget",
    )


def alerts(spec: Spec) -> list[Alert]:
    """Cost per request, token budgets, cost per user, training experiments."""
    return [_cost_per_request(spec), _tokens(spec), _unpriced_tokens(spec), _cost_per_user(spec), _training(spec)]
