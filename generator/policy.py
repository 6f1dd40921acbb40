"""Defaults and policy the spec may override or does not set: alert `for:`, Alertmanager timing, inhibitions.

It imports only the names, so the spec schema (defaults), the resolver and the renderers can all
read it without an import running up a layer.
"""

from __future__ import annotations

from generator import names as n

# Default `for:` of each alert; overridable in org.yaml `alert_for`.
ALERT_FOR_DEFAULTS = {
    n.A_DAILY_EXCEEDED: "5m",
    n.A_DAILY_WARNING: "5m",
    n.A_MONTHLY_EXCEEDED: "15m",
    n.A_MONTHLY_WARNING: "15m",
    n.A_MONTHLY_FORECAST: "1h",
    n.A_ORG_EXCEEDED: "5m",
    n.A_ANOMALY: "15m",
    n.A_GPU_IDLE: "30m",
    n.A_COST_PER_REQUEST: "30m",
    n.A_TOKEN_BUDGET: "5m",
    n.A_TREND: "1h",
    n.A_COST_PER_USER: "1h",
    n.A_TRAINING: "15m",
    n.A_UNPRICED_TOKENS: "15m",
    n.A_UNTAGGED: "30m",
    n.A_DATA_MISSING: "0m",  # the silence window is in the expression (silence_window)
    n.A_RULE_FAILURES: "5m",
    n.A_RULE_GROUP_SLOW: "10m",
    n.A_RULE_GROUP_MISSED: "0m",  # a missed evaluation is spend the ledger never records: at once
    n.A_SPEND_STALE: "5m",
    n.A_CONSTANTS_MISSING: "5m",
    n.A_BUDGET_GUARD: "0m",  # fixed: a guard that waits lets the overspend run (not in alert_for)
    n.A_GUARD_STALE: "5m",
}
# The `for:` a spec cannot change.
FIXED_FOR = (n.A_BUDGET_GUARD,)

# Alertmanager (group_wait, group_interval, repeat_interval) per severity; alerting.yaml `timing`
# overrides them. Pages come fast and repeat hourly, warnings twice a day.
TIMING_DEFAULTS = {"critical": ("30s", "5m", "1h"), "warning": ("2m", "15m", "12h")}

# Critical alert -> the warning twin it silences for the same team (Alertmanager inhibition).
INHIBITS = (
    (n.A_DAILY_EXCEEDED, n.A_DAILY_WARNING),
    (n.A_MONTHLY_EXCEEDED, n.A_MONTHLY_WARNING),
    (n.A_MONTHLY_EXCEEDED, n.A_MONTHLY_FORECAST),
    (n.A_ANOMALY, n.A_ANOMALY),
)
