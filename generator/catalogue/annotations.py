"""Alert annotation text that renders both as a Prometheus template and, for tests, as its result.

A text holds placeholders:
  {label:NAME}          the alert's label
  {value:FMT}           the alert's value
  {query:KEY:FMT}       the first value of a PromQL query (QUERIES[KEY]) filled with labels
FMT is money (2 decimals), pct (0 decimals), num (1 decimal) or int.
Only printf formats are used, so Python reproduces Go's output exactly in generated tests.
"""

from __future__ import annotations

import re

from generator import names as n
from generator.catalogue.constants import WINDOW

FORMATS = {"money": "%.2f", "pct": "%.0f", "num": "%.1f", "int": "%.0f"}
_PLACEHOLDER = re.compile(r"\{(label|value|query):([A-Za-z_]*)(?::([a-z]+))?\}")



def _constant(selector: str) -> str:
    """A constant series read the way the rules read it (its group may run after the alert's)."""
    return f"last_over_time({selector}[{WINDOW}])"


# key -> (PromQL with %q per label, labels that fill it)
QUERIES = {
    "budget_daily": (_constant(f"{n.C_TEAM_BUDGET}{{team=%q,period='daily'}}"), ("team",)),
    "budget_monthly": (_constant(f"{n.C_TEAM_BUDGET}{{team=%q,period='monthly'}}"), ("team",)),
    "pct_daily": (f"100 * {n.BUDGET_UTILIZATION}{{team=%q,period='daily'}}", ("team",)),
    "pct_monthly": (f"100 * {n.BUDGET_UTILIZATION}{{team=%q,period='monthly'}}", ("team",)),
    "spend_month": (f"{n.R_TEAM_MONTH}{{team=%q}}", ("team",)),
    "spend_today": (f"{n.R_TEAM_TODAY}{{team=%q}}", ("team",)),
    "org_budget_daily": (_constant(f"{n.C_ORG_BUDGET}{{period='daily'}}"), ()),
    "org_budget_monthly": (_constant(f"{n.C_ORG_BUDGET}{{period='monthly'}}"), ()),
    "hist_mean": (f"{n.R_TEAM_HIST_MEAN}{{team=%q}}", ("team",)),
    "hist_stddev": (f"{n.R_TEAM_HIST_STDDEV}{{team=%q}}", ("team",)),
    "gpu_hourly": (f"{n.GPU_HOURLY_COST}{{instance=%q,gpu=%q}}", ("instance", "gpu")),
    "p95_baseline": (f"{n.R_TEAM_ENDPOINT_P95_BASELINE}{{team=%q,endpoint=%q}}", ("team", "endpoint")),
    "token_budget": (_constant(f"{n.C_TOKEN_BUDGET}{{team=%q,model=%q}}"), ("team", "model")),
    "week_before": (f"{n.R_TEAM_WEEK}{{team=%q}} offset 7d", ("team",)),
    "tier_revenue": (_constant(f"{n.C_TIER_REVENUE}{{team=%q,tier=%q}}"), ("team", "tier")),
}


def to_template(text: str) -> str:
    """The Prometheus (Go) template of an annotation text."""

    def sub(m: re.Match) -> str:
        kind, key, fmt = m.group(1), m.group(2), m.group(3)
        if kind == "label":
            return "{{ $labels.%s }}" % key
        if kind == "value":
            return '{{ printf "%s" $value }}' % FORMATS[key]
        promql, labels = QUERIES[key]
        args = " ".join(f"$labels.{lbl}" for lbl in labels)
        source = f'printf "{promql}" {args}' if labels else f'"{promql}"'
        return '{{ with %s | query }}{{ . | first | value | printf "%s" }}{{ end }}' % (source, FORMATS[fmt])

    return _PLACEHOLDER.sub(sub, text)


def expand(text: str, labels: dict, value: float | None, queries: dict, missing: str = "") -> str:
    """What the template renders to, given the alert's labels and value and the query results; an
    unknown value or query result reads `missing` (the template prints nothing for a query without result)."""

    def sub(m: re.Match) -> str:
        kind, key, fmt = m.group(1), m.group(2), m.group(3)
        if kind == "label":
            return str(labels.get(key, missing))
        if kind == "value":
            return missing if value is None else FORMATS[key] % value
        result = queries.get(key)
        return missing if result is None else FORMATS[fmt] % result

    return _PLACEHOLDER.sub(sub, text)
