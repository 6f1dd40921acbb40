"""The Alertmanager config against the real amtool, and the route tree builder."""

from __future__ import annotations

import subprocess
from dataclasses import replace

import pytest

from conftest import ACME, ROOT, require_tool
from generator import names
from generator.errors import SpecError
from generator import catalogue
from generator.build import rendered_files
from generator.render.alertmanager import render_alertmanager
from generator.render.alertmanager_tests import expected_receivers
from generator.resolve import load_model


def _config(spec):
    return render_alertmanager(spec, catalogue.build(spec))


@pytest.mark.tools
def test_amtool_check_config():
    r = subprocess.run([require_tool("amtool"), "check-config", str(ROOT / "rendered" / names.ALERTMANAGER_CONFIG)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.tools
def test_generated_routing_tests_pass():
    require_tool("amtool")
    r = subprocess.run(["sh", str(ROOT / "rendered" / names.ALERTMANAGER_TEST_RUNNER)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert " 0 failed" in r.stdout


def test_budget_exceeded_pages_and_tells_finance_warnings_reach_the_team():
    spec, _ = load_model(ACME)
    crit = {"alertname": names.A_DAILY_EXCEEDED, "severity": "critical", "team": "search"}
    assert expected_receivers(spec, crit) == ["pagerduty", "slack-finance", "finops-webhook"]
    warn = {"alertname": names.A_DAILY_WARNING, "severity": "warning", "team": "search"}
    assert expected_receivers(spec, warn) == ["slack-search"]
    # data has no receiver of its own; an alert without a team still reaches a human
    assert expected_receivers(spec, dict(warn, team="data")) == ["slack-platform"]
    assert expected_receivers(spec, {"alertname": names.A_DAILY_WARNING, "severity": "warning"}) == ["slack-platform"]


def test_a_new_team_gets_its_route():
    spec, _ = load_model(ACME)
    new = replace(spec.teams[0], name="vision", receiver="slack-oncall")
    routes = _config(replace(spec, teams=spec.teams + (new,)))["route"]["routes"]
    team_routes = [r for r in routes if r.get("matchers") == ['severity="warning"']][0]["routes"]
    assert {"matchers": ['team="vision"'], "receiver": "slack-oncall"} in team_routes


def test_removing_a_receiver_a_route_uses_is_a_spec_error(tmp_path):
    import shutil

    specs = tmp_path / "specs"
    shutil.copytree(ACME, specs)
    text = (specs / "alerting.yaml").read_text()
    start = text.index("  slack-infra:")
    end = text.index("  slack-platform:")
    (specs / "alerting.yaml").write_text(text[:start] + text[end:])
    route_line = text[:start].count("\n") + text[end:].split("\n").index("    receivers: [slack-infra]") + 1
    with pytest.raises(SpecError) as err:
        load_model(specs, "specs")
    assert [str(p) for p in err.value.problems] == [
        f"specs/alerting.yaml:{route_line}: routes[2].receivers[0]: receiver 'slack-infra' is not defined; defined: "
        "email-leads, finops-webhook, pagerduty, slack-chatbot, slack-finance, slack-ml-platform, slack-oncall, "
        "slack-platform, slack-search, team"]


def test_critical_inhibits_its_warning_twin_for_the_same_team():
    spec, _ = load_model(ACME)
    inhibit = _config(spec)["inhibit_rules"]
    assert {"source_matchers": ['alertname="AIDailyBudgetExceeded"', 'severity="critical"'],
            "target_matchers": ['alertname="AIDailyBudgetWarning"', 'severity="warning"'], "equal": ["team"]} in inhibit
    assert {"source_matchers": ['alertname="AICostAnomaly"', 'severity="critical"'],
            "target_matchers": ['alertname="AICostAnomaly"', 'severity="warning"'], "equal": ["team", "direction"]} in inhibit


def test_no_secret_reaches_rendered(tmp_path):
    import shutil

    specs = tmp_path / "specs"
    shutil.copytree(ACME, specs)
    spec, _ = load_model(specs)
    files = rendered_files(spec)
    am = files[names.ALERTMANAGER_CONFIG].decode()
    for secret_key in ("routing_key:", "api_url:", "smtp_auth_password:", "service_key:", "credentials:"):
        assert secret_key not in am
    for file_key in ("routing_key_file:", "api_url_file:", "smtp_auth_password_file:", "credentials_file:"):
        assert file_key in am
