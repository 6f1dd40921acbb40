"""Dashboards: valid against Grafana's own schema, every seed panel present, every query parses
and reads only metrics the contract or the rules define."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest

from conftest import ACME, ROOT, rule_files
from generator import names as n
from generator.render.dashboards import render_dashboards, render_provisioning
from generator.resolve import load_model

SCHEMA = json.loads((ROOT / "tests" / "grafana" / "dashboard.schema.json").read_text())
# The seed's panels: title -> panel type.
SEED_PANELS = {
    "Total Daily AI Spend": "stat", "Spend by Team (Today)": "piechart", "Cost per Request (p50/p95/p99)": "timeseries",
    "GPU Utilization Heatmap": "heatmap", "Token Usage by Model": "timeseries", "Budget Utilization": "gauge",
    "7-Day Cost Trend": "timeseries", "Idle GPU Instances": "table",
}


@pytest.fixture(scope="module")
def spec():
    return load_model(ACME)[0]


@pytest.fixture(scope="module")
def dashboards(spec):
    return render_dashboards(spec)


def _panels(dashboards):
    for name, d in dashboards.items():
        for p in d["panels"]:
            yield name, p


def test_every_dashboard_validates_against_grafana_schema(dashboards):
    validator = jsonschema.Draft7Validator(SCHEMA)
    for name, d in dashboards.items():
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(d)]
        assert not errors, f"{name}:\n" + "\n".join(errors)
        assert d["schemaVersion"] >= 39


def test_every_panel_validates_against_the_panel_type(dashboards):
    validators = {kind: jsonschema.Draft7Validator({"$ref": f"#/definitions/{kind}", "definitions": SCHEMA["definitions"]})
                  for kind in ("Panel", "RowPanel")}
    for name, p in _panels(dashboards):
        errors = [e.message for e in validators["RowPanel" if p["type"] == "row" else "Panel"].iter_errors(p)]
        assert not errors, f"{name} / {p['title']}: {errors}"
        if p["type"] == "row":
            continue
        assert p["description"], f"{p['title']} has no description"
        assert "fieldConfig" in p and p["type"] != "grafana-piechart-panel"


def test_the_seed_panels_exist_with_their_types(dashboards):
    overview = {p["title"]: p["type"] for p in dashboards["aicost-overview.json"]["panels"]}
    assert {t: overview.get(t) for t in SEED_PANELS} == SEED_PANELS


def test_thresholds_come_from_the_spec(dashboards, spec):
    panels = {p["title"]: p for p in dashboards["aicost-overview.json"]["panels"]}
    stat = panels["Total Daily AI Spend"]["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert stat == [{"color": "green", "value": None}, {"color": "yellow", "value": 1600.0},
                    {"color": "red", "value": spec.org_daily_budget}]
    gauge = panels["Budget Utilization"]["fieldConfig"]["defaults"]
    assert gauge["thresholds"]["steps"] == [{"color": "green", "value": None}, {"color": "yellow", "value": 0.8},
                                            {"color": "red", "value": 0.95}]
    assert gauge["unit"] == "percentunit"
    heat = panels["GPU Utilization Heatmap"]["options"]["color"]
    assert heat["scheme"] == "RdYlGn" and heat["reverse"] is False  # low (idle) = red


def _known_metrics(spec) -> set[str]:
    known = {n.REQUEST_COST + s for s in ("_bucket", "_sum", "_count")} | {
        n.API_TOKENS, n.SPEND, n.GPU_UTILIZATION, n.GPU_HOURLY_COST, n.GPU_MEMORY_USED, n.GPU_MEMORY_TOTAL,
        n.GPU_POWER, n.EXPORTER_ERRORS, n.UNPRICED_CALLS, "ALERTS", *n.PROMETHEUS_SELF_METRICS}
    for data in rule_files(spec).values():
        for g in data["groups"]:
            known |= {r["record"] for r in g["rules"] if "record" in r}
    return known


def _grafana_to_promql(expr: str) -> str:
    expr = expr.replace("$__rate_interval", "5m").replace("$__interval", "1m").replace("$__range", "1d")
    return re.sub(r"\$\{?(\w+)(:\w+)?\}?", "x", expr)


def test_every_query_parses_and_uses_only_known_metrics(dashboards, spec):
    import promql_parser

    known = _known_metrics(spec)
    for name, p in _panels(dashboards):
        for t in p.get("targets", ()):  # a row has none
            ast = promql_parser.parse(_grafana_to_promql(t["expr"]))
            used = []
            promql_parser.walk(ast, lambda node: used.append(node.name) if isinstance(node, promql_parser.VectorSelector) else None)
            unknown = {u for u in used if u} - known
            assert not unknown, f"{name} / {p['title']}: {t['expr']} uses {unknown}"


def test_alert_links_land_on_the_team_dashboard(dashboards, spec):
    team = dashboards["aicost-team.json"]
    assert team["uid"] == n.dashboard_uid(n.TEAM_DASHBOARD)
    assert [v["name"] for v in team["templating"]["list"]] == ["datasource", "team", "model"]
    alerts = [r for f in rule_files(spec).values() for g in f["groups"] for r in g["rules"] if "alert" in r]
    daily = next(r for r in alerts if r["alert"] == n.A_DAILY_EXCEEDED)
    assert daily["annotations"]["dashboard"] == (
        f"https://grafana.acme.example/d/{team['uid']}/team?var-team={{{{ $labels.team }}}}")
    links = dashboards["aicost-overview.json"]["panels"][1]["fieldConfig"]["defaults"]["links"]
    assert links[0]["url"].startswith(f"/d/{team['uid']}/team?var-team=${{__field.labels.team}}")


def test_panels_read_top_to_bottom_without_overlap(dashboards):
    for name, d in dashboards.items():
        cells = set()
        previous = (-1, -1)
        for p in d["panels"]:
            g = p["gridPos"]
            assert (g["y"], g["x"]) > previous, f"{name}: {p['title']} is out of reading order"
            previous = (g["y"], g["x"])
            assert g["x"] + g["w"] <= 24
            box = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
            assert not cells & box, f"{name}: {p['title']} overlaps"
            cells |= box


def test_provisioning_points_at_the_folder_and_the_spec_datasource(spec):
    prov = render_provisioning(spec)
    assert prov["dashboards/aicost.yaml"]["providers"][0]["type"] == "file"
    ds = prov["datasources/aicost.yaml"]["datasources"][0]
    assert (ds["type"], ds["uid"], ds["url"]) == ("prometheus", spec.datasource_uid, spec.datasource_url)
