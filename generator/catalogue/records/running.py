"""Today as a running total: each evaluation adds its ledger entry to the total it recorded the
evaluation before, and every ten minutes the total is recounted from the day's entries.

Why: a plain sum of the day's entries reads every entry of the day (1,440 at a 1m interval) per
aggregated series at every evaluation; the running total reads its own last 45 minutes and the
one new entry, and the day's entries only at a recount.

Why it is exact. The total of UTC day D (the day of the entries, `ENTRY_DAY`) at evaluation t is
the sum of D's entries made at or before t:

* carried: the total recorded at the previous evaluation, read over the recent past (45m, the
  ledger's own recent read), plus the entry made now. Entries are stamped at evaluation times,
  so nothing lies between the two; a day's first entry starts from nothing (the totals carry
  their day's parity, and the previous day's never matches);
* recounted, at the evaluation whose interval holds a recount mark (every `recount_seconds`,
  midnight excepted): the sum of the day's entries up to the mark, read there, plus the entry
  made now if it was made after the mark. Any mark in [t - interval, t] works: no entry lies
  between it and t but the one made at t.

A total carried over a gap in the ledger's own evaluations longer than the recent read has lost
its base: it is not trusted (`R_TODAY_TRUSTED` is 0) until the next mark recounts it, and "today"
is withheld meanwhile, never shown low. A first start needs no recount (no entry came before it),
nor does a day's first evaluation. Entries imported between evaluations (`aicost backfill`)
count from the next mark.
"""

from __future__ import annotations

import math

from generator import durations
from generator import names as n
from generator import promql as q
from generator.catalogue.records.departures import recent_read, recent_seconds
from generator.catalogue.records.ledger import DAY_RANGE, ENTRY_DAY, never_ran
from generator.model import Spec

# At most this long (or twice the interval, if longer) after an outage of the ledger longer than
# its recent read, "today" is back.
RECOUNT_AT_LEAST = 600


def recount_seconds(spec: Spec) -> int:
    """How often a running total is recounted: the shortest divisor of a day of at least ten
    minutes and twice the interval (so an interval never holds two marks, and midnight is one)."""
    floor = math.ceil(max(RECOUNT_AT_LEAST, 2 * spec.ledger_interval_seconds))
    return next((d for d in range(floor, q.DAY) if q.DAY % d == 0), q.DAY)


def _at_mark(expr: str, spec: Spec) -> str:
    """`expr` evaluated at the recount mark inside [t - interval, t], if one is; else nothing."""
    window = durations.render(spec.ledger_interval_seconds)
    return f"last_over_time({q.parens(expr)}[{window}:{durations.render(recount_seconds(spec))}])"


def _now(selector: str) -> str:
    """The sample a rule of this group recorded at this very evaluation (a one-millisecond read
    holds nothing older, under closed and left-open ranges alike)."""
    return f"last_over_time({selector}[1ms])"


def _recount_expr(by_day: str, grouping: tuple[str, ...], parity: str, spec: Spec) -> str:
    """At a mark (not midnight), the sum of the day's entries of this parity up to it; else nothing.

    A rule of its own: every read of a query pays for each TSDB block its longest range reaches,
    and this one reaches a day back; the running total's reads stay in the head block.
    """
    day = q.agg("sum", q.by(*grouping), f"sum_over_time({q.of_parity(by_day, parity)}[{DAY_RANGE}])")
    return _at_mark(q.join(f"and {q.on()}", day, f"vector(time()) % {q.DAY} > 0"), spec)


def _running_expr(record: str, recount: str, by_day: str, grouping: tuple[str, ...], parity: str, spec: Spec) -> str:
    """The running total of the day of this parity: recounted at a mark, else carried."""
    fresh = q.agg("sum", q.by(*grouping), _now(q.of_parity(by_day, parity)))
    recounted = _now(q.of_parity(recount, parity))
    # at a mark that is this very evaluation, its entry is among the day's entries already
    after_mark = q.join(f"unless {q.on()}", fresh, f"vector(time()) % {recount_seconds(spec)} == 0")
    at_recount = q.join(f"and {q.on(*grouping)}",
                        q.sum_parts(grouping, ("+", recounted, "the day's entries up to the mark"),
                                    ("+", after_mark, "plus this entry, if made after the mark")),
                        recounted)
    before = f"last_over_time({q.of_parity(record, parity)}[{recent_read(spec)}])"
    carried = q.sum_parts(grouping, ("+", before, "the total recorded before"), ("+", fresh, "plus this entry"))
    return q.join(f"and {q.on()}", q.join("or", at_recount, carried), q.parens(q.day_is(parity, day=ENTRY_DAY)))


def running_rules(record: str, recount: str, by_day: str, grouping: tuple[str, ...], spec: Spec) -> list[dict]:
    """The recount and the running total of the by-day ledger `by_day`, by `grouping`, per day parity."""
    rules = []
    for parity in n.DAY_PARITIES:
        rules.append({"record": recount, "labels": {n.L_DAY_PARITY: parity},
                      "expr": _recount_expr(by_day, grouping, parity, spec)})
        rules.append({"record": record, "labels": {n.L_DAY_PARITY: parity},
                      "expr": _running_expr(record, recount, by_day, grouping, parity, spec)})
    return rules


def trusted_rule(spec: Spec) -> dict:
    """1 while the running totals are exact, 0 from a gap in the ledger's evaluations longer than
    the recent read until the next mark recounts them. A first start is exact: nothing came before."""
    recent = recent_read(spec)
    seconds = q.number(recent_seconds(spec))
    # the heartbeat's value, not its timestamp: a promtool test plants an outage as a value
    continuous = f"vector(time()) - last_over_time({n.R_LEDGER_HEARTBEAT}[{recent}] offset 1ms) < {seconds}"
    carried = q.join(f"and {q.on()}", f"last_over_time({n.R_TODAY_TRUSTED}[{recent}])", q.parens(continuous))
    return {"record": n.R_TODAY_TRUSTED,
            "expr": q.join("or", _at_mark("vector(1)", spec), never_ran(spec), carried, "vector(0)")}


def running_today(record: str, grouping: tuple[str, ...]) -> str:
    """Today's part of a running total, by `grouping` (the total of the day of today's parity)."""
    return q.of_day(lambda p: _now(q.of_parity(record, p)), grouping)


def when_trusted(expr: str) -> str:
    """`expr` while the running totals are exact; nothing otherwise (withheld, never low)."""
    return q.join(f"and {q.on()}", expr, q.parens(f"{n.R_TODAY_TRUSTED} == 1"))
