"""Generated promtool unit tests: every alert, with the spec's own numbers, at the edge of its `for:`.

Each scenario drives a signal across its threshold at a known minute, then asserts that the
alert is not firing one evaluation before `crossing + for` and fires, with its exact labels
and annotations, at `crossing + for`. Budget scenarios start from raw counters, so they test
the whole chain (raw -> today -> ratio -> alert); scenarios that need days of history feed
the recorded series the alert reads.
"""

from __future__ import annotations

import math
import re

from generator import names as n
from generator.durations import seconds
from generator.catalogue import Catalogue
from generator.catalogue.records.constants import Constant
from generator.model import Spec, Team
from generator.render.prometheus_rules import GROUP_ORDER, rule_file
from generator.render.promtool_tests.combine import combine
from generator.render.promtool_tests.delay import delayed
from generator.render.promtool_tests.expect import EVAL, Expect, series
from generator.render.promtool_tests.health import health_tests
from generator.render.promtool_tests.org import org_tests
from generator.render.promtool_tests.sources import source_tests
from generator.render.promtool_tests.team import Scenarios

# Edge scenarios run for at most this many teams (teams with overrides first): past it they add
# megabytes and promtool minutes but no new code path, since every team runs the same rules.
# Every team's own numbers are still checked, in constants.yml.
MAX_TEAMS_PER_SCENARIO = 100
# Teams per scenario file: promtool refuses any query that loads more than 10,000 samples, and
# each file carries the constants of its own teams only (never the whole organisation's). The
# rules read constants over 1h5m: 65 samples a series at a minute's interval, 5 at 15 minutes,
# where the history scenarios (days of evaluations, whose cost is per step) keep every team in one file.
TEAMS_PER_FILE = 25
HISTORY_INTERVAL = 15 * 60
# Teams per query of constants.yml: two budgets each, under promtool's 10,000 samples.
TEAMS_PER_CONSTANTS_QUERY = 2000
_TEAM_LABEL = re.compile(r'[{,]team="([^"]*)"')


def _file(spec: Spec, rule_files: list[str], tests: list[dict]) -> dict:
    interval = tests[0].get(EVAL, spec.evaluation_interval)  # raw-driven files: the ledger's own interval
    order = [g for g in GROUP_ORDER if rule_file(g) in rule_files]
    delay, every = spec.spend_delay_seconds, seconds(interval)
    return {"rule_files": rule_files, "evaluation_interval": interval, "group_eval_order": order,
            "tests": [delayed({k: v for k, v in t.items() if k != EVAL}, delay, every) for t in tests]}


def scenario_teams(spec: Spec) -> list[Team]:
    """The teams the edge scenarios run for: those with overrides or an own receiver first, by name."""
    ranked = sorted(spec.teams, key=lambda t: (not (t.overrides or t.receiver != spec.default_receiver), t.name))
    return ranked[:MAX_TEAMS_PER_SCENARIO]


def _teams_per_file(first: dict) -> int:
    """How many teams a file of this scenario holds, from its first group's interval."""
    return MAX_TEAMS_PER_SCENARIO if seconds(first["interval"]) >= HISTORY_INTERVAL else TEAMS_PER_FILE


def _regex(names: list[str]) -> str:
    """A PromQL regex matching exactly these names (names are [A-Za-z0-9_.-]: only the dot is special)."""
    return "|".join(x.replace(".", "[.]") for x in names)


def constants_test(spec: Spec) -> dict:
    """Every team's budgets and threshold overrides, as Prometheus loads them from the rules, a
    few thousand teams per query."""
    checks = []
    for lo in range(0, len(spec.teams), TEAMS_PER_CONSTANTS_QUERY):
        chunk = spec.teams[lo:lo + TEAMS_PER_CONSTANTS_QUERY]
        matcher = f'{{team=~"{_regex([t.name for t in chunk])}"}}' if len(spec.teams) > TEAMS_PER_CONSTANTS_QUERY else ""
        budgets = [{"labels": f'{n.C_TEAM_BUDGET}{{period="{period}",team="{t.name}"}}', "value": value}
                   for t in chunk for period, value in (("daily", t.daily_budget), ("monthly", t.monthly_budget))]
        overrides = [{"labels": f'{n.C_TEAM_THRESHOLD}{{team="{t.name}",threshold="{key}"}}', "value": value}
                     for t in chunk for key, value in t.overrides]
        checks.append({"expr": n.C_TEAM_BUDGET + matcher, "eval_time": "1m", "exp_samples": budgets})
        checks.append({"expr": n.C_TEAM_THRESHOLD + matcher, "eval_time": "1m", "exp_samples": overrides})
    return {"name": "every team's budgets and threshold overrides reach Prometheus", "interval": "1m",
            "input_series": [], "promql_expr_test": checks}


def _steps(test: dict) -> int:
    """How many samples an input series needs to last through every evaluation of a test group."""
    times = [c["eval_time"] for key in ("alert_rule_test", "promql_expr_test") for c in test.get(key, ())]
    return math.ceil(max(map(seconds, times)) / seconds(test["interval"])) + 1


def with_constants(test: dict, constants: dict[str | None, list[Constant]]) -> dict:
    """A test group with the constant series of its own teams (and the org's) as input series.

    The rule file of the constants is not loaded: with thousands of teams, its series alone would
    push the rules' queries past promtool's limit, and constants.yml checks that file.
    """
    teams = sorted({m for s in test["input_series"] for m in _TEAM_LABEL.findall(s["series"])})
    steps = _steps(test)
    extra = [series(c.metric, c.labels, f"{c.literal}x{steps}") for team in (None, *teams) for c in constants.get(team, ())]
    return {**test, "input_series": [*test["input_series"], *extra]}


def render_rule_tests(spec: Spec, catalogue: Catalogue) -> dict[str, dict]:
    """<scenario>.yml -> promtool test file: one per alert scenario, plus org.yml and constants.yml."""
    expect = Expect(catalogue)
    scenarios = Scenarios(spec, expect)
    rule_files = [rule_file(g) for g in GROUP_ORDER if g not in (n.G_CONSTANTS, n.G_HEALTH)]
    constants: dict[str | None, list[Constant]] = {}
    for c in catalogue.constants:
        constants.setdefault(c.labels.get(n.L_TEAM), []).append(c)
    builders: dict[str, list] = {}
    for team in scenario_teams(spec):
        for key, build in scenarios.for_team(team):
            builders.setdefault(key, []).append(build)
    groups: dict[str, list[dict]] = {}
    for key, builds in builders.items():
        # The group that opens a file is exact; the others are checked through ALERTS only,
        # which is far cheaper to build and to run.
        first = builds[0](True)
        size = _teams_per_file(first)
        for part, lo in enumerate(range(0, len(builds), size)):
            name = key if part == 0 else f"{key}-{part + 1}"
            groups[name] = [first if lo == 0 else builds[lo](True), *(b(False) for b in builds[lo + 1:lo + size])]
    out = {"org.yml": _file(spec, rule_files, [with_constants(t, constants) for t in org_tests(spec, expect)]),
           "constants.yml": _file(spec, [rule_file(n.G_CONSTANTS)], [constants_test(spec)]),
           "health.yml": _file(spec, [rule_file(n.G_HEALTH)], health_tests(spec, expect))}
    if sources := source_tests(spec):
        out["sources.yml"] = _file(spec, rule_files, [with_constants(t, constants) for t in sources])
    for name, tests in groups.items():
        out[f"{name}.yml"] = _file(spec, rule_files, [with_constants(t, constants) for t in combine(tests)])
    return dict(sorted(out.items()))
