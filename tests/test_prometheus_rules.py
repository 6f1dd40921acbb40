"""The rendered rules against the real promtool: lint, generated edge tests, hand-written semantics."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import ACME, FIXTURES, ROOT, require_tool, rule_files
from generator import names
from generator.output import write_tree
from generator.build import rendered_files
from generator.resolve import load_model


def _promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([require_tool("promtool"), *args], cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def rendered_minimal(tmp_path_factory) -> Path:
    spec, _ = load_model(FIXTURES / "minimal" / "specs")
    out = tmp_path_factory.mktemp("minimal") / "rendered"
    write_tree(rendered_files(spec), out)
    return out


@pytest.mark.tools
def test_rules_pass_promtool_check():
    r = _promtool("check", "rules", *sorted(str(p) for p in (ROOT / "rendered" / names.RULES_DIR).glob("*.yml")), cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.tools
def test_prometheus_config_passes_promtool_check():
    r = _promtool("check", "config", str(ROOT / "rendered" / names.PROMETHEUS_CONFIG), cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr


def _run_all(files: list[Path]) -> list[str]:
    """Run promtool test files two at a time (the machine has two cores); return the failures."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda f: (f, _promtool("test", "rules", f.name, cwd=f.parent)), files))
    return [f"{f.name}:\n{r.stdout}{r.stderr}" for f, r in results if r.returncode != 0]


@pytest.mark.tools
def test_generated_edge_tests_pass_for_the_bundled_specs():
    files = sorted((ROOT / "rendered" / names.RULE_TESTS_DIR).glob("*.yml"))
    per_team = {"daily-budget-exceeded", "daily-budget-warning", "monthly-budget-exceeded", "monthly-budget-warning",
                "monthly-budget-forecast", "gpu-idle", "cost-per-request", "cost-trend", "cost-anomaly-warning",
                "cost-anomaly-critical", "cost-anomaly-drop", "token-budget", "cost-per-user", "training-budget"}
    assert {f.stem for f in files} == per_team | {"org", "constants"}
    failures = _run_all(files)
    assert not failures, "\n".join(failures)[:20000]


@pytest.mark.tools
def test_generated_edge_tests_pass_for_the_minimal_specs(rendered_minimal):
    failures = _run_all(sorted((rendered_minimal / names.RULE_TESTS_DIR).glob("*.yml")))
    assert not failures, "\n".join(failures)[:20000]


@pytest.mark.tools
def test_hand_written_semantics():
    failures = _run_all(sorted((ROOT / "tests" / "promtool").glob("*.test.yml")))
    assert not failures, "\n".join(failures)[:20000]


def test_every_contract_alert_has_a_rule_and_a_generated_test():
    spec, _ = load_model(ACME)
    rules = rule_files(spec)["aicost-alerts.yml"]["groups"][0]["rules"]
    assert {r["alert"] for r in rules} == set(names.ALERTS)
    import yaml

    tested = set()
    for f in (ROOT / "rendered" / names.RULE_TESTS_DIR).glob("*.yml"):
        for group in yaml.safe_load(f.read_text())["tests"]:
            for case in group.get("alert_rule_test", []):
                if case["exp_alerts"]:  # a firing assertion, not only the "not yet" one
                    tested.add(case["alertname"])
    assert tested == set(names.ALERTS)


def test_alert_rules_do_not_grow_with_teams():
    from dataclasses import replace

    spec, _ = load_model(ACME)
    many = replace(spec, teams=tuple(replace(spec.teams[0], name=f"t{i}") for i in range(50)))
    count = lambda m, g: len(rule_files(m)[f"{g}.yml"]["groups"][0]["rules"])  # noqa: E731
    for group in (names.G_SPEND, names.G_SIGNALS, names.G_ALERTS):
        assert count(spec, group) == count(many, group)
    assert count(many, names.G_CONSTANTS) > count(spec, names.G_CONSTANTS)


def test_every_alert_has_severity_runbook_and_dashboard():
    spec, _ = load_model(ACME)
    for rule in rule_files(spec)["aicost-alerts.yml"]["groups"][0]["rules"]:
        assert rule["labels"]["severity"] in ("warning", "critical")
        ann = rule["annotations"]
        assert set(ann) == {"summary", "description", "action", "runbook_url", "dashboard"}
        assert ann["runbook_url"] == f"https://runbooks.acme.example/aicost#{rule['alert'].lower()}"
