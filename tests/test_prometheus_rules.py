"""The rendered rules against the real promtool: lint, generated edge tests, hand-written semantics,
each test file in both group orders; and the shape of the rules (every alert, no growth with teams)."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import ACME, FIXTURES, LEG, ROOT, rule_files
from generator import names
from generator.build import rendered_files
from generator.durations import seconds
from generator.output import write_tree
from generator.resolve import load_model
from promtool_runner import failures, fixture_failures, in_both_orders, promtool


def _alert_rules(spec) -> list[dict]:
    return [r for data in rule_files(spec).values() for g in data["groups"] for r in g["rules"] if "alert" in r]


def _rendered(fixture: str, tmp_path: Path) -> Path:
    spec, _ = load_model(FIXTURES / fixture / "specs")
    out = tmp_path / "rendered"
    write_tree(rendered_files(spec), out)
    return out


@pytest.mark.tools
def test_rules_pass_promtool_check():
    r = promtool("check", "rules", *sorted(str(p) for p in (ROOT / "rendered" / names.RULES_DIR).glob("*.yml")), cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.tools
def test_prometheus_config_passes_promtool_check():
    r = promtool("check", "config", str(ROOT / "rendered" / names.PROMETHEUS_CONFIG), cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr


def _generated_in_both_orders(rendered: Path, dest: Path) -> list[Path]:
    """The generated test files beside a copy of their rule files, in both group orders."""
    shutil.copytree(rendered / names.RULES_DIR, dest / "rules")
    (dest / "tests").mkdir()
    return [p for f in sorted((rendered / names.RULE_TESTS_DIR).glob("*.yml")) for p in in_both_orders(f, dest / "tests")]


@pytest.mark.tools
def test_generated_edge_tests_pass_for_the_bundled_specs(tmp_path):
    files = sorted((ROOT / "rendered" / names.RULE_TESTS_DIR).glob("*.yml"))
    per_team = {"daily-budget-exceeded", "daily-budget-warning", "monthly-budget-exceeded", "monthly-budget-warning",
                "monthly-budget-forecast", "gpu-idle", "cost-per-request", "cost-trend", "cost-anomaly-warning",
                "cost-anomaly-critical", "cost-anomaly-drop", "token-budget", "cost-per-user", "training-budget", "budget-guard-block",
                "budget-guard-throttle", "unpriced-tokens"}
    assert {f.stem for f in files} == per_team | {"org", "constants", "health"}
    found = failures(_generated_in_both_orders(ROOT / "rendered", tmp_path))
    assert not found, "\n".join(found)[:20000]


@pytest.mark.tools
def test_generated_edge_tests_pass_for_the_minimal_specs(tmp_path):
    """Reversed group order only: the CI recipe tests (tests/test_ci_recipes.py) run the minimal spec's
    generated tests as written, in the natural order, on both legs."""
    if LEG == "3":  # CI's 20 minutes: the bundled specs' edge tests (every scenario kind) run on both legs
        pytest.skip("the minimal spec's edge tests run on the Prometheus 2 leg")
    both = _generated_in_both_orders(_rendered("minimal", tmp_path), tmp_path / "run")
    found = failures([f for f in both if f.stem.endswith(".reversed")])
    assert not found, "\n".join(found)[:20000]


# The files fed from raw counters, whose timing spend_delay moves (README: Generated promtool tests).
RAW_DRIVEN = ("daily-budget-exceeded", "unpriced-tokens", "org", "health")


@pytest.mark.tools
def test_generated_tests_pass_with_sub_minute_evaluations_and_a_delay(tmp_path):
    """30 s evaluations, one-minute inputs, the default 10 s delay: the raw counters fed one minute
    ahead overshoot by half a minute, and the checks move half a minute earlier to match."""
    if LEG == "3":  # CI's 20 minutes: the delay's arithmetic is the generator's, the same on both legs
        pytest.skip("sub-minute evaluations run on the Prometheus 2 leg")
    spec, _ = load_model(FIXTURES / "minimal" / "specs")
    spec = dataclasses.replace(spec, evaluation_interval="30s", scrape_interval="15s")
    assert seconds(spec.spend_delay) == 10
    out = tmp_path / "rendered"
    write_tree(rendered_files(spec), out)
    shutil.copytree(out / names.RULES_DIR, tmp_path / "run" / "rules")
    (tmp_path / "run" / "tests").mkdir()
    files = [out / names.RULE_TESTS_DIR / f"{stem}.yml" for stem in RAW_DRIVEN]
    found = failures([p for f in files for p in in_both_orders(f, tmp_path / "run" / "tests")])
    assert not found, "\n".join(found)[:20000]


# The files whose input series change with a team's sources (the others feed recorded series).
SOURCE_SENSITIVE = ("sources", "daily-budget-exceeded", "org", "unpriced-tokens", "health")


@pytest.mark.tools
def test_generated_tests_of_every_source_pass(tmp_path):
    """Every source at once: sources.yml (each source's series as they land, the spend today to the cent)
    and the scenarios whose raw series land from each team's truth source."""
    rendered = _rendered("sources", tmp_path)
    shutil.copytree(rendered / names.RULES_DIR, tmp_path / "run" / "rules")
    (tmp_path / "run" / "tests").mkdir()
    files = [rendered / names.RULE_TESTS_DIR / f"{stem}.yml" for stem in SOURCE_SENSITIVE]
    found = failures([p for f in files for p in in_both_orders(f, tmp_path / "run" / "tests")])
    assert not found, "\n".join(found)[:20000]


HAND_WRITTEN = sorted((ROOT / "tests" / "promtool").glob("*/*.test.yml"))


@pytest.mark.tools
@pytest.mark.parametrize("test_file", HAND_WRITTEN, ids=[f"{p.parent.name}/{p.stem}" for p in HAND_WRITTEN])
def test_hand_written_semantics(test_file, tmp_path):
    """tests/promtool/<fixture>/*.test.yml against the rules of tests/fixtures/<fixture>/specs."""
    found = fixture_failures(test_file.parent.name, test_file, tmp_path)
    assert not found, "\n".join(found)[:20000]


def test_every_contract_alert_has_a_rule_and_a_generated_test():
    spec, _ = load_model(ACME)
    assert {r["alert"] for r in _alert_rules(spec)} == set(names.ALERTS)
    tested = set()
    for f in (ROOT / "rendered" / names.RULE_TESTS_DIR).glob("*.yml"):
        for group in yaml.safe_load(f.read_text())["tests"]:
            for case in group.get("alert_rule_test", []):
                if case["exp_alerts"]:  # a firing assertion, not only the "not yet" one
                    tested.add(case["alertname"])
    assert tested == set(names.ALERTS)


def test_rules_do_not_grow_with_teams():
    from dataclasses import replace

    spec, _ = load_model(ACME)
    many = replace(spec, teams=tuple(replace(spec.teams[0], name=f"t{i}") for i in range(50)))
    count = lambda m, g: len(rule_files(m)[f"{g}.yml"]["groups"][0]["rules"])  # noqa: E731
    for group in (names.G_SPEND, names.G_SIGNALS):
        assert count(spec, group) == count(many, group)
    assert count(many, names.G_CONSTANTS) > count(spec, names.G_CONSTANTS)


def test_every_alert_has_severity_runbook_and_dashboard():
    spec, _ = load_model(ACME)
    for rule in _alert_rules(spec):
        assert rule["labels"]["severity"] in ("warning", "critical")
        ann = rule["annotations"]
        assert set(ann) == {"summary", "description", "action", "runbook_url", "dashboard"}
        assert ann["runbook_url"] == f"https://runbooks.acme.example/aicost#{rule['alert'].lower()}"


def test_each_chain_stays_in_one_group():
    """A rule reads only series recorded in its own group (before it), constants, or raw metrics:
    Prometheus runs the rules of a group in order and groups in no order."""
    spec, _ = load_model(ACME)
    files = rule_files(spec)
    recorded_in = {r["record"]: g["name"] for data in files.values() for g in data["groups"] for r in g["rules"]
                   if "record" in r}
    for data in files.values():
        for g in data["groups"]:
            for rule in g["rules"]:
                for name, group in recorded_in.items():
                    # The health group watches the others by design: it reads their output to tell
                    # it is missing, and a one-evaluation lag is far inside its `for:`.
                    if group not in (g["name"], names.G_CONSTANTS) and g["name"] != names.G_HEALTH and name in rule["expr"]:
                        pytest.fail(f"{rule.get('record') or rule.get('alert')} in {g['name']} reads {name} of {group}")
