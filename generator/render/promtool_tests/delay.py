"""The ledger's `spend_delay` in generated tests: raw counters fed one scrape ahead.

With a delay d, the entry made at t counts the raw samples stamped in (t - d - interval, t - d].
Every scenario states its raw counters as Prometheus would scrape them with no delay; the
generated file feeds each raw counter the ledger reads ceil(d / input interval) input steps
ahead (its first values dropped), so that the entry made at t sees exactly the samples it would
see at t with no delay, and every edge, amount and annotation stays the scenario's own
(evaluations shorter than an input step: see `delayed`).
"""

from __future__ import annotations

import math
import re

from generator import durations
from generator import names as n
from generator.durations import seconds

LEDGER_READS = (n.SPEND, n.API_TOKENS)  # the raw counters the ledger's increments read
# promtool's series values: `_`, `_xN`, `stale`, `a`, `axN`, `a+bxN`, `a-bxN` (a+bxN is N+1 values)
_ITEM = re.compile(r"^(?P<start>_|stale|[-+]?[0-9.]+(?:e[-+]?[0-9]+)?)"
                   r"(?:(?P<sign>[-+])(?P<step>[0-9.]+(?:e[-+]?[0-9]+)?))?(?:x(?P<times>[0-9]+))?$")


def _drop(item: str, count: int) -> tuple[str | None, int]:
    """`item` without its first `count` values (None when none is left), and how many were dropped."""
    m = _ITEM.match(item)
    if not m:
        raise ValueError(f"not a promtool series value: {item!r}")
    start, sign, step, times = m["start"], m["sign"], m["step"], m["times"]
    if start == "_":
        total = int(times) if times else 1  # `_xN` is N blanks
        rest = total - min(count, total)
        return (None if rest == 0 else "_" if rest == 1 else f"_x{rest}"), total - rest
    total = int(times) + 1 if times else 1  # `axN` and `a+bxN` are N+1 values
    if count >= total:
        return None, total
    if start == "stale":
        return " ".join(["stale"] * (total - count)), count
    value, delta = float(start), (float(step) * (-1 if sign == "-" else 1)) if step else 0.0
    for _ in range(count):  # as promtool expands it: repeated addition, so every later value is the same float
        value += delta
    rest = total - 1 - count
    tail = f"{sign}{step}x{rest}" if step else f"x{rest}"
    return f"{value!r}{tail}" if (times and rest) else repr(value), count


def advance(values: str, count: int) -> str:
    """A promtool series with its first `count` values dropped: every later value one step earlier per drop."""
    out = []
    for item in values.split():
        if count:
            item, dropped = _drop(item, count)
            count -= dropped
        if item is not None:
            out.append(item)
    return " ".join(out)


def _earlier(check: dict, by: float) -> dict:
    return {**check, "eval_time": durations.render(seconds(check["eval_time"]) - by)}


def _reads_ledger(series: dict) -> bool:
    return series["series"].split("{", 1)[0] in LEDGER_READS


def delayed(test: dict, delay: float, evaluation: float) -> dict:
    """A test group whose raw ledger counters are fed ahead by the delay, in whole input steps.

    With an evaluation interval shorter than the input step (30s evaluations, one-minute inputs),
    whole steps overshoot: the entries then see each sample `early` seconds before they would with
    no delay, a whole number of evaluations, so the group's checks are made that much earlier.
    """
    step = seconds(test["interval"])
    ahead = math.ceil(delay / step)
    if not ahead or not any(map(_reads_ledger, test["input_series"])):
        return test
    inputs = [{**s, "values": advance(s["values"], ahead)} if _reads_ledger(s) else s for s in test["input_series"]]
    early = ahead * step - math.ceil(delay / evaluation) * evaluation if evaluation < step else 0
    checks = {key: [_earlier(c, early) for c in test[key]] for key in ("alert_rule_test", "promql_expr_test")
              if key in test and early}
    return {**test, "input_series": inputs, **checks}
