"""The spend ledger: every evaluation records, per team/project/category, exactly what was spent
since the previous evaluation, read from the raw counters.

Why it is exact (the README has the whole argument). For one raw counter series and the
evaluation window (t - w, t], w the ledger group's interval:

* the increase is the last sample in the window minus the last sample known before it: read
  over the recent past (45m, inside Prometheus' head block), and for a series quiet longer,
  its last sample as it was parked when it went quiet, kept for the lookback. A scrape gap
  shorter than the lookback, or a Prometheus restart shorter than the recent read, loses
  nothing, and no extrapolation is ever applied;
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

import json

from generator import durations
from generator import names as n
from generator import promql as q
from generator.catalogue.records.departures import departure_rules, read_offset, recent_read
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


def never_ran(spec: Spec) -> str:
    """One sample when the ledger has no evaluation before this one in its memory: a first start
    (or a promtool test), where nothing recorded before can be missing."""
    return f"vector(1) unless {q.on()} present_over_time({n.R_LEDGER_HEARTBEAT}[{HEARTBEAT_MEMORY}] offset {spec.evaluation_interval})"


def births_untrusted(spec: Spec) -> str:
    """One sample while a counter absent through the lookback may be one back from an outage of the ledger.

    Births are trusted when the ledger evaluated at every interval from its first heartbeat in
    the lookback to the previous evaluation, or when it never ran before (a first start, a
    promtool test); this is the other case.
    """
    w, lookback, hb = spec.evaluation_interval, spec.spend_lookback, n.R_LEDGER_HEARTBEAT
    step = q.number(spec.ledger_interval_seconds)
    continuous = (f"count_over_time({hb}[{lookback}] offset {w})\n"
                  f">= (time() - {step} - min_over_time({hb}[{lookback}] offset {w})) / {step} + 0.5")
    trusted = q.join("or", q.join(f"and {q.on()}", "vector(1)", continuous), never_ran(spec))
    return q.join(f"unless {q.on()}", "vector(1)", trusted)


def increment(x: str, grouping: tuple[str, ...], spec: Spec, window: float | None, untrusted: str,
              parked: str | None) -> str:
    """Exact increase of counter `x`, summed by `grouping`, in the window since the previous evaluation.

    Per raw series, with L the last sample in the window, B the last one before it, m and M the
    window's lowest and highest samples. B is read over the recent past, else taken from the
    `parked` series (the live rules); with `parked` None, over the whole lookback (`aicost
    backfill`, whose range queries run where no departure was recorded; the same B after any
    scrape gap shorter than the lookback):

    * no restart inside, grew from B (B <= m): L - B;
    * no restart inside, dropped right at the window's start (m < B): L, counted from 0;
    * restarted inside the window: L from 0, plus what it counted before the drop, M - B;
    * first seen (no B): L from 0; while births are untrusted (`untrusted`: the recorded flag,
      or its expression), from its first sample: L - m;
    * not in the window: nothing.

    That is three sums over the raw series, combined per group: sum(L) - sum(B where B <= m and
    no restart) + sum(M - B where it restarted); the cost is a handful of reads of the window
    and the lookback per raw series, whatever the number of cases. The window's samples are
    read over the interval less a millisecond: a sample exactly one interval old is the last
    one *before* the window, under Prometheus 2's closed ranges as under 3's left-open ones.
    `window` (seconds) replaces the interval for `aicost backfill`'s last, shorter entry.

    With `spend_delay` d, the window is (t - d - interval, t - d]: Prometheus stamps a scrape's
    samples with its start but shows them when it ends, so a sample of a scrape still running at
    t would otherwise land behind a window already counted, as the next window's base, and the
    spend between it and the sample before it would never be counted.
    """
    seconds = window or spec.ledger_interval_seconds
    delay = spec.spend_delay_seconds
    lookback, now, w = spec.spend_lookback, read_offset(delay), read_offset(delay + seconds)
    inside = durations.render(seconds - 0.001)
    last, lowest, highest = (f"{f}({x}[{inside}]{now})" for f in ("last_over_time", "min_over_time", "max_over_time"))
    before = (q.join("or", f"last_over_time({x}[{recent_read(spec)}]{w})", parked) if parked
              else f"last_over_time({x}[{lookback}]{w})")
    restarted = f"resets({x}[{inside}]{now}) > 0"
    base = q.join("<=", q.join("or", before, q.join(f"and {q.on()}", lowest, untrusted)), lowest)
    # `before` in parentheses: `M - B1 or B2` would take a parked B2 itself for M - B2
    before_drop = q.join("and", q.call("clamp_min", q.join("-", highest, before), "0"), restarted)
    return q.sum_parts(
        grouping,
        ("+", q.agg("sum", q.by(*grouping), last), "every series in the window: its last sample"),
        ("-", q.agg("sum", q.by(*grouping), q.join("unless", base, restarted)),
         "less the base it grew from where it did not restart (a birth: 0, or its first sample while births are untrusted)"),
        ("+", q.agg("sum", q.by(*grouping), before_drop),
         "plus, where it restarted inside the window, what it counted before the drop"),
    )


def _selector(metric: str, *matchers: str) -> str:
    return f"{metric}{{{','.join(matchers)}}}"


def _not(label: str, values) -> str:
    return f"{label}!~{json.dumps(q.alternatives(values))}"


def counted_series(metric: str, spec: Spec) -> tuple[str, ...]:
    """The selectors of `metric` the ledger counts: every source's series (a source's relabelling
    renames only its truth teams' series), and aicost's own except where a team's truth for that
    kind of spend is another source. Without sources: the metric, as it always was."""
    if not spec.sources:
        return (metric,)
    own, theirs = f'{n.L_SOURCE}=""', f'{n.L_SOURCE}!=""'
    # (categories, teams whose truth for them is another source); tokens are API usage
    kinds = [(("api",), [t.name for t in spec.teams if t.sources.truth_for("api") != n.NATIVE_SOURCE])]
    if metric != n.API_TOKENS:
        kinds.append((n.GPU_CATEGORIES, [t.name for t in spec.teams
                                         if t.sources.truth_for(n.GPU_CATEGORIES[0]) != n.NATIVE_SOURCE]))
    excluded = [(cats, teams) for cats, teams in kinds if teams]
    if metric == n.API_TOKENS:
        native = [_selector(metric, own, *(_not(n.L_TEAM, teams) for _, teams in excluded))]
    else:
        others = [c for cats, _ in excluded for c in cats]
        native = [_selector(metric, own, *([_not(n.L_CATEGORY, others)] if others else [])),
                  *(_selector(metric, own, f"{n.L_CATEGORY}=~{json.dumps(q.alternatives(cats))}", _not(n.L_TEAM, teams))
                    for cats, teams in excluded)]
    return (*native, _selector(metric, theirs))


def only_source(expr: str, source: str, keep: bool) -> str:
    """`expr` with (keep) or without (not keep) the series of one source, for any expression."""
    marker = f'label_replace(vector(1), "{n.L_SOURCE}", "{source}", "", "")'
    return q.join(f"{'and' if keep else 'unless'} {q.on(n.L_SOURCE)}", expr, marker)


def _priced(tokens: str, prices: str, category: str, spec: Spec) -> str:
    """Token increments times a price table: dollars of the team (and project), in `category`."""
    priced = q.join(f"* {q.on(n.L_MODEL, n.L_DIRECTION)} group_left ()", tokens, prices)
    grouping = (n.L_TEAM, n.L_PROJECT) if spec.sources else (n.L_TEAM,)
    return q.label_value(q.agg("sum", q.by(*grouping), priced), n.L_CATEGORY, category)


def token_grouping(spec: Spec) -> tuple[str, ...]:
    """What the token ledger keeps: team, model, direction; with sources also project and source."""
    return (n.L_TEAM, n.L_MODEL, n.L_DIRECTION, *((n.L_PROJECT, n.L_SOURCE) if spec.sources else ()))


def _increment_of(metric: str, grouping: tuple[str, ...], spec: Spec, window: float | None, untrusted: str,
                  parked: bool) -> str:
    """The increment of every counted series of `metric`, summed by `grouping`; with `parked`, B
    comes from the recent read or the parked departures, else from the whole lookback."""
    departed = n.R_PARKED[metric] if parked else None
    selectors = counted_series(metric, spec)
    if len(selectors) == 1:
        return increment(selectors[0], grouping, spec, window, untrusted, departed)
    return q.sum_parts(grouping, *(("+", increment(x, grouping, spec, window, untrusted, departed)) for x in selectors))


def token_increment(spec: Spec, window: float | None = None, untrusted: str = n.R_LEDGER_BIRTHS_UNTRUSTED,
                    parked: bool = True) -> str:
    """Tokens since the previous evaluation, by team, model and direction (and project and source).

    `parked`: the recorded parked departures exist (the live rules); without them (`aicost
    backfill`), B is read over the whole lookback."""
    return _increment_of(n.API_TOKENS, token_grouping(spec), spec, window, untrusted, parked)


def dollar_increment(spec: Spec, tokens: str = n.R_TMD_INCREMENT, prices: str = n.C_MODEL_PRICE,
                     window: float | None = None, transfer: str = n.C_TRANSFER_PRICE,
                     untrusted: str = n.R_LEDGER_BIRTHS_UNTRUSTED, parked: bool = True) -> str:
    """Dollars since the previous evaluation, by team, project and category.

    API dollars where a team emits them; otherwise its tokens (`tokens`: the recorded token
    entries, or their expression) at list price (`prices`: the recorded price series, or
    `inline_prices`). `or on (team, category)` keeps the dollars where both exist, so nothing
    is counted twice. `untrusted`: the recorded births flag, or its expression (`births_untrusted`)
    where the rules did not run; `parked` as in `token_increment`. With sources: vLLM's tokens at the transfer price (`transfer`) as inference
    spend, and OpenCost's GPUs allocated times their node's hourly price over the window.
    """
    listed = only_source(tokens, "vllm", keep=False) if spec.source("vllm") else tokens
    dollars = q.join(f"or {q.on(n.L_TEAM, n.L_CATEGORY)}", _increment_of(n.SPEND, n.TPC, spec, window, untrusted, parked),
                     _priced(listed, prices, "api", spec))
    parts = []
    if spec.source("vllm"):
        parts.append(("+", _priced(only_source(tokens, "vllm", keep=True), transfer, "inference", spec),
                      "self-hosted tokens at the transfer price"))
    if spec.source("opencost"):
        hours = q.number((window or spec.ledger_interval_seconds) / 3600)
        allocated = q.sel(n.OPENCOST_GPU_ALLOCATION, **{n.L_SOURCE: "opencost"})
        hourly = q.agg("max", q.by(n.L_NODE), n.OPENCOST_GPU_HOURLY_COST)
        rate = q.join(f"* {q.on(n.L_NODE)} group_left ()", allocated, hourly)
        parts.append(("+", f"{q.agg('sum', q.by(*n.TPC), rate)} * {hours}",
                      "OpenCost: GPUs allocated x their node's dollars per GPU-hour, over the window"))
    return q.sum_parts(n.TPC, ("+", dollars), *parts) if parts else dollars


def _inline(rules: list[dict]) -> str:
    """Constant rules as one expression, for queries over times when the rules did not run."""
    def one(rule: dict) -> str:
        expr = rule["expr"]
        for label, value in sorted(rule["labels"].items()):
            expr = q.label_value(expr, label, value)
        return expr

    return q.join("or", *(one(r) for r in rules)) if rules else "vector(0) == 1"


def inline_prices(spec: Spec) -> str:
    """The price series as one expression, for queries over times when the rules did not run."""
    return _inline(price_rules(spec))


def inline_transfer_prices(spec: Spec) -> str:
    """The transfer price series as one expression."""
    return _inline(transfer_price_rules(spec))


def _by_day(record: str, source: str) -> list[dict]:
    """The entries of `source` again, labelled with the parity of the day they belong to."""
    return [{"record": record, "labels": {n.L_DAY_PARITY: parity},
             "expr": q.join(f"and {q.on()}", source, q.parens(q.day_is(parity, day=ENTRY_DAY)))}
            for parity in n.DAY_PARITIES]


def _price_series(record: str, prices) -> list[dict]:
    out = []
    for price in prices:
        for model in price.names:
            for direction, per_million in (("input", price.input_per_million), ("output", price.output_per_million)):
                out.append({"record": record, "expr": f"vector({q.number(per_million / 1e6)})",
                            "labels": {n.L_DIRECTION: direction, n.L_MODEL: model}})
    return out


def price_rules(spec: Spec) -> list[dict]:
    """Model prices (each alias too) as constant series, in the ledger's group: the first entry after a
    deploy is priced too."""
    return _price_series(n.C_MODEL_PRICE, spec.models)


def transfer_price_rules(spec: Spec) -> list[dict]:
    """vLLM's transfer prices as constant series, in the ledger's group."""
    vllm = spec.source("vllm")
    return _price_series(n.C_TRANSFER_PRICE, vllm.transfer_prices if vllm else ())


def ledger_rules(spec: Spec) -> list[dict]:
    """Heartbeat, births flag, departures, token and dollar increments, the team level, and the by-day copies."""
    return [
        {"record": n.R_LEDGER_HEARTBEAT, "expr": "vector(time())"},
        # recorded once, not in each increment: its heartbeat reads span days, and every raw read
        # in a query pays for each block the query's longest range reaches (measured: a fifth of
        # an increment's time)
        {"record": n.R_LEDGER_BIRTHS_UNTRUSTED, "expr": births_untrusted(spec)},
        *departure_rules(spec),
        {"record": n.R_TMD_INCREMENT, "expr": token_increment(spec)},
        {"record": n.R_TPC_INCREMENT, "expr": dollar_increment(spec)},
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
    return q.of_day(lambda p: f"sum_over_time({q.of_parity(by_day, p)}[{range_}])", grouping, days_ago)
