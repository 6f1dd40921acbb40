"""The spend ledger: every evaluation records, per team/project/category, exactly what was spent
since the previous evaluation, read from the raw counters.

Why it is exact (the README has the whole argument). For one raw counter series and the
evaluation window (t - w, t], w the ledger group's interval:

* the increase is the last sample in the window minus the last sample known before it,
  looked for as far back as the lookback: a scrape gap shorter than the lookback, or a
  Prometheus restart, loses nothing, and no extrapolation is ever applied;
* a counter that dropped inside the window (a process restart) counts the part before the
  drop and then its new value from 0; one that dropped right at the window's start counts
  from 0; a series seen for the first time counts from 0 (a counter starts at 0, so a series
  first seen at $4.20 has spent $4.20), unless the ledger itself was not running through the
  lookback: then nobody can tell a new series from one that was away, and it counts from its
  first sample here, never twice.

Windows follow each other without overlap or gap as long as every evaluation runs, so the
entries of a day add up to the day. Each entry belongs to the UTC day in which its window
ends, and carries that day's parity (`day_parity`): a plain one-day range of the entries of
today's parity holds today's entries and nothing else, whether ranges are closed on the left
(Prometheus 2) or open (Prometheus 3).
"""

from __future__ import annotations

from generator import durations
from generator import names as n
from generator import promql as q
from generator.model import Spec

# The UTC day number of an entry made now: the day in which its window ends (one millisecond
# before the evaluation time, so the evaluation at exactly 00:00 closes the previous day).
ENTRY_DAY = "floor((vector(time()) - 0.001) / 86400)"
# One day less a millisecond: the entries of a day in a plain range, without the entry that
# closes the day before, under closed and left-open ranges alike (entries are `window` apart).
DAY_RANGE = "23h59m59s999ms"
TWO_DAYS_RANGE = "1d23h59m59s999ms"
# How far back the ledger looks for a heartbeat to tell "first start" from "was down a while".
HEARTBEAT_MEMORY = "6d"


def births_trusted(spec: Spec) -> str:
    """One sample when a counter absent through the lookback is new, not back from an outage of the ledger.

    True when the ledger evaluated at every interval from its first heartbeat in the lookback
    to the previous evaluation, or when it never ran before (a first start, a promtool test).
    """
    w, lookback, hb = spec.evaluation_interval, spec.spend_lookback, n.R_LEDGER_HEARTBEAT
    step = q.number(spec.ledger_interval_seconds)
    continuous = (f"count_over_time({hb}[{lookback}] offset {w})\n"
                  f">= (time() - {step} - min_over_time({hb}[{lookback}] offset {w})) / {step} + 0.5")
    never_ran = f"vector(1) unless on () present_over_time({hb}[{HEARTBEAT_MEMORY}] offset {w})"
    return q.join("or", q.join(f"and {q.on()}", "vector(1)", continuous), never_ran)


def increase(x: str, spec: Spec) -> str:
    """Exact increase of every series of counter `x` in the window since the previous evaluation.

    The window's samples are read over the interval less a millisecond: a sample exactly one
    interval old is the last one *before* the window, under Prometheus 2's closed ranges as
    under 3's left-open ones.
    """
    w, lookback = spec.evaluation_interval, spec.spend_lookback
    inside = durations.render(spec.ledger_interval_seconds - 0.001)
    last, before, near = f"last_over_time({x}[{inside}])", f"last_over_time({x}[{lookback}] offset {w})", f"{x} offset {w}"
    dropped = f"resets({x}[{inside}]) > 0"
    branches = [
        ("no drop: the last sample minus the last one known before the window (gaps included)",
         q.join("unless", f"{last} - {before} >= 0", dropped, f"min_over_time({x}[{inside}]) < {near}")),
        ("restarted inside the window: what it counted before the drop, then from 0",
         q.join("and", f"{last} + clamp_min(max_over_time({x}[{inside}]) - {near}, 0)", dropped)),
        ("restarted right at the window's start: from 0", q.join("and", last, near)),
        ("first seen: a counter starts at 0 ...", q.join(f"and {q.on()}", last, births_trusted(spec))),
        ("... unless the ledger was down: then new and returning counters look alike, so from its first sample",
         f"{last} - min_over_time({x}[{inside}])"),
    ]
    return "\nor\n".join(f"# {why}\n{q.parens(expr)}" for why, expr in branches)


def _priced_tokens() -> str:
    """Token increments times the price table: dollars, as API spend of the team."""
    priced = f"{n.R_TMD_INCREMENT} * {q.on(n.L_MODEL, n.L_DIRECTION)} group_left () {n.C_MODEL_PRICE}"
    return q.label_value(q.agg("sum", q.by(n.L_TEAM), priced), n.L_CATEGORY, "api")


def _by_day(record: str, source: str) -> list[dict]:
    """The entries of `source` again, labelled with the parity of the day they belong to."""
    return [{"record": record, "labels": {n.L_DAY_PARITY: parity},
             "expr": q.join(f"and {q.on()}", source, q.parens(q.day_is(parity, day=ENTRY_DAY)))}
            for parity in n.DAY_PARITIES]


def price_rules(spec: Spec) -> list[dict]:
    """Model prices as constant series, in the ledger's group: the first entry after a deploy is priced too."""
    out = []
    for price in spec.models:
        for direction, per_million in (("input", price.input_per_million), ("output", price.output_per_million)):
            out.append({"record": n.C_MODEL_PRICE, "expr": f"vector({q.number(per_million / 1e6)})",
                        "labels": {n.L_DIRECTION: direction, n.L_MODEL: price.name}})
    return out


def ledger_rules(spec: Spec) -> list[dict]:
    """Heartbeat, token and dollar increments, the team level, and the by-day copies."""
    # API dollars where a team emits them; otherwise its tokens at list price. `or on (team,
    # category)` keeps the dollars where both exist, so nothing is counted twice.
    dollars = q.join(f"or {q.on(n.L_TEAM, n.L_CATEGORY)}",
                     q.agg("sum", q.by(*n.TPC), increase(n.SPEND, spec)), _priced_tokens())
    return [
        {"record": n.R_LEDGER_HEARTBEAT, "expr": "vector(time())"},
        {"record": n.R_TMD_INCREMENT,
         "expr": q.agg("sum", q.by(n.L_TEAM, n.L_MODEL, n.L_DIRECTION), increase(n.API_TOKENS, spec))},
        {"record": n.R_TPC_INCREMENT, "expr": dollars},
        {"record": n.R_TEAM_INCREMENT, "expr": q.agg("sum", q.by(n.L_TEAM), n.R_TPC_INCREMENT)},
        *_by_day(n.R_TPC_INCREMENT_BY_DAY, n.R_TPC_INCREMENT),
        *_by_day(n.R_TMD_INCREMENT_BY_DAY, n.R_TMD_INCREMENT),
    ]


def day_sum(by_day: str, grouping: tuple[str, ...] | None, days_ago: int, range_: str) -> str:
    """The sum of the entries of one UTC day (`days_ago` before today) from a by-day ledger, by
    `grouping` (None: every label but the parity).

    Both parities are written out; the one of that day is kept. `range_` must reach back over
    the day and no further than the previous day of the same parity.
    """
    per_parity = [q.join(f"and {q.on()}", f"sum_over_time({q.sel(by_day, **{n.L_DAY_PARITY: p})}[{range_}])",
                         q.parens(q.day_is(p, days_ago)))
                  for p in n.DAY_PARITIES]
    return q.agg("sum", q.by(*grouping) if grouping else f"without ({n.L_DAY_PARITY})", q.join("or", *per_parity))
