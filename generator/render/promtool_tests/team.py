"""Per-team scenarios: each drives one signal of one team across its threshold at a known minute.

Every builder takes `exact`: the group that opens a file is checked with exact annotations (and
budget spend in whole cents, so dollars print exactly); the other teams' groups are checked
through ALERTS only, which lets their numbers be exact fractions that cross in the same minute.
"""

from __future__ import annotations

import functools
import math
import statistics
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

from generator import names as n
from generator.catalogue.alerts.budget import GUARD_ACTIONS
from generator.model import Spec, Team, UserTier
from generator.render.promtool_tests.expect import (
    EVAL, LEAD, Clock, Expect, cents_rate, crossing, edge, landed, minutes, series,
)

# A model no spec prices (prices.yaml names are checked against it in the unpriced scenario).
UNPRICED_MODEL = "unpriced-test-model"
# The seed's CostAnomalyDetector demo history (14 days around $450).
SEED_HISTORY = (450, 460, 440, 470, 455, 430, 465, 450, 440, 470, 460, 450, 445, 455)


@dataclass(frozen=True)
class Scenarios:
    """What every scenario of one spec shares."""

    spec: Spec
    expect: Expect

    @property
    def clock(self) -> Clock:
        """Raw-driven scenarios evaluate at the ledger's interval (its windows are that long)."""
        return Clock(Fraction(str(self.spec.ledger_interval_seconds)) / 60)

    @functools.cached_property
    def history_days(self) -> int:
        """Days of anomaly history every anomaly scenario feeds: the largest minimum of any team
        (once per run: a frozen dataclass keeps cached_property's value in its __dict__)."""
        return max(t.thresholds.anomaly_min_history_days for t in self.spec.teams)

    def history_interval(self) -> int:
        """Evaluation step (minutes) of the history files: divides the anomaly and forecast `for:`."""
        return math.gcd(minutes(self.spec.for_(n.A_ANOMALY)), minutes(self.spec.for_(n.A_MONTHLY_FORECAST)), 15) or 15

    def budget(self, team: Team, period: str, key: str, alert: str, severity: str, exact: bool,
               extra: dict | None = None) -> dict:
        """Raw spend at a steady rate from 00:00 UTC on the 1st crosses threshold x budget."""
        budget = team.daily_budget if period == "daily" else team.monthly_budget
        limit = getattr(team.thresholds, key) * budget
        target = max(limit, team.thresholds.min_daily_spend)
        step = cents_rate(target) if exact else Fraction(target) / Fraction(119, 2)
        k = crossing(limit, team.thresholds.min_daily_spend, step) if exact else 60
        fire = self.clock.fires(k, self.spec.for_(alert))
        value = float(step * math.floor(fire))  # samples each minute: the last one at or before `fire`
        labels = landed(team, {"team": team.name, "project": team.projects[0], "category": "api",
                               "instance": "app-1", "job": n.APP_JOB})
        q = {f"budget_{period}": budget, f"pct_{period}": 100.0 * (value / budget)}
        return {
            "name": f"{team.name}: {alert} fires {self.spec.for_(alert)} after {period} spend passes "
                    f"{getattr(team.thresholds, key):g} x ${budget:,.2f}",
            "interval": "1m",
            "input_series": [series(n.SPEND, labels, f"0+{float(step)!r}x{math.ceil(fire) + 5}")],
            "alert_rule_test": edge(alert, fire, [self.expect.alert(alert, severity, {"team": team.name}, value, q, exact,
                                                                    extra)], self.clock.step),
        }

    def tokens(self, team: Team, ai_model: str, budget: int, exact: bool) -> dict:
        """Input tokens at a steady rate cross the team's daily token budget for an AI model in minute 60."""
        step = Fraction(budget) / Fraction(119, 2)
        fire = self.clock.fires(60, self.spec.for_(n.A_TOKEN_BUDGET))
        labels = landed(team, {"team": team.name, "model": ai_model, "direction": "input",
                               "instance": "app-1", "job": n.APP_JOB})
        exp = self.expect.alert(n.A_TOKEN_BUDGET, "warning", {"team": team.name, "model": ai_model},
                                round(float(step * math.floor(fire))), {"token_budget": budget}, exact)
        return {
            "name": f"{team.name}: {n.A_TOKEN_BUDGET} for {ai_model} at {budget:,} tokens a day",
            "interval": "1m",
            "input_series": [series(n.API_TOKENS, labels, f"0+{float(step)!r}x{math.ceil(fire) + 5}")],
            "alert_rule_test": edge(n.A_TOKEN_BUDGET, fire, [exp], self.clock.step),
        }

    def unpriced(self, team: Team, exact: bool) -> dict:
        """Tokens of a model without a price: none for LEAD minutes, then 1,000 a minute; fires `for:` after."""
        ai_model = UNPRICED_MODEL
        fire = self.clock.fires(LEAD + 1, self.spec.for_(n.A_UNPRICED_TOKENS))
        labels = landed(team, {"team": team.name, "model": ai_model, "direction": "input",
                               "instance": "app-1", "job": n.APP_JOB})
        exp = self.expect.alert(n.A_UNPRICED_TOKENS, "warning", {"team": team.name, "model": ai_model},
                                1000 * (math.floor(fire) - LEAD), {}, exact)
        return {
            "name": f"{team.name}: {n.A_UNPRICED_TOKENS} for a model prices.yaml does not name",
            "interval": "1m",
            "input_series": [series(n.API_TOKENS, labels, f"0x{LEAD} 1000+1000x{math.ceil(fire) + 5}")],
            "alert_rule_test": edge(n.A_UNPRICED_TOKENS, fire, [exp], self.clock.step),
        }

    def gpu_idle(self, team: Team, exact: bool) -> dict:
        """A GPU just under the team's idle threshold from the start fires after `for:`."""
        gpu = self.spec.gpus[0]
        util = round(team.thresholds.gpu_idle_percent - 0.5, 1)
        labels = {"instance": "i-0test", "gpu": "0", "type": gpu.name, "team": team.name,
                  "project": team.projects[0], "environment": team.environment, "job": n.EXPORTER_JOB}
        fire = self.clock.fires(LEAD, self.spec.for_(n.A_GPU_IDLE))
        return {
            "name": f"{team.name}: {n.A_GPU_IDLE} below {team.thresholds.gpu_idle_percent:g}% for {self.spec.for_(n.A_GPU_IDLE)}",
            "interval": "1m",
            "input_series": [series(n.GPU_UTILIZATION, labels, f"50x{LEAD - 1} {util}x{math.ceil(fire) + 5}"),
                             series(n.GPU_HOURLY_COST, labels, f"{gpu.hourly!r}x{math.ceil(fire) + 5}")],
            "alert_rule_test": edge(n.A_GPU_IDLE, fire, [self.expect.alert(
                n.A_GPU_IDLE, "warning", dict(labels), util, {"gpu_hourly": gpu.hourly}, exact)], self.clock.step),
        }

    def anomaly(self, team: Team, kind: str, exact: bool) -> dict:
        """The seed's history (as many days as the largest min-history), then a spike or a drop."""
        step = self.history_interval()
        per_day = 1440 // step
        days = self.history_days
        hist = SEED_HISTORY[-days:]
        mean, sd = statistics.mean(hist), statistics.stdev(hist)
        start = days * 1440
        fire = start + minutes(self.spec.for_(n.A_ANOMALY))
        t = team.thresholds
        z = {"warning": (t.anomaly_z_warning + t.anomaly_z_critical) / 2, "critical": t.anomaly_z_critical + 1,
             "drop": -(t.anomaly_z_warning + 0.5)}[kind]
        today = round(mean + z * sd, 2)
        values = " ".join(f"{v}x{per_day - 1}" for v in hist) + f" {today}x{(fire - start) // step + 2}"
        zval = (today - mean) / sd
        q = {"spend_today": today, "hist_mean": float(mean), "hist_stddev": sd}
        direction = "drop" if kind == "drop" else "spike"
        exp = [self.expect.alert(n.A_ANOMALY, "warning", {"team": team.name}, zval, q, exact, {"direction": direction})]
        if kind == "critical":
            exp.append(self.expect.alert(n.A_ANOMALY, "critical", {"team": team.name}, zval, q, exact, {"direction": "spike"}))
        return {
            "name": f"{team.name}: {n.A_ANOMALY} {kind} (z = {zval:.2f}) after {days} days of the seed's history",
            "interval": f"{step}m", EVAL: f"{step}m",
            "input_series": [series(n.R_TEAM_TODAY, {"team": team.name}, values)],
            "alert_rule_test": edge(n.A_ANOMALY, fire, exp, step=step),
        }

    def forecast(self, team: Team, exact: bool) -> dict:
        """Month-to-date growing 10 % faster than the budget allows; gated until forecast_min_days."""
        step = self.history_interval()
        day = team.thresholds.forecast_min_days
        fire = (day - 1) * 1440 + minutes(self.spec.for_(n.A_MONTHLY_FORECAST))
        # Whole cents per step, so promtool's running sum and our expectation agree to the cent.
        per_step = Fraction(math.ceil(team.monthly_budget * 1.1 / 31 * step / 1440 * 100), 100)
        daily = per_step * 1440 / step
        exp = self.expect.alert(n.A_MONTHLY_FORECAST, "warning", {"team": team.name}, float(daily * 31),
                                {"budget_monthly": team.monthly_budget, "spend_month": float(per_step * fire / step)}, exact)
        return {
            "name": f"{team.name}: {n.A_MONTHLY_FORECAST} from day {day} of the month",
            "interval": f"{step}m", EVAL: f"{step}m",
            "input_series": [series(n.R_TEAM_MONTH, {"team": team.name}, f"0+{float(per_step)!r}x{fire // step + 2}")],
            "alert_rule_test": edge(n.A_MONTHLY_FORECAST, fire, [exp], step=step),
        }

    def trend(self, team: Team, exact: bool) -> dict:
        """A week 10 % above the trend threshold over the week before."""
        t = team.thresholds
        before = round(7 * max(t.min_daily_spend, team.daily_budget / 2), 2)
        after = round(before * (1 + t.trend_week_over_week) * 1.1, 2)
        fire = 7 * 1440 + minutes(self.spec.for_(n.A_TREND))
        values = f"{before}x{7 * 24 - 1} {after}x{(fire - 7 * 1440) // 60 + 2}"
        exp = self.expect.alert(n.A_TREND, "warning", {"team": team.name}, after, {"week_before": before}, exact)
        return {
            "name": f"{team.name}: {n.A_TREND} when a week costs {after / before - 1:.0%} more",
            "interval": "1h", EVAL: "1h",
            "input_series": [series(n.R_TEAM_WEEK, {"team": team.name}, values)],
            "alert_rule_test": edge(n.A_TREND, fire, [exp], step=60),
        }

    def cost_per_request(self, team: Team, exact: bool) -> dict:
        """An endpoint's p95 10 % above factor x its 7-day p95."""
        base = 0.02
        p95 = round(base * team.thresholds.cost_per_request_factor * 1.1, 6)
        labels = {"team": team.name, "endpoint": "/v1/complete"}
        fire = self.clock.fires(LEAD, self.spec.for_(n.A_COST_PER_REQUEST))
        exp = self.expect.alert(n.A_COST_PER_REQUEST, "warning", labels, p95, {"p95_baseline": base}, exact)
        return {
            "name": f"{team.name}: {n.A_COST_PER_REQUEST} at {team.thresholds.cost_per_request_factor:g}x baseline",
            "interval": "1m",
            "input_series": [series(n.R_TEAM_ENDPOINT_P95, labels, f"{base!r}x{LEAD - 1} {p95!r}x{math.ceil(fire) + 5}"),
                             series(n.R_TEAM_ENDPOINT_P95_BASELINE, labels, f"{base!r}x{math.ceil(fire) + 5}")],
            "alert_rule_test": edge(n.A_COST_PER_REQUEST, fire, [exp], self.clock.step),
        }

    def cost_per_user(self, team: Team, tier: UserTier, exact: bool) -> dict:
        """A tier's month-to-date spend per user 10 % above its revenue per user."""
        spend = round(tier.users * tier.revenue_per_user * 1.1, 2)
        labels = landed(team, {"team": team.name, "project": tier.projects[0], "category": "api"})
        fire = self.clock.fires(LEAD, self.spec.for_(n.A_COST_PER_USER))
        exp = self.expect.alert(n.A_COST_PER_USER, "warning", {"team": team.name, "tier": tier.name},
                                spend / tier.users, {"tier_revenue": tier.revenue_per_user}, exact)
        return {
            "name": f"{team.name}: {n.A_COST_PER_USER} for tier {tier.name}",
            "interval": "1m",
            "input_series": [series(n.R_TPC_MONTH, labels, f"0x{LEAD - 1} {spend!r}x{math.ceil(fire) + 2}")],
            "alert_rule_test": edge(n.A_COST_PER_USER, fire, [exp], self.clock.step),
        }

    def training(self, team: Team, project: str, budget: float, exact: bool) -> dict:
        """An experiment's training spend jumps to 125 % of its budget."""
        spend = round(budget * 1.25, 2)
        labels = landed(team, {"team": team.name, "project": project, "category": "training",
                               "instance": "i-0train", "job": n.EXPORTER_JOB})
        fire = self.clock.fires(1, self.spec.for_(n.A_TRAINING))
        exp = self.expect.alert(n.A_TRAINING, "warning", {"team": team.name, "project": project}, spend, {}, exact)
        return {
            "name": f"{team.name}: {n.A_TRAINING} for {project} over ${budget:,.2f}",
            "interval": "1m",
            "input_series": [series(n.SPEND, labels, f"0 {spend!r}x{math.ceil(fire) + 5}")],
            "alert_rule_test": edge(n.A_TRAINING, fire, [exp], self.clock.step),
        }

    def for_team(self, team: Team) -> list[tuple[str, Callable[[bool], dict]]]:
        """Every per-team scenario, keyed by the file it goes to; each builds its group when called with `exact`."""
        p = functools.partial
        out = [("daily-budget-exceeded", p(self.budget, team, "daily", "budget_exceeded", n.A_DAILY_EXCEEDED, "critical")),
               ("daily-budget-warning", p(self.budget, team, "daily", "budget_warning", n.A_DAILY_WARNING, "warning")),
               ("monthly-budget-exceeded", p(self.budget, team, "monthly", "budget_exceeded", n.A_MONTHLY_EXCEEDED, "critical")),
               ("monthly-budget-warning", p(self.budget, team, "monthly", "budget_warning", n.A_MONTHLY_WARNING, "warning")),
               ("monthly-budget-forecast", p(self.forecast, team)),
               ("gpu-idle", p(self.gpu_idle, team)),
               ("cost-per-request", p(self.cost_per_request, team)),
               ("cost-trend", p(self.trend, team))]
        out += [(f"cost-anomaly-{kind}", p(self.anomaly, team, kind)) for kind in ("warning", "critical", "drop")]
        # The action a team's guard takes first: past the warning, a throttled team is also blocked
        # later by the same rule as a blocked team (whose scenario tests it).
        for action, key, severity in GUARD_ACTIONS:
            if action in team.enforce.actions[-1:]:
                guard = functools.partial(self.budget, team, "daily", key, n.A_BUDGET_GUARD, severity)
                out.append((f"budget-guard-{action}",
                            lambda exact, g=guard, a=action: g(exact, {n.L_PERIOD: "daily", n.L_ACTION: a})))
        out += [("token-budget", p(self.tokens, team, m, b)) for m, b in team.token_budgets]
        if not team.sources.counts("litellm") and not any(UNPRICED_MODEL in m.names for m in self.spec.models):
            out.append(("unpriced-tokens", p(self.unpriced, team)))
        out += [("cost-per-user", p(self.cost_per_user, team, tier)) for tier in team.user_tiers]
        trainings = list(team.experiments)
        if team.training_default_budget is not None:
            trainings.append(("adhoc-experiment", team.training_default_budget))
        out += [("training-budget", p(self.training, team, proj, b)) for proj, b in trainings]
        return out
