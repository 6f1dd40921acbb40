"""Grafana dashboards (the seed's AI Cost Overview and a team dashboard) and provisioning files."""

from __future__ import annotations

from generator import names as n
from generator.durations import seconds
from generator.catalogue.links import act_preview_url, runbook_url, team_dashboard_path
from generator.model import Spec
from generator.render import dashboard_queries as dq
from generator.render.panels import (
    DATASOURCE, GaugeChart, HeatmapPanel, PieChartPanel, StatPanel, Step, TablePanel, TimeSeriesChart, dashboard,
    make, row, target,
)
from generator.catalogue.alerts import health

FOLDER = "AI Cost"
DASHBOARD_PATH = "/var/lib/grafana/dashboards/aicost"
# Grafana's own placeholders: the clicked series' team, and the datasource chosen on this dashboard.
TEAM_LINK = {"title": "Team dashboard: ${__field.labels.team}", "targetBlank": False,
             "url": team_dashboard_path("${__field.labels.team}") + "&${datasource:queryparam}"}


def _idle_gpu_actions(spec: Spec) -> tuple[dict, ...]:
    """The seed's action buttons on each idle GPU row: the runbook, and `aicost act`'s preview of the
    shutdown it would run (read-only; the shutdown itself only ever comes from the alert)."""
    row = {label: f"${{__data.fields.{label}}}" for label in ("instance", "gpu", "type", "team")}
    links = [{"title": "Runbook: idle GPU", "targetBlank": True, "url": runbook_url(spec, n.A_GPU_IDLE)}]
    if spec.act_url:
        links.append({"title": "Shutdown: preview what aicost act would run", "targetBlank": True,
                      "url": act_preview_url(spec, row)})
    return tuple(links)


def _ratio_steps(spec: Spec) -> tuple[Step, ...]:
    t = spec.thresholds
    return (Step("green", None), Step("yellow", t.budget_warning), Step("red", t.budget_gauge_red))


def _variables(team: bool) -> tuple[dict, ...]:
    ds = {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
          "hide": 0, "refresh": 1, "options": [], "regex": "", "skipUrlSync": False,
          "multi": False, "includeAll": False}
    if not team:
        return (ds,)

    def query_var(name: str, label: str, query: str, multi: bool) -> dict:
        return {"name": name, "label": label, "type": "query", "datasource": DATASOURCE,
                "query": {"query": query, "refId": f"{name}-values", "qryType": 1}, "hide": 0,
                "refresh": 2, "options": [], "regex": "", "sort": 1, "skipUrlSync": False, "multi": multi,
                "includeAll": multi, **({"allValue": ".*"} if multi else {})}

    return (ds,
            query_var("team", "Team", f"label_values({n.C_TEAM_INFO}, team)", False),
            query_var("model", "Model", f'label_values({n.API_TOKENS}{{team="$team"}}, model)', True))


def _links() -> tuple[dict, ...]:
    return ({"title": "AI cost dashboards", "type": "dashboards", "tags": ["aicost"], "asDropdown": True,
             "includeVars": False, "keepTime": True, "icon": "external link", "targetBlank": False, "tooltip": "",
             "url": ""},)


def overview(spec: Spec) -> dict:
    """The seed's AI Cost Monitoring dashboard, every panel with the seed's type and description."""
    t = spec.thresholds
    budget = spec.org_daily_budget
    idle = dq.idle_gpus(t.gpu_idle_percent)
    by_name = lambda name, unit: {"matcher": {"id": "byName", "options": name},  # noqa: E731
                                  "properties": [{"id": "unit", "value": unit}]}
    panels = [
        make(StatPanel, "Total Daily AI Spend", "Total AI spend today across all teams (since 00:00 UTC).",
             [target(dq.total_daily_spend())], (0, 0, 6, 7), "currencyUSD",
             (Step("green", None), Step("yellow", round(t.budget_warning * budget, 2)), Step("red", budget))),
        make(PieChartPanel, "Spend by Team (Today)", "Cost attribution per team. Click a team for its dashboard.",
             [target(dq.spend_by_team_today(), "{{team}}")], (6, 0, 8, 7), "currencyUSD", links=(TEAM_LINK,)),
        make(GaugeChart, "Budget Utilization", "Budget used vs allocated per team (today's spend over the daily budget).",
             [target(dq.budget_utilization("daily"), "{{team}}")], (14, 0, 10, 7), "percentunit",
             _ratio_steps(spec), links=(TEAM_LINK,)),
        make(TimeSeriesChart, "7-Day Cost Trend", "Cost trend with week-over-week comparison: spend today so far, "
             "the same time a week ago, and the month-end forecast.",
             [target(dq.org_spend(), "today so far", "A"), target(dq.org_spend("1w"), "same time last week", "B"),
              target(dq.org_month_forecast(), "month-end forecast", "C")], (0, 7, 24, 8), "currencyUSD"),
        make(TimeSeriesChart, "Cost per Request (p50/p95/p99)", "Cost per request percentiles over time.",
             [target(dq.cost_per_request_quantile(q), f"p{int(q * 100)}", ref)
              for q, ref in ((0.5, "A"), (0.95, "B"), (0.99, "C"))], (0, 15, 12, 8), "currencyUSD"),
        make(TimeSeriesChart, "Token Usage by Model", "Token consumption rate per model.",
             [target(dq.token_rate_by_model(), "{{model}}")], (12, 15, 12, 8), "suffix: tokens/s", stacked=True),
        make(HeatmapPanel, "GPU Utilization Heatmap", "GPU utilization across fleet. Red = idle (wasted money).",
             [target(dq.gpu_utilization(), "{{instance}}/{{gpu}}")], (0, 23, 24, 9), "percent"),
        make(TablePanel, "Idle GPU Instances", f"GPUs below {t.gpu_idle_percent:g}% utilization - candidates for "
             "shutdown, with what they cost an hour and what their idle time cost today.",
             [target(idle["utilization"], ref="A", instant=True, table=True),
              target(idle["hourly"], ref="B", instant=True, table=True),
              target(idle["wasted"], ref="C", instant=True, table=True)], (0, 32, 24, 8),
             transformations=(
                 {"id": "merge", "options": {}},
                 {"id": "organize", "options": {
                     "excludeByName": {"Time": True, "__name__": True, "job": True, "environment": True, "project": True},
                     "indexByName": {"instance": 0, "gpu": 1, "type": 2, "team": 3, "Value #A": 4, "Value #B": 5, "Value #C": 6},
                     "renameByName": {"type": "GPU type", "Value #A": "utilization", "Value #B": "hourly cost",
                                      "Value #C": "wasted today"}}}),
             overrides=(by_name("utilization", "percent"), by_name("hourly cost", "currencyUSD"),
                        by_name("wasted today", "currencyUSD")),
             links=_idle_gpu_actions(spec)),
        make(TablePanel, "Unpriced Tokens (Today)", "Tokens of models that no price or alias in prices.yaml covers: "
             "they are in no spend until the model is priced (AIUnpricedTokens).",
             [target(dq.unpriced_tokens(), ref="A", instant=True, table=True)], (0, 40, 24, 6),
             transformations=({"id": "organize", "options": {
                 "excludeByName": {"Time": True, "__name__": True},
                 "indexByName": {"team": 0, "model": 1, "Value": 2}, "renameByName": {"Value": "tokens today"}}},)),
        *_health_row(spec, 46),
    ]
    return dashboard(n.OVERVIEW_DASHBOARD, n.dashboard_uid(n.OVERVIEW_DASHBOARD),
                     f"AI spend of {spec.org_name}: budgets, anomalies, GPUs, cost per request. Generated by aicost.",
                     panels, _variables(team=False), _links())


def _health_row(spec: Spec, y: int) -> list:
    """aicost watching itself: its rule groups' load, failures and missed evaluations, and how old
    each team's recorded spend is (the health alerts' signals)."""
    share = spec.thresholds.rule_group_duration_share
    stale = health.stale_window(spec)
    return [
        row("aicost health", y),
        make(TimeSeriesChart, "Rule Group Load", "Each aicost rule group's last evaluation time as a share of its "
             f"interval. AICostRuleGroupSlow warns above {share:.0%}; past 100% evaluations are skipped and spend is lost.",
             [target(health.group_load(), "{{rule_group}}")], (0, y + 1, 8, 8), "percentunit",
             (Step("green", None), Step("yellow", share), Step("red", 1))),
        make(TimeSeriesChart, "Rule Failures and Missed Evaluations (1h)", "Failed rule evaluations and skipped "
             "group evaluations of the aicost groups in the last hour: each is spend not recorded.",
             [target(health.group_increase(n.PROM_RULE_FAILURES, "1h"), "failed {{rule_group}}", "A"),
              target(health.group_increase(n.PROM_RULE_MISSED, "1h"), "missed {{rule_group}}", "B")], (8, y + 1, 8, 8), "short",
             (Step("green", None), Step("red", 1))),
        make(TimeSeriesChart, "Age of Recorded Spend", "Seconds since each team's recorded spend was last written. "
             f"AICostSpendStale pages past {stale} while raw spend keeps arriving.",
             [target(health.recorded_spend_age(), "{{team}}")], (16, y + 1, 8, 8), "s",
             (Step("green", None), Step("red", seconds(stale)))),
    ]


def team(spec: Spec) -> dict:
    """One dashboard for every team (pick it with the `team` variable; alerts link here with var-team)."""
    panels = [
        make(StatPanel, "Spend Today", "The team's spend since 00:00 UTC.",
             [target(dq.team_stat(n.R_TEAM_TODAY))], (0, 0, 6, 6), "currencyUSD"),
        make(StatPanel, "Spend This Month", "The team's spend since the 1st (UTC).",
             [target(dq.team_stat(n.R_TEAM_MONTH))], (6, 0, 6, 6), "currencyUSD"),
        make(StatPanel, "Month-End Forecast", "Where this month ends if the month's pace so far continues.",
             [target(dq.team_stat(n.R_TEAM_FORECAST))], (12, 0, 6, 6), "currencyUSD"),
        make(GaugeChart, "Budget Used", "Spend vs budget, today and this month.",
             [target(dq.budget_utilization("daily", dq.TEAM_MATCHER), "today", "A"),
              target(dq.budget_utilization("monthly", dq.TEAM_MATCHER), "this month", "B")], (18, 0, 6, 6), "percentunit",
             _ratio_steps(spec)),
        make(PieChartPanel, "Spend by Project (Today)", "The team's spend today by project.",
             [target(dq.team_spend_by("project"), "{{project}}")], (0, 6, 8, 8), "currencyUSD"),
        make(PieChartPanel, "Spend by Category (Today)", "The team's spend today by category (api, compute, training...).",
             [target(dq.team_spend_by("category"), "{{category}}")], (8, 6, 8, 8), "currencyUSD"),
        make(TimeSeriesChart, "API Spend by Model", "The team's API dollars per hour by model.",
             [target(dq.team_spend_rate_by_model(), "{{model}}")], (16, 6, 8, 8), "currencyUSD", stacked=True),
        make(TimeSeriesChart, "Tokens Today vs Token Budgets", "Tokens used since 00:00 UTC per model, against the "
             "model's daily token budget; and the tokens of models no price covers (in no spend: AIUnpricedTokens).",
             [target(dq.team_tokens_today(), "{{model}} used", "A"), target(dq.team_token_budgets(), "{{model}} budget", "B"),
              target(dq.unpriced_tokens(dq.TEAM_MATCHER), "{{model}} unpriced", "C")],
             (0, 14, 12, 8), "short"),
        make(TimeSeriesChart, "Cost per Request by Endpoint (p95)", "p95 cost per request of each of the team's endpoints.",
             [target(dq.team_p95_by_endpoint(), "{{endpoint}}")], (12, 14, 12, 8), "currencyUSD"),
        make(TimeSeriesChart, "GPU Utilization", "Utilization of the team's GPUs. Below the idle threshold they waste money.",
             [target(dq.gpu_utilization(dq.TEAM_MATCHER), "{{instance}}/{{gpu}} {{type}}")], (0, 22, 12, 8), "percent"),
        make(TablePanel, "Firing Alerts", "The team's cost alerts firing now.",
             [target(dq.team_firing_alerts(), ref="A", instant=True, table=True)], (12, 22, 12, 8),
             transformations=({"id": "organize", "options": {
                 "excludeByName": {"Time": True, "__name__": True, "alertstate": True, "Value": True, "team": True},
                 "indexByName": {}, "renameByName": {}}},)),
    ]
    return dashboard(n.TEAM_DASHBOARD, n.dashboard_uid(n.TEAM_DASHBOARD),
                     "One team's AI spend: budgets, forecast, projects, models, tokens, GPUs, alerts. Generated by aicost.",
                     panels, _variables(team=True), _links())


def render_dashboards(spec: Spec) -> dict[str, dict]:
    """grafana/dashboards/<file>.json -> dashboard."""
    return {"aicost-overview.json": overview(spec), "aicost-team.json": team(spec)}


def render_provisioning(spec: Spec) -> dict[str, dict]:
    """grafana/provisioning/... -> provisioning file: the dashboards folder and the datasource."""
    return {
        "dashboards/aicost.yaml": {"apiVersion": 1, "providers": [{
            "name": "aicost", "folder": FOLDER, "type": "file", "disableDeletion": True, "allowUiUpdates": False,
            "updateIntervalSeconds": 60, "options": {"path": DASHBOARD_PATH, "foldersFromFilesStructure": False}}]},
        "datasources/aicost.yaml": {"apiVersion": 1, "datasources": [{
            "name": "Prometheus (aicost)", "type": "prometheus", "uid": spec.datasource_uid, "access": "proxy",
            "url": spec.datasource_url, "isDefault": False, "editable": False,
            "jsonData": {"timeInterval": spec.scrape_interval}}]},
    }
