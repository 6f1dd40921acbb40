"""Many teams' groups of one scenario in one test file: the first exact, the rest through ALERTS."""

from __future__ import annotations

from generator.durations import seconds


def _alerts_series(alertname: str, exp_alerts: list[dict]) -> list[dict]:
    return [{"labels": "ALERTS{" + ",".join(f'{k}="{v}"' for k, v in sorted(
        {**e["exp_labels"], "alertname": alertname, "alertstate": "firing"}.items())) + "}", "value": 1}
        for e in exp_alerts]


def combine(groups: list[dict]) -> list[dict]:
    """The first group as it is (exact labels and annotations); the others merged into one group
    that checks, through the ALERTS series, that each alert is not firing one evaluation before
    its edge and fires at it."""
    if len(groups) == 1:
        return groups
    rest = groups[1:]
    edges = []  # (not-yet time, fire time, alertname, exp_alerts) per group
    for g in rest:
        before, at = g["alert_rule_test"]
        edges.append((before["eval_time"], at["eval_time"], at["alertname"], at["exp_alerts"]))
    times = sorted({t for e in edges for t in e[:2]}, key=seconds)
    alertname = edges[0][2]
    checks = []
    for t in times:
        firing = [a for _, at, _, exp in edges if seconds(at) <= seconds(t) for a in exp]
        checks.append({"expr": f'ALERTS{{alertname="{alertname}",alertstate="firing"}}', "eval_time": t,
                       "exp_samples": _alerts_series(alertname, firing)})
    merged = {k: v for k, v in rest[0].items() if k not in ("name", "input_series", "alert_rule_test")}
    merged["name"] = f"{len(rest)} more: " + "; ".join(g["name"] for g in rest[:3]) + ("; ..." if len(rest) > 3 else "")
    merged["input_series"] = [s for g in rest for s in g["input_series"]]
    merged["promql_expr_test"] = checks
    return [groups[0], merged]
