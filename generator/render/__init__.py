"""Renderers: pure functions of the model that return plain data; `render_all` serialises them."""

from __future__ import annotations

from generator import names
from generator.model import Model
from generator.output import to_json, to_yaml


def render_all(model: Model) -> dict[str, bytes]:
    """Every file under rendered/, as bytes, keyed by its path relative to rendered/."""
    from generator.render import alertmanager, dashboards, prometheus_config, rule_tests, rules

    files: dict[str, bytes] = {}
    for name, data in rules.render_rule_files(model).items():
        files[f"{names.RULES_DIR}/{name}"] = to_yaml(data)
    for name, data in rule_tests.render_rule_tests(model).items():
        files[f"{names.RULE_TESTS_DIR}/{name}"] = to_yaml(data)
    files[names.PROMETHEUS_CONFIG] = to_yaml(prometheus_config.render_prometheus_config(model))
    files[names.ALERTMANAGER_CONFIG] = to_yaml(alertmanager.render_alertmanager(model))
    for name, text in alertmanager.render_templates(model).items():
        files[f"{names.ALERTMANAGER_TEMPLATES_DIR}/{name}"] = text.encode("utf-8")
    route_tests = alertmanager.render_route_tests(model)
    files[names.ALERTMANAGER_TESTS] = to_yaml(route_tests)
    files[names.ALERTMANAGER_TEST_RUNNER] = alertmanager.render_route_test_script(route_tests).encode("utf-8")
    for name, data in dashboards.render_dashboards(model).items():
        files[f"{names.GRAFANA_DASHBOARDS_DIR}/{name}"] = to_json(data)
    for name, data in dashboards.render_provisioning(model).items():
        files[f"{names.GRAFANA_PROVISIONING_DIR}/{name}"] = to_yaml(data)
    return dict(sorted(files.items()))
