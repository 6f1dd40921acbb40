"""Kubernetes: PrometheusRule objects, an AlertmanagerConfig (or the plain configuration as the
Alertmanager's Secret), dashboards as ConfigMaps for Grafana's sidecar (or GrafanaDashboard
objects), a script that creates the receivers' Secret from files, and a kustomization.

The Prometheus Operator's default matcher strategy (OnNamespace) makes an AlertmanagerConfig
route only alerts whose `namespace` label is its own namespace, so every aicost alert carries
that label statically.
"""

from __future__ import annotations

import re
import shlex

from generator.model import Kubernetes, secret_key
from generator.serialise import to_json, to_yaml
from generator.render.targets import Plain, map_secret_files

DIR = "kubernetes"
PART_OF = {"app.kubernetes.io/part-of": "aicost"}
TEMPLATES_CONFIGMAP = "aicost-alertmanager-templates"
# Where the Prometheus Operator mounts the Alertmanager's `secrets` and its configuration Secret.
SECRETS_MOUNT = "/etc/alertmanager/secrets"
CONFIG_MOUNT = "/etc/alertmanager/config"
# About 200 bytes a constant rule: 2,000 keep an object near 400 KB, under Kubernetes' 1 MiB.
RULES_PER_OBJECT = 2000
_MATCHER = re.compile(r'^([A-Za-z_][A-Za-z0-9_]*)(=~|!~|!=|=)"(.*)"$')


def _meta(k8s: Kubernetes, name: str, **labels: str) -> dict:
    return {"name": name, "namespace": k8s.namespace, "labels": {**dict(k8s.labels), **PART_OF, **labels}}


def _rule(rule: dict, namespace: str) -> dict:
    if "alert" not in rule:
        return rule
    return {**rule, "labels": {**rule["labels"], "namespace": namespace}}


def prometheus_rules(k8s: Kubernetes, plain: Plain) -> dict[str, dict]:
    """One PrometheusRule per rule group; alerts labelled with the namespace.

    A group of more than RULES_PER_OBJECT rules (the constants of thousands of teams) is split
    over several objects, each with a group of the same name: Kubernetes refuses objects over
    1 MiB, and the operator writes each object to its own rule file, where the name is unique.
    """
    out = {}
    for g in plain.groups():
        rules = [_rule(r, k8s.namespace) for r in g["rules"]]
        chunks = [rules[i:i + RULES_PER_OBJECT] for i in range(0, len(rules), RULES_PER_OBJECT)] or [[]]
        for i, chunk in enumerate(chunks):
            name = g["name"] if len(chunks) == 1 else f"{g['name']}-{i + 1:03d}"
            out[f"prometheusrules/{name}.yaml"] = {
                "apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
                "metadata": _meta(k8s, name), "spec": {"groups": [{**g, "rules": chunk}]}}
    return out


def _matchers(strings: list[str]) -> list[dict]:
    out = []
    for s in strings:
        name, op, value = _MATCHER.match(s).groups()
        out.append({"name": name, "value": value.replace('\\"', '"'), "matchType": op})
    return out


def _route(node: dict) -> dict:
    keys = {"receiver": "receiver", "group_by": "groupBy", "group_wait": "groupWait", "group_interval": "groupInterval",
            "repeat_interval": "repeatInterval", "continue": "continue"}
    out = {keys[k]: v for k, v in node.items() if k in keys}
    if node.get("matchers"):
        out["matchers"] = _matchers(node["matchers"])
    if node.get("routes"):
        out["routes"] = [_route(r) for r in node["routes"]]
    return out


def _secret(k8s: Kubernetes, path: str) -> dict:
    return {"name": k8s.secret_name, "key": secret_key(path)}


def _receiver(k8s: Kubernetes, r: dict, smtp: dict) -> dict:
    out = {"name": r["name"]}
    for c in r.get("pagerduty_configs", []):
        out.setdefault("pagerdutyConfigs", []).append({
            "sendResolved": c["send_resolved"], "routingKey": _secret(k8s, c["routing_key_file"]),
            "severity": c["severity"], "description": c["description"],
            "details": [{"key": k, "value": v} for k, v in sorted(c["details"].items())]})
    for c in r.get("slack_configs", []):
        out.setdefault("slackConfigs", []).append({
            "sendResolved": c["send_resolved"], "apiURL": _secret(k8s, c["api_url_file"]), "channel": c["channel"],
            "title": c["title"], "text": c["text"], "color": c["color"]})
    for c in r.get("email_configs", []):
        mail = {"sendResolved": c["send_resolved"], "to": c["to"], "html": c["html"],
                "headers": [{"key": k, "value": v} for k, v in sorted(c["headers"].items())],
                "smarthost": smtp.get("smtp_smarthost"), "from": smtp.get("smtp_from"),
                "requireTLS": smtp.get("smtp_require_tls")}
        if smtp.get("smtp_auth_username"):
            mail["authUsername"] = smtp["smtp_auth_username"]
        if smtp.get("smtp_auth_password_file"):
            mail["authPassword"] = _secret(k8s, smtp["smtp_auth_password_file"])
        out.setdefault("emailConfigs", []).append({k: v for k, v in mail.items() if v is not None})
    for c in r.get("webhook_configs", []):
        hook = {"sendResolved": c["send_resolved"], "url": c["url"]}
        auth = c.get("http_config", {}).get("authorization")
        if auth:
            hook["httpConfig"] = {"authorization": {"type": auth["type"],
                                                    "credentials": _secret(k8s, auth["credentials_file"])}}
        out.setdefault("webhookConfigs", []).append(hook)
    return out


def alertmanager_config(k8s: Kubernetes, plain: Plain) -> dict:
    """The AlertmanagerConfig: the plain route tree, receivers and inhibitions in the CRD's shape."""
    cfg = plain.alertmanager
    return {
        "apiVersion": "monitoring.coreos.com/v1alpha1", "kind": "AlertmanagerConfig",
        "metadata": _meta(k8s, "aicost"),
        "spec": {
            "route": _route(cfg["route"]),
            "receivers": [_receiver(k8s, r, cfg.get("global", {})) for r in cfg["receivers"]],
            "inhibitRules": [{"sourceMatch": _matchers(i["source_matchers"]), "targetMatch": _matchers(i["target_matchers"]),
                              "equal": i["equal"]} for i in cfg["inhibit_rules"]],
        },
    }


def alertmanager_secret(k8s: Kubernetes, plain: Plain) -> dict:
    """The plain configuration as the Secret alertmanager-<name>, secret files where the operator mounts them."""
    def mounted(setting: str, path: str) -> tuple[str, str]:
        return f"{setting}_file", f"{SECRETS_MOUNT}/{k8s.secret_name}/{secret_key(path)}"

    config = map_secret_files(plain.alertmanager, mounted)
    config["templates"] = [f"{CONFIG_MOUNT}/{name}" for name in sorted(plain.templates)]
    data = {"alertmanager.yaml": to_yaml(config, header=False).decode("utf-8"), **plain.templates}
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": _meta(k8s, f"alertmanager-{k8s.alertmanager_name}"), "stringData": data}


def dashboards(k8s: Kubernetes, plain: Plain) -> dict[str, dict]:
    """ConfigMaps labelled for Grafana's sidecar, or GrafanaDashboard objects."""
    out = {}
    for file, model in sorted(plain.dashboards.items()):
        name = file.removesuffix(".json")  # the dashboards are named aicost-<title>
        text = to_json(model).decode("utf-8")
        if k8s.dashboards == "operator":
            obj = {"apiVersion": "grafana.integreatly.org/v1beta1", "kind": "GrafanaDashboard",
                   "metadata": _meta(k8s, name),
                   "spec": {"instanceSelector": {"matchLabels": dict(k8s.grafana_instance_selector)}, "json": text}}
        else:
            obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(k8s, name, grafana_dashboard="1"),
                   "data": {file: text}}
        out[f"dashboards/{name}.yaml"] = obj
    return out


_RELABEL_KEYS = {"source_labels": "sourceLabels", "target_label": "targetLabel", "regex": "regex",
                 "replacement": "replacement", "action": "action"}


def scrape_configs(k8s: Kubernetes, plain: Plain) -> dict[str, dict]:
    """One ScrapeConfig (monitoring.coreos.com/v1alpha1) per source job: the same targets, the same
    metric relabelling, the bearer token as a key of the receivers' Secret. Prometheus selects them
    with its scrapeConfigSelector (kube-prometheus-stack: the release label, as for the rules)."""
    out = {}
    for job in plain.scrape_jobs:
        spec = {"jobName": job["job_name"], "scrapeInterval": job["scrape_interval"],
                "staticConfigs": job["static_configs"],
                "metricRelabelings": [{_RELABEL_KEYS[k]: v for k, v in r.items()} for r in job["metric_relabel_configs"]]}
        if "authorization" in job:
            spec["authorization"] = {"type": "Bearer",
                                     "credentials": _secret(k8s, job["authorization"]["credentials_file"])}
        if job.get("scheme"):
            spec["scheme"] = job["scheme"].upper()
        out[f"scrapeconfigs/{job['job_name']}.yaml"] = {
            "apiVersion": "monitoring.coreos.com/v1alpha1", "kind": "ScrapeConfig",
            "metadata": _meta(k8s, job["job_name"]), "spec": spec}
    return out


def create_secret_script(k8s: Kubernetes, files: dict[str, str]) -> str:
    """A script that creates (or updates) the receivers' Secret from the files the spec names."""
    args = " ".join(shlex.quote(f"--from-file={key}={path}") for path, key in files.items())
    return "\n".join([
        "#!/bin/sh",
        "# Generated by aicost from specs/. DO NOT EDIT: change specs/ and run `aicost generate`.",
        f"# Creates or updates the Secret {k8s.secret_name} from the secret files alerting.yaml names (run it",
        "# where those files are; the values never pass through aicost).",
        "set -eu",
        f"kubectl create secret generic {k8s.secret_name} --namespace {k8s.namespace} {args} \\",
        "  --dry-run=client --output yaml | kubectl apply --filename -",
        ""])


def render_kubernetes(k8s: Kubernetes, plain: Plain, secret_files: dict[str, str]) -> dict[str, object]:
    """rendered/kubernetes/: every object, the secret script and the kustomization listing them."""
    objects: dict[str, dict] = {**prometheus_rules(k8s, plain), **dashboards(k8s, plain), **scrape_configs(k8s, plain)}
    if k8s.alertmanager == "secret":
        objects["alertmanager/alertmanager-secret.yaml"] = alertmanager_secret(k8s, plain)
    else:
        objects["alertmanager/alertmanagerconfig.yaml"] = alertmanager_config(k8s, plain)
        objects["alertmanager/templates-configmap.yaml"] = {
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(k8s, TEMPLATES_CONFIGMAP), "data": plain.templates}
    out: dict[str, object] = {f"{DIR}/{path}": obj for path, obj in objects.items()}
    out[f"{DIR}/kustomization.yaml"] = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                                        "resources": sorted(objects)}
    if secret_files:
        out[f"{DIR}/create-secret.sh"] = create_secret_script(k8s, secret_files)
    return out
