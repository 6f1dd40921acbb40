"""End to end on the real programs: exporter and app -> Prometheus (rendered rules and config) ->
Alertmanager (rendered routes, receivers redirected to a webhook sink) -> the expected receivers."""

from __future__ import annotations

import shutil
import time
from decimal import Decimal

import pytest

from conftest import ROOT, require_tool
from exporter.act import Act, TeamAction
from generator import names as n
from generator.render.alertmanager_tests import expected_receivers
from generator.resolve import load_model
from generator.stack import Stack

pytestmark = pytest.mark.tools


@pytest.fixture(scope="module")
def stack():
    require_tool("prometheus")
    if not shutil.which("alertmanager"):
        require_tool("prometheus-alertmanager")
    spec, _ = load_model(ROOT / "specs")
    with Stack(spec, simulate=4) as s:
        yield s


def _wait(fn, timeout=40.0, every=0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def test_budget_idle_gpu_and_inhibition_reach_the_right_receivers(stack):
    spec = stack.spec
    # A runaway loop: $61.25 a call, 9 calls = $551.25 in one burst, past the $450 daily budget
    # (and its 80 % warning) within one scrape, so the critical alert exists before the warning
    # is ever sent and inhibits it.
    # The token series exist (at 0) before the burst: on a loaded machine a late 1 s evaluation makes the
    # ledger count a series first seen from its first sample (README: the ledger), and `aicost diff`
    # below prices today's token volumes.
    stack.tracker.prime("gpt-4o", "search", "/search")
    assert _wait(lambda: len(stack.query(f'{n.API_TOKENS}{{team="search",model="gpt-4o"}}')) == 2, 20)
    spent = sum(stack.tracker.track("gpt-4o", "search", "/search", 20_000_000, 1_125_000) for _ in range(9))
    assert spent == pytest.approx(551.25)

    critical = {"alertname": n.A_DAILY_EXCEEDED, "severity": "critical", "team": "search"}
    want = set(expected_receivers(spec, critical))
    assert want == {"pagerduty", "slack-finance", "finops-webhook"}
    got = stack.sink.wait_for(n.A_DAILY_EXCEEDED, want, timeout=45, team="search")
    assert set(got) == want, f"arrived at {sorted(got)}"
    alert = got["pagerduty"][0]
    assert alert["labels"]["severity"] == "critical"
    ann = alert["annotations"]
    assert ann["summary"] == "Team search has exceeded its daily AI budget"
    assert ann["description"].startswith("Team search has spent $551.25 today (since 00:00 UTC), 123% of its daily budget of $450.00")
    assert ann["runbook_url"] == "https://runbooks.acme.example/aicost#aidailybudgetexceeded"
    assert ann["dashboard"].endswith("/team?var-team=search")

    # The simulated host (team ml-platform) has an idle GPU: every fourth one, here GPU 3.
    idle = stack.sink.wait_for(n.A_GPU_IDLE, {"slack-infra"}, timeout=30, gpu="3")
    assert set(idle) == {"slack-infra"}
    # the simulated host carries the first team's tags (chatbot in the bundled specs)
    assert idle["slack-infra"][0]["labels"]["team"] == spec.teams[0].name
    # `aicost act`, even with --execute, never shuts down a production host (the bundled action is aws ec2 stop-instances)
    ran = []
    act = Act({t.name: TeamAction(t.environment, t.idle_gpu_action) for t in spec.teams}, stack.dir / "act.jsonl",
              execute=True, run=lambda argv, **kw: ran.append(argv))
    assert [e["decision"] for e in act.handle({"alerts": idle["slack-infra"][:1]})] == ["refused_production"] and ran == []

    time.sleep(3)  # longer than group_wait: a warning that was not inhibited would have arrived by now
    assert stack.sink.received(n.A_DAILY_WARNING, team="search") == {}


def test_recorded_spend_matches_the_traffic_within_a_cent(stack):
    def value(q):
        r = stack.query(q)
        return float(r[0]["value"][1]) if r else None

    spend = _wait(lambda: (v := value('ai_daily_spend_dollars{team="search",category="api"}')) and v >= 551.25 - 0.01 and v)
    assert spend == pytest.approx(551.25, abs=0.01)
    ratio = value('ai_budget_utilization_ratio{team="search",period="daily"}')
    assert ratio == pytest.approx(551.25 / 450, abs=0.0001)


def test_every_rule_group_evaluates_without_error(stack):
    def evaluated():
        groups = stack.rules()
        return groups if all(r.get("lastEvaluation", "").startswith("2") for g in groups for r in g["rules"]) else []

    groups = _wait(evaluated)
    assert {g["name"] for g in groups} == {n.G_CONSTANTS, n.G_SPEND, n.G_SIGNALS, n.G_HEALTH}
    bad = [(g["name"], r.get("name"), r.get("lastError")) for g in groups for r in g["rules"] if r.get("health") != "ok"]
    assert bad == []


def test_demo_says_clearly_when_a_port_is_taken():
    import socket
    import subprocess
    import sys

    require_tool("prometheus")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = subprocess.run([sys.executable, "-m", "generator", "demo", "--specs", str(ROOT / "specs"),
                            "--prometheus-port", str(port), "--duration", "1"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert r.stderr.strip() == (f"aicost demo: port {port} (prometheus) is already in use on 127.0.0.1; "
                                "choose another with --prometheus-port")


def test_report_from_prometheus_agrees_with_the_traffic_to_the_cent(stack):
    """The report reads the same recorded spend as the alerts: today's $551.25 of search."""
    import json
    from datetime import datetime, timedelta, timezone

    from click.testing import CliRunner

    from generator.cli import main

    _wait(lambda: stack.query('team:ai_spend_dollars:today{team="search"} >= 551.24'))
    today = datetime.now(timezone.utc).date()
    r = CliRunner().invoke(main, ["report", "--specs", str(ROOT / "specs"), "--prometheus",
                                  f"http://127.0.0.1:{stack.ports.prometheus}", "--from", str(today),
                                  "--to", str(today + timedelta(days=1)), "--format", "json"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    lines = {(line["team"], line["project"]): line for line in doc["lines"]}
    assert lines[("search", "product-search")]["api"] == "551.25"
    forecast = Decimal(next(t for t in doc["teams"] if t["team"] == "search")["forecast"])
    assert forecast >= Decimal("551.25")  # the month's pace so far, to month end


def test_rules_loaded_without_the_constants_page_through_the_health_alert_while_budget_alerts_are_silent():
    """aicost is blind without its constants (no budgets): the health alert must say so, loudly."""
    require_tool("prometheus")
    spec, _ = load_model(ROOT / "specs")
    constants = f"{n.RULES_DIR}/{n.G_CONSTANTS}.yml"
    with Stack(spec, simulate=1, omit=(constants,)) as s:
        spent = sum(s.tracker.track("gpt-4o", "search", "/search", 20_000_000, 1_125_000) for _ in range(9))
        missing = {"alertname": n.A_CONSTANTS_MISSING, "severity": "critical"}
        want = set(expected_receivers(spec, missing))
        assert want == {"pagerduty", "slack-platform"}
        got = s.sink.wait_for(n.A_CONSTANTS_MISSING, want, timeout=45)
        assert set(got) == want, f"arrived at {sorted(got)}"
        assert got["pagerduty"][0]["annotations"]["summary"] == "aicost's constant series are missing"
        # The ledger runs (the spend is recorded), yet no budget alert can fire without budgets.
        today = _wait(lambda: (r := s.query(f'{n.R_TEAM_TODAY}{{team="search"}}')) and float(r[0]["value"][1]) >= spent - 0.01)
        assert today, "the spend was never recorded"
        time.sleep(3)
        assert s.sink.received(n.A_DAILY_EXCEEDED, team="search") == {}
        assert s.sink.received(n.A_DAILY_WARNING, team="search") == {}


def test_explain_and_diff_read_todays_numbers_from_prometheus(stack, tmp_path):
    """The on-call's first command shows the page's chain with today's values; a price change is
    priced at today's token volumes."""
    from click.testing import CliRunner

    from generator.cli import main

    firing = f'ALERTS{{alertname="{n.A_DAILY_EXCEEDED}",team="search",alertstate="firing"}}'
    assert _wait(lambda: stack.query(firing) and stack.query(f'{n.R_TEAM_TODAY}{{team="search"}} >= 551.24'), 45)
    url = f"http://127.0.0.1:{stack.ports.prometheus}"
    r = CliRunner().invoke(main, ["explain", n.A_DAILY_EXCEEDED, "--team", "search", "--specs", str(ROOT / "specs"),
                                  "--prometheus", url], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert "  now: firing" in lines
    assert "    Team search has spent $551.25 today (since 00:00 UTC), 123% of its daily budget of $450.00." in lines
    assert next(x for x in lines if f" {n.R_TEAM_TODAY} " in x).endswith("= $551.25 (1 series)")
    assert next(x for x in lines if f" {n.C_TEAM_BUDGET} " in x).endswith("= loaded (2 series)")

    specs = tmp_path / "specs"
    shutil.copytree(ROOT / "specs", specs)
    prices = specs / "prices.yaml"
    prices.write_text(prices.read_text().replace("input_per_million: 2.50", "input_per_million: 5.00")
                      .replace("output_per_million: 10.00", "output_per_million: 20.00"))
    r = CliRunner().invoke(main, ["diff", str(ROOT / "specs"), "--specs", str(specs), "--prometheus", url],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "  at today's volumes, team search's priced spend today: $551.25 -> $1,102.50 (+$551.25)" in r.output.splitlines()
