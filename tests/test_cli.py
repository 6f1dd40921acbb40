"""The CLI: generate writes atomically, check finds every kind of drift, validate writes nothing."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from generator.cli import main


def _run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_generate_then_check_is_clean(minimal_specs, tmp_path):
    out = tmp_path / "rendered"
    assert _run("generate", "--specs", str(minimal_specs), "--out", str(out)).exit_code == 0
    r = _run("check", "--specs", str(minimal_specs), "--out", str(out))
    assert r.exit_code == 0, r.output
    assert "is up to date" in r.output


def test_check_reports_a_hand_edited_a_missing_and_an_extra_file(minimal_specs, tmp_path):
    out = tmp_path / "rendered"
    _run("generate", "--specs", str(minimal_specs), "--out", str(out))
    rules = out / "prometheus" / "rules" / "aicost-spend.yml"
    rules.write_text(rules.read_text().replace("for: 5m", "for: 1m", 1))
    (out / "alertmanager" / "alertmanager.yml").unlink()
    (out / "prometheus" / "rules" / "old.yml").write_text("groups: []\n")
    r = _run("check", "--specs", str(minimal_specs), "--out", str(out))
    assert r.exit_code == 1
    assert f"{out}/prometheus/rules/aicost-spend.yml: differs" in r.output
    assert re.search(r"\n-\s+for: 1m\n\+\s+for: 5m\n", r.output)
    assert f"{out}/alertmanager/alertmanager.yml: missing" in r.output
    assert f"{out}/prometheus/rules/old.yml: not produced by specs/ (extra file)" in r.output
    assert "3 file(s)" in r.output and "are stale" in r.output


def test_generate_removes_orphans(minimal_specs, tmp_path):
    out = tmp_path / "rendered"
    _run("generate", "--specs", str(minimal_specs), "--out", str(out))
    (out / "prometheus" / "rules" / "stale.yml").write_text("x: 1\n")
    _run("generate", "--specs", str(minimal_specs), "--out", str(out))
    assert not (out / "prometheus" / "rules" / "stale.yml").exists()
    assert (out / "prometheus" / "rules" / "aicost-spend.yml").exists()


def test_a_bad_spec_writes_nothing_and_prints_no_traceback(minimal_specs, tmp_path):
    out = tmp_path / "rendered"
    _run("generate", "--specs", str(minimal_specs), "--out", str(out))
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    team = minimal_specs / "teams" / "search.yaml"
    team.write_text(team.read_text().replace("daily: 50", "daily: -5"))
    r = CliRunner().invoke(main, ["generate", "--specs", str(minimal_specs), "--out", str(out)])
    assert r.exit_code == 1
    assert "Traceback" not in r.output
    assert f"{minimal_specs}/teams/search.yaml:5: teams.search.budget.daily: -5 is not a positive number" in r.output
    assert f"aicost: 1 error in {minimal_specs}/; nothing was written" in r.output
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_validate_writes_nothing(minimal_specs, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    before = sorted(p for p in tmp_path.rglob("*"))
    r = _run("validate", "--specs", str(minimal_specs))
    assert r.exit_code == 0, r.output
    assert "is valid" in r.output
    assert sorted(p for p in tmp_path.rglob("*")) == before


def test_schema_describes_every_file_and_forbids_unknown_keys():
    r = _run("schema")
    schemas = json.loads(r.output)
    assert set(schemas) == {"org.yaml", "prices.yaml", "alerting.yaml", "teams/<team>.yaml"}
    team = schemas["teams/<team>.yaml"]
    assert team["additionalProperties"] is False
    assert team["properties"]["budget"]["properties"]["daily"] == {"type": "number", "exclusiveMinimum": 0}


def test_schema_validates_the_bundled_specs():
    import jsonschema
    import yaml
    from conftest import ROOT

    schemas = json.loads(_run("schema").output)
    for rel in ("org.yaml", "prices.yaml", "alerting.yaml"):
        jsonschema.validate(yaml.safe_load((ROOT / "specs" / rel).read_text()), schemas[rel])
    for team in (ROOT / "specs" / "teams").glob("*.yaml"):
        jsonschema.validate(yaml.safe_load(team.read_text()), schemas["teams/<team>.yaml"])
