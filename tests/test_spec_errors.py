"""Bad specs get one clear line per problem naming file, line, YAML path, what was found and what is allowed."""

from __future__ import annotations

import pytest

from generator.errors import SpecError
from generator.resolve import load_model

TEAM = """owner: lead@example.com
cost_center: CC-1
projects: [product-search]
budget:
  daily: 50
  monthly: 1200
"""

# (id, {file: content or bytes or None to delete}, exact problem lines)
CASES = [
    ("negative budget names file, line and path",
     {"teams/search.yaml": TEAM.replace("daily: 50", "daily: -5")},
     ["specs/teams/search.yaml:5: teams.search.budget.daily: -5 is not a positive number"]),
    ("a typo in a key is an error with a suggestion",
     {"teams/search.yaml": TEAM + "theshold:\n  budget_warning: 0.5\n"},
     ["specs/teams/search.yaml:7: teams.search.theshold: unknown key 'theshold'; did you mean 'thresholds'? "
      "allowed: actions, budget, cost_center, enforce, environment, owner, projects, receiver, sources, thresholds, token_budgets, training, user_tiers"]),
    ("throttling needs a rate, and exemptions name the team's own projects",
     {"teams/search.yaml": TEAM + "enforce:\n  mode: throttle\n  exempt_projects: [chat]\n  on_stale: maybe\n"},
     ["specs/teams/search.yaml:7: teams.search.enforce.per_minute: missing; mode throttle needs the calls a minute it "
      "allows past the warning level",
      "specs/teams/search.yaml:9: teams.search.enforce.exempt_projects: project 'chat' is not a project of this team; "
      "its projects: product-search",
      "specs/teams/search.yaml:10: teams.search.enforce.on_stale: 'maybe' is not allowed; expected one of: allow, block"]),
    ("a typo in a threshold name is an error, not a silently ignored alert",
     {"teams/search.yaml": TEAM + "thresholds:\n  budget_warnig: 0.5\n"},
     ["specs/teams/search.yaml:8: teams.search.thresholds.budget_warnig: unknown key 'budget_warnig'; did you mean "
      "'budget_warning'? allowed: anomaly_min_history_days, anomaly_z_critical, anomaly_z_warning, budget_exceeded, "
      "budget_warning, cost_per_request_factor, forecast_min_days, gpu_idle_percent, min_daily_spend, trend_week_over_week"]),
    ("a token budget must name a priced model",
     {"teams/search.yaml": TEAM + "token_budgets:\n  gpt-5: 1000\n"},
     ["specs/teams/search.yaml:8: teams.search.token_budgets.gpt-5: model 'gpt-5' has no price; "
      "priced models (prices.yaml): gpt-4o-mini"]),
    ("alerting.yaml is required",
     {"alerting.yaml": None},
     ["specs/alerting.yaml: file not found; it is required"]),
    ("a team's receiver must exist",
     {"teams/search.yaml": TEAM + "receiver: slack-search\n"},
     ["specs/teams/search.yaml:7: teams.search.receiver: receiver 'slack-search' is not defined in alerting.yaml; "
      "defined: oncall, team-chat"]),
    ("a team name that would break PromQL is refused",
     {"teams/sea\"rch.yaml": TEAM},
     ["specs/teams/sea\"rch.yaml: teams.sea\"rch: 'sea\"rch' is not a valid team name: use letters, digits, '.', '_' "
      "and '-' (at most 63), starting with a letter or digit"]),
    ("a label value with a brace is refused",
     {"teams/search.yaml": TEAM.replace("CC-1", '"CC{1}"')},
     ["specs/teams/search.yaml:2: teams.search.cost_center: 'CC{1}' is not valid: at most 128 characters, without "
      "quotes, braces, backslashes, '$', '`' or line breaks"]),
    ("a boolean must be true or false, not yes",
     {"alerting.yaml+": "smtp:\n  smarthost: smtp.example.com:587\n  from: a@example.com\n  require_tls: yes\n"},
     ["specs/alerting.yaml:18: smtp.require_tls: 'yes' is not a boolean; expected true or false"]),
    ("an empty file", {"teams/search.yaml": ""},
     ["specs/teams/search.yaml: file is empty; expected a map of settings"]),
    ("a file of the wrong shape", {"prices.yaml": "- gpt-4o\n- A10G\n"},
     ["specs/prices.yaml:1: a list is not a map; expected keys: models, gpus"]),
    ("duplicate keys", {"teams/search.yaml": TEAM + "budget:\n  daily: 10\n  monthly: 100\n"},
     ["specs/teams/search.yaml:7: teams.search.budget: duplicate key 'budget' (first on line 4)"]),
    ("a file that is not UTF-8", {"teams/search.yaml": TEAM.encode() + "owner2: caf\xe9\n".encode("latin-1")},
     ["specs/teams/search.yaml:7: file is not UTF-8 (byte 0xe9 at offset 116); save it as UTF-8"]),
    ("invalid YAML", {"teams/search.yaml": "budget: [daily\n"},
     ["specs/teams/search.yaml:2: invalid YAML: did not find expected ',' or ']'"]),
    ("object construction is refused", {"teams/search.yaml": TEAM + "x: !!python/object:os.system echo\n"},
     ["specs/teams/search.yaml:7: teams.search.x: YAML tag tag:yaml.org,2002:python/object:os.system is not allowed; "
      "a spec holds plain maps, lists and scalars",
      "specs/teams/search.yaml:7: teams.search.x: unknown key 'x'; allowed: actions, budget, cost_center, enforce, environment, owner, "
      "projects, receiver, sources, thresholds, token_budgets, training, user_tiers"]),
    ("warning must be below critical",
     {"teams/search.yaml": TEAM + "thresholds:\n  budget_warning: 1.2\n"},
     ["specs/teams/search.yaml:8: teams.search.thresholds.budget_warning: 1.2 must be below budget_exceeded (1) "
      "(after this team's overrides)"]),
    ("a tier's project must be one of the team's",
     {"teams/search.yaml": TEAM + "user_tiers:\n  pro:\n    users: 10\n    revenue_per_user: 5\n    projects: [chat]\n"},
     ["specs/teams/search.yaml:11: teams.search.user_tiers.pro.projects[0]: project 'chat' is not one of the team's "
      "projects: product-search"]),
    ("an unknown spec file is reported", {"team.yaml": TEAM},
     ["specs/team.yaml: unknown spec file 'team.yaml'; allowed: org.yaml, prices.yaml, alerting.yaml and teams/<team>.yaml"]),
    ("every problem of every file is reported at once",
     {"teams/search.yaml": TEAM.replace("daily: 50", "daily: 0").replace("lead@example.com", "lead"),
      "org.yaml+": "thresholds:\n  gpu_idle_percent: 150\n"},
     ["specs/org.yaml:10: thresholds.gpu_idle_percent: 150 is not a number from 0 to 100",
      "specs/teams/search.yaml:1: teams.search.owner: 'lead' is not valid: an e-mail address such as lead@example.com",
      "specs/teams/search.yaml:5: teams.search.budget.daily: 0 is not a positive number"]),
    ("a route naming an undefined receiver",
     {"alerting.yaml": "receivers:\n  oncall:\n    pagerduty:\n      routing_key_file: /s/pd\ndefault_receiver: oncall\n"
                       "routes:\n  - alerts: [AIGPUIdle]\n    receivers: [slack-infra]\n"},
     ["specs/alerting.yaml:8: routes[0].receivers[0]: receiver 'slack-infra' is not defined; defined: oncall, team"]),
    ("a route naming an unknown alert",
     {"alerting.yaml": "receivers:\n  oncall:\n    pagerduty:\n      routing_key_file: /s/pd\ndefault_receiver: oncall\n"
                       "routes:\n  - alerts: [AIGpuIdle]\n    receivers: [oncall]\n"},
     ["specs/alerting.yaml:7: routes[0].alerts[0]: 'AIGpuIdle' is not allowed; expected one of: AIDailyBudgetExceeded, "
      "AIDailyBudgetWarning, AIMonthlyBudgetExceeded, AIMonthlyBudgetWarning, AIMonthlyBudgetForecast, AIOrgBudgetExceeded, "
      "AICostAnomaly, AIGPUIdle, AICostPerRequestHigh, AITokenBudgetExceeded, AICostTrendUp, AICostPerUserHigh, "
      "AITrainingJobOverBudget, AIUnpricedTokens, AIUntaggedSpend, AICostDataMissing, AICostRuleFailures, AICostRuleGroupSlow, "
      "AICostRuleGroupMissedEvaluations, AICostSpendStale, AICostConstantsMissing, AIBudgetGuardStale"]),
    ("a secret value instead of a file is refused",
     {"alerting.yaml": "receivers:\n  chat:\n    slack:\n      channel: '#x'\n      api_url: https://hooks.slack.com/T0/B0/xyz\n"
                       "default_receiver: chat\nroutes:\n  - receivers: [chat]\n"},
     ["specs/alerting.yaml:3: receivers.chat.slack: missing required key 'api_url_file'",
      "specs/alerting.yaml:5: receivers.chat.slack.api_url: unknown key 'api_url'; did you mean 'api_url_file'? "
      "allowed: api_url_file, channel"]),
]


def _apply(specs, changes):
    for rel, content in changes.items():
        append = rel.endswith("+")
        path = specs / rel.rstrip("+")
        if content is None:
            path.unlink()
        elif append:
            path.write_text(path.read_text() + content)
        else:
            if rel.startswith("teams/") and path.name != "search.yaml":
                (specs / "teams" / "search.yaml").unlink()
            path.write_bytes(content if isinstance(content, bytes) else content.encode())


@pytest.mark.parametrize("changes,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_spec_message(minimal_specs, changes, expected):
    _apply(minimal_specs, changes)
    with pytest.raises(SpecError) as err:
        load_model(minimal_specs, "specs")
    assert [str(p) for p in err.value.problems if not p.warning] == expected


def test_team_budgets_above_the_org_budget_is_only_a_warning(minimal_specs):
    (minimal_specs / "teams" / "search.yaml").write_text(TEAM.replace("daily: 50", "daily: 90"))
    (minimal_specs / "teams" / "chat.yaml").write_text(TEAM.replace("daily: 50", "daily: 20"))
    _, warnings = load_model(minimal_specs, "specs")
    assert [str(w) for w in warnings] == [
        "specs/org.yaml:4: warning: org.budget.daily: team daily budgets add up to 110.00, more than the org budget 100.00"]


def test_yaml_no_stays_a_string(minimal_specs):
    _apply(minimal_specs, {"teams/search.yaml": TEAM.replace("projects: [product-search]", "projects: [no, on]")})
    spec, _ = load_model(minimal_specs, "specs")
    assert spec.team("search").projects == ("no", "on")


def test_team_files_read_by_worker_processes_give_the_same_model_and_problems(minimal_specs, monkeypatch):
    """`aicost` reads thousands of team files on every core; a few here, the threshold lowered."""
    from generator.spec import files

    for i in range(6):
        (minimal_specs / "teams" / f"team-{i}.yaml").write_text(TEAM.replace("product-search", f"app-{i}"))
    serial, _ = load_model(minimal_specs, "specs")
    monkeypatch.setattr(files, "PARALLEL_FROM", 2)
    parallel, _ = load_model(minimal_specs, "specs", workers=2)
    assert parallel == serial and len(parallel.teams) == 7
    (minimal_specs / "teams" / "team-3.yaml").write_text(TEAM.replace("daily: 50", "daily: -5").replace("owner:", "ownr:"))
    (minimal_specs / "teams" / "team-5.yaml").write_text("projects: [\n")
    # a problem found after the workers, citing a line of the file a worker read
    (minimal_specs / "teams" / "team-1.yaml").write_text(TEAM.replace("product-search", "app-1") + "token_budgets:\n  gpt-9: 1000\n")
    problems = []
    for workers in (1, 2):
        with pytest.raises(SpecError) as err:
            load_model(minimal_specs, "specs", workers=workers)
        problems.append([str(p) for p in err.value.problems])
    assert problems[0] == problems[1] and len(problems[0]) >= 4
    assert any(p.startswith("specs/teams/team-1.yaml:8: ") and "gpt-9" in p for p in problems[1]), problems[1]
