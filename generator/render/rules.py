"""Prometheus rule files: spec constants, spend recording rules, signals, and the alerts.

The number of rules does not grow with the number of teams except for the constants:
every alert is one rule (or one per severity/direction) that joins live series to the
constant series on `team`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator import names as n
from generator.model import Model
from generator.render import promql as q
from generator.render.annotations import to_template


def number(x: float) -> str:
    """A PromQL number literal, exact and stable (repr of the float)."""
    return repr(float(x)) if not float(x).is_integer() else str(int(x))


def _const(metric: str, value: float, **labels: str) -> dict:
    return {"record": metric, "expr": f"vector({number(value)})", "labels": dict(sorted(labels.items()))}


def constant_rules(model: Model) -> list[dict]:
    """The spec as constant series: budgets, prices, thresholds that differ from the org's."""
    rules = [_const(n.C_ORG_BUDGET, model.org_daily_budget, period="daily"),
             _const(n.C_ORG_BUDGET, model.org_monthly_budget, period="monthly")]
    for mp in model.models:
        rules.append(_const(n.C_MODEL_PRICE, mp.input_per_million / 1e6, model=mp.name, direction="input"))
        rules.append(_const(n.C_MODEL_PRICE, mp.output_per_million / 1e6, model=mp.name, direction="output"))
    for g in model.gpus:
        rules.append(_const(n.C_GPU_PRICE, g.hourly, type=g.name))
    for t in model.teams:
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


def signal_rules(model: Model) -> list[dict]:
    """Forecast, anomaly statistics, trend, cost per request, per user and per experiment."""
    t = model.thresholds
    return [
        {"record": n.R_TEAM_FORECAST, "expr": q.month_forecast()},
        {"record": n.R_TEAM_HISTORY, "expr": q.same_time_history(t.anomaly_window_days)},
        {"record": n.R_TEAM_HIST_COUNT, "expr": f"count by (team) ({n.R_TEAM_HISTORY})"},
        {"record": n.R_TEAM_HIST_MEAN, "expr": f"avg by (team) ({n.R_TEAM_HISTORY})"},
        {"record": n.R_TEAM_HIST_STDDEV, "expr": q.sample_stddev_or_tenth_of_mean()},
        {"record": n.R_TEAM_ZSCORE, "expr": (
            f"(({n.R_TEAM_TODAY} - on (team) {n.R_TEAM_HIST_MEAN}) / on (team) {n.R_TEAM_HIST_STDDEV})\n"
            f"and on (team) ({n.R_TEAM_HIST_COUNT} >= on (team) {q.team_threshold('anomaly_min_history_days', t.anomaly_min_history_days)})\n"
            f"and on (team) ({n.R_TEAM_TODAY} >= on (team) {_floor(model)}"
            f" or on (team) {n.R_TEAM_HIST_MEAN} >= on (team) {_floor(model)})")},
        {"record": n.R_TEAM_WEEK, "expr": q.week_spend()},
        {"record": n.R_TEAM_ENDPOINT_P95, "expr": q.p95_cost("5m")},
        # The baseline skips the last hour so that a regression does not raise its own bar.
        {"record": n.R_TEAM_ENDPOINT_P95_BASELINE, "expr": q.p95_cost("7d", offset="1h")},
        {"record": n.R_TEAM_TIER_COST_PER_USER, "expr": (
            f"sum by (team, tier) ({n.R_TPC_MONTH} * on (team, project) group_left (tier) {n.C_TIER_PROJECT})\n"
            f"/ on (team, tier) {n.C_TIER_USERS}")},
        # Idle dollars today: each 5-minute step of today in which the GPU was idle costs 1/12 of its hour.
        {"record": n.R_GPU_IDLE_COST_TODAY, "expr": (
            f"sum_over_time((({n.GPU_HOURLY_COST} and on (instance, gpu) ({_idle(model)})) / 12"
            f" and on () {q.in_today()})[1d:{q.STEP}])")},
        {"record": n.R_TEAM_PROJECT_TRAINING, "expr": (
            f'sum by (team, project) (increase({n.SPEND}{{category="training"}}[{model.training_window}]))')},
    ]


def _idle(model: Model) -> str:
    """GPUs under their team's idle threshold (the org's for hosts of unknown teams)."""
    return (f"{n.GPU_UTILIZATION} < on (team) group_left () {_th(model, 'gpu_idle_percent')}\n"
            f"or ({n.GPU_UTILIZATION} unless on (team) {n.C_TEAM_INFO}) < {number(model.thresholds.gpu_idle_percent)}")


def _floor(model: Model) -> str:
    return q.team_threshold("min_daily_spend", model.thresholds.min_daily_spend)


def _th(model: Model, name: str) -> str:
    return q.team_threshold(name, getattr(model.thresholds, name))


@dataclass(frozen=True)
class Alert:
    """One alerting rule before the enrichment pass adds links and the severity label."""

    name: str
    severity: str
    expr: str
    summary: str
    description: str
    action: str
    labels: dict = field(default_factory=dict)
    per_team: bool = True


def _budget_alerts(model: Model) -> list[Alert]:
    out = []
    for period, spend, alert_x, alert_w in (
        ("daily", n.R_TEAM_TODAY, n.A_DAILY_EXCEEDED, n.A_DAILY_WARNING),
        ("monthly", n.R_TEAM_MONTH, n.A_MONTHLY_EXCEEDED, n.A_MONTHLY_WARNING),
    ):
        when = "today (since 00:00 UTC)" if period == "daily" else "this month (since the 1st, UTC)"
        for alert, key, sev in ((alert_x, "budget_exceeded", "critical"), (alert_w, "budget_warning", "warning")):
            expr = (f'{spend} > on (team) ({n.C_TEAM_BUDGET}{{period="{period}"}} * on (team) {_th(model, key)})\n'
                    f"and on (team) {spend} >= on (team) {_floor(model)}")
            verb = "has exceeded" if sev == "critical" else "is at {query:pct_%s:pct}%% of" % period
            out.append(Alert(
                alert, sev, expr,
                summary=f"Team {{label:team}} {verb} its {period} AI budget",
                description=(f"Team {{label:team}} has spent ${{value:money}} {when}, "
                             f"{{query:pct_{period}:pct}}% of its {period} budget of ${{query:budget_{period}:money}}."),
                action=("Block new requests, notify team lead and finance" if sev == "critical"
                        else "Review usage, consider rate limiting"),
            ))
    return out


def alerts(model: Model) -> list[Alert]:
    """Every alert of the contract, in a stable order."""
    t = model.thresholds
    floor = _floor(model)
    out = _budget_alerts(model)
    out.append(Alert(
        n.A_MONTHLY_FORECAST, "warning",
        (f'{n.R_TEAM_FORECAST} > on (team) {n.C_TEAM_BUDGET}{{period="monthly"}}\n'
         f"and on (team) ({_th(model, 'forecast_min_days')} <= on () group_left () day_of_month())\n"
         f"and on (team) {n.R_TEAM_MONTH} >= on (team) {floor}"),
        summary="Team {label:team} is on course to exceed its monthly AI budget",
        description=("At this month's pace team {label:team} will spend ${value:money} by month end, "
                     "over its monthly budget of ${query:budget_monthly:money} (spent so far: ${query:spend_month:money})."),
        action="Review the month's biggest spenders and cap them before the budget runs out",
    ))
    for period, spend in (("daily", n.R_ORG_TODAY), ("monthly", n.R_ORG_MONTH)):
        out.append(Alert(
            n.A_ORG_EXCEEDED, "critical",
            f'{spend} > on () ({n.C_ORG_BUDGET}{{period="{period}"}} * {number(t.org_budget_exceeded)})',
            summary=f"Total AI spend is over {t.org_budget_exceeded * 100:g}% of the {period} budget",
            description=(f"{model.org_name} has spent ${{value:money}} on AI {'today' if period == 'daily' else 'this month'}; "
                         f"the {period} budget is ${{query:org_budget_{period}:money}}."),
            action="Block new requests, notify team leads and finance",
            labels={"period": period}, per_team=False,
        ))
    zw, zc = _th(model, "anomaly_z_warning"), _th(model, "anomaly_z_critical")
    for sev, direction, cond in (("warning", "spike", f"> on (team) {zw}"),
                                 ("warning", "drop", f"< on (team) (-1 * {zw})"),
                                 ("critical", "spike", f"> on (team) {zc}")):
        out.append(Alert(
            n.A_ANOMALY, sev, f"{n.R_TEAM_ZSCORE} {cond}",
            summary=f"Anomalous cost {direction} for team {{label:team}}",
            description=("Team {label:team} has spent ${query:spend_today:money} today; by this time of day it "
                         "usually has spent ${query:hist_mean:money} +/- ${query:hist_stddev:money} (z-score {value:num})."),
            action=("Investigate immediately, may indicate runaway job" if sev == "critical" else
                    "Check for new deployments, traffic spikes, runaway batch jobs or pricing changes" if direction == "spike"
                    else "Check that the team's services and exporters still report spend"),
            labels={n.L_DIRECTION_ANOMALY: direction},
        ))
    out.append(Alert(
        n.A_GPU_IDLE, "warning",
        _idle(model),
        summary="GPU {label:gpu} on {label:instance} is idle",
        description=("GPU {label:gpu} ({label:type}) on {label:instance} of team {label:team} has been at "
                     "{value:num}% utilization for " + model.for_(n.A_GPU_IDLE) +
                     "; it costs ${query:gpu_hourly:money} an hour."),
        action="Auto-shutdown if non-production",
    ))
    out.append(Alert(
        n.A_COST_PER_REQUEST, "warning",
        (f"{n.R_TEAM_ENDPOINT_P95} > on (team, endpoint)\n"
         f"({n.R_TEAM_ENDPOINT_P95_BASELINE} * on (team) group_left () {_th(model, 'cost_per_request_factor')})"),
        summary="Cost per request of {label:endpoint} is far above its baseline",
        description=("p95 cost per request of endpoint {label:endpoint} (team {label:team}) is ${value:money}; "
                     "its p95 over the previous 7 days is ${query:p95_baseline:money}."),
        action="Check for prompt bloat or model misconfiguration",
    ))
    out.append(Alert(
        n.A_TOKEN_BUDGET, "warning",
        f"{n.R_TEAM_MODEL_TOKENS_TODAY} > on (team, model) {n.C_TOKEN_BUDGET}",
        summary="Team {label:team} is over its daily {label:model} token budget",
        description="Team {label:team} has used {value:int} {label:model} tokens today; its daily budget is {query:token_budget:int}.",
        action="Review usage, consider rate limiting or a cheaper model",
    ))
    out.append(Alert(
        n.A_TREND, "warning",
        (f"{n.R_TEAM_WEEK} > on (team) ({n.R_TEAM_WEEK} offset 7d * on (team) (1 + {_th(model, 'trend_week_over_week')}))\n"
         f"and on (team) ({n.R_TEAM_WEEK} offset 7d) >= on (team) (7 * {floor})"),
        summary="AI spend of team {label:team} is trending up week over week",
        description="Team {label:team} spent ${value:money} in the last 7 days against ${query:week_before:money} in the 7 days before.",
        action="Review what changed this week: traffic, models, new jobs",
    ))
    out.append(Alert(
        n.A_COST_PER_USER, "warning",
        f"{n.R_TEAM_TIER_COST_PER_USER} > on (team, tier) {n.C_TIER_REVENUE}",
        summary="Cost per user of tier {label:tier} exceeds its revenue per user",
        description=("This month tier {label:tier} of team {label:team} has cost ${value:money} per user, "
                     "more than its revenue of ${query:tier_revenue:money} per user."),
        action="Review the tier's model choice, quotas or pricing",
    ))
    exp = n.C_EXPERIMENT_BUDGET
    out.append(Alert(
        n.A_TRAINING, "warning",
        (f"{n.R_TEAM_PROJECT_TRAINING} > on (team, project) group_left () {exp}\n"
         f"or ({n.R_TEAM_PROJECT_TRAINING} unless on (team, project) {exp})"
         f" > on (team) group_left () {n.C_TRAINING_DEFAULT_BUDGET}"),
        summary="Training experiment {label:project} of team {label:team} is over budget",
        description=f"Experiment {{label:project}} has cost ${{value:money}} over the last {model.training_window}.",
        action="Stop or checkpoint the experiment and review its budget",
    ))
    out.append(Alert(
        n.A_UNTAGGED, "warning",
        (f"sum by (team) (increase({n.SPEND}[{model.untagged_spend_window}]) unless on (team) {n.C_TEAM_INFO}) > 0"),
        summary="AI spend without a known team",
        description=(f"${{value:money}} was spent in the last {model.untagged_spend_window} under team "
                     "'{label:team}', which is not a team of the spec (empty means no team tag)."),
        action="Fix resource tagging: every resource needs " + ", ".join(model.required_tags),
        per_team=False,
    ))
    sw = model.silence_window
    out.append(Alert(
        n.A_DATA_MISSING, "warning",
        (f"group by (team) (present_over_time({n.SPEND}[1d]))\n"
         f"unless on (team) group by (team) (present_over_time({n.SPEND}[{sw}]))"),
        summary="Team {label:team} stopped reporting AI spend",
        description=f"Team {{label:team}} reported spend in the last day but nothing for {sw}; no data is not $0.",
        action="Check the team's exporters and instrumented services",
        labels={"scope": "team"},
    ))
    out.append(Alert(
        n.A_DATA_MISSING, "warning",
        f'max_over_time(up{{job=~"{n.EXPORTER_JOB}|{n.APP_JOB}"}}[{sw}]) == 0',
        summary="Cost exporter {label:instance} is down",
        description=f"Scrape target {{label:instance}} of job {{label:job}} has been down for {sw}; its spend is not counted.",
        action="Restart the exporter or the instrumented service",
        labels={"scope": "exporter"}, per_team=False,
    ))
    return out


def dashboard_link(model: Model, alert: Alert) -> str:
    """The dashboard annotation, in the annotation placeholder language: a per-team alert lands
    on the team dashboard with its team selected, the others on the overview."""
    if alert.per_team:
        return f"{model.grafana_url}/d/{n.dashboard_uid(n.TEAM_DASHBOARD)}/team?var-team={{label:team}}"
    return f"{model.grafana_url}/d/{n.dashboard_uid(n.OVERVIEW_DASHBOARD)}/overview"


def enrich(model: Model, alert: Alert) -> dict:
    """The cross-cutting pass: severity label, `for`, runbook and dashboard links on every alert."""
    annotations = {
        "summary": to_template(alert.summary),
        "description": to_template(alert.description),
        "action": alert.action,
        "runbook_url": f"{model.runbook_base_url}#{alert.name.lower()}",
        "dashboard": to_template(dashboard_link(model, alert)),
    }
    return {
        "alert": alert.name,
        "expr": alert.expr,
        "for": model.for_(alert.name),
        "labels": {n.L_SEVERITY: alert.severity, **alert.labels},
        "annotations": annotations,
    }


def render_rule_files(model: Model) -> dict[str, dict]:
    """rules/<group>.yml -> rule file content."""
    groups = {
        n.G_CONSTANTS: constant_rules(model),
        n.G_SPEND: spend_rules(),
        n.G_SIGNALS: signal_rules(model),
        n.G_ALERTS: [enrich(model, a) for a in alerts(model)],
    }
    return {f"{g}.yml": {"groups": [{"name": g, "rules": rules}]} for g, rules in groups.items()}
