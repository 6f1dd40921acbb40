"""The generated promtool tests of a few hundred teams pass: each file loads only its own teams'
constants and holds at most 25 teams (promtool refuses a query of more than 10,000 samples)."""

from __future__ import annotations

import importlib.util
import re

import pytest
import yaml

from conftest import LEG, ROOT
from generator import names
from generator.build import rendered_files
from generator.durations import seconds
from generator.output import write_tree
from generator.render.promtool_tests import HISTORY_INTERVAL
from generator.resolve import load_model
from promtool_runner import failures

TEAMS = 300
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _make_specs(n: int, where):
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "benchmarks" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_specs(n, where)


@pytest.mark.tools
def test_generated_tests_pass_for_a_few_hundred_teams(tmp_path):
    """The generated files at 300 teams: each minute-interval scenario's first file and the
    organisation's (the multi-day history scenarios take a minute of promtool each; `python
    benchmarks/generate.py --promtool` runs everything at 10 to 10,000 teams on both versions).
    Prometheus 3 only: the full generated suite runs on 2.42 for the bundled specs."""
    if LEG != "3":
        pytest.skip("runs on the Prometheus 3 leg of CI")
    model, _ = load_model(_make_specs(TEAMS, tmp_path))
    out = tmp_path / "rendered"
    write_tree(rendered_files(model), out)
    tests = sorted((out / names.RULE_TESTS_DIR).glob("*.yml"))
    names_ = {f.stem for f in tests}
    # 100 teams per scenario, 25 a file: four files of each minute-interval scenario.
    assert {"daily-budget-exceeded", "daily-budget-exceeded-4", "constants", "org", "health"} <= names_
    assert "daily-budget-exceeded-5" not in names_
    constants = yaml.load((out / names.RULE_TESTS_DIR / "constants.yml").read_text(), Loader=LOADER)
    budgets = [s for t in constants["tests"] for c in t["promql_expr_test"] if c["expr"].startswith(names.C_TEAM_BUDGET)
               for s in c["exp_samples"]]
    assert len(budgets) == 2 * TEAMS
    minute = [f for f in tests if seconds(yaml.load(f.read_text(), Loader=LOADER)["evaluation_interval"]) < HISTORY_INTERVAL]
    assert len(minute) >= 40
    # Each scenario's first file (25 teams, its constants only) and the whole-organisation files: a
    # scenario's later files differ only in which 25 teams they hold (CI's 20 minutes).
    run = [f for f in minute if not re.search(r"-\d+$", f.stem)]
    assert len(run) >= 10
    found = failures(run)
    assert not found, "\n".join(found)[:20000]
