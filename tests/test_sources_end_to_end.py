"""Every source at once on the real programs: Prometheus scrapes static expositions written exactly as
LiteLLM, an OpenTelemetry Collector, vLLM, dcgm-exporter and OpenCost write them, through the rendered
scrape jobs; the spend lands on the contract, a LiteLLM team's budget alert reaches its receivers, and
`aicost doctor` finds each planted problem. On Prometheus 3 the OTel source uses the UTF-8 names."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import replace

import pytest
from click.testing import CliRunner

from conftest import FIXTURES, LEG, require_tool
from exporter.act import Act, TeamAction
from exporter.library import CostTracker, Price
from generator import names as n
from generator.cli import main
from generator.render.alertmanager_tests import expected_receivers
from generator.resolve import load_model
from generator.stack import Stack

pytestmark = pytest.mark.tools
SPECS = FIXTURES / "sources" / "specs"
EXPOSITIONS = FIXTURES / "sources" / "expositions"
UTF8 = LEG == "3"  # Prometheus 2 cannot scrape UTF-8 names
ASSISTANTS_ID = "5b1c6e52-6d1f-4b4e-9f3c-2f0d8a7c1e11"


@pytest.fixture(scope="module")
def stack():
    require_tool("prometheus")
    if not shutil.which("alertmanager"):
        require_tool("prometheus-alertmanager")
    spec, _ = load_model(SPECS)
    texts = {kind: (EXPOSITIONS / f"{kind}.prom").read_text() for kind in n.SOURCES}
    if UTF8:
        otel = spec.source("otel")
        spec = replace(spec, sources=tuple(replace(s, names="utf8", team_label="service.namespace") if s is otel else s
                                           for s in spec.sources))
        texts["otel"] = (EXPOSITIONS / "otel-utf8.prom").read_text()
    # planted for the doctor: the health group left out, and spend under a team no spec knows
    with Stack(spec, simulate=0, expositions=texts, omit=(f"{n.RULES_DIR}/{n.G_HEALTH}.yml",)) as s:
        # another app on the same registry, priced from an older spec that still has ghost-team
        CostTracker({"gpt-4o": Price(2.5e-6, 1e-5)}, {"ghost-team": ("x",)}, registry=s.tracker.registry).track(
            "gpt-4o", "ghost-team", "/x", 1000, 0)
        yield s


def _wait(fn, timeout=40.0):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.5)


def _one(stack, promql: str) -> float | None:
    rows = stack.query(promql)
    return float(rows[0]["value"][1]) if rows else None


def _reaches(stack, promql: str, want: float) -> float | None:
    """The value once it is `want` (the sources' counters start at 0 and grow once scraped), else the last."""
    _wait(lambda: (v := _one(stack, promql)) is not None and v >= want - 1e-9)
    return _one(stack, promql)


def test_every_source_is_scraped_through_its_job(stack):
    up = _wait(lambda: len(stack.query(f'up{{job=~"{n.SOURCE_JOB_PREFIX}.*"}} == 1')) == len(n.SOURCES) or None)
    assert up, stack.query(f'up{{job=~"{n.SOURCE_JOB_PREFIX}.*"}}')
    litellm = next(s for s in stack.servers if s._server.server_port == stack.expositions["litellm"][0])
    assert _one(stack, 'up{job="aicost-source-litellm"}') == 1 and litellm.refused == 0  # the bearer token was sent


def test_litellm_spend_lands_on_the_contract_and_its_budget_alert_reaches_the_receivers(stack):
    _reaches(stack, f'{n.SPEND}{{team="assistants",source="litellm"}}', 50)
    spend = stack.query(f'{n.SPEND}{{team="assistants",source="litellm"}}')
    assert len(spend) == 1
    labels = spend[0]["metric"]
    assert (labels["category"], labels["project"], float(spend[0]["value"][1])) == ("api", "assistant-api", 50.0)
    _reaches(stack, f'sum({n.API_TOKENS}{{team="assistants",source="litellm"}})', 8e6)
    tokens = {(r["metric"]["model"], r["metric"]["direction"]): float(r["value"][1])
              for r in stack.query(f'{n.API_TOKENS}{{team="assistants",source="litellm"}}')}
    assert tokens == {("gpt-4o", "input"): 4e6, ("gpt-4o", "output"): 4e6}  # openai/gpt-4o is an alias
    # LiteLLM's other team is mapped to no aicost team: it keeps LiteLLM's names and counts nowhere
    assert stack.query(f'{n.SPEND}{{team=~"0f9e.*|sandbox"}}') == []
    assert len(stack.query(f'{n.LITELLM_SPEND}{{team_alias="sandbox"}}')) == 1
    # $50 since it was first seen at 0 (the stack serves each tool's counters at 0 first: the ledger's
    # handling of series first seen is the promtool tests'); its tokens are not priced again, and
    # the team's own track_ai_call series (the library starts every team at 0) are not counted
    today = _reaches(stack, f'{n.R_TEAM_TODAY}{{team="assistants"}}', 50)
    assert today == pytest.approx(50.0, abs=1e-9)
    critical = {"alertname": n.A_DAILY_EXCEEDED, "severity": "critical", "team": "assistants"}
    want = set(expected_receivers(stack.spec, critical))
    got = stack.sink.wait_for(n.A_DAILY_EXCEEDED, want, timeout=45, team="assistants")
    assert set(got) == want
    assert got[sorted(want)[0]][0]["annotations"]["description"].startswith("Team assistants has spent $50.00 today")


def test_otel_tokens_are_priced_and_unpriced_models_are_flagged(stack):
    want = 2e6 * 0.15e-6 + 5e5 * 0.60e-6
    today = _reaches(stack, f'{n.R_TPC_TODAY}{{team="research",category="api",project="evals"}}', want)
    assert today == pytest.approx(want, abs=1e-9)
    unpriced = _reaches(stack, f'{n.R_UNPRICED_TOKENS_TODAY}{{team="research",model="mystery-model"}}', 1500)
    assert unpriced == 1500
    firing = _wait(lambda: stack.query(f'ALERTS{{alertname="{n.A_UNPRICED_TOKENS}",alertstate="firing",team="research"}}'))
    assert firing and firing[0]["metric"]["model"] == "mystery-model"


def test_vllm_tokens_cost_their_transfer_price_as_inference(stack):
    want = 3e6 * 0.10e-6 + 1e6 * 0.20e-6
    today = _reaches(stack, f'{n.R_TPC_TODAY}{{team="serving",category="inference"}}', want)
    assert today == pytest.approx(want, abs=1e-9)
    assert _one(stack, f'{n.R_TPC_TODAY}{{team="serving",category="api"}}') in (None, 0.0)  # never at a list price


def test_dcgm_utilization_feeds_the_idle_gpu_alert_with_both_host_labels(stack):
    util = {r["metric"]["instance"]: r["metric"] for r in _wait(lambda: stack.query(f'{n.GPU_UTILIZATION}{{team="platform"}}'))}
    assert set(util) == {"gpu-node-1", "gpu-node-2"}  # Hostname (up to 4.8.2) and hostname (after #655)
    assert util["gpu-node-1"]["type"] == "A10G" and util["gpu-node-1"]["environment"] == "staging"
    orphan = stack.query(f'{n.GPU_UTILIZATION}{{instance="gpu-node-3"}}')  # no team, still watched
    assert len(orphan) == 1 and "team" not in orphan[0]["metric"] and orphan[0]["metric"]["source"] == "dcgm"
    got = stack.sink.wait_for(n.A_GPU_IDLE, set(expected_receivers(stack.spec, {
        "alertname": n.A_GPU_IDLE, "severity": "warning", "team": "platform"})), timeout=45, team="platform")
    assert got and {a["labels"]["instance"] for alerts in got.values() for a in alerts} == {"gpu-node-1"}
    # `aicost act` on the very alert Alertmanager sent: platform is staging, its action runs (echo), once
    teams = {t.name: TeamAction(t.environment, t.idle_gpu_action) for t in stack.spec.teams}
    sent = next(iter(got.values()))[0]
    dry = Act(teams, stack.dir / "dry.jsonl").handle({"alerts": [sent]})  # the default: decided, logged, not run
    assert [(e["decision"], e["command"]) for e in dry] == [("dry_run", ["echo", "stop", "gpu-node-1", "gpu", "0", "of",
                                                                          "platform"])]
    act = Act(teams, stack.dir / "act.jsonl", execute=True)
    [entry] = act.handle({"alerts": [sent]})
    assert (entry["decision"], entry.get("output"), entry["why"]) == ("ran", "stop gpu-node-1 gpu 0 of platform\n", "")
    assert act.handle({"alerts": [sent]})[0]["decision"] == "duplicate"


def test_opencost_gpu_dollars_accrue_at_the_allocation_times_the_node_price(stack):
    query = f'{n.R_TPC_TODAY}{{team="platform",category="compute"}}'
    first = _wait(lambda: _one(stack, query))
    t0 = time.time()
    time.sleep(6)
    second, t1 = _one(stack, query), time.time()
    rate = (second - first) / (t1 - t0)
    assert rate == pytest.approx(2 * 1.006 / 3600, rel=0.35)  # 2 GPUs of platform-ml; scratch has no team
    assert stack.query(f'{n.R_TPC_TODAY}{{team=~"|scratch",category="compute"}}') == []


def test_doctor_finds_each_planted_problem(stack):
    _reaches(stack, f'{n.R_UNPRICED_TOKENS_TODAY}{{model="mystery-model"}}', 1500)
    url = f"http://127.0.0.1:{stack.ports.prometheus}"
    spec_dir = stack.dir / "doctor-specs"
    shutil.copytree(SPECS, spec_dir)
    if UTF8:  # the spec the stack runs
        org = spec_dir / "org.yaml"
        org.write_text(org.read_text().replace("team_label: service_namespace", 'names: utf8\n    team_label: "service.namespace"'))
    r = CliRunner().invoke(main, ["doctor", "--specs", str(spec_dir), "--prometheus", url, "--format", "json"])
    assert r.exit_code == 1, r.output
    doc = json.loads(r.output[r.output.index("{"):])
    found = {(f["level"], f["check"], f["subject"]) for f in doc["findings"]}
    assert ("problem", "rules", n.G_HEALTH) in found  # the group left out
    assert ("problem", "teams", "ghost-team") in found  # spend under a team the spec does not know
    assert ("problem", "prices", "mystery-model") in found  # tokens no price covers
    assert ("problem", "retention", "storage.tsdb.retention.time") in found  # 15d, the default
    assert ("warning", "sources", "litellm team 0f9e8d7c-6b5a-4f3e-9d2c-1b0a9f8e7d6c") in found
    assert {s for level, check, s in found if check == "sources" and level == "ok"} == set(n.SOURCES)
    assert {s for level, check, s in found if check == "rules" and level == "ok"} == {n.G_CONSTANTS, n.G_SPEND, n.G_SIGNALS}
    text = CliRunner().invoke(main, ["doctor", "--specs", str(spec_dir), "--prometheus", url])
    assert text.exit_code == 1 and "problem(s)" in text.output.splitlines()[-1]
