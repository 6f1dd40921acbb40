"""Sources without a Prometheus: the spec's checks (exact messages), the rendered scrape jobs, which series
the ledger counts, and the doctor's verdicts on planted facts. The real scrape: test_sources_end_to_end.py."""

from __future__ import annotations

import shutil

import pytest
import yaml

from conftest import FIXTURES
from generator import names as n
from generator.catalogue.records.ledger import counted_series, price_rules
from generator.doctor import PROBLEM, WARNING, Facts, diagnose
from generator.errors import SpecError
from generator.render.prometheus_config import render_prometheus_config
from generator.resolve import load_model

SOURCES = FIXTURES / "sources" / "specs"


@pytest.fixture
def specs(tmp_path):
    out = tmp_path / "specs"
    shutil.copytree(SOURCES, out)
    return out


def _edit(specs, rel: str, old: str, new: str) -> None:
    path = specs / rel
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def _errors(specs) -> list[str]:
    with pytest.raises(SpecError) as err:
        load_model(specs, "specs")
    return [str(p) for p in err.value.problems if not p.warning]


def test_the_sources_fixture_is_valid_and_says_what_each_source_cannot_give():
    spec, warnings = load_model(SOURCES, "specs")
    assert [s.kind for s in spec.sources] == list(n.SOURCES)
    said = [str(w) for w in warnings]
    assert any("sources.litellm: LiteLLM has no per-request cost histogram" in w for w in said)
    assert any("sources.vllm: vLLM has no team and no price" in w for w in said)


def test_a_truth_source_must_be_configured(specs):
    _edit(specs, "org.yaml", "  otel:\n    targets", "  not_otel_any_more:\n    targets")
    assert _errors(specs)[0].startswith("specs/org.yaml:16: sources.not_otel_any_more: unknown key 'not_otel_any_more'")
    _edit(specs, "org.yaml", "  not_otel_any_more:\n    targets: [\"otel-collector.internal:8889\"]\n"
                             "    team_label: service_namespace    # a resource attribute the Collector promotes to a label\n", "")
    assert _errors(specs) == ["specs/teams/research.yaml:6: teams.research.sources.api: 'otel' is not configured in "
                              "org.yaml sources (configured: dcgm, litellm, opencost, vllm)"]


def test_opencost_never_counts_gpu_hours_twice(specs):
    _edit(specs, "teams/platform.yaml", "gpu: [opencost]", "gpu: [opencost, aicost]")
    assert _errors(specs) == ["specs/teams/platform.yaml:7: teams.platform.sources.gpu: opencost counts the same GPU "
                              "hours as aicost; name it alone"]


def test_an_id_a_namespace_and_a_model_alias_each_mean_one_thing(specs):
    (specs / "teams" / "copy.yaml").write_text((specs / "teams" / "assistants.yaml").read_text())
    _edit(specs, "teams/serving.yaml", "gpu: [vllm]", "gpu: [vllm]\n  namespaces: [platform-ml]")
    _edit(specs, "prices.yaml", "aliases: [\"llama3:8b\"]", "aliases: [\"llama3:8b\", gpt-4o-mini]")
    assert _errors(specs) == [
        "specs/prices.yaml:16: models.llama3-8b.aliases: 'gpt-4o-mini' already names model 'gpt-4o-mini'; a name has one price",
        "specs/teams/copy.yaml:7: teams.copy.sources.litellm[0]: '5b1c6e52-6d1f-4b4e-9f3c-2f0d8a7c1e11' already means "
        "team 'assistants'; it can mean one team",
        "specs/teams/serving.yaml:7: teams.serving.sources.namespaces[0]: 'platform-ml' already means team 'platform'; it "
        "can mean one team",
    ]


def test_a_vllm_target_names_a_defined_team_and_keys_are_checked(specs):
    _edit(specs, "org.yaml", "        team: serving", "        team: servng")
    assert _errors(specs) == ["specs/org.yaml:22: sources.vllm.targets[0].team: 'servng' is not defined; defined: "
                              "assistants, legacy, platform, research, serving"]
    _edit(specs, "org.yaml", "team_label: team ", "team_lable: team ")
    assert _errors(specs) == [
        "specs/org.yaml:15: sources.litellm.team_lable: unknown key 'team_lable'; did you mean 'team_label'? allowed: "
        "bearer_token_file, project_label, targets, team_label"]


def _job(spec, kind: str) -> dict:
    return next(j for j in render_prometheus_config(spec)["scrape_configs"] if j["job_name"] == n.SOURCE_JOB_PREFIX + kind)


def test_litellm_job_sends_the_token_and_renames_only_its_truth_teams_series():
    spec, _ = load_model(SOURCES)
    job = _job(spec, "litellm")
    assert job["authorization"] == {"type": "Bearer", "credentials_file": "/etc/prometheus/secrets/litellm-metrics-token"}
    relabels = job["metric_relabel_configs"]
    assert relabels[0] == {"source_labels": ["team"], "regex": "5b1c6e52-6d1f-4b4e-9f3c-2f0d8a7c1e11",
                           "target_label": "__tmp_aicost_team", "replacement": "assistants"}
    renames = [r for r in relabels if r.get("target_label") == "__name__"]
    assert [(r["regex"], r["replacement"]) for r in renames] == [
        ("litellm_spend_metric_total;.+", n.SPEND), ("litellm_input_tokens_metric_total;.+", n.API_TOKENS),
        ("litellm_output_tokens_metric_total;.+", n.API_TOKENS)]
    assert relabels[-1] == {"action": "labeldrop", "regex": "__tmp_aicost_team"}
    assert {"source_labels": ["__name__", "model"], "regex": "ai_api_tokens_total;(gpt-4o-2024-08-06|openai/gpt-4o)",
            "target_label": "model", "replacement": "gpt-4o"} in relabels


def test_vllm_targets_carry_their_team_and_dcgm_reads_both_host_labels():
    spec, _ = load_model(SOURCES)
    assert _job(spec, "vllm")["static_configs"] == [{"targets": ["vllm-1.internal:8000"], "labels": {"team": "serving"}}]
    hosts = [r for r in _job(spec, "dcgm")["metric_relabel_configs"] if r.get("target_label") == "instance"]
    assert [r["source_labels"][1] for r in hosts] == ["Hostname", "hostname"]
    rename = next(r for r in _job(spec, "dcgm")["metric_relabel_configs"] if r.get("target_label") == "__name__")
    assert rename == {"source_labels": ["__name__"], "regex": "DCGM_FI_DEV_GPU_UTIL", "target_label": "__name__",
                      "replacement": n.GPU_UTILIZATION}  # every GPU, mapped to a team or not


def test_the_ledger_counts_each_team_from_its_truth_source_only():
    spec, _ = load_model(SOURCES)
    assert counted_series(n.API_TOKENS, spec) == (
        'ai_api_tokens_total{source="",team!~"assistants|research"}', 'ai_api_tokens_total{source!=""}')
    assert counted_series(n.SPEND, spec) == (
        'ai_spend_dollars_total{source="",category!~"api|compute|inference|training"}',
        'ai_spend_dollars_total{source="",category=~"api",team!~"assistants|research"}',
        'ai_spend_dollars_total{source="",category=~"compute|inference|training",team!~"platform|serving"}',
        'ai_spend_dollars_total{source!=""}')
    minimal, _ = load_model(FIXTURES / "minimal" / "specs")
    assert counted_series(n.SPEND, minimal) == (n.SPEND,)  # no sources: the rules as they always were


def test_every_alias_has_its_models_price():
    spec, _ = load_model(SOURCES)
    prices = {(r["labels"]["model"], r["labels"]["direction"]): r["expr"] for r in price_rules(spec)}
    assert prices[("openai/gpt-4o", "input")] == prices[("gpt-4o", "input")] == "vector(2.5e-06)"
    assert prices[("llama3:8b", "output")] == prices[("llama3-8b", "output")]


def _healthy(spec) -> Facts:
    return Facts(source_series={s.kind: (4, 2.0) for s in spec.sources}, data_teams={t.name for t in spec.teams},
                 token_models={"gpt-4o", "meta-llama/Llama-3.1-8B-Instruct"},
                 targets=[{"job": s.job, "instance": "x:1", "health": "up", "error": "", "interval": "15s",
                           "duration": 0.05, "timeout": "10s"} for s in spec.sources],
                 retention="40d",
                 groups=[{"name": g, "interval": 60.0, "age": 20.0, "duration": 0.5, "errors": []}
                         for g in (n.G_CONSTANTS, n.G_SPEND, n.G_SIGNALS, n.G_HEALTH)])


def test_doctor_is_quiet_on_a_healthy_prometheus_and_names_each_problem():
    spec, _ = load_model(SOURCES)
    facts = _healthy(spec)
    assert [f for f in diagnose(spec, facts) if f.level != "ok"] == []
    facts.source_series["vllm"] = (0, None)
    facts.unmapped["litellm"] = {"0f9e"}
    facts.data_teams.add("ghost")
    facts.token_models.add("mystery")
    facts.targets[0].update(health="down", error="401 Unauthorized", interval="10m")
    facts.targets[1].update(duration=12.5)  # a scrape that straddles the ledger's evaluations
    facts.targets[2].update(timeout="30s")
    facts.retention = "15d"
    facts.groups[1].update(age=900.0)
    facts.groups[2].update(errors=[("team_model:ai_api_tokens:today", "many-to-many matching not allowed")])
    facts.groups.pop()
    found = [(f.level, f.check, f.subject) for f in diagnose(spec, facts)]
    assert (WARNING, "scrape", "aicost-source-vllm x:1") in found  # its timeout outlasts spend_delay
    assert found[:11] == [
        (PROBLEM, "sources", "vllm"), (PROBLEM, "teams", "ghost"), (PROBLEM, "prices", "mystery"),
        (PROBLEM, "scrape", "aicost-source-litellm x:1"), (PROBLEM, "scrape", "aicost-source-litellm x:1"),
        (PROBLEM, "scrape", "aicost-source-otel x:1"),
        (PROBLEM, "retention", "storage.tsdb.retention.time"), (PROBLEM, "rules", "aicost-spend"),
        (PROBLEM, "rules", "aicost-signals team_model:ai_api_tokens:today"), (PROBLEM, "rules", "aicost-health"),
        (WARNING, "sources", "litellm team 0f9e")]


def test_rendered_scrape_jobs_are_plain_yaml_data():
    spec, _ = load_model(SOURCES)
    text = yaml.safe_dump(render_prometheus_config(spec), sort_keys=True)
    assert "__tmp_aicost_team" in text and "vllm:prompt_tokens_total" in text
