"""Calendar spend from the ledger: today, yesterday, month to date, the last 7 days, tokens today.

Days are UTC days. "Today" at time t is the day that began at the last midnight at or before
t, so at exactly 00:00 it is the new day with nothing spent yet, and the entry made at 00:00
(its window ends then) closes the previous day.

* today: the running total of today's entries (`running`: each evaluation adds its entry to the
  total before, recounted from the day's entries every ten minutes), withheld while not exact;
* yesterday: recorded every hour as the day total of the previous day (`day_total`), read
  back with its date, so "yesterday" never shows the day before yesterday;
* month to date: today, yesterday, and one day total per earlier day of the month;
* the last 7 days: today, yesterday, five earlier day totals, and the part of the day a week
  ago that lies inside the window (that day's total minus its "today" at this time of day).
"""

from __future__ import annotations

import json

from generator import durations
from generator import names as n
from generator import promql as q
from generator.catalogue.constants import constant
from generator.catalogue.records.ledger import TWO_DAYS_RANGE, day_sum
from generator.catalogue.records.running import running_rules, running_today, trusted_rule, when_trusted
from generator.model import Spec

# The evaluation time inside a subquery (time() there is the subquery's own step).
END = "last_over_time(vector(time())[1ms:1ms] @ end())"


def _hourly(expr: str, spec: Spec) -> str:
    """`expr` evaluated only when an hour starts within this evaluation's window, else nothing.

    A one-point subquery: its range is the window less a millisecond, so each start of an hour
    falls in exactly one window, under closed and left-open ranges alike, and the expensive
    expression inside is computed once an hour instead of at every evaluation.
    """
    gate = durations.render(spec.ledger_interval_seconds - 0.001)
    return f"last_over_time({q.parens(expr)}[{gate}:1h])"


def _day_total_of(days_ago: int) -> str:
    """The stored day total of the day `days_ago` before the current one, if it has been recorded."""
    recorded = f"last_over_time({n.R_DAY_TOTAL_DATE}[2h])"
    return q.join(f"and {q.on()}", f"last_over_time({n.R_TPC_DAY_TOTAL}[2h])",
                  q.parens(f"{recorded} == {q.TODAY_NUMBER} - {days_ago}"))


def _earlier_days(range_: str, condition: str) -> str:
    """The day totals stored on earlier days in `range_` (one per day: at each midnight a, the last
    total stored during the day before a, which is the total of the day two days before a)."""
    stored = q.join(f"and {q.on()}", f"last_over_time({n.R_TPC_DAY_TOTAL}[1d] offset 1ms)", q.parens(condition))
    return f"sum_over_time({q.parens(stored)}[{range_}:1d])"


def day_rules(spec: Spec) -> list[dict]:
    """Day totals (hourly), yesterday and today per team, project and category, and their sums."""
    total = day_sum(n.R_TPC_INCREMENT_BY_DAY, n.TPC, 1, TWO_DAYS_RANGE)
    today = running_today(n.R_TPC_RUNNING, n.TPC)
    tokens = (n.L_TEAM, n.L_MODEL)
    return [
        trusted_rule(spec),
        *running_rules(n.R_TPC_RUNNING, n.R_TPC_RECOUNT, n.R_TPC_INCREMENT_BY_DAY, n.TPC, spec),
        *running_rules(n.R_TM_TOKENS_RUNNING, n.R_TM_TOKENS_RECOUNT, n.R_TMD_INCREMENT_BY_DAY, tokens, spec),
        {"record": n.R_TPC_DAY_TOTAL, "expr": _hourly(total, spec)},
        {"record": n.R_DAY_TOTAL_DATE, "expr": _hourly(f"{q.TODAY_NUMBER} - 1", spec)},
        {"record": n.R_TPC_YESTERDAY, "expr": _day_total_of(1)},
        # A group that spent yesterday but nothing yet today shows 0, not no data.
        {"record": n.R_TPC_TODAY, "expr": when_trusted(q.join(f"or {q.on(*n.TPC)}", today, f"{n.R_TPC_YESTERDAY} * 0"))},
        {"record": n.DAILY_SPEND, "expr": q.agg("sum", q.by(n.L_TEAM, n.L_CATEGORY), n.R_TPC_TODAY)},
        {"record": n.R_TEAM_TODAY, "expr": q.agg("sum", q.by(n.L_TEAM), n.R_TPC_TODAY)},
        {"record": n.R_ORG_TODAY, "expr": f"sum({n.R_TPC_TODAY})"},
        {"record": n.R_TEAM_MODEL_TOKENS_TODAY, "expr": when_trusted(running_today(n.R_TM_TOKENS_RUNNING, tokens))},
        {"record": n.R_UNPRICED_TOKENS_TODAY, "expr": _unpriced_tokens(spec)},
    ]


def _unpriced_tokens(spec: Spec) -> str:
    """Today's tokens of models no price covers (never silently $0). Teams whose API truth is LiteLLM
    are left out: LiteLLM prices their calls itself."""
    litellm = [t.name for t in spec.truth_teams("litellm")]
    tokens = (f"{n.R_TEAM_MODEL_TOKENS_TODAY}{{{n.L_TEAM}!~{json.dumps(q.alternatives(litellm))}}}" if litellm
              else n.R_TEAM_MODEL_TOKENS_TODAY)
    prices = q.parens(q.join("or", n.C_MODEL_PRICE, n.C_TRANSFER_PRICE)) if spec.source("vllm") else n.C_MODEL_PRICE
    return q.join(f"unless {q.on(n.L_MODEL)}", tokens, prices)


def month_rules(spec: Spec) -> list[dict]:
    """Month to date per team, project and category, per team and for the org; budget utilization."""
    same_month = f"month(vector(time() - {2 * q.DAY})) == {q.on()} month({END})"
    month = q.sum_parts(n.TPC, ("+", n.R_TPC_TODAY),
                        ("+", q.join(f"and {q.on()}", n.R_TPC_YESTERDAY, "day_of_month() > 1")),
                        ("+", _earlier_days("31d", same_month)))
    period = lambda p: constant(spec, n.C_TEAM_BUDGET, **{n.L_PERIOD: p})  # noqa: E731
    return [
        {"record": n.R_TPC_MONTH, "expr": month},
        {"record": n.R_TEAM_MONTH, "expr": q.agg("sum", q.by(n.L_TEAM), n.R_TPC_MONTH)},
        {"record": n.R_ORG_MONTH, "expr": f"sum({n.R_TPC_MONTH})"},
        {"record": n.BUDGET_UTILIZATION, "labels": {n.L_PERIOD: "daily"},
         "expr": f"{n.R_TEAM_TODAY} / {q.on(n.L_TEAM)} {period('daily')}"},
        {"record": n.BUDGET_UTILIZATION, "labels": {n.L_PERIOD: "monthly"},
         "expr": f"{n.R_TEAM_MONTH} / {q.on(n.L_TEAM)} {period('monthly')}"},
    ]


def rolling_days(days: int, grouping: tuple[str, ...], **matchers: str) -> str:
    """Spend over the last `days` days exactly, a rolling window ending now: today, yesterday, the
    day totals of the days between, and of the day `days` ago only the part after this time of day
    (its total minus what it had spent by this time, its "today" then)."""
    def total(series: str) -> str:
        return q.agg("sum", q.by(*grouping), q.sel(series, **matchers))

    parts = [("+", total(n.R_TPC_TODAY)), ("+", total(n.R_TPC_YESTERDAY))]
    if days > 1:
        # At each midnight a in the range, the last total stored during the day before a: the
        # total of the day two days before a. The range ends one millisecond short, so that at
        # exactly 00:00 a closed range (Prometheus 2) takes no extra day.
        stored = q.agg("sum", q.by(*grouping), f"last_over_time({q.sel(n.R_TPC_DAY_TOTAL, **matchers)}[1d] offset 1ms)")
        parts.append(("+", f"sum_over_time({q.parens(stored)}[{durations.render((days - 1) * q.DAY - 0.001)}:1d])"))
    parts.append(("-", q.agg("sum", q.by(*grouping), f"{q.sel(n.R_TPC_TODAY, **matchers)} offset {days}d")))
    return q.sum_parts(grouping, *parts)
