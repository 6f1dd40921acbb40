"""PromQL builders: every expression aicost renders is assembled here, apart from rule layout.

The calendar arithmetic (why these shapes):

* Subqueries evaluate at timestamps that are multiples of their step since the Unix epoch,
  so a ``[..:5m]`` subquery steps on 5-minute boundaries and a ``[..:1d]`` one on UTC
  midnights. A day is exactly 288 such steps, whichever Prometheus version.
* Spend "today" is the sum of exact per-step deltas of each raw counter (``x - x offset 5m``,
  which telescopes to "last sample minus the sample at midnight"), for the steps whose
  5-minute interval lies in today's UTC date, plus the partial step since the last boundary.
  A step in which the counter reset, or that follows a gap, uses ``increase()`` instead:
  an exporter restart is neither a refund nor a spike.
* "Today's date" inside a subquery is the evaluation time, reached with ``@ end()``
  (Prometheus >= 2.33; ``end()`` is the rule's evaluation time). Steps are chosen by
  comparing dates, never by range boundaries, so Prometheus 3's left-open ranges select
  the same steps as 2.x's closed ones; ranges such as ``[23h59m59s:5m]`` hold exactly
  288 steps under both.
"""

from __future__ import annotations

from generator import names as n

STEP = "5m"
STEP_SECONDS = 300
DAY = 86400
BY_TPC = "team, project, category"

# The evaluation time's UTC date, usable inside a subquery. The inner [5m:5m] subquery has
# one point on the last 5-minute boundary at or before end(); that boundary is on the
# same date as end() because midnight is itself a boundary.
END_TIME = f"last_over_time(vector(time())[{STEP}:{STEP}] @ end())"


def number(x: float) -> str:
    """A PromQL number literal, exact and stable (repr of the float)."""
    return repr(float(x)) if not float(x).is_integer() else str(int(x))


def sel(metric: str, **matchers: str) -> str:
    """A vector selector with equality matchers."""
    if not matchers:
        return metric
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(matchers.items()))
    return f"{metric}{{{inner}}}"


def part(expr: str, name: str) -> str:
    """Tag a vector with a `part` label so that `or` keeps it apart before a `sum` adds parts."""
    return f'label_replace({expr}, "part", "{name}", "", "")'


def add_parts(by: str, *exprs: str) -> str:
    """Sum vectors that may each be absent (`a + b` would drop a team missing from either)."""
    joined = "\n  or\n".join(part(e, f"p{i}") for i, e in enumerate(exprs))
    return f"sum by ({by}) (\n{joined}\n)"


def step_delta(x: str) -> str:
    """Exact increase of counter `x` over the 5-minute step ending now.

    Normally the sample now minus the sample a step ago. A series with no sample a step ago
    (born during the step, or back from a gap) counts from its first sample in the step: exact
    for counters that start at 0, as the exporter's and the library's do, and never counting a
    gap's unknown spend twice. A step with a counter reset uses increase().
    """
    return (f"((((({x} - {x} offset {STEP}) >= 0) or ({x} - min_over_time({x}[{STEP}])))"
            f" unless resets({x}[{STEP}]) > 0) or increase({x}[{STEP}]))")


def tail_delta(x: str) -> str:
    """Increase of counter `x` since the last 5-minute boundary (0 right on a boundary); from its
    first sample for a series born since the boundary, or after a reset."""
    return (f"((({x} - last_over_time({x}[{STEP}:{STEP}])) >= 0)"
            f" or ({x} - min_over_time({x}[{STEP}])))")


def _priced_tokens(delta: str) -> str:
    """Token counts times the price table: dollars, labelled as API spend."""
    return (f'label_replace({delta} * on (model, direction) group_left () {n.C_MODEL_PRICE},'
            f' "category", "api", "", "")')


def spend_stream(delta) -> str:
    """Spend deltas of every raw series; token-priced deltas for teams that emit no API spend.

    An application instrumented with our library emits both tokens and dollars; one that only
    counts tokens still gets a cost from the price table. `or on (team, category)` keeps the
    dollars where both exist, so nothing is counted twice.
    """
    return f"({delta(n.SPEND)} or on (team, category) {_priced_tokens(delta(n.API_TOKENS))})"


def in_today(step_seconds: int = STEP_SECONDS) -> str:
    """True (non-empty) at a subquery step whose interval lies on the evaluation time's UTC date."""
    return (f"(floor((vector(time()) - {step_seconds}) / {DAY})"
            f" == on () floor({END_TIME} / {DAY}))")


def since_midnight(delta, by: str) -> str:
    """Increase since 00:00 UTC of the stream `delta` builds, summed by `by`."""
    steps = (f"sum_over_time((sum by ({by}) ({delta(step_delta)}) and on () {in_today()})"
             f"[1d:{STEP}])")
    tail = f"sum by ({by}) ({delta(tail_delta)})"
    return add_parts(by, steps, tail)


def spend_today() -> str:
    """Dollars since 00:00 UTC per team, project and category."""
    return since_midnight(spend_stream, BY_TPC)


def tokens_today() -> str:
    """Tokens (both directions) since 00:00 UTC per team and model."""
    return since_midnight(lambda d: d(n.API_TOKENS), "team, model")


def spend_yesterday() -> str:
    """Exact dollars of the previous UTC day per team, project and category.

    The outer [1d:1d] subquery lands on today's midnight; there, the inner subquery holds
    exactly yesterday's 288 steps.
    """
    day = f"sum_over_time(sum by ({BY_TPC}) ({spend_stream(step_delta)})[23h59m59s:{STEP}])"
    return f"last_over_time({day}[1d:1d])"


def month_to_date() -> str:
    """Dollars since the 1st of this month (UTC) per team, project and category.

    Yesterday's exact total is recorded all day long; on each midnight step s of the last
    30 days, the last value recorded before s is the total of the day that began at s-2d,
    counted when that day lies in the evaluation time's month.
    """
    earlier = (f"sum_over_time((last_over_time({n.R_TPC_YESTERDAY}[1d] offset 1s)"
               f" and on () (month(vector(time() - {2 * DAY})) == on () month({END_TIME})))[30d:1d])")
    yesterday = f"({n.R_TPC_YESTERDAY} and on () (day_of_month() > 1))"
    return add_parts(BY_TPC, n.R_TPC_TODAY, yesterday, earlier)


def month_forecast() -> str:
    """Month-end spend if this month's average daily spend so far continues."""
    elapsed_days = f"scalar(day_of_month() - 1 + (time() % {DAY}) / {DAY})"
    return f"{n.R_TEAM_MONTH} / {elapsed_days} * scalar(days_in_month())"


def same_time_history(window_days: int) -> str:
    """Each team's spend at this time of day on each of the previous `window_days` days."""
    terms = [f'label_replace({n.R_TEAM_TODAY} offset {k}d, "{n.L_DAYS_AGO}", "{k}", "", "")'
             for k in range(1, window_days + 1)]
    return "\n  or ".join(terms)


def sample_stddev_or_tenth_of_mean() -> str:
    """The seed's deviation: *sample* stddev (n-1) of the history; 10 % of the mean when it is 0.

    Two-pass (sum of squared deviations from the mean), so equal days give exactly 0.
    PromQL's stddev_over_time is the population deviation, hence the explicit n-1.
    """
    sq = (f"sum by (team) (({n.R_TEAM_HISTORY} - on (team) group_left () {n.R_TEAM_HIST_MEAN}) ^ 2)"
          f" / on (team) ({n.R_TEAM_HIST_COUNT} - 1)")
    return f"(sqrt({sq}) > 0) or on (team) ({n.R_TEAM_HIST_MEAN} * 0.1)"


def team_threshold(name: str, default: float) -> str:
    """A per-team threshold: the team's override where it has one, else the org value."""
    return (f'({n.C_TEAM_THRESHOLD}{{threshold="{name}"}}'
            f" or on (team) ({n.C_TEAM_INFO} * 0 + {default:g}))")


def week_spend() -> str:
    """Dollars over the last 7 days per team (token-priced where no API dollars are emitted)."""
    return f"sum by (team) ({spend_stream(lambda x: f'increase({x}[7d])')})"


def p95_cost(window: str, offset: str = "") -> str:
    """p95 cost per request per team and endpoint over `window`."""
    off = f" offset {offset}" if offset else ""
    return (f"histogram_quantile(0.95, sum by (team, endpoint, le) "
            f"(rate({n.REQUEST_COST_BUCKET}[{window}]{off})))")
