"""PromQL of the dashboard panels (layout lives in dashboards.py). `$team`, `$model` and
`$__rate_interval` are Grafana variables."""

from __future__ import annotations

from generator import names as n

# The dashboard's `team` variable as a label matcher.
TEAM_MATCHER = 'team="$team"'


def total_daily_spend() -> str:
    """Seed: total AI spend today."""
    return f"sum({n.DAILY_SPEND})"


def spend_by_team_today() -> str:
    """Seed: cost attribution per team."""
    return f"sum by (team) ({n.DAILY_SPEND})"


def cost_per_request_quantile(q: float, selector: str = "") -> str:
    """Seed: cost per request percentile. The seed's query lacked `sum by (le)`: without it
    histogram_quantile returns one quantile per series instead of one for the fleet."""
    sel = f"{{{selector}}}" if selector else ""
    return f"histogram_quantile({q}, sum by (le) (rate({n.REQUEST_COST_BUCKET}{sel}[$__rate_interval])))"


def gpu_utilization(selector: str = "") -> str:
    """Seed: GPU utilization across the fleet."""
    return f"{n.GPU_UTILIZATION}{{{selector}}}" if selector else n.GPU_UTILIZATION


def token_rate_by_model(selector: str = "") -> str:
    """Seed: token consumption rate per model."""
    sel = f"{{{selector}}}" if selector else ""
    return f"sum by (model) (rate({n.API_TOKENS}{sel}[$__rate_interval]))"


def budget_utilization(period: str, selector: str = "") -> str:
    """Seed: budget used vs allocated per team."""
    extra = f",{selector}" if selector else ""
    return f'{n.BUDGET_UTILIZATION}{{period="{period}"{extra}}}'


def org_spend(offset: str = "") -> str:
    """Total spend today, optionally as it was a week ago at this time."""
    return f"sum({n.DAILY_SPEND}{' offset ' + offset if offset else ''})"


def org_month_forecast() -> str:
    """Month-end forecast, all teams."""
    return f"sum({n.R_TEAM_FORECAST})"


def idle_gpus(threshold: float) -> dict[str, str]:
    """Idle GPU table columns, as instant queries joined on (instance, gpu)."""
    idle = f"{n.GPU_UTILIZATION} < {threshold:g}"
    return {
        "utilization": idle,
        "hourly": f"{n.GPU_HOURLY_COST} and on (instance, gpu) ({idle})",
        "wasted": f"{n.R_GPU_IDLE_COST_TODAY} and on (instance, gpu) ({idle})",
    }


def unpriced_tokens(selector: str = "") -> str:
    """Today's tokens of models no price covers, by team and model (never silently $0)."""
    return f"{n.R_UNPRICED_TOKENS_TODAY}{{{selector}}} > 0" if selector else f"{n.R_UNPRICED_TOKENS_TODAY} > 0"


def team_stat(metric: str) -> str:
    """One of the team's recorded totals."""
    return f"sum({metric}{{{TEAM_MATCHER}}})"


def team_spend_by(label: str) -> str:
    """The team's spend today by project or category."""
    return f"sum by ({label}) ({n.R_TPC_TODAY}{{{TEAM_MATCHER}}})"


def team_spend_rate_by_model() -> str:
    """The team's API dollars per hour by model (from the request cost histogram)."""
    return f'sum by (model) (rate({n.REQUEST_COST}_sum{{{TEAM_MATCHER},model=~"$model"}}[$__rate_interval])) * 3600'


def team_tokens_today() -> str:
    """The team's tokens today per model."""
    return f'{n.R_TEAM_MODEL_TOKENS_TODAY}{{{TEAM_MATCHER},model=~"$model"}}'


def team_token_budgets() -> str:
    """The team's daily token budgets per model."""
    return f'{n.C_TOKEN_BUDGET}{{{TEAM_MATCHER},model=~"$model"}}'


def team_p95_by_endpoint() -> str:
    """The team's p95 cost per request by endpoint."""
    return f"{n.R_TEAM_ENDPOINT_P95}{{{TEAM_MATCHER}}}"


def team_firing_alerts() -> str:
    """The team's firing alerts."""
    return f'ALERTS{{{TEAM_MATCHER},alertstate="firing"}}'
