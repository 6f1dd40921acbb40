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
# The label that tells apart the results of several queries run as one.
QUERY_KEY = "aicost_query"
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


def _filled(key: str) -> tuple[str, str]:
    """A query's PromQL as a printf format, and the printf arguments that fill it."""
    promql, labels = QUERIES[key]
    return promql, " ".join(f"$labels.{lbl}" for lbl in labels)


def _printf(promql: str, args: str) -> str:
    return f'printf "{promql}" {args}' if args else f'"{promql}"'


def to_template(text: str) -> str:
    """The Prometheus (Go) template of an annotation text.

    Every query of a firing alert runs at every evaluation: a text with several queries runs
    them as one (each tagged with its key, so the placeholders pick their value), not one each.
    """
    keys = list(dict.fromkeys(m.group(2) for m in _PLACEHOLDER.finditer(text) if m.group(1) == "query"))
    merged = len(keys) > 1
    head = ""
    if merged:
        filled = [(k, *_filled(k)) for k in keys]
        promql = " or ".join(f"label_replace({p}, '{QUERY_KEY}', '{k}', '', '')" for k, p, _ in filled)
        head = "{{ $q := %s | query }}" % _printf(promql, " ".join(a for _, _, a in filled if a))

    def sub(m: re.Match) -> str:
        kind, key, fmt = m.group(1), m.group(2), m.group(3)
        if kind == "label":
            return "{{ $labels.%s }}" % key
        if kind == "value":
            return '{{ printf "%s" $value }}' % FORMATS[key]
        if merged:
            return ('{{ range $q }}{{ if eq (label "%s" .) "%s" }}{{ . | value | printf "%s" }}{{ end }}{{ end }}'
                    % (QUERY_KEY, key, FORMATS[fmt]))
        return '{{ with %s | query }}{{ . | first | value | printf "%s" }}{{ end }}' % (_printf(*_filled(key)), FORMATS[fmt])

    return head + _PLACEHOLDER.sub(sub, text)


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
