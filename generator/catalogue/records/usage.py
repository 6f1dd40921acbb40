"""Usage signals in their own group: cost per request (now and its 7-day baseline), idle GPU dollars."""

from __future__ import annotations

from generator import durations
from generator import names as n
from generator import promql as q
from generator.catalogue.records.ledger import DAY_RANGE, ENTRY_DAY, day_sum
from generator.catalogue.constants import idle_gpus
from generator.model import Spec

ENDPOINT = (n.L_TEAM, n.L_ENDPOINT)


def _p95(buckets: str) -> str:
    return q.call("histogram_quantile", "0.95", q.agg("sum", q.by(*ENDPOINT, n.L_LE), buckets))


def usage_rules(spec: Spec) -> list[dict]:
    """p95 cost per request over 5 minutes and over the previous 7 days; idle GPU dollars today."""
    # The 7-day baseline reads hourly increases recorded once an hour (a one-point subquery on
    # the hour), not 7 days of raw buckets at every evaluation; it skips the last hour so that a
    # regression does not raise its own bar.
    gate = durations.render(spec.ledger_interval_seconds - 0.001)
    hourly = q.agg("sum", q.by(*ENDPOINT, n.L_LE), f"increase({n.REQUEST_COST_BUCKET}[1h])")
    hours = q.agg("sum", q.by(*ENDPOINT, n.L_LE), f"sum_over_time({n.R_TEAM_ENDPOINT_BUCKET_HOURLY}[7d] offset 1h)")
    # Idle dollars: each evaluation an idle GPU is billed for the evaluation interval.
    share = q.number(spec.ledger_interval_seconds / 3600)
    idle = q.join(f"and {q.on(n.L_INSTANCE, n.L_GPU)}", f"{n.GPU_HOURLY_COST} * {share}", q.parens(idle_gpus(spec)))
    return [
        {"record": n.R_TEAM_ENDPOINT_P95, "expr": _p95(f"rate({n.REQUEST_COST_BUCKET}[5m])")},
        {"record": n.R_TEAM_ENDPOINT_BUCKET_HOURLY, "expr": f"last_over_time({q.parens(hourly)}[{gate}:1h])"},
        {"record": n.R_TEAM_ENDPOINT_P95_BASELINE, "expr": q.call("histogram_quantile", "0.95", hours)},
        {"record": n.R_GPU_IDLE_INCREMENT, "expr": idle},
        *[{"record": n.R_GPU_IDLE_INCREMENT_BY_DAY, "labels": {n.L_DAY_PARITY: parity},
           "expr": q.join(f"and {q.on()}", n.R_GPU_IDLE_INCREMENT, q.parens(q.day_is(parity, day=ENTRY_DAY)))}
          for parity in n.DAY_PARITIES],
        {"record": n.R_GPU_IDLE_COST_TODAY, "expr": day_sum(n.R_GPU_IDLE_INCREMENT_BY_DAY, None, 0, DAY_RANGE)},
    ]
