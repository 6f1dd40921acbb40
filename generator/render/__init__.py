"""Renderers: pure functions of the spec and its catalogue that return plain data, by output path.

`render_all` computes the catalogue once and hands it to every renderer. The values are plain
data (dicts for YAML and JSON files, text for templates and scripts); `output.serialise` alone
turns them into bytes.
"""

from __future__ import annotations

from generator import names
from generator.model import Spec


def render_all(spec: Spec) -> dict[str, object]:
    """Every file under rendered/, as data, keyed by its path relative to rendered/."""
    from generator import catalogue

    cat = catalogue.build(spec)
    return dict(sorted({**render_deployed(spec, cat), **render_tests(spec, cat)}.items()))


def render_tests(spec: Spec, cat) -> dict[str, object]:
    """The generated promtool tests (prometheus/tests/), by path."""
    from generator.render.promtool_tests import render_rule_tests

    return {f"{names.RULE_TESTS_DIR}/{name}": data for name, data in render_rule_tests(spec, cat).items()}


def render_deployed(spec: Spec, cat) -> dict[str, object]:
    """Every file but the promtool tests: rules, configurations, dashboards and the deploy targets."""
    from generator.render import alertmanager, alertmanager_tests, dashboards, prometheus_config, prometheus_rules

    files: dict[str, object] = {}
    for name, data in prometheus_rules.render_rule_files(cat).items():
        files[f"{names.RULES_DIR}/{name}"] = data
    files[names.PROMETHEUS_CONFIG] = prometheus_config.render_prometheus_config(spec)
    files[names.ALERTMANAGER_CONFIG] = alertmanager.render_alertmanager(spec, cat)
    for name, text in alertmanager.render_templates().items():
        files[f"{names.ALERTMANAGER_TEMPLATES_DIR}/{name}"] = text
    route_tests = alertmanager_tests.render_route_tests(spec, cat)
    files[names.ALERTMANAGER_TESTS] = route_tests
    files[names.ALERTMANAGER_TEST_RUNNER] = alertmanager_tests.render_route_test_script(route_tests)
    for name, data in dashboards.render_dashboards(spec).items():
        files[f"{names.GRAFANA_DASHBOARDS_DIR}/{name}"] = data
    for name, data in dashboards.render_provisioning(spec).items():
        files[f"{names.GRAFANA_PROVISIONING_DIR}/{name}"] = data
    files.update(_targets(spec, files))
    return files


def _targets(spec: Spec, files: dict[str, object]) -> dict[str, object]:
    """The deploy targets the spec asks for, reshaped from the plain files just rendered."""
    from generator.model import secret_files
    from generator.render.targets import Plain, kubernetes, mimir, thanos

    def under(folder: str) -> dict:
        return {path.removeprefix(folder + "/"): data for path, data in files.items() if path.startswith(folder + "/")}

    sources = tuple(j for j in files[names.PROMETHEUS_CONFIG]["scrape_configs"]
                    if j["job_name"].startswith(names.SOURCE_JOB_PREFIX))
    plain = Plain(under(names.RULES_DIR), files[names.ALERTMANAGER_CONFIG], under(names.ALERTMANAGER_TEMPLATES_DIR),
                  under(names.GRAFANA_DASHBOARDS_DIR), sources)
    out: dict[str, object] = {}
    if spec.deploy.kubernetes:
        out.update(kubernetes.render_kubernetes(spec.deploy.kubernetes, plain, secret_files(spec)))
    if spec.deploy.mimir:
        out.update(mimir.render_mimir(spec.deploy.mimir, plain))
    if spec.deploy.thanos:
        out.update(thanos.render_thanos(spec.deploy.thanos, plain))
    return out
