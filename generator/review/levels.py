"""When each alert fires for a team, in the team's own numbers: the words `diff` and `explain` print.

One line per alert rule and subject (a model, a tier, an experiment), computed from the model
alone: a budget times its threshold is the dollar level, the spend floor and `for:` are said
where they apply. These are the conditions of the rules in `generator.catalogue.alerts`, in words.
"""

from __future__ import annotations

from typing import NamedTuple

from generator import durations
from generator import names as n
from generator.catalogue.alerts.budget import GUARD_ACTIONS
from generator.model import Spec, Team


class Condition(NamedTuple):
    """When one alert rule fires for one subject; `level` is its dollar (or token) level, if it has one."""

    alert: str
    severity: str
    subject: str  # "" for the team as a whole, else e.g. "model gpt-4o", "tier pro", "experiment x"
    text: str
    level: float | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        """What tells the conditions of one team apart."""
        return self.alert, self.severity, self.subject

    @property
    def title(self) -> str:
        """Alert, severity and subject, as the output names them."""
        return f"{self.alert} ({self.severity}{', ' + self.subject if self.subject else ''})"


def money(x: float) -> str:
    """Dollars as every review output writes them."""
    return f"${x:,.2f}"


def _for(spec: Spec, alert: str) -> str:
    duration = spec.for_(alert)
    return f", for {duration}" if durations.seconds(duration) else ""


def _budget(spec: Spec, t: Team, alert: str, severity: str, key: str, period: str, spend: str) -> Condition:
    share, budget, floor = getattr(t.thresholds, key), getattr(t, f"{period}_budget"), t.thresholds.min_daily_spend
    level = share * budget
    text = f"{spend} above {money(level)} ({share:g} x {period} budget {money(budget)})"
    if floor > level:
        text += f", and at least {money(floor)} (min_daily_spend)"
    return Condition(alert, severity, "", text + _for(spec, alert), max(level, floor))


def _exempt(t: Team) -> str:
    e = t.enforce
    parts = [f"projects {', '.join(e.exempt_projects)}"] if e.exempt_projects else []
    parts += [f"endpoints {', '.join(e.exempt_endpoints)}"] if e.exempt_endpoints else []
    return f" (except {' and '.join(parts)})" if parts else ""


def team_conditions(spec: Spec, t: Team) -> list[Condition]:
    """Every alert rule that can fire for team `t`, with the level at which it does."""
    th, floor = t.thresholds, money(t.thresholds.min_daily_spend)
    out = [
        _budget(spec, t, n.A_DAILY_EXCEEDED, "critical", "budget_exceeded", "daily", "today's spend"),
        _budget(spec, t, n.A_DAILY_WARNING, "warning", "budget_warning", "daily", "today's spend"),
        _budget(spec, t, n.A_MONTHLY_EXCEEDED, "critical", "budget_exceeded", "monthly", "month-to-date spend"),
        _budget(spec, t, n.A_MONTHLY_WARNING, "warning", "budget_warning", "monthly", "month-to-date spend"),
        Condition(n.A_MONTHLY_FORECAST, "warning", "",
                  f"month-end forecast above {money(t.monthly_budget)} (the monthly budget), from day "
                  f"{th.forecast_min_days} of the month, month to date at least {floor}"
                  + _for(spec, n.A_MONTHLY_FORECAST), t.monthly_budget),
    ]
    history = (f"after {th.anomaly_min_history_days} days of history, today or the usual spend at least {floor}"
               + _for(spec, n.A_ANOMALY))
    out += [
        Condition(n.A_ANOMALY, "critical", "spike", f"z-score of today's spend above {th.anomaly_z_critical:g}, {history}"),
        Condition(n.A_ANOMALY, "warning", "spike", f"z-score of today's spend above {th.anomaly_z_warning:g}, {history}"),
        Condition(n.A_ANOMALY, "warning", "drop", f"z-score of today's spend below -{th.anomaly_z_warning:g}, {history}"),
        Condition(n.A_TREND, "warning", "",
                  f"the last 7 days above {1 + th.trend_week_over_week:g} x the 7 days before, which were at least "
                  f"{money(7 * th.min_daily_spend)}" + _for(spec, n.A_TREND)),
        Condition(n.A_GPU_IDLE, "warning", "",
                  f"a GPU of the team below {th.gpu_idle_percent:g}% utilization" + _for(spec, n.A_GPU_IDLE)),
        Condition(n.A_COST_PER_REQUEST, "warning", "",
                  f"an endpoint's p95 cost per request above {th.cost_per_request_factor:g} x its 7-day p95"
                  + _for(spec, n.A_COST_PER_REQUEST)),
        Condition(n.A_DATA_MISSING, "warning", "",
                  f"no spend reported for {spec.silence_window} after some in the last day"
                  + _for(spec, n.A_DATA_MISSING)),
    ]
    does = {"block": "the library refuses the team's calls",
            "throttle": f"the library allows {t.enforce.per_minute or 0:g} of the team's calls a minute per process"}
    for action, key, severity in GUARD_ACTIONS:
        if action in t.enforce.actions:
            for period, spend in (("daily", "today's spend"), ("monthly", "month-to-date spend")):
                c = _budget(spec, t, n.A_BUDGET_GUARD, severity, key, period, spend)
                out.append(c._replace(subject=period, text=f"{c.text}: {does[action]}{_exempt(t)}"))
    for model, tokens in t.token_budgets:
        out.append(Condition(n.A_TOKEN_BUDGET, "warning", f"model {model}",
                             f"{model} tokens today above {tokens:,}" + _for(spec, n.A_TOKEN_BUDGET), tokens))
    for tier in t.user_tiers:
        out.append(Condition(n.A_COST_PER_USER, "warning", f"tier {tier.name}",
                             f"month-to-date cost per user of tier {tier.name} above {money(tier.revenue_per_user)} "
                             f"(its revenue per user; {tier.users:,} users)" + _for(spec, n.A_COST_PER_USER),
                             tier.revenue_per_user))
    for experiment, budget in t.experiments:
        out.append(Condition(n.A_TRAINING, "warning", f"experiment {experiment}",
                             f"training spend of {experiment} over the last {spec.training_window} above {money(budget)}"
                             + _for(spec, n.A_TRAINING), budget))
    if t.training_default_budget is not None:
        out.append(Condition(n.A_TRAINING, "warning", "other experiments",
                             f"training spend of any other project over the last {spec.training_window} above "
                             f"{money(t.training_default_budget)}" + _for(spec, n.A_TRAINING), t.training_default_budget))
    return out


def org_conditions(spec: Spec) -> list[Condition]:
    """The alert rules of the whole organisation, with their dollar levels."""
    share = spec.thresholds.org_budget_exceeded
    out = []
    for period, budget, spend in (("daily", spec.org_daily_budget, "the organisation's spend today"),
                                  ("monthly", spec.org_monthly_budget, "the organisation's month-to-date spend")):
        out.append(Condition(n.A_ORG_EXCEEDED, "critical", period,
                             f"{spend} above {money(share * budget)} ({share:g} x {period} budget {money(budget)})"
                             + _for(spec, n.A_ORG_EXCEEDED), share * budget))
    out.append(Condition(n.A_UNTAGGED, "warning", "",
                         f"any spend under a team the spec does not know in the last {spec.untagged_spend_window}"
                         + _for(spec, n.A_UNTAGGED)))
    out.append(Condition(n.A_RULE_GROUP_SLOW, "warning", "",
                         f"an aicost rule group's evaluation takes more than "
                         f"{spec.thresholds.rule_group_duration_share:g} of its interval" + _for(spec, n.A_RULE_GROUP_SLOW)))
    return out
