"""The ledger's reads behind the window: how far back a raw counter is read for its last sample,
and, for a series quiet longer, its last sample parked when it went quiet."""

from __future__ import annotations

from generator import durations
from generator import names as n
from generator import promql as q
from generator.model import Spec

# How far back every evaluation reads each raw counter for its last sample before the window.
# Prometheus holds at least the last hour in its head block, and every raw read of a query pays
# for each persisted block the query's longest range reaches: reading no further than this keeps
# the increments inside the head (measured on Prometheus 3.5: 30-45 % less time than reading
# the whole lookback). A series quiet for longer has its last sample parked (`departure_rules`).
RECENT_READ = 45 * 60
# A departure is recorded at this many evaluations in a row: a missed evaluation (a slow group)
# does not lose it. The departure reads stay inside the head block with them (51m10s at 1m).
DEPARTURE_REPEATS = 5


def recent_seconds(spec: Spec) -> float:
    """How far back the ledger reads a raw counter for its last sample, in seconds (`recent_read`)."""
    floor = 2 * max(spec.ledger_interval_seconds, durations.seconds(spec.scrape_interval))
    return max(min(durations.seconds(spec.spend_lookback), RECENT_READ), floor)


def recent_read(spec: Spec) -> str:
    """How far back the ledger reads a raw counter for its last sample: 45m, at most the lookback,
    at least twice the evaluation and scrape intervals."""
    return durations.render(recent_seconds(spec))


def departure_rules(spec: Spec) -> list[dict]:
    """Per raw counter series, its last sample when it goes quiet, and the latest of those within the lookback.

    A series is departed at the evaluations whose recent read no longer holds a sample of it while
    the `DEPARTURE_REPEATS` intervals just behind that read do; the value is its last sample
    there, the one a window after a longer gap must grow from. The recent read is the one the
    increments make, so a series is always in one or the other: recent, or parked. Only
    departed series are recorded: their number follows the scrape gaps and the series gone (a
    restart under a new `instance`), not the raw series; the parked copy is the one read over
    the lookback, and it is small.
    """
    recent = recent_seconds(spec)
    repeats = durations.render(DEPARTURE_REPEATS * spec.ledger_interval_seconds)
    behind = spec.spend_delay_seconds + spec.ledger_interval_seconds
    rules = []
    for metric in (n.API_TOKENS, n.SPEND):
        rules.append({"record": n.R_DEPARTED[metric],
                      "expr": q.join("unless", f"last_over_time({metric}[{repeats}]{read_offset(behind + recent)})",
                                     f"last_over_time({metric}[{durations.render(recent)}]{read_offset(behind)})")})
        rules.append({"record": n.R_PARKED[metric],
                      "expr": f"last_over_time({n.R_DEPARTED[metric]}[{spec.spend_lookback}])"})
    return rules


def read_offset(seconds: float) -> str:
    """` offset <seconds>` for a read that far behind the evaluation time; nothing for 0."""
    return f" offset {durations.render(seconds)}" if seconds else ""
