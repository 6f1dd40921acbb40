"""The ledger's timing in org.yaml: windows that tile each day, scrapes inside the lookback, whole training days."""

from __future__ import annotations

from generator.durations import seconds
from generator.errors import Problems
from generator.spec.files import SpecFiles
from generator.spec.types import Ctx


def check_intervals(spec: SpecFiles, problems: Problems) -> None:
    """The ledger's timing: windows that tile each day, scrapes inside the lookback, whole training days."""
    org, ctx = spec.data["org.yaml"], Ctx(spec.docs["org.yaml"], problems)
    keys = ("evaluation_interval", "scrape_interval", "spend_lookback", "training_window", "silence_window",
            "untagged_spend_window", "spend_delay")
    given = {k: org.get(k) for k in keys}
    if any(v is None for v in given.values()):
        return  # the schema has reported it
    evaluation, scrape, lookback, training, silence, untagged, delay = (seconds(v) for v in given.values())
    if evaluation > 3600 or 86400 % evaluation:
        ctx.error(("evaluation_interval",), f"{given['evaluation_interval']} must divide a day and be at most 1h "
                                            "(15s, 30s, 1m, 2m, 5m, 10m, 15m, 30m, 1h...): the ledger's windows tile each "
                                            "UTC day")
    if scrape > 300:
        ctx.error(("scrape_interval",), f"{given['scrape_interval']} is more than 5m: Prometheus forgets a sample after 5m")
    if not 2 * max(evaluation, scrape) <= lookback <= 86400:
        ctx.error(("spend_lookback",), f"{given['spend_lookback']} must be at least twice the evaluation and scrape "
                                       "intervals and at most 1d")
    if delay > 300:
        ctx.error(("spend_delay",), f"{given['spend_delay']} is more than 5m: it only needs to outlast the slowest scrape "
                                    "of what the ledger counts (scrape_timeout)")
    if training % 86400 or not 86400 <= training <= 90 * 86400:
        ctx.error(("training_window",), f"{given['training_window']} must be whole days, from 1d to 90d")
    if silence < 2 * evaluation:
        ctx.error(("silence_window",), f"{given['silence_window']} must be at least twice the evaluation interval: "
                                       "silence is judged from the ledger's entries")
    if untagged < evaluation:
        ctx.error(("untagged_spend_window",), f"{given['untagged_spend_window']} must be at least the evaluation interval")
