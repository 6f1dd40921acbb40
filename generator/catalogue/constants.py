"""How the rules read the spec's constant series: budgets, prices, per-team thresholds.

The constants are recorded by their own group, which Prometheus may evaluate just after the
group that reads them, or (in a promtool test evaluating every hour) an hour earlier. Reading
`last_over_time(constant[1h5m])` instead of the bare selector finds the value recorded one
evaluation ago as well: the same number, since it only changes when the spec does, so no result
depends on the order of the groups. The price: a team removed from the spec keeps its constants
for up to an hour after the rules are reloaded (a changed value takes effect at once).
"""

from __future__ import annotations

from generator import names as n
from generator import promql as q
from generator.model import Spec

# The longest evaluation interval aicost allows (1h) and Prometheus' lookback for a bare selector.
WINDOW = "1h5m"


def constant(spec: Spec, metric: str, **matchers: str) -> str:
    """A constant series, found even when its group runs after the reader's."""
    return f"last_over_time({q.sel(metric, **matchers)}[{WINDOW}])"


def threshold(spec: Spec, name: str) -> str:
    """The threshold `name` for every team, in parentheses: the team's override, else the org's value."""
    override = constant(spec, n.C_TEAM_THRESHOLD, **{n.L_THRESHOLD: name})
    default = getattr(spec.thresholds, name)
    return q.parens(f"{override}\nor {q.on(n.L_TEAM)} ({constant(spec, n.C_TEAM_INFO)} * 0 + {default:g})")


def spend_floor(spec: Spec) -> str:
    """min_daily_spend: ratio and z-score alerts stay quiet below it."""
    return threshold(spec, "min_daily_spend")


def idle_gpus(spec: Spec) -> str:
    """GPUs under their team's idle threshold (the org's for hosts of unknown teams)."""
    team = q.on(n.L_TEAM)
    return (f"{n.GPU_UTILIZATION} < {team} group_left () {threshold(spec, 'gpu_idle_percent')}\n"
            f"or ({n.GPU_UTILIZATION} unless {team} {constant(spec, n.C_TEAM_INFO)}) "
            f"< {q.number(spec.thresholds.gpu_idle_percent)}")
