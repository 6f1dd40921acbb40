"""Generated promtool unit tests: every alert, with the spec's own numbers, at the edge of its `for:`.

Each scenario drives a signal across its threshold at a known minute, then asserts that the
alert is not firing one evaluation before `crossing + for` and fires, with its exact labels
and annotations, at `crossing + for`. Budget scenarios start from raw counters, so they test
the whole chain (raw -> today -> ratio -> alert); scenarios that need days of history feed
the recorded series the alert reads.
"""

from __future__ import annotations

from generator import names as n
from generator.catalogue import Catalogue
from generator.model import Spec, Team
from generator.render.prometheus_rules import GROUP_ORDER, rule_file
from generator.render.promtool_tests.combine import combine
from generator.render.promtool_tests.expect import EVAL, Expect
from generator.render.promtool_tests.health import health_tests
from generator.render.promtool_tests.org import org_tests
from generator.render.promtool_tests.team import Scenarios

# Edge scenarios run for at most this many teams (teams with overrides first): past it they add
# megabytes and promtool minutes but no new code path, since every team runs the same rules.
# Every team's own numbers are still checked, in constants.yml.
MAX_TEAMS_PER_SCENARIO = 100


def _file(spec: Spec, rule_files: list[str], tests: list[dict]) -> dict:
    interval = tests[0].get(EVAL, spec.evaluation_interval)  # raw-driven files: the ledger's own interval
    order = [g for g in GROUP_ORDER if rule_file(g) in rule_files]
    return {"rule_files": rule_files, "evaluation_interval": interval, "group_eval_order": order,
            "tests": [{k: v for k, v in t.items() if k != EVAL} for t in tests]}


def scenario_teams(spec: Spec) -> list[Team]:
    """The teams the edge scenarios run for: those with overrides or an own receiver first, by name."""
    ranked = sorted(spec.teams, key=lambda t: (not (t.overrides or t.receiver != spec.default_receiver), t.name))
    return ranked[:MAX_TEAMS_PER_SCENARIO]


def constants_test(spec: Spec) -> dict:
    """Every team's budgets and threshold overrides, as Prometheus loads them from the rules."""
    budgets, overrides = [], []
    for t in spec.teams:
        for period, value in (("daily", t.daily_budget), ("monthly", t.monthly_budget)):
            budgets.append({"labels": f'{n.C_TEAM_BUDGET}{{period="{period}",team="{t.name}"}}', "value": value})
        for key, value in t.overrides:
            overrides.append({"labels": f'{n.C_TEAM_THRESHOLD}{{team="{t.name}",threshold="{key}"}}', "value": value})
    checks = [{"expr": n.C_TEAM_BUDGET, "eval_time": "1m", "exp_samples": budgets}]
    checks.append({"expr": n.C_TEAM_THRESHOLD, "eval_time": "1m", "exp_samples": overrides})
    return {"name": "every team's budgets and threshold overrides reach Prometheus", "interval": "1m",
            "input_series": [], "promql_expr_test": checks}


def render_rule_tests(spec: Spec, catalogue: Catalogue) -> dict[str, dict]:
    """<scenario>.yml -> promtool test file: one per alert scenario, plus org.yml and constants.yml."""
    expect = Expect(catalogue)
    scenarios = Scenarios(spec, expect)
    rule_files = [rule_file(g) for g in GROUP_ORDER if g != n.G_HEALTH]
    groups: dict[str, list[dict]] = {}
    for team in scenario_teams(spec):
        for key, build in scenarios.for_team(team):
            # The group that opens a file is exact; the others are checked through ALERTS only,
            # which is far cheaper to build and to run.
            exact = key not in groups
            groups.setdefault(key, []).append(build(exact))
    out = {"org.yml": _file(spec, rule_files, org_tests(spec, expect)),
           "constants.yml": _file(spec, [rule_file(n.G_CONSTANTS)], [constants_test(spec)]),
           "health.yml": _file(spec, [rule_file(n.G_HEALTH)], health_tests(spec, expect))}
    for key, tests in groups.items():
        out[f"{key}.yml"] = _file(spec, rule_files, combine(tests))
    return dict(sorted(out.items()))
