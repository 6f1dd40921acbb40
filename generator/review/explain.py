"""`aicost explain ALERT --team T`: an alert's chain for one team, from raw metrics through each recorded
series to the alert, with the team's numbers, who receives it and what they are told. Pure: the
values from Prometheus come in as data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from generator import names as n
from generator import promql as q
from generator.catalogue import Catalogue
from generator.catalogue.alert import Alert
from generator.catalogue.annotations import expand
from generator.model import Spec
from generator.policy import INHIBITS
from generator.render.alertmanager_tests import expected_receivers, route_index
from generator.review.levels import Condition, org_conditions, team_conditions

RAW = "raw"
CONSTANT = "constant"
RECORDED = "recorded"

# What each series means, in one line: the words an on-call engineer reads first.
MEANINGS = {
    n.SPEND: "every dollar spent, any category (exporter GPUs, track_ai_call)",
    n.API_TOKENS: "API tokens used, by model and direction (track_ai_call)",
    n.REQUEST_COST_BUCKET: "histogram of the cost of single requests (track_ai_call)",
    n.GPU_UTILIZATION: "GPU utilization from NVML (exporter)",
    n.GPU_HOURLY_COST: "what a GPU costs an hour, from prices.yaml (exporter)",
    "up": "whether Prometheus could scrape the target",
    n.PROM_RULE_FAILURES: "Prometheus' own count of failed rule evaluations",
    n.PROM_RULE_MISSED: "Prometheus' own count of rule-group evaluations it skipped",
    n.PROM_RULE_LAST_DURATION: "how long Prometheus' last evaluation of a rule group took",
    n.PROM_RULE_INTERVAL: "a rule group's evaluation interval",
    n.C_TEAM_INFO: "the team exists in the spec (owner, cost center, environment)",
    n.C_TEAM_BUDGET: "the team's daily and monthly budgets",
    n.C_ORG_BUDGET: "the organisation's daily and monthly budgets",
    n.C_TEAM_THRESHOLD: "the thresholds the team overrides",
    n.C_MODEL_PRICE: "model prices, dollars per token",
    n.C_GPU_PRICE: "GPU prices, dollars per hour",
    n.C_TOKEN_BUDGET: "the team's daily token budget per model",
    n.C_TRAINING_DEFAULT_BUDGET: "the team's default training budget per experiment",
    n.C_EXPERIMENT_BUDGET: "the budget of a named training experiment",
    n.C_TIER_USERS: "users of a tier",
    n.C_TIER_REVENUE: "monthly revenue per user of a tier",
    n.C_TIER_PROJECT: "the projects a tier is served by",
    n.C_TEAM_ENFORCE: "the teams whose budget the instrumentation library enforces (enforce: block)",
    n.GUARD_STATE_AGE: "how long ago the library's budget guard last read Alertmanager",
    n.R_LEDGER_HEARTBEAT: "the time of each ledger evaluation (tells a first start from an outage)",
    n.R_LEDGER_BIRTHS_UNTRUSTED: "1 while the ledger was down within the lookback: a series first seen may be one back from that outage",
    **{name: "a raw series' last sample, recorded when it went quiet (no sample in the ledger's recent read)"
       for name in n.R_DEPARTED.values()},
    **{name: "the last sample of each raw series quiet within the lookback: the base it grows from when it returns"
       for name in n.R_PARKED.values()},
    n.R_TPC_INCREMENT: "dollars spent since the previous evaluation, exactly, per team, project and category",
    n.R_TPC_INCREMENT_BY_DAY: "the same entries, tagged with their UTC day's parity",
    n.R_TEAM_INCREMENT: "dollars spent since the previous evaluation, per team",
    n.R_TMD_INCREMENT: "tokens used since the previous evaluation, per team, model and direction",
    n.R_TMD_INCREMENT_BY_DAY: "the same entries, tagged with their UTC day's parity",
    n.R_TODAY_TRUSTED: "1 while the running totals of today are exact; 0 after a long gap in the ledger until the next recount",
    n.R_TPC_RUNNING: "the running total of a UTC day's entries, per team, project and category (recounted every ten minutes)",
    n.R_TM_TOKENS_RUNNING: "the running total of a UTC day's token entries, per team and model (recounted every ten minutes)",
    n.R_TPC_RECOUNT: "the sum of a UTC day's entries up to the latest ten-minute mark (recorded at the mark)",
    n.R_TM_TOKENS_RECOUNT: "the sum of a UTC day's token entries up to the latest ten-minute mark (recorded at the mark)",
    n.R_TPC_DAY_TOTAL: "the total of the last complete UTC day (recorded hourly)",
    n.R_DAY_TOTAL_DATE: "which UTC day the latest day totals are of",
    n.R_TPC_YESTERDAY: "yesterday's spend (UTC), per team, project and category",
    n.R_TPC_TODAY: "spend since 00:00 UTC, per team, project and category",
    n.DAILY_SPEND: "spend since 00:00 UTC, per team and category",
    n.R_TEAM_TODAY: "the team's spend since 00:00 UTC",
    n.R_ORG_TODAY: "the organisation's spend since 00:00 UTC",
    n.R_TEAM_MODEL_TOKENS_TODAY: "tokens used since 00:00 UTC, per team and model",
    n.R_UNPRICED_TOKENS_TODAY: "today's tokens of models no price (or alias) in prices.yaml covers: not in any spend",
    n.R_TPC_MONTH: "spend since the 1st of the month (UTC), per team, project and category",
    n.R_TEAM_MONTH: "the team's spend since the 1st of the month (UTC)",
    n.R_ORG_MONTH: "the organisation's spend since the 1st of the month (UTC)",
    n.BUDGET_UTILIZATION: "spend as a share of the daily and monthly budget",
    n.R_TEAM_FORECAST: "month-to-date spend extrapolated to the end of the month",
    n.R_TEAM_HISTORY: "what the team had spent by this time of day on each of the previous days",
    n.R_TEAM_HIST_COUNT: "how many previous days the history has",
    n.R_TEAM_HIST_MEAN: "the mean of that history",
    n.R_TEAM_HIST_STDDEV: "its standard deviation (at least a cent and a noise share of the mean)",
    n.R_TEAM_ZSCORE: "how many standard deviations today is from the usual spend by this time of day",
    n.R_TEAM_WEEK: "spend over the last 7 days",
    n.R_TEAM_TIER_COST_PER_USER: "month-to-date cost per user of a tier",
    n.R_TEAM_PROJECT_TRAINING: "training spend per project over the training window",
    n.R_TEAM_ENDPOINT_BUCKET_HOURLY: "request-cost histogram buckets, per team and endpoint, over the last hour",
    n.R_TEAM_ENDPOINT_P95: "p95 cost per request over 5 minutes, per endpoint",
    n.R_TEAM_ENDPOINT_P95_BASELINE: "p95 cost per request over the previous 7 days, per endpoint",
    n.R_GPU_IDLE_INCREMENT: "what idle GPUs cost since the previous evaluation",
    n.R_GPU_IDLE_INCREMENT_BY_DAY: "the same entries, tagged with their UTC day's parity",
    n.R_GPU_IDLE_COST_TODAY: "what idle GPUs cost since 00:00 UTC",
}
CONSTANTS = {n.C_TEAM_INFO, n.C_TEAM_BUDGET, n.C_ORG_BUDGET, n.C_TEAM_THRESHOLD, n.C_MODEL_PRICE, n.C_GPU_PRICE,
             n.C_TOKEN_BUDGET, n.C_TRAINING_DEFAULT_BUDGET, n.C_EXPERIMENT_BUDGET, n.C_TIER_USERS, n.C_TIER_REVENUE,
             n.C_TIER_PROJECT, n.C_TEAM_ENFORCE}
# Series without a team label: their value is the organisation's (or Prometheus'), not the team's.
NO_TEAM = {n.C_ORG_BUDGET, n.C_MODEL_PRICE, n.C_GPU_PRICE, "up", *n.PROMETHEUS_SELF_METRICS}
_NAME = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


@dataclass(frozen=True)
class Step:
    """One series of the chain: raw, a constant of the spec, or recorded by a rule group."""

    name: str
    kind: str
    group: str  # the rule group that records it ("" for a raw metric)
    meaning: str
    exprs: tuple[str, ...]  # its recording rules' expressions
    query: str  # the PromQL that reads its value for the team
    numbers: str = ""  # a constant's values for the team, from the spec


@dataclass(frozen=True)
class Rule:
    """One rule of the alert, for the team: when it fires, whom it reaches, what they read."""

    alert: Alert
    condition: str
    receivers: tuple[str, ...]
    route: str
    inhibition: str


@dataclass(frozen=True)
class Explanation:
    """An alert's chain for one team (or the organisation)."""

    alert: str
    team: str | None
    rules: tuple[Rule, ...]
    steps: tuple[Step, ...]


def _scoped(name: str) -> bool:
    level = name.split(":")[0] if ":" in name else ""
    return name not in NO_TEAM and not level.startswith(("org", "aicost", "instance"))


def _reads(expr: str, known: set[str]) -> list[str]:
    seen = []
    # string literals and the rendered rules' comment lines hold words, not series
    for name in _NAME.findall(re.sub(r'"[^"]*"|#[^\n]*', "", expr)):
        if name in known and name not in seen:
            seen.append(name)
    return seen


def _numbers(catalogue: Catalogue, metric: str, team: str | None, rules: int) -> str:
    """A constant's values for the team (or the organisation), as the spec gives them."""
    if metric == n.C_MODEL_PRICE:  # recorded by the ledger's group, not part of catalogue.constants
        return f"{rules} series, one per model and direction (prices.yaml)"
    found = [c for c in catalogue.constants if c.metric == metric and (team is None or c.labels.get(n.L_TEAM) == team)]
    if not found:
        return "none for this team" + (": the org defaults apply" if metric == n.C_TEAM_THRESHOLD else "")
    shown = []
    for c in found:
        extra = ",".join(f"{k}={v}" for k, v in c.labels.items() if k not in (n.L_TEAM, n.L_OWNER, n.L_COST_CENTER, n.L_ENVIRONMENT))
        shown.append(f"{{{extra}}} {c.literal}" if extra else c.literal)
    return ", ".join(shown[:6]) + (f" and {len(shown) - 6} more" if len(shown) > 6 else "")


def chain(catalogue: Catalogue, exprs: list[str], team: str | None) -> list[Step]:
    """The series the expressions read, transitively, each after the series it reads (raw metrics first)."""
    records: dict[str, list[tuple[str, str]]] = {}
    for g in catalogue.groups:
        for r in g.rules:
            if isinstance(r, dict):
                records.setdefault(r["record"], []).append((g.name, r["expr"]))
    known = set(records) | set(MEANINGS)
    order: list[Step] = []
    done: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        done.add(name)
        rules = records.get(name, [])
        if name not in CONSTANTS:
            for _, expr in rules:
                for dep in _reads(expr, known):
                    visit(dep)
        kind = CONSTANT if name in CONSTANTS else RECORDED if rules else RAW
        query = q.sel(name, **({n.L_TEAM: team} if team and _scoped(name) else {}))
        numbers = _numbers(catalogue, name, team if _scoped(name) else None, len(rules)) if kind == CONSTANT else ""
        order.append(Step(name, kind, rules[0][0] if rules else "", MEANINGS.get(name, ""),
                          tuple(e for _, e in rules), query, numbers))

    for expr in exprs:
        for name in _reads(expr, known):
            visit(name)
    return order


def _condition(spec: Spec, alert: Alert, team: str | None) -> str:
    conditions: list[Condition] = (team_conditions(spec, spec.team(team)) if team else []) + org_conditions(spec)
    extra = list(alert.labels.values())
    texts = [c.text for c in conditions if c.alert == alert.name and c.severity == alert.severity
             and (not extra or c.subject in extra)]
    return "; ".join(texts) or f"its expression holds (see --promql), for {spec.for_(alert.name)}"


def _route(spec: Spec, alert: Alert) -> str:
    if alert.name == n.A_BUDGET_GUARD:
        return "aicost's own first route, which notifies no one: the library's guard reads it from Alertmanager"
    i = route_index(spec, alert.name, alert.severity)
    return "the default receiver (no route matches)" if i is None else f"route {i + 1} of alerting.yaml"


def _inhibition(alert: Alert) -> str:
    if alert.severity != "critical" and (holders := [s for s, t in INHIBITS if t == alert.name]):
        return f"held back while {' or '.join(holders)} (critical) fires for the same team"
    if alert.severity == "critical" and (held := [t for s, t in INHIBITS if s == alert.name]):
        return f"while it fires, holds back {' and '.join(held)} (warning) of the same team"
    return ""


def explain(spec: Spec, catalogue: Catalogue, alert: str, team: str | None) -> Explanation:
    """The explanation of `alert` for `team` (None for an alert without a team)."""
    rules = [a for a in catalogue.alerts if a.name == alert and a.per_team == bool(team)]
    out = []
    for a in rules:
        labels = {"alertname": a.name, "severity": a.severity, **a.labels, **({n.L_TEAM: team} if team else {})}
        out.append(Rule(a, _condition(spec, a, team), tuple(expected_receivers(spec, labels)), _route(spec, a),
                        _inhibition(a)))
    return Explanation(alert, team, tuple(out), tuple(chain(catalogue, [a.expr for a in rules], team)))


def _spec_queries(spec: Spec, team: str | None) -> dict[str, float]:
    """The annotation queries the spec alone answers."""
    known = {"org_budget_daily": spec.org_daily_budget, "org_budget_monthly": spec.org_monthly_budget}
    if team:
        t = spec.team(team)
        known.update(budget_daily=t.daily_budget, budget_monthly=t.monthly_budget)
    return known


def told(spec: Spec, rule: Rule, team: str | None, value: float | None, queries: dict[str, float]) -> list[str]:
    """What the receivers read: summary, description, action and links, filled as far as known."""
    labels = {**rule.alert.labels, **({n.L_TEAM: team} if team else {})}
    fill = lambda text: expand(text, labels, value, {**_spec_queries(spec, team), **queries}, missing="...")  # noqa: E731
    a = rule.alert
    return [fill(a.summary), fill(a.description), f"Action: {a.action}", f"Runbook: {a.runbook_url}",
            f"Dashboard: {fill(a.dashboard)}"]


def value_text(name: str, value: float) -> str:
    """A series' value, formatted by what it measures."""
    if "timestamp" in name:
        return datetime.fromtimestamp(value, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    if "dollars" in name and "per_token" not in name:
        return f"${value:,.2f}"
    if "tokens" in name:
        return f"{value:,.0f} tokens"
    return f"{value:g}"


def render(spec: Spec, e: Explanation, values: dict[str, tuple[float, int]] | None = None,
           firing: dict[tuple, str] | None = None, promql: bool = False,
           filled: dict[tuple, tuple[float | None, dict]] | None = None) -> str:
    """The explanation as text. From Prometheus when asked: `values` (series -> sum, series count),
    `firing` (rule key -> state) and `filled` (rule key -> the alert's value and annotation query results)."""
    who = f"for team {e.team}" if e.team else "for the organisation"
    lines = [f"{e.alert} {who}: {len(e.rules)} rule{'s' if len(e.rules) != 1 else ''}"]
    for r in e.rules:
        extra = ", ".join([r.alert.severity, *r.alert.labels.values()])
        lines += ["", f"{r.alert.name} ({extra})"]
        if firing is not None:
            lines.append(f"  now: {firing.get(r.alert.key, 'not firing')}")
        lines += [f"  fires when: {r.condition}",
                  f"  reaches: {', '.join(r.receivers)} ({r.route})"]
        if r.inhibition:
            lines.append(f"  inhibition: {r.inhibition}")
        if promql:
            lines += ["  alert expression:", q.indent(r.alert.expr, 6)]
        lines.append("  they are told:")
        value, queries = (filled or {}).get(r.alert.key, (None, {}))
        lines += [f"    {t}" for t in told(spec, r, e.team, value, queries)]
    lines += ["", "How it is computed (each series after the ones it reads):"]
    width = max((len(s.name) for s in e.steps), default=0)
    for i, s in enumerate(e.steps, 1):
        where = {RAW: "raw metric", CONSTANT: f"constant ({s.group})", RECORDED: s.group}[s.kind]
        line = f"  {i:2d}. {s.name.ljust(width)}  {where}: {s.meaning}" + (f": {s.numbers}" if s.numbers else "")
        if values is not None:
            total, count = values.get(s.name, (None, 0))
            if not count:
                line += "  = no data"
            elif s.kind == CONSTANT:  # a sum of budgets of several periods means nothing
                line += f"  = loaded ({count} series)"
            else:
                line += f"  = {value_text(s.name, total)}" + (" (1 series)" if count == 1 else f" summed over {count} series")
        lines.append(line)
        if promql:
            lines += [q.indent(expr, 8) for expr in s.exprs]
    return "\n".join(lines) + "\n"

