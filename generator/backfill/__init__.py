"""`aicost backfill`: rebuild the spend ledger for a past period from the raw counters Prometheus holds.

The ledger only knows the evaluations it ran: rules first deployed on the 15th, or a rule
outage, leave month to date without the earlier days although the raw counters have them.
This recomputes what the ledger would have recorded, with the ledger's own expressions (the
same `increment()`, evaluated by a range query at each interval step), and writes it as
OpenMetrics for `promtool tsdb create-blocks-from openmetrics`:

* the entries (`..:increment`, `..:increment_by_day`, tokens and dollars) of the last two UTC
  days of the period: today and the day-total of yesterday are sums over them;
* for every complete UTC day of the period, its total (`..:day_total`) and its date, hourly
  through the next day, as the live rules record them: month to date and the 7-day sums read
  those.

The period ends where the live ledger begins (its first heartbeat, less one interval, with a
last, shorter entry up to it), so no time is counted twice or lost. Pure functions here; the
CLI does the I/O through the injected query function.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable

from generator import durations
from generator import names as n
from generator.catalogue.records.ledger import (births_untrusted, dollar_increment, inline_prices, inline_transfer_prices,
                                                token_increment)
from generator.model import Spec

DAY = 86400
HOUR = 3600
CHUNK = 6 * HOUR  # one range query per six hours: 360 steps at 1m, well under Prometheus' 11,000

# query_range(promql, start, end, step) -> [{"metric": {...}, "values": [[t, "v"], ...]}]
RangeQuery = Callable[[str, float, float, float], list]


@dataclass(frozen=True)
class Sample:
    """One sample to write: series name, sorted labels, unix seconds, value."""

    name: str
    labels: tuple[tuple[str, str], ...]
    t: float
    value: float


def day_of(t: float) -> int:
    """The UTC day number an entry made at `t` belongs to (its window ends then; 00:00 closes the day before)."""
    return math.floor((t - 0.001) / DAY)


def first_heartbeat_query(span_seconds: float) -> str:
    """The earliest live ledger evaluation in the last `span_seconds`, the oldest millisecond
    excluded (an evaluation exactly at the period's start is before it): where a backfill must stop."""
    return f"min_over_time({n.R_LEDGER_HEARTBEAT}[{durations.render(span_seconds - 0.001)}])"


def period_end(spec: Spec, start: float, first_live: float | None, now: float) -> float:
    """Where the backfill stops: one interval before the live ledger's first evaluation, else now (on the grid)."""
    every = spec.ledger_interval_seconds
    end = first_live - every if first_live is not None else math.floor(now / every) * every
    return max(end, start)


def _tokens(spec: Spec, window: float | None = None) -> str:
    """The token entries with the births flag inlined and no parked departures: neither was recorded then."""
    return token_increment(spec, window, births_untrusted(spec), parked=False)


def _dollars(spec: Spec, window: float | None = None) -> str:
    """The dollar entries with the token entries, the prices and the births flag inlined, and no
    parked departures: none was recorded then."""
    flag = births_untrusted(spec)
    return dollar_increment(spec, token_increment(spec, window, flag, parked=False), inline_prices(spec), window,
                            inline_transfer_prices(spec), flag, parked=False)


def _collect(result: list, out: dict) -> dict:
    """A range query's series added to {sorted labels: [(t, value), ...]}."""
    for series in result:
        out[tuple(sorted(series["metric"].items()))].extend((float(t), float(v)) for t, v in series["values"])
    return out


def _entries(query_range: RangeQuery, expr: str, start: float, end: float, every: float) -> dict:
    """{labels: [(t, value), ...]} of `expr` at every step after `start` up to `end`, both on the grid."""
    out: dict[tuple, list] = defaultdict(list)
    lo = start + every
    while lo <= end:
        hi = min(lo + CHUNK - every, end)
        _collect(query_range(expr, lo, hi, every), out)
        lo = hi + every
    return out


def _partial(query_range: RangeQuery, spec: Spec, tokens: bool, start: float, end: float) -> dict:
    """The one entry of a window (start, end] shorter than the interval: a period's ends off the grid."""
    window = round(end - start, 3)
    if window <= 0:
        return {}
    expr = _tokens(spec, window) if tokens else _dollars(spec, window)
    return _collect(query_range(expr, end, end, spec.ledger_interval_seconds), defaultdict(list))


def _all_entries(query_range: RangeQuery, spec: Spec, tokens: bool, start: float, end: float) -> dict:
    """Every entry of (start, end]: a shorter one up to the grid, the grid's, a shorter one after it."""
    every = spec.ledger_interval_seconds
    first, last = math.ceil(start / every) * every, math.floor(end / every) * every
    if last < first:  # the whole period lies between two steps of the grid
        return _partial(query_range, spec, tokens, start, end)
    expr = _tokens(spec) if tokens else _dollars(spec)
    out = _entries(query_range, expr, first, last, every)
    for lo, hi in ((start, first), (last, end)):
        for labels, points in _partial(query_range, spec, tokens, lo, hi).items():
            out[labels].extend(points)
    return out


def ledger_samples(spec: Spec, query_range: RangeQuery, start: float, end: float) -> list[Sample]:
    """Every sample the ledger would have recorded in (start, end], as described in the module."""
    keep_from = max(start, (day_of(end) - 1) * DAY)  # entries of the last two days are written
    samples: list[Sample] = []
    totals: dict[int, dict[tuple, list[float]]] = defaultdict(lambda: defaultdict(list))
    for record, by_day, tokens in ((n.R_TPC_INCREMENT, n.R_TPC_INCREMENT_BY_DAY, False),
                                   (n.R_TMD_INCREMENT, n.R_TMD_INCREMENT_BY_DAY, True)):
        # token entries are only read for today and yesterday
        entries = _all_entries(query_range, spec, tokens, start if not tokens else keep_from, end)
        for labels, points in entries.items():
            for t, v in points:
                if not tokens:
                    totals[day_of(t)][labels].append(v)
                if t > keep_from:
                    parity = n.DAY_PARITIES[day_of(t) % 2]
                    samples.append(Sample(record, labels, t, v))
                    samples.append(Sample(by_day, tuple(sorted((*labels, (n.L_DAY_PARITY, parity)))), t, v))
        if not tokens:
            samples.extend(_team_entries(entries, keep_from))
    samples.extend(_day_totals(totals, start, end))
    return samples


def _team_entries(entries: dict, keep_from: float) -> list[Sample]:
    """The team level of the dollar entries (AICostDataMissing reads it)."""
    by_team: dict[tuple, dict[float, list[float]]] = defaultdict(lambda: defaultdict(list))
    for labels, points in entries.items():
        team = tuple((k, v) for k, v in labels if k == n.L_TEAM)
        for t, v in points:
            if t > keep_from:
                by_team[team][t].append(v)
    return [Sample(n.R_TEAM_INCREMENT, team, t, math.fsum(vs)) for team, points in by_team.items() for t, vs in points.items()]


def _day_totals(totals: dict, start: float, end: float) -> list[Sample]:
    """Each complete day's total and date, hourly through the next day (up to `end`), as the live rules store them."""
    out = []
    for day, groups in sorted(totals.items()):
        if day * DAY < start or (day + 1) * DAY > end:
            continue  # a partial day: today, or the first day of a period that starts mid-day
        for hour in range(24):
            t = (day + 1) * DAY + hour * HOUR
            if t > end:
                break
            out.append(Sample(n.R_DAY_TOTAL_DATE, (), t, float(day)))
            out.extend(Sample(n.R_TPC_DAY_TOTAL, labels, t, math.fsum(values)) for labels, values in groups.items())
    return out


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def openmetrics(samples: list[Sample]) -> str:
    """The samples as one OpenMetrics text, each family and each series together, in time order."""
    families: dict[str, dict[tuple, list[tuple[float, float]]]] = defaultdict(lambda: defaultdict(list))
    for s in samples:
        families[s.name][s.labels].append((s.t, s.value))
    lines = []
    for name in sorted(families):
        lines.append(f"# TYPE {name} unknown")
        for labels, points in sorted(families[name].items()):
            text = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
            series = f"{name}{{{text}}}" if text else name
            lines.extend(f"{series} {repr(v)} {t:.3f}" for t, v in sorted(points))
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def summary(samples: list[Sample]) -> dict[str, int]:
    """How many samples of each series name: what the CLI reports."""
    counts: dict[str, int] = defaultdict(int)
    for s in samples:
        counts[s.name] += 1
    return dict(sorted(counts.items()))

