"""rendered/prometheus/prometheus.yml: rule files, the exporter and app scrape jobs, Alertmanager."""

from __future__ import annotations

import hashlib

from generator import names as n
from generator.model import Spec, ScrapeTarget
from generator.render.scrape_sources import source_relabels, target_labels


def _connection(t: ScrapeTarget) -> dict:
    """What Prometheus needs to connect to a target beyond its address: scheme, TLS, basic auth."""
    out: dict = {}
    if t.scheme != "http":
        out["scheme"] = t.scheme
    if t.tls is not None:
        tls = {k: v for k, v in vars(t.tls).items() if v not in (None, False)}
        out["tls_config"] = tls
    if t.basic_auth is not None:
        out["basic_auth"] = {"username": t.basic_auth.username, "password_file": t.basic_auth.password_file}
    return out


def _static(addresses: list[str], labels_of: dict[str, dict[str, str]]) -> list[dict]:
    """static_configs: the addresses, with a group of their own for those that carry static labels."""
    groups: dict[tuple, list[str]] = {}
    for a in addresses:
        groups.setdefault(tuple(sorted(labels_of.get(a, {}).items())), []).append(a)
    return [{"targets": addrs, **({"labels": dict(labels)} if labels else {})} for labels, addrs in groups.items()]


def _jobs(job: str, targets: tuple[ScrapeTarget, ...], base: dict,
          labels_of: dict[str, dict[str, str]] | None = None) -> list[dict]:
    """One scrape config per distinct connection; all of them keep the job label `job`.

    Prometheus sets connection settings per scrape config and refuses two configs of one job
    name, so targets with their own TLS or auth get a config of their own whose `job` label is
    relabelled back to `job`: the rules and dashboards see a single job.
    """
    groups: dict[str, tuple[dict, list[str]]] = {}
    for t in targets:
        conn = _connection(t)
        key = repr(sorted(conn.items()))
        groups.setdefault(key, (conn, []))[1].append(t.address)
    out = []
    for i, (key, (conn, addresses)) in enumerate(groups.items()):
        name = job if i == 0 else f"{job}-{hashlib.sha1(key.encode()).hexdigest()[:8]}"
        cfg = {"job_name": name, **base, **conn, "static_configs": _static(addresses, labels_of or {})}
        if name != job:
            cfg["relabel_configs"] = [{"target_label": "job", "replacement": job}]
        out.append(cfg)
    return out


def render_prometheus_config(spec: Spec) -> dict:
    """A complete Prometheus configuration that loads the rendered rules."""
    # The exporter sets `instance` to the cloud instance id and carries the host's tags
    # (team, project, ...). honor_labels keeps them instead of Prometheus' target address.
    scrape = _jobs(n.EXPORTER_JOB, spec.exporter_targets, {"honor_labels": True, "scrape_interval": spec.scrape_interval})
    if spec.app_targets:
        scrape += _jobs(n.APP_JOB, spec.app_targets, {"scrape_interval": spec.scrape_interval})
    for source in spec.sources:
        base = {"scrape_interval": spec.scrape_interval, "metric_relabel_configs": source_relabels(source, spec)}
        if source.bearer_token_file:
            base["authorization"] = {"type": "Bearer", "credentials_file": source.bearer_token_file}
        scrape += _jobs(source.job, source.targets, base, target_labels(source))
    # Prometheus' own rule-group metrics, for aicost's health alerts (AICostRuleGroupSlow...).
    scrape.append({"job_name": n.PROMETHEUS_JOB, "scrape_interval": spec.scrape_interval,
                   "static_configs": [{"targets": [spec.prometheus_self_target]}]})
    return {
        "global": {"scrape_interval": spec.scrape_interval, "evaluation_interval": spec.evaluation_interval,
                   "external_labels": {"aicost_org": spec.org_name}},
        "rule_files": ["rules/*.yml"],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": list(spec.alertmanager_targets)}]}]},
        "scrape_configs": scrape,
    }
