"""Generated promtool unit tests: every alert, with the spec's own numbers, at the edge of its `for:`.

Each scenario drives a signal across its threshold at a known minute, then asserts that the
alert is not firing one evaluation before `crossing + for` and fires, with its exact labels
and annotations, at `crossing + for`. Budget scenarios start from raw counters, so they test
the whole chain (raw -> today -> ratio -> alert); scenarios that need days of history feed
the recorded series the alert reads.
"""

from __future__ import annotations

import functools
import math
import statistics
from fractions import Fraction
from typing import Callable

from generator import names as n
from generator.model import Model, Team
from generator.render.annotations import expand
from generator.render.rules import alerts as alert_defs
from generator.render.rules import dashboard_link, enrich

# Edge scenarios run for at most this many teams (teams with overrides first): past it they add
# megabytes and promtool minutes but no new code path, since every team runs the same rules.
# Every team's own numbers are still checked, in constants.yml.
MAX_TEAMS_PER_SCENARIO = 100
EVAL = "_evaluation_interval"
LEAD = 10  # minutes a signal stays on the healthy side first, so `for: 0s` still has a "before"  # scenario key: which file (evaluation interval) it goes to
GROUP_ORDER = [n.G_CONSTANTS, n.G_SPEND, n.G_SIGNALS, n.G_ALERTS]
# The seed's CostAnomalyDetector demo history (14 days around $450).
SEED_HISTORY = (450, 460, 440, 470, 455, 430, 465, 450, 440, 470, 460, 450, 445, 455)


@functools.lru_cache(maxsize=None)
def minutes(duration: str) -> int:
    """A Prometheus duration such as 1h30m, in whole minutes."""
    total, num = 0, ""
    units = {"ms": 0, "s": 1 / 60, "m": 1, "h": 60, "d": 1440, "w": 10080, "y": 525600}
    i = 0
    while i < len(duration):
        c = duration[i]
        if c.isdigit():
            num += c
            i += 1
            continue
        unit = "ms" if duration[i:i + 2] == "ms" else c
        total += int(num) * units[unit]
        num, i = "", i + len(unit)
    return math.ceil(total)


def _series(metric: str, labels: dict, values: str) -> dict:
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return {"series": f"{metric}{{{inner}}}", "values": values}


def _crossing(limit: float, floor: float, step: Fraction) -> int:
    """First minute k at which step*k > limit and step*k >= floor."""
    k = int(Fraction(str(limit)) / step) + 1
    return max(k, math.ceil(Fraction(str(floor)) / step)) if floor else k


def _rate(target: float, at_minute: int = 60, digits: int = 2) -> Fraction:
    """A round per-minute step that crosses `target` just before `at_minute`."""
    scale = 10 ** digits
    r = Fraction(math.ceil(target / (at_minute - 0.5) * scale), scale)
    if (Fraction(str(target)) / r).denominator == 1:  # landing exactly on the limit is ambiguous
        r += Fraction(1, scale)
    return r


class _Builder:
    """Builds test groups for one model; knows how each alert is enriched."""

    def __init__(self, model: Model):
        self.model = model
        self.defs = {(a.name, a.severity, tuple(sorted(a.labels.items())), a.per_team): a for a in alert_defs(model)}
        self.enriched = {k: enrich(model, a) for k, a in self.defs.items()}
        self.history_days = max(t.thresholds.anomaly_min_history_days for t in model.teams)
        self.annotate = True  # False for teams whose alerts are checked through ALERTS only

    def expected(self, name: str, severity: str, labels: dict, value: float, queries: dict,
                 extra: dict | None = None, per_team: bool = True) -> dict:
        """exp_alerts entry: the alert's labels and its annotations as Prometheus will render them."""
        extra = extra or {}
        key = (name, severity, tuple(sorted(extra.items())), per_team)
        a, rule = self.defs[key], self.enriched[key]
        all_labels = {**labels, n.L_SEVERITY: severity, **extra}
        if not self.annotate:
            return {"exp_labels": dict(sorted(all_labels.items()))}
        texts = {"summary": a.summary, "description": a.description, "dashboard": dashboard_link(self.model, a)}
        ann = {key: expand(text, all_labels, value, queries) for key, text in texts.items()}
        ann["action"] = rule["annotations"]["action"]
        ann["runbook_url"] = rule["annotations"]["runbook_url"]
        return {"exp_labels": dict(sorted(all_labels.items())), "exp_annotations": ann}

    def edge(self, name: str, fire_at: int, expected: list[dict], step: int = 1, before: list | None = None) -> list[dict]:
        """Not firing one evaluation before `fire_at` minutes (only `before` is), firing at it."""
        return [
            {"eval_time": f"{fire_at - step}m", "alertname": name, "exp_alerts": before or []},
            {"eval_time": f"{fire_at}m", "alertname": name, "exp_alerts": expected},
        ]

    def budget(self, team: Team, period: str, key: str, alert: str, severity: str, cents: bool = True) -> dict:
        """Raw spend at a steady rate from 00:00 UTC on the 1st crosses threshold x budget.

        With `cents`, the rate is a whole number of cents (exact annotation values); without, it
        is exact so that every team crosses in minute 60 and they can share one assertion.
        """
        budget = team.daily_budget if period == "daily" else team.monthly_budget
        limit = getattr(team.thresholds, key) * budget
        target = max(limit, team.thresholds.min_daily_spend)
        step = _rate(target) if cents else Fraction(target) / Fraction(119, 2)
        k = _crossing(limit, team.thresholds.min_daily_spend, step) if cents else 60
        fire = k + minutes(self.model.for_(alert))
        value = float(step * fire)
        labels = {"team": team.name, "project": team.projects[0], "category": "api", "instance": "app-1", "job": n.APP_JOB}
        q = {f"budget_{period}": budget, f"pct_{period}": 100.0 * (value / budget)}
        return {
            "name": f"{team.name}: {alert} fires {self.model.for_(alert)} after {period} spend passes "
                    f"{getattr(team.thresholds, key):g} x ${budget:,.2f}",
            "interval": "1m",
            "input_series": [_series(n.SPEND, labels, f"0+{float(step)!r}x{fire + 5}")],
            "alert_rule_test": self.edge(alert, fire, [self.expected(alert, severity, {"team": team.name}, value, q)]),
        }

    def tokens(self, team: Team, model_name: str, budget: int) -> dict:
        """Input tokens at a steady rate cross the team's daily token budget for a model in minute 60."""
        step = Fraction(budget) / Fraction(119, 2)
        k = 60
        fire = k + minutes(self.model.for_(n.A_TOKEN_BUDGET))
        labels = {"team": team.name, "model": model_name, "direction": "input", "instance": "app-1", "job": n.APP_JOB}
        exp = self.expected(n.A_TOKEN_BUDGET, "warning", {"team": team.name, "model": model_name},
                            round(float(step * fire)), {"token_budget": budget})
        return {
            "name": f"{team.name}: {n.A_TOKEN_BUDGET} for {model_name} at {budget:,} tokens a day",
            "interval": "1m",
            "input_series": [_series(n.API_TOKENS, labels, f"0+{float(step)!r}x{fire + 5}")],
            "alert_rule_test": self.edge(n.A_TOKEN_BUDGET, fire, [exp]),
        }

    def gpu_idle(self, team: Team) -> dict:
        """A GPU just under the team's idle threshold from the start fires after `for:`."""
        gpu = self.model.gpus[0]
        util = round(team.thresholds.gpu_idle_percent - 0.5, 1)
        labels = {"instance": "i-0test", "gpu": "0", "type": gpu.name, "team": team.name,
                  "project": team.projects[0], "environment": team.environment, "job": n.EXPORTER_JOB}
        fire = LEAD + minutes(self.model.for_(n.A_GPU_IDLE))
        return {
            "name": f"{team.name}: {n.A_GPU_IDLE} below {team.thresholds.gpu_idle_percent:g}% for {self.model.for_(n.A_GPU_IDLE)}",
            "interval": "1m",
            "input_series": [_series(n.GPU_UTILIZATION, labels, f"50x{LEAD - 1} {util}x{fire + 5}"),
                             _series(n.GPU_HOURLY_COST, labels, f"{gpu.hourly!r}x{fire + 5}")],
            "alert_rule_test": self.edge(n.A_GPU_IDLE, fire, [self.expected(
                n.A_GPU_IDLE, "warning", {k: v for k, v in labels.items()}, util, {"gpu_hourly": gpu.hourly})]),
        }

    def history_interval(self) -> int:
        """Evaluation step (minutes) of the history file: divides the anomaly and forecast `for:`."""
        return math.gcd(minutes(self.model.for_(n.A_ANOMALY)), minutes(self.model.for_(n.A_MONTHLY_FORECAST)), 15) or 15

    def anomaly(self, team: Team, kind: str) -> dict:
        """The seed's history (as many days as the largest min-history), then a spike or a drop."""
        step = self.history_interval()
        per_day = 1440 // step
        days = self.history_days
        hist = SEED_HISTORY[-days:]
        mean, sd = statistics.mean(hist), statistics.stdev(hist)
        start = days * 1440
        fire = start + minutes(self.model.for_(n.A_ANOMALY))
        t = team.thresholds
        z = {"warning": (t.anomaly_z_warning + t.anomaly_z_critical) / 2, "critical": t.anomaly_z_critical + 1,
             "drop": -(t.anomaly_z_warning + 0.5)}[kind]
        today = round(mean + z * sd, 2)
        values = " ".join(f"{v}x{per_day - 1}" for v in hist) + f" {today}x{(fire - start) // step + 2}"
        zval = (today - mean) / sd
        q = {"spend_today": today, "hist_mean": float(mean), "hist_stddev": sd}
        direction = "drop" if kind == "drop" else "spike"
        exp = [self.expected(n.A_ANOMALY, "warning", {"team": team.name}, zval, q, {"direction": direction})]
        if kind == "critical":
            exp.append(self.expected(n.A_ANOMALY, "critical", {"team": team.name}, zval, q, {"direction": "spike"}))
        return {
            "name": f"{team.name}: {n.A_ANOMALY} {kind} (z = {zval:.2f}) after {days} days of the seed's history",
            "interval": f"{step}m", EVAL: f"{step}m",
            "input_series": [_series(n.R_TEAM_TODAY, {"team": team.name}, values)],
            "alert_rule_test": self.edge(n.A_ANOMALY, fire, exp, step=step),
        }

    def forecast(self, team: Team) -> dict:
        """Month-to-date growing 10 % faster than the budget allows; gated until forecast_min_days."""
        step = self.history_interval()
        day = team.thresholds.forecast_min_days
        fire = (day - 1) * 1440 + minutes(self.model.for_(n.A_MONTHLY_FORECAST))
        # Whole cents per step, so promtool's running sum and our expectation agree to the cent.
        per_step = Fraction(math.ceil(team.monthly_budget * 1.1 / 31 * step / 1440 * 100), 100)
        daily = per_step * 1440 / step
        exp = self.expected(n.A_MONTHLY_FORECAST, "warning", {"team": team.name}, float(daily * 31),
                            {"budget_monthly": team.monthly_budget, "spend_month": float(per_step * fire / step)})
        return {
            "name": f"{team.name}: {n.A_MONTHLY_FORECAST} from day {day} of the month",
            "interval": f"{step}m", EVAL: f"{step}m",
            "input_series": [_series(n.R_TEAM_MONTH, {"team": team.name}, f"0+{float(per_step)!r}x{fire // step + 2}")],
            "alert_rule_test": self.edge(n.A_MONTHLY_FORECAST, fire, [exp], step=step),
        }

    def trend(self, team: Team) -> dict:
        """A week 10 % above the trend threshold over the week before."""
        t = team.thresholds
        before = round(7 * max(t.min_daily_spend, team.daily_budget / 2), 2)
        after = round(before * (1 + t.trend_week_over_week) * 1.1, 2)
        fire = 7 * 1440 + minutes(self.model.for_(n.A_TREND))
        step = 60
        values = f"{before}x{7 * 24 - 1} {after}x{(fire - 7 * 1440) // 60 + 2}"
        exp = self.expected(n.A_TREND, "warning", {"team": team.name}, after, {"week_before": before})
        return {
            "name": f"{team.name}: {n.A_TREND} when a week costs {after / before - 1:.0%} more",
            "interval": "1h", EVAL: "1h",
            "input_series": [_series(n.R_TEAM_WEEK, {"team": team.name}, values)],
            "alert_rule_test": self.edge(n.A_TREND, fire, [exp], step=step),
        }

    def cost_per_request(self, team: Team) -> dict:
        """An endpoint's p95 10 % above factor x its 7-day p95."""
        base = 0.02
        p95 = round(base * team.thresholds.cost_per_request_factor * 1.1, 6)
        labels = {"team": team.name, "endpoint": "/v1/complete"}
        fire = LEAD + minutes(self.model.for_(n.A_COST_PER_REQUEST))
        exp = self.expected(n.A_COST_PER_REQUEST, "warning", labels, p95, {"p95_baseline": base})
        return {
            "name": f"{team.name}: {n.A_COST_PER_REQUEST} at {team.thresholds.cost_per_request_factor:g}x baseline",
            "interval": "1m",
            "input_series": [_series(n.R_TEAM_ENDPOINT_P95, labels, f"{base!r}x{LEAD - 1} {p95!r}x{fire + 5}"),
                             _series(n.R_TEAM_ENDPOINT_P95_BASELINE, labels, f"{base!r}x{fire + 5}")],
            "alert_rule_test": self.edge(n.A_COST_PER_REQUEST, fire, [exp]),
        }

    def cost_per_user(self, team: Team, tier) -> dict:
        """A tier's month-to-date spend per user 10 % above its revenue per user."""
        spend = round(tier.users * tier.revenue_per_user * 1.1, 2)
        labels = {"team": team.name, "project": tier.projects[0], "category": "api"}
        fire = LEAD + minutes(self.model.for_(n.A_COST_PER_USER))
        exp = self.expected(n.A_COST_PER_USER, "warning", {"team": team.name, "tier": tier.name},
                            spend / tier.users, {"tier_revenue": tier.revenue_per_user})
        return {
            "name": f"{team.name}: {n.A_COST_PER_USER} for tier {tier.name}",
            "interval": "1m",
            "input_series": [_series(n.R_TPC_MONTH, labels, f"0x{LEAD - 1} {spend!r}x{fire + 2}")],
            "alert_rule_test": self.edge(n.A_COST_PER_USER, fire, [exp]),
        }

    def training(self, team: Team, project: str, budget: float) -> dict:
        """An experiment's training spend jumps to 125 % of its budget."""
        spend = round(budget * 1.25, 2)
        labels = {"team": team.name, "project": project, "category": "training", "instance": "i-0train", "job": n.EXPORTER_JOB}
        fire = 1 + minutes(self.model.for_(n.A_TRAINING))
        exp = self.expected(n.A_TRAINING, "warning", {"team": team.name, "project": project}, spend, {})
        return {
            "name": f"{team.name}: {n.A_TRAINING} for {project} over ${budget:,.2f}",
            "interval": "1m",
            "input_series": [_series(n.SPEND, labels, f"0 {spend!r}x{fire + 5}")],
            "alert_rule_test": self.edge(n.A_TRAINING, fire, [exp]),
        }

    def team_scenarios(self, team: Team) -> list[tuple[str, Callable[[bool], dict]]]:
        """Every per-team alert scenario, keyed by file; each builds its group when called
        (with True for exact annotation values)."""
        out = [("daily-budget-exceeded", lambda a: self.budget(team, "daily", "budget_exceeded", n.A_DAILY_EXCEEDED, "critical", a)),
               ("daily-budget-warning", lambda a: self.budget(team, "daily", "budget_warning", n.A_DAILY_WARNING, "warning", a)),
               ("monthly-budget-exceeded", lambda a: self.budget(team, "monthly", "budget_exceeded", n.A_MONTHLY_EXCEEDED, "critical", a)),
               ("monthly-budget-warning", lambda a: self.budget(team, "monthly", "budget_warning", n.A_MONTHLY_WARNING, "warning", a)),
               ("monthly-budget-forecast", lambda a: self.forecast(team)),
               ("gpu-idle", lambda a: self.gpu_idle(team)),
               ("cost-per-request", lambda a: self.cost_per_request(team)),
               ("cost-trend", lambda a: self.trend(team))]
        out += [(f"cost-anomaly-{kind}", functools.partial(lambda k, a: self.anomaly(team, k), kind))
                for kind in ("warning", "critical", "drop")]
        out += [("token-budget", functools.partial(lambda m, b, a: self.tokens(team, m, b), m, b)) for m, b in team.token_budgets]
        out += [("cost-per-user", functools.partial(lambda tier, a: self.cost_per_user(team, tier), tier)) for tier in team.user_tiers]
        trainings = list(team.experiments)
        if team.training_default_budget is not None:
            trainings.append(("adhoc-experiment", team.training_default_budget))
        out += [("training-budget", functools.partial(lambda p, b, a: self.training(team, p, b), p, b)) for p, b in trainings]
        return out

    def org_tests(self) -> list[dict]:
        """Org budget, untagged spend and missing data: alerts that are not per team."""
        m = self.model
        out = []
        team = m.teams[0]
        for period, budget in (("daily", m.org_daily_budget), ("monthly", m.org_monthly_budget)):
            limit = m.thresholds.org_budget_exceeded * budget
            step = _rate(limit)
            fire = _crossing(limit, 0, step) + minutes(m.for_(n.A_ORG_EXCEEDED))
            value = float(step * fire)
            labels = {"team": team.name, "project": team.projects[0], "category": "api", "instance": "app-1", "job": n.APP_JOB}
            exp = [self.expected(n.A_ORG_EXCEEDED, "critical", {}, value, {f"org_budget_{period}": budget},
                                 {"period": period}, per_team=False)]
            before = []
            if period == "monthly":  # on the 1st the month is today, so the daily budget is long gone too
                daily = [self.expected(n.A_ORG_EXCEEDED, "critical", {}, v, {"org_budget_daily": m.org_daily_budget},
                                       {"period": "daily"}, per_team=False) for v in (value, float(step * (fire - 1)))]
                exp.insert(0, daily[0])
                before = [daily[1]]
            out.append({
                "name": f"org: {n.A_ORG_EXCEEDED} ({period}) over {m.thresholds.org_budget_exceeded:g} x ${budget:,.2f}",
                "interval": "1m",
                "input_series": [_series(n.SPEND, labels, f"0+{float(step)!r}x{fire + 5}")],
                "alert_rule_test": self.edge(n.A_ORG_EXCEEDED, fire, exp, before=before),
            })
        untagged = {"team": n.UNTAGGED, "project": "unknown", "category": "compute", "instance": "i-0orphan", "job": n.EXPORTER_JOB}
        fire = 1 + minutes(m.for_(n.A_UNTAGGED))
        out.append({
            "name": f"org: {n.A_UNTAGGED} after {m.for_(n.A_UNTAGGED)} of spend under team '{n.UNTAGGED}'",
            "interval": "1m",
            "input_series": [_series(n.SPEND, untagged, f"0 10x{fire + 5}")],
            "alert_rule_test": self.edge(n.A_UNTAGGED, fire, [self.expected(n.A_UNTAGGED, "warning", {"team": n.UNTAGGED}, 10, {},
                                                                            per_team=False)]),
        })
        silence = minutes(m.silence_window)
        labels = {"team": team.name, "project": team.projects[0], "category": "api", "instance": "app-1", "job": n.APP_JOB}
        fire = 60 + silence + 1 + minutes(m.for_(n.A_DATA_MISSING))
        out.append({
            "name": f"org: {n.A_DATA_MISSING} when team {team.name} goes silent for {m.silence_window}",
            "interval": "1m",
            "input_series": [_series(n.SPEND, labels, "0+1x60")],
            "alert_rule_test": self.edge(n.A_DATA_MISSING, fire, [self.expected(n.A_DATA_MISSING, "warning", {"team": team.name}, 1, {},
                                                                                    {"scope": "team"})]),
        })
        target = {"job": n.EXPORTER_JOB, "instance": "gpu-host-1:9400"}
        fire = 10 + silence + 1 + minutes(m.for_(n.A_DATA_MISSING))
        exp = self.expected(n.A_DATA_MISSING, "warning", target, 0, {}, {"scope": "exporter"}, per_team=False)
        out.append({
            "name": f"org: {n.A_DATA_MISSING} when an exporter is down for {m.silence_window}",
            "interval": "1m",
            "input_series": [_series("up", target, f"1x10 0x{fire}")],
            "alert_rule_test": self.edge(n.A_DATA_MISSING, fire, [exp]),
        })
        return out


def _alerts_series(alertname: str, exp_alerts: list[dict]) -> list[dict]:
    return [{"labels": "ALERTS{" + ",".join(f'{k}="{v}"' for k, v in sorted(
        {**e["exp_labels"], "alertname": alertname, "alertstate": "firing"}.items())) + "}", "value": 1}
        for e in exp_alerts]


def combine(groups: list[dict]) -> list[dict]:
    """The first group as it is (exact labels and annotations); the others merged into one group
    that checks, through the ALERTS series, that each alert is not firing one evaluation before
    its edge and fires at it."""
    if len(groups) == 1:
        return groups
    rest = groups[1:]
    edges = []  # (not-yet time, fire time, alertname, exp_alerts) per group
    for g in rest:
        before, at = g["alert_rule_test"]
        edges.append((before["eval_time"], at["eval_time"], at["alertname"], at["exp_alerts"]))
    times = sorted({t for e in edges for t in e[:2]}, key=minutes)
    alertname = edges[0][2]
    checks = []
    for t in times:
        firing = [a for before, at, _, exp in edges if minutes(at) <= minutes(t) for a in exp]
        checks.append({"expr": f'ALERTS{{alertname="{alertname}",alertstate="firing"}}', "eval_time": t,
                       "exp_samples": _alerts_series(alertname, firing)})
    merged = {k: v for k, v in rest[0].items() if k not in ("name", "input_series", "alert_rule_test")}
    merged["name"] = f"{len(rest)} more: " + "; ".join(g["name"] for g in rest[:3]) + ("; ..." if len(rest) > 3 else "")
    merged["input_series"] = [s for g in rest for s in g["input_series"]]
    merged["promql_expr_test"] = checks
    return [groups[0], merged]


def _file(rule_files: list[str], tests: list[dict]) -> dict:
    interval = tests[0].get(EVAL, "1m")
    order = [g for g in GROUP_ORDER if f"../rules/{g}.yml" in rule_files]
    return {"rule_files": rule_files, "evaluation_interval": interval, "group_eval_order": order,
            "tests": [{k: v for k, v in t.items() if k != EVAL} for t in tests]}


def scenario_teams(model: Model) -> list[Team]:
    """The teams the edge scenarios run for: those with overrides or an own receiver first, by name."""
    ranked = sorted(model.teams, key=lambda t: (not (t.overrides or t.receiver != model.default_receiver), t.name))
    return ranked[:MAX_TEAMS_PER_SCENARIO]


def constants_test(model: Model) -> dict:
    """Every team's budgets and threshold overrides, as Prometheus loads them from the rules."""
    budgets, overrides = [], []
    for t in model.teams:
        for period, value in (("daily", t.daily_budget), ("monthly", t.monthly_budget)):
            budgets.append({"labels": f'{n.C_TEAM_BUDGET}{{period="{period}",team="{t.name}"}}', "value": value})
        for key, value in t.overrides:
            overrides.append({"labels": f'{n.C_TEAM_THRESHOLD}{{team="{t.name}",threshold="{key}"}}', "value": value})
    checks = [{"expr": n.C_TEAM_BUDGET, "eval_time": "1m", "exp_samples": budgets}]
    checks.append({"expr": n.C_TEAM_THRESHOLD, "eval_time": "1m", "exp_samples": overrides})
    return {"name": "every team's budgets and threshold overrides reach Prometheus", "interval": "1m",
            "input_series": [], "promql_expr_test": checks}


def render_rule_tests(model: Model) -> dict[str, dict]:
    """tests/<scenario>.yml -> promtool test file: one per alert scenario, plus org.yml and constants.yml."""
    b = _Builder(model)
    rule_files = [f"../rules/{g}.yml" for g in GROUP_ORDER]
    scenarios: dict[str, list[dict]] = {}
    for team in scenario_teams(model):
        for key, build in b.team_scenarios(team):
            # The group that opens a file gets exact annotation values; the others are checked
            # through ALERTS only, which is far cheaper to build and to run.
            b.annotate = key not in scenarios
            scenarios.setdefault(key, []).append(build(b.annotate))
    b.annotate = True
    out = {"org.yml": _file(rule_files, b.org_tests()),
           "constants.yml": _file([f"../rules/{n.G_CONSTANTS}.yml"], [constants_test(model)])}
    for key, groups in scenarios.items():
        out[f"{key}.yml"] = _file(rule_files, combine(groups))
    return dict(sorted(out.items()))
