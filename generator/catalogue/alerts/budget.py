"""Budget alerts: a team's daily and monthly budget, its month-end forecast, the whole org's budget."""

from __future__ import annotations

from generator import names as n
from generator import promql as q
from generator.catalogue.alert import Alert
from generator.catalogue.constants import constant, spend_floor, threshold
from generator.model import Spec

PERIODS = (("daily", n.R_TEAM_TODAY, n.A_DAILY_EXCEEDED, n.A_DAILY_WARNING, "today (since 00:00 UTC)"),
           ("monthly", n.R_TEAM_MONTH, n.A_MONTHLY_EXCEEDED, n.A_MONTHLY_WARNING, "this month (since the 1st, UTC)"))


TEAM = q.on(n.L_TEAM)


def _budget(spec: Spec, period: str) -> str:
    return constant(spec, n.C_TEAM_BUDGET, **{n.L_PERIOD: period})


def _team_budget(spec: Spec, period: str, spend: str, name: str, key: str, severity: str, when: str) -> Alert:
    expr = (f"{spend} > {TEAM} ({_budget(spec, period)} * {TEAM} {threshold(spec, key)})\n"
            f"and {TEAM} {spend} >= {TEAM} {spend_floor(spec)}")
    verb = "has exceeded" if severity == "critical" else "is at {query:pct_%s:pct}%% of" % period
    return Alert(
        name, severity, expr,
        summary=f"Team {{label:team}} {verb} its {period} AI budget",
        description=(f"Team {{label:team}} has spent ${{value:money}} {when}, "
                     f"{{query:pct_{period}:pct}}% of its {period} budget of ${{query:budget_{period}:money}}."),
        action=("Block new requests, notify team lead and finance" if severity == "critical"
                else "Review usage, consider rate limiting"),
    )


def _forecast(spec: Spec) -> Alert:
    return Alert(
        n.A_MONTHLY_FORECAST, "warning",
        (f"{n.R_TEAM_FORECAST} > {TEAM} {_budget(spec, 'monthly')}\n"
         f"and {TEAM} ({threshold(spec, 'forecast_min_days')} <= {q.on()} group_left () day_of_month())\n"
         f"and {TEAM} {n.R_TEAM_MONTH} >= {TEAM} {spend_floor(spec)}"),
        summary="Team {label:team} is on course to exceed its monthly AI budget",
        description=("At this month's pace team {label:team} will spend ${value:money} by month end, "
                     "over its monthly budget of ${query:budget_monthly:money} (spent so far: ${query:spend_month:money})."),
        action="Review the month's biggest spenders and cap them before the budget runs out",
    )


def _org(spec: Spec, period: str, spend: str) -> Alert:
    share = spec.thresholds.org_budget_exceeded
    return Alert(
        n.A_ORG_EXCEEDED, "critical",
        f"{spend} > {q.on()} ({constant(spec, n.C_ORG_BUDGET, **{n.L_PERIOD: period})} * {q.number(share)})",
        summary=f"Total AI spend is over {share * 100:g}% of the {period} budget",
        description=(f"{spec.org_name} has spent ${{value:money}} on AI {'today' if period == 'daily' else 'this month'}; "
                     f"the {period} budget is ${{query:org_budget_{period}:money}}."),
        action="Block new requests, notify team leads and finance",
        labels={n.L_PERIOD: period}, per_team=False,
    )


GUARD_ACTIONS = (("block", "budget_exceeded", "critical"), ("throttle", "budget_warning", "warning"))


def _guard(spec: Spec, period: str, spend: str, when: str, action: str, key: str, severity: str) -> Alert:
    """What the library's guard polls: the exceeded (block) or warning (throttle) condition, for the
    teams that asked for that action, at once."""
    expr = (f"{spend} > {TEAM} ({_budget(spec, period)} * {TEAM} {threshold(spec, key)})\n"
            f"and {TEAM} {spend} >= {TEAM} {spend_floor(spec)}\n"
            f"and {TEAM} {constant(spec, n.C_TEAM_ENFORCE, action=action)}")
    blocked = action == "block"
    return Alert(
        n.A_BUDGET_GUARD, severity, expr,
        summary=(f"Team {{label:team}} is blocked: its {period} AI budget is spent" if blocked else
                 f"Team {{label:team}} is throttled: {{query:pct_{period}:pct}}% of its {period} AI budget is spent"),
        description=(f"Team {{label:team}} has spent ${{value:money}} {when} of its {period} budget of "
                     f"${{query:budget_{period}:money}}; the instrumentation library "
                     + ("refuses its calls" if blocked else "limits its calls to its per_minute rate")
                     + f" until the period ends or a silence lifts the {action}."),
        action=f"Silence this alert (team, period, action) to lift the {action}; raise the budget in the spec for good",
        labels={n.L_PERIOD: period, n.L_ACTION: action},
    )


def alerts(spec: Spec) -> list[Alert]:
    """Budget alerts: exceeded (critical) and warning per period, the forecast, the org's budget, the guard."""
    out = []
    for period, spend, exceeded, warning, when in PERIODS:
        out.append(_team_budget(spec, period, spend, exceeded, "budget_exceeded", "critical", when))
        out.append(_team_budget(spec, period, spend, warning, "budget_warning", "warning", when))
    out.append(_forecast(spec))
    out += [_org(spec, "daily", n.R_ORG_TODAY), _org(spec, "monthly", n.R_ORG_MONTH)]
    out += [_guard(spec, period, spend, when, *a) for a in GUARD_ACTIONS for period, spend, _, _, when in PERIODS]
    return out
