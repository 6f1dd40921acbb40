"""Deployment targets: every Kubernetes object valid against its CRD's schema (or Kubernetes' own),
the rules inside every object and file pass promtool, every Alertmanager configuration passes
amtool, and no secret value or `*_file` setting goes where the target refuses it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from conftest import ACME, FIXTURES, ROOT, require_tool
from generator import names as n
from generator.build import rendered_files
from generator.load import load_spec
from generator.render.targets import Plain
from generator.render.targets.kubernetes import RULES_PER_OBJECT, prometheus_rules
from generator.model import Kubernetes

SCHEMAS = {kind: json.loads((ROOT / "tests" / "kubernetes" / f"{kind.lower()}.schema.json").read_text())
           for kind in ("PrometheusRule", "AlertmanagerConfig", "GrafanaDashboard", "ScrapeConfig")}
KUBERNETES_VERSION = "1.30"
DEPLOY = """
deploy:
  kubernetes:
    namespace: ai-finops
    labels: {release: kps}
    alertmanager: %s
    dashboards: %s
  mimir: {namespace: ai}
  thanos: {partial_response_strategy: warn}
"""


def _render(tmp_path, alertmanager="config", dashboards="configmap") -> dict[str, bytes]:
    specs = tmp_path / f"specs-{alertmanager}-{dashboards}"
    shutil.copytree(ACME, specs)
    with open(specs / "org.yaml", "a") as f:
        f.write(DEPLOY % (alertmanager, dashboards))
    return rendered_files(load_spec(specs)[0])


def _objects(files: dict[str, bytes]) -> dict[str, dict]:
    return {p: yaml.safe_load(b) for p, b in files.items() if p.startswith("kubernetes/") and p.endswith(".yaml")}


def _valid(obj: dict) -> list[str]:
    kind = obj["kind"]
    if kind in SCHEMAS:
        return [f"{'/'.join(map(str, e.path))}: {e.message[:200]}"
                for e in jsonschema.Draft7Validator(SCHEMAS[kind]).iter_errors(obj)]
    if kind == "Kustomization":
        return [] if set(obj) == {"apiVersion", "kind", "resources"} else [f"unexpected keys {sorted(obj)}"]
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return [str(exc)[:300]]
    return []


@pytest.mark.parametrize("alertmanager,dashboards", [("config", "configmap"), ("secret", "operator")])
def test_every_kubernetes_object_validates_against_its_schema(tmp_path, alertmanager, dashboards):
    objects = _objects(_render(tmp_path, alertmanager, dashboards))
    kinds = sorted({o["kind"] for o in objects.values()})
    want = {("config", "configmap"): ["AlertmanagerConfig", "ConfigMap", "Kustomization", "PrometheusRule"],
            ("secret", "operator"): ["GrafanaDashboard", "Kustomization", "PrometheusRule", "Secret"]}
    assert kinds == want[(alertmanager, dashboards)]
    problems = {p: e for p, o in objects.items() if (e := _valid(o))}
    assert problems == {}
    for o in objects.values():
        if o["kind"] != "Kustomization":
            assert o["metadata"]["namespace"] == "ai-finops"
            assert o["metadata"]["labels"]["release"] == "kps"  # kube-prometheus-stack's rule selector


def test_sources_become_scrape_configs_with_the_same_relabelling(tmp_path):
    specs = tmp_path / "specs"
    shutil.copytree(FIXTURES / "sources" / "specs", specs)
    with open(specs / "org.yaml", "a") as f:
        f.write("deploy:\n  kubernetes: {namespace: ai-finops, labels: {release: kps}}\n")
    files = rendered_files(load_spec(specs)[0])
    objects = _objects(files)
    scrape = {p: o for p, o in objects.items() if o["kind"] == "ScrapeConfig"}
    assert sorted(scrape) == [f"kubernetes/scrapeconfigs/{n.SOURCE_JOB_PREFIX}{k}.yaml" for k in sorted(n.SOURCES)]
    assert {p: e for p, o in scrape.items() if (e := _valid(o))} == {}
    litellm = scrape[f"kubernetes/scrapeconfigs/{n.SOURCE_JOB_PREFIX}litellm.yaml"]["spec"]
    plain = next(j for j in yaml.safe_load(files[n.PROMETHEUS_CONFIG])["scrape_configs"]
                 if j["job_name"] == f"{n.SOURCE_JOB_PREFIX}litellm")
    assert len(litellm["metricRelabelings"]) == len(plain["metric_relabel_configs"])
    assert litellm["metricRelabelings"][0]["sourceLabels"] == plain["metric_relabel_configs"][0]["source_labels"]
    assert litellm["authorization"] == {"type": "Bearer", "credentials": {"name": "aicost-alertmanager",
                                                                          "key": "litellm-metrics-token"}}
    assert "litellm-metrics-token=" in files["kubernetes/create-secret.sh"].decode()
    assert all(f"scrapeconfigs/{n.SOURCE_JOB_PREFIX}{k}.yaml" in yaml.safe_load(files["kubernetes/kustomization.yaml"])
               ["resources"] for k in n.SOURCES)


def test_a_snake_case_key_fails_the_schema(tmp_path):
    """The schemas can fail: the plain configuration's keys are not the CRD's."""
    objects = _objects(_render(tmp_path))
    config = objects["kubernetes/alertmanager/alertmanagerconfig.yaml"]
    config["spec"]["route"]["group_wait"] = config["spec"]["route"].pop("groupWait")
    assert any("group_wait" in e for e in _valid(config))
    route = config["spec"]["route"]["routes"][0]
    route["matchers"][0]["matchType"] = "=="
    assert any("matchType" in e for e in _valid(config))


def test_kustomization_lists_every_object_and_alerts_carry_the_namespace(tmp_path):
    files = _render(tmp_path)
    objects = _objects(files)
    kustomization = objects.pop("kubernetes/kustomization.yaml")
    assert sorted(f"kubernetes/{r}" for r in kustomization["resources"]) == sorted(objects)
    for path, o in objects.items():
        if o["kind"] == "PrometheusRule":
            for g in o["spec"]["groups"]:
                for r in g["rules"]:
                    if "alert" in r:
                        assert r["labels"]["namespace"] == "ai-finops", (path, r["alert"])


def test_secrets_are_references_never_values(tmp_path):
    files = _render(tmp_path)
    config = _objects(files)["kubernetes/alertmanager/alertmanagerconfig.yaml"]
    text = json.dumps(config)
    assert "_file" not in text
    pager = next(r for r in config["spec"]["receivers"] if r["name"] == "pagerduty")
    assert pager["pagerdutyConfigs"][0]["routingKey"] == {"name": "aicost-alertmanager", "key": "pagerduty-routing-key"}
    script = files["kubernetes/create-secret.sh"].decode()
    assert ("--from-file=pagerduty-routing-key=/etc/alertmanager/secrets/pagerduty-routing-key" in script
            and "kubectl create secret generic aicost-alertmanager --namespace ai-finops" in script)
    mimir = yaml.safe_load(files["mimir/alertmanager.yml"])
    assert "_file" not in json.dumps(mimir)  # Mimir's and Cortex's Alertmanager refuse every *_file setting
    slack = next(r for r in mimir["receivers"] if r["name"] == "slack-oncall")["slack_configs"][0]
    assert slack["api_url"] == "https://aicost-secret.invalid/slack-webhook-url"
    assert mimir["global"]["smtp_auth_password"] == "aicost-secret:smtp-password"
    secret = _objects(_render(tmp_path, "secret"))["kubernetes/alertmanager/alertmanager-secret.yaml"]
    plain = yaml.safe_load(secret["stringData"]["alertmanager.yaml"])
    slack = next(r for r in plain["receivers"] if r["name"] == "slack-oncall")["slack_configs"][0]
    assert slack["api_url_file"] == "/etc/alertmanager/secrets/aicost-alertmanager/slack-webhook-url"
    assert plain["templates"] == ["/etc/alertmanager/config/aicost.tmpl"]
    assert secret["metadata"]["name"] == "alertmanager-main"


def test_two_secret_files_with_one_base_name_are_refused(tmp_path):
    specs = tmp_path / "specs"
    shutil.copytree(ACME, specs)
    alerting = specs / "alerting.yaml"
    alerting.write_text(alerting.read_text().replace(
        "routing_key_file: /etc/alertmanager/secrets/pagerduty-routing-key",
        "routing_key_file: /etc/alertmanager/other/slack-webhook-url"))
    with open(specs / "org.yaml", "a") as f:
        f.write("deploy:\n  kubernetes: {}\n")
    r = subprocess.run([str(Path(sys.executable).parent / "aicost"), "validate", "--specs", str(specs)],
                       capture_output=True, text=True)
    assert r.returncode == 1
    message = (": deploy: the secret files /etc/alertmanager/other/slack-webhook-url, /etc/alertmanager/secrets/"
               "slack-webhook-url would share the key 'slack-webhook-url' of the Kubernetes Secret and the Mimir "
               "placeholders; give them different base names")
    assert re.fullmatch(re.escape(f"{specs}/org.yaml:") + r"\d+" + re.escape(message), r.stderr.splitlines()[0])


def test_a_group_of_thousands_of_rules_is_split_under_the_object_size_limit():
    rules = [{"record": n.C_TEAM_BUDGET, "expr": "vector(450)", "labels": {"team": f"team-{i:05d}", "period": "daily"}}
             for i in range(2 * RULES_PER_OBJECT + 1)]
    plain = Plain({"aicost-constants.yml": {"groups": [{"name": n.G_CONSTANTS, "interval": "1m", "rules": rules}]}},
                  {}, {}, {})
    objects = prometheus_rules(Kubernetes(), plain)
    assert sorted(objects) == [f"prometheusrules/aicost-constants-00{i}.yaml" for i in (1, 2, 3)]
    from generator.serialise import to_yaml

    for o in objects.values():
        assert len(to_yaml(o)) < 1024 * 1024
        assert [g["name"] for g in o["spec"]["groups"]] == [n.G_CONSTANTS]
    assert sum(len(o["spec"]["groups"][0]["rules"]) for o in objects.values()) == len(rules)


def test_thanos_and_mimir_rules_keep_every_group(tmp_path):
    files = _render(tmp_path)
    plain = {p.removeprefix(f"{n.RULES_DIR}/"): yaml.safe_load(b) for p, b in files.items() if p.startswith(n.RULES_DIR)}
    mimir = yaml.safe_load(files["mimir/rules.yml"])
    assert mimir["namespace"] == "ai"
    assert [g["name"] for g in mimir["groups"]] == [g["name"] for _, f in sorted(plain.items()) for g in f["groups"]]
    for name, data in plain.items():
        thanos = yaml.safe_load(files[f"thanos/rules/{name}"])
        assert [g.pop("partial_response_strategy") for g in thanos["groups"]] == ["warn"]
        assert thanos == data  # and nothing Thanos ignores (group labels, query_offset) is emitted


# --- the real tools ------------------------------------------------------------------------------

def _write(tmp_path, name: str, data) -> str:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return str(path)


@pytest.mark.tools
def test_promtool_checks_the_rules_inside_every_target(tmp_path):
    promtool = require_tool("promtool")
    files = _render(tmp_path)
    checked = []
    for path, o in _objects(files).items():
        if o["kind"] == "PrometheusRule":
            checked.append(_write(tmp_path, f"k8s/{o['metadata']['name']}.yml", {"groups": o["spec"]["groups"]}))
    mimir = yaml.safe_load(files["mimir/rules.yml"])
    checked.append(_write(tmp_path, "mimir.yml", {"groups": mimir["groups"]}))
    for path, data in files.items():
        if path.startswith("thanos/rules/"):
            thanos = yaml.safe_load(data)
            groups = [{k: v for k, v in g.items() if k != "partial_response_strategy"} for g in thanos["groups"]]
            checked.append(_write(tmp_path, f"thanos/{path.rsplit('/', 1)[1]}", {"groups": groups}))
    assert len(checked) == 9
    r = subprocess.run([promtool, "check", "rules", *checked], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.tools
def test_amtool_checks_every_plain_alertmanager_configuration(tmp_path):
    amtool = require_tool("amtool")
    files = _render(tmp_path)
    mimir_dir = tmp_path / "mimir"
    for path, data in files.items():
        if path.startswith("mimir/"):
            _write(tmp_path, path, data.decode())
    configs = [str(mimir_dir / "alertmanager.yml")]
    secret = _objects(_render(tmp_path, "secret"))["kubernetes/alertmanager/alertmanager-secret.yaml"]
    plain = yaml.safe_load(secret["stringData"]["alertmanager.yaml"])
    # the operator mounts the Secret's keys under /etc/alertmanager/config; here, a folder of the test
    secret_dir = tmp_path / "secret"
    for key, text in secret["stringData"].items():
        _write(secret_dir, key, text)
    plain["templates"] = [str(secret_dir / t.rsplit("/", 1)[1]) for t in plain["templates"]]
    configs.append(_write(tmp_path, "secret/alertmanager.yaml", plain))
    for config in configs:
        r = subprocess.run([amtool, "check-config", config], capture_output=True, text=True, cwd=tmp_path)
        assert r.returncode == 0, f"{config}\n{r.stdout}{r.stderr}"
        assert " - 1 templates" in r.stdout, r.stdout
