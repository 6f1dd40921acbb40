"""Per-team thresholds inside PromQL: a team's override where it has one, else the org's value."""

from __future__ import annotations

from generator import names as n
from generator import promql as q
from generator.model import Spec


def threshold(spec: Spec, name: str) -> str:
    """The threshold `name` for every team, as a vector by team."""
    return q.team_threshold(name, getattr(spec.thresholds, name))


def spend_floor(spec: Spec) -> str:
    """min_daily_spend: ratio and z-score alerts stay quiet below it."""
    return threshold(spec, "min_daily_spend")


def idle_gpus(spec: Spec) -> str:
    """GPUs under their team's idle threshold (the org's for hosts of unknown teams)."""
    return (f"{n.GPU_UTILIZATION} < on (team) group_left () {threshold(spec, 'gpu_idle_percent')}\n"
            f"or ({n.GPU_UTILIZATION} unless on (team) {n.C_TEAM_INFO}) < {q.number(spec.thresholds.gpu_idle_percent)}")
