"""`aicost diff` and `aicost explain` on hand-made spec pairs: every kind of change, with its numbers."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ACME
from generator import names as n
from generator.catalogue import build
from generator.load import load_spec
from generator.review.changes import compare, price_effects
from generator.review.explain import CONSTANTS, MEANINGS, RECORDED, chain, explain
from generator.cli import main


def _run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _edit(path, old, new):
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def pair(tmp_path):
    """Two copies of the test org: `old` stays, `new` gets the case's edits."""
    shutil.copytree(ACME, tmp_path / "old")
    shutil.copytree(ACME, tmp_path / "new")
    return tmp_path / "old", tmp_path / "new"


def _diff(pair, *extra):
    old, new = pair
    r = _run("diff", str(old), "--specs", str(new), *extra)
    return r, r.output.splitlines()


def test_unchanged_specs_print_no_changes(pair):
    r, lines = _diff(pair)
    assert r.exit_code == 0
    assert lines == [f"aicost diff {pair[0]} -> {pair[1]}/ (working tree): no changes"]


def test_a_budget_change_shows_both_budgets_and_the_dollar_level_of_each_alert(pair):
    _edit(pair[1] / "teams" / "search.yaml", "daily: 450", "daily: 750")
    r, lines = _diff(pair)
    assert r.exit_code == 0
    assert lines[0].endswith(": 4 changes")
    assert lines[1:] == [
        "", "Team search",
        "  daily budget: $450.00 -> $750.00 (+66.7%)",
        "  AIDailyBudgetExceeded (critical) fires at $750.00 instead of $450.00: today's spend above $750.00 "
        "(1 x daily budget $750.00), for 5m",
        "  AIDailyBudgetWarning (warning) fires at $600.00 instead of $360.00: today's spend above $600.00 "
        "(0.8 x daily budget $750.00), for 5m",
        "  AIBudgetGuard (critical, daily) fires at $750.00 instead of $450.00: today's spend above $750.00 "
        "(1 x daily budget $750.00): the library refuses the team's calls (except projects query-understanding)",
    ]


def test_a_threshold_override_and_the_spend_floor_say_where_the_alert_now_fires(pair):
    team = pair[1] / "teams" / "search.yaml"
    team.write_text(team.read_text() + "thresholds:\n  budget_warning: 0.5\n  min_daily_spend: 300\n")
    _, lines = _diff(pair)
    assert "  threshold budget_warning: 0.8 -> 0.5 (team override)" in lines
    assert "  threshold min_daily_spend: 5 -> 300 (team override)" in lines
    # 0.5 x $450 = $225, below the new $300 floor: the floor is where it fires
    assert ("  AIDailyBudgetWarning (warning) fires at $300.00 instead of $360.00: today's spend above $225.00 "
            "(0.5 x daily budget $450.00), and at least $300.00 (min_daily_spend), for 5m") in lines
    assert any(x.startswith("  AICostAnomaly (critical, spike) now fires when z-score of today's spend above 4, after 7 "
                            "days of history, today or the usual spend at least $300.00") for x in lines)


def test_token_budgets_added_changed_and_removed(pair):
    chatbot = pair[1] / "teams" / "chatbot.yaml"
    _edit(chatbot, "gpt-4o: 60000000", "gpt-4o: 90000000")
    _edit(chatbot, "  gpt-4o-mini: 200000000\n", "  claude-3-5-sonnet: 1000000\n")
    _, lines = _diff(pair)
    assert lines[2:] == [
        "Team chatbot",
        "  token budget claude-3-5-sonnet: 1,000,000 tokens a day (new; AITokenBudgetExceeded can now fire above it)",
        "  token budget gpt-4o: 60,000,000 -> 90,000,000 tokens a day (+50.0%)",
        "  token budget gpt-4o-mini: removed (was 200,000,000 tokens a day; AITokenBudgetExceeded no longer fires for it)",
    ]


def test_alerts_a_team_gains_and_loses(pair):
    search = pair[1] / "teams" / "search.yaml"
    text = search.read_text()
    assert "user_tiers:" in text and "ranker-v2: 2500" in text
    _edit(search, "    ranker-v2: 2500\n", "    ranker-v3: 4000\n")
    _, lines = _diff(pair)
    assert ("  AITrainingJobOverBudget (warning, experiment ranker-v3) can now fire: training spend of ranker-v3 "
            "over the last 30d above $4,000.00, for 15m") in lines
    assert ("  AITrainingJobOverBudget (warning, experiment ranker-v2) no longer fires (was: training spend of "
            "ranker-v2 over the last 30d above $2,500.00, for 15m)") in lines


def test_teams_added_and_removed(pair):
    (pair[1] / "teams" / "data.yaml").rename(pair[1] / "teams" / "analytics.yaml")
    _, lines = _diff(pair)
    assert lines[2:5] == [
        "Teams",
        "  added analytics: daily budget $150.00, monthly $4,000.00, receiver slack-platform",
        "  removed data (daily budget $150.00, monthly $4,000.00): its alerts stop; its spend becomes untagged "
        "(AIUntaggedSpend)",
    ]


def test_prices_and_their_effect_at_todays_volumes(pair):
    _edit(pair[1] / "prices.yaml", "input_per_million: 2.50", "input_per_million: 5.00")
    _, lines = _diff(pair)
    assert lines[2:] == ["Prices", "  model gpt-4o input: $2.5 -> $5 per 1M tokens (+100.0%)"]
    old, new = (load_spec(p)[0] for p in pair)
    effects = price_effects(old, new, {("search", "gpt-4o", "input"): 4_000_000, ("search", "gpt-4o", "output"): 10**6,
                                       ("data", "gpt-4o-mini", "input"): 10**9})
    assert [c.text for c in effects] == [
        "at today's volumes, team search's priced spend today: $10.00 -> $20.00 (+$10.00)"]


def test_receivers_and_routes_say_which_alert_now_reaches_whom(pair):
    alerting = pair[1] / "alerting.yaml"
    _edit(alerting, 'channel: "#ai-oncall"', 'channel: "#ai-incidents"')
    _edit(alerting, "    severity: critical\n    receivers: [pagerduty, slack-oncall]",
          "    severity: critical\n    receivers: [pagerduty, slack-oncall, email-leads]")
    _, lines = _diff(pair)
    at = lines.index("Receivers")
    assert lines[at + 1] == "  slack-oncall: channel: #ai-oncall -> #ai-incidents"
    assert lines[lines.index("Routing (who receives what)") + 1] == (
        "  AICostAnomaly (critical, spike) for teams chatbot, data, ml-platform, search: pagerduty, slack-oncall "
        "-> pagerduty, slack-oncall, email-leads")


def test_a_team_receiver_change_moves_its_warnings(pair):
    _edit(pair[1] / "teams" / "search.yaml", "receiver: slack-search", "receiver: email-leads")
    _, lines = _diff(pair)
    assert "  receiver: slack-search -> email-leads" in lines
    routing = lines[lines.index("Routing (who receives what)") + 1]
    assert routing.startswith("  AIDailyBudgetWarning (warning), AIMonthlyBudgetWarning (warning), ")
    assert routing.endswith(" for team search: slack-search -> email-leads")


def test_org_budget_and_settings(pair):
    org = pair[1] / "org.yaml"
    _edit(org, "daily: 2000", "daily: 3000")
    _edit(org, "AIGPUIdle: 30m", "AIGPUIdle: 1h")
    _, lines = _diff(pair)
    assert "  org daily budget: $2,000.00 -> $3,000.00 (+50.0%)" in lines
    assert ("  AIOrgBudgetExceeded (critical, daily) fires at $3,300.00 instead of $2,200.00: the organisation's "
            "spend today above $3,300.00 (1.1 x daily budget $3,000.00), for 5m") in lines
    assert "  AIGPUIdle for: 30m -> 1h" in lines
    assert "  AIGPUIdle (warning) now fires when a GPU of the team below 10% utilization, for 1h (was: a GPU of the " \
           "team below 10% utilization, for 30m)" in lines


def test_markdown_for_a_pull_request_comment(pair):
    _edit(pair[1] / "teams" / "search.yaml", "daily: 450", "daily: 750")
    r, lines = _diff(pair, "--format", "markdown")
    assert lines[0] == f"### aicost diff: `{pair[0]}` -> `{pair[1]}/ (working tree)`"
    assert "**Team search**" in lines
    assert "- daily budget: $450.00 -> $750.00 (+66.7%)" in lines


def test_fail_on_policies(pair):
    _edit(pair[1] / "teams" / "search.yaml", "daily: 450", "daily: 750")
    r, _ = _diff(pair, "--fail-on", "budget-increase=50")
    assert r.exit_code == 1
    assert "aicost diff: --fail-on budget-increase=50: Team search: daily budget: $450.00 -> $750.00 (+66.7%)" in r.output
    assert _diff(pair, "--fail-on", "budget-increase=70")[0].exit_code == 0
    assert _diff(pair, "--fail-on", "budget-decrease")[0].exit_code == 0
    assert _diff(pair, "--fail-on", "alert-level")[0].exit_code == 1
    assert _diff(pair, "--fail-on", "routing", "--fail-on", "team-removed")[0].exit_code == 0
    r, _ = _diff(pair, "--fail-on", "budget-increas")
    assert r.exit_code == 1 and "unknown policy 'budget-increas'; allowed: any, team-added" in r.output


def test_every_change_kind_a_policy_names_is_one_compare_makes():
    from generator.review import changes, fail_on

    source = open(changes.__file__).read()
    for kinds, _, _ in fail_on.POLICIES.values():
        for kind in kinds:
            assert f'"{kind}"' in source, kind


# --- git revisions -------------------------------------------------------------------------------

def _git(repo, *args):
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=repo, check=True,
                   capture_output=True)


@pytest.fixture
def repo(tmp_path):
    """A repository whose main branch holds the org, checked out on a branch."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    shutil.copytree(ACME, repo / "specs")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "org")
    _git(repo, "checkout", "-qb", "change")
    return repo


def _in(repo, *args):
    return subprocess.run([str(Path(sys.executable).parent / "aicost"), *args], cwd=repo, capture_output=True, text=True)


def test_default_base_is_the_merge_base_and_uncommitted_edits_count(repo):
    _edit(repo / "specs" / "teams" / "search.yaml", "daily: 450", "daily: 500")
    _git(repo, "commit", "-qam", "search +50")
    _edit(repo / "specs" / "teams" / "data.yaml", "daily: 150", "daily: 180")  # not committed
    r = _in(repo, "diff")
    assert r.returncode == 0, r.stderr
    base = subprocess.run(["git", "merge-base", "HEAD", "main"], cwd=repo, capture_output=True, text=True).stdout.strip()
    assert r.stdout.splitlines()[0] == f"aicost diff main (merge base {base[:10]}) -> specs/ (working tree): 7 changes"
    assert "  daily budget: $450.00 -> $500.00 (+11.1%)" in r.stdout
    assert "  daily budget: $150.00 -> $180.00 (+20.0%)" in r.stdout
    assert _in(repo, "diff", "HEAD").stdout.count("daily budget:") == 1  # against the last commit: only data's


def test_bad_revision_one_line(repo):
    r = _in(repo, "diff", "no-such-branch")
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == f"aicost diff: 'no-such-branch' is not a revision of {repo} (nor a spec folder)\n"


def test_a_revision_without_the_spec_folder_and_no_repository(repo, tmp_path):
    (repo / "other").mkdir()
    shutil.copytree(ACME, repo / "other" / "specs")
    r = _in(repo, "diff", "main", "--specs", "other/specs")
    assert r.returncode == 1 and r.stderr.startswith("aicost diff: main has no other/specs/ (git archive:")
    outside = tmp_path / "outside"
    shutil.copytree(ACME, outside)
    r = _in(tmp_path, "diff", "--specs", str(outside))
    assert r.returncode == 1
    assert r.stderr == (f"aicost diff: {outside}/ is not in a git repository; give BASE as a spec folder to compare "
                        "with\n")


def test_a_spec_that_fails_to_validate_on_either_side_is_one_line(repo):
    search = repo / "specs" / "teams" / "search.yaml"
    _edit(search, "daily: 450", "daily: -5")
    _git(repo, "commit", "-qam", "broken")
    _edit(search, "daily: -5", "daily: 450")
    r = _in(repo, "diff", "HEAD")
    assert r.returncode == 1
    assert r.stderr.splitlines() == ["aicost diff: the spec does not validate: HEAD:specs/teams/search.yaml:6: "
                                     "teams.search.budget.daily: -5 is not a positive number; run `aicost validate` on it"]
    _edit(search, "daily: 450", "theshold: 1")
    r = _in(repo, "diff", "main")
    assert r.returncode == 1 and len(r.stderr.splitlines()) == 1
    assert r.stderr.startswith("aicost diff: the spec does not validate: specs/teams/search.yaml:")


def test_a_merge_conflict_in_the_spec_is_one_line(repo):
    search = repo / "specs" / "teams" / "search.yaml"
    _edit(search, "daily: 450", "daily: 500")
    _git(repo, "commit", "-qam", "ours")
    _git(repo, "checkout", "-q", "main")
    _edit(search, "daily: 450", "daily: 600")
    _git(repo, "commit", "-qam", "theirs")
    _git(repo, "checkout", "-q", "change")
    subprocess.run(["git", "merge", "-q", "main"], cwd=repo, capture_output=True)
    r = _in(repo, "diff", "main")
    assert r.returncode == 1
    assert r.stderr == ("aicost diff: specs/teams/search.yaml has merge conflicts; resolve them (and `git add`) "
                        "before comparing\n")


# --- explain -------------------------------------------------------------------------------------

def test_explain_daily_budget_for_a_team():
    r = _run("explain", n.A_DAILY_EXCEEDED, "--team", "search", "--specs", str(ACME))
    assert r.exit_code == 0
    lines = r.output.splitlines()
    assert lines[:11] == [
        "AIDailyBudgetExceeded for team search: 1 rule",
        "",
        "AIDailyBudgetExceeded (critical)",
        "  fires when: today's spend above $450.00 (1 x daily budget $450.00), for 5m",
        "  reaches: pagerduty, slack-finance, finops-webhook (route 1 of alerting.yaml)",
        "  inhibition: while it fires, holds back AIDailyBudgetWarning (warning) of the same team",
        "  they are told:",
        "    Team search has exceeded its daily AI budget",
        "    Team search has spent $... today (since 00:00 UTC), ...% of its daily budget of $450.00.",
        "    Action: Block new requests, notify team lead and finance",
        "    Runbook: https://runbooks.acme.example/aicost#aidailybudgetexceeded",
    ]
    assert lines[11].endswith("/team?var-team=search")
    steps = [x.split()[1] for x in lines[14:]]
    assert steps[0] == n.SPEND and steps.index(n.R_TPC_INCREMENT) < steps.index(n.R_TPC_TODAY) < steps.index(n.R_TEAM_TODAY)
    budget = next(x for x in lines if f" {n.C_TEAM_BUDGET} " in x)
    assert budget.endswith("{period=daily} 450, {period=monthly} 13000")


def test_explain_warnings_are_held_back_and_team_routed():
    r = _run("explain", n.A_DAILY_WARNING, "--team", "chatbot", "--specs", str(ACME))
    assert "  fires when: today's spend above $540.00 (0.9 x daily budget $600.00), for 5m" in r.output
    assert "  reaches: slack-chatbot (route 6 of alerting.yaml)" in r.output
    assert "  inhibition: held back while AIDailyBudgetExceeded (critical) fires for the same team" in r.output
    assert "{threshold=budget_warning} 0.9" in r.output


def test_explain_every_alert_reaches_raw_metrics_through_named_series():
    spec, _ = load_spec(ACME)
    catalogue = build(spec)
    for name in n.ALERTS:
        for per_team in {a.per_team for a in catalogue.alerts if a.name == name}:
            e = explain(spec, catalogue, name, "search" if per_team else None)
            assert e.rules and e.steps, name
            assert all(s.meaning for s in e.steps), [s.name for s in e.steps if not s.meaning]
            names = [s.name for s in e.steps]
            for s in e.steps:  # every series comes after the ones it reads (a running total reads its own past)
                if s.kind == RECORDED and s.name not in CONSTANTS:
                    for dep in chain(catalogue, list(s.exprs), "search"):
                        assert dep.name == s.name or names.index(dep.name) < names.index(s.name), (name, s.name, dep.name)


def test_every_recorded_series_has_a_meaning():
    spec, _ = load_spec(ACME)
    records = {r["record"] for g in build(spec).groups for r in g.rules if isinstance(r, dict)}
    assert sorted(records - set(MEANINGS)) == []


def test_explain_errors_are_one_line():
    assert "no alert 'AIBudget'; aicost's alerts: AIDailyBudgetExceeded" in _run("explain", "AIBudget").output
    r = _run("explain", n.A_GPU_IDLE, "--specs", str(ACME))
    assert r.exit_code == 2 and "AIGPUIdle is about one team: give --team" in r.output
    r = _run("explain", n.A_ORG_EXCEEDED, "--team", "search", "--specs", str(ACME))
    assert r.exit_code == 2 and "AIOrgBudgetExceeded has no team label; leave out --team" in r.output
    r = _run("explain", n.A_GPU_IDLE, "--team", "serch", "--specs", str(ACME))
    assert r.exit_code == 2 and "--team: no team 'serch' in" in r.output


def test_diff_and_explain_never_render_files():
    """They read the model: no renderer of files is imported by the review package."""
    import ast
    import pathlib

    import generator.review as review

    for path in pathlib.Path(review.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module not in ("generator.build", "generator.output", "generator.serialise", "generator.render"), (path, node.module)
                assert not node.module.startswith("generator.render.") or node.module == "generator.render.alertmanager_tests"


# --- the README's examples are real output --------------------------------------------------------

def _readme_block(starts: str) -> str:
    import re as _re

    from conftest import ROOT

    blocks = _re.findall(r"^```text\n(.*?)^```", (ROOT / "README.md").read_text(), _re.S | _re.M)
    [block] = [b for b in blocks if b.startswith(starts)]
    return block


def test_readme_diff_example_is_what_aicost_diff_prints(tmp_path):
    import re as _re

    from conftest import ROOT

    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    shutil.copytree(ROOT / "specs", repo / "specs")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "org")
    _git(repo, "checkout", "-qb", "search-budget")
    search = repo / "specs" / "teams" / "search.yaml"
    _edit(search, "daily: 450", "daily: 600")
    _edit(search, "  gpt-4o-mini: 150000000\n", "  gpt-4o-mini: 150000000\n  gpt-4o: 20000000\n")
    _edit(repo / "specs" / "alerting.yaml", "    severity: critical\n    receivers: [pagerduty, slack-oncall]",
          "    severity: critical\n    receivers: [pagerduty, slack-oncall, email-leads]")
    r = _in(repo, "diff")
    assert r.returncode == 0, r.stderr
    want = _readme_block("aicost diff main (merge base ")
    assert _re.sub(r"merge base [0-9a-f]{10}", "merge base X", r.stdout) == \
        _re.sub(r"merge base [0-9a-f]{10}", "merge base X", want)


def test_readme_explain_example_is_what_aicost_explain_prints():
    from conftest import ROOT

    r = _run("explain", n.A_DAILY_EXCEEDED, "--team", "search", "--specs", str(ROOT / "specs"))
    assert r.output == _readme_block("AIDailyBudgetExceeded for team search: 1 rule")
