"""rendered/prometheus/prometheus.yml: rule files, the exporter and app scrape jobs, Alertmanager."""

from __future__ import annotations

from generator import names as n
from generator.model import Model


def render_prometheus_config(model: Model) -> dict:
    """A complete Prometheus configuration that loads the rendered rules."""
    scrape = [{
        "job_name": n.EXPORTER_JOB,
        # The exporter sets `instance` to the cloud instance id and carries the host's tags
        # (team, project, ...). honor_labels keeps them instead of Prometheus' target address.
        "honor_labels": True,
        "scrape_interval": model.scrape_interval,
        "static_configs": [{"targets": list(model.exporter_targets)}],
    }]
    if model.app_targets:
        scrape.append({
            "job_name": n.APP_JOB,
            "scrape_interval": model.scrape_interval,
            "static_configs": [{"targets": list(model.app_targets)}],
        })
    return {
        "global": {"scrape_interval": model.scrape_interval, "evaluation_interval": model.evaluation_interval,
                   "external_labels": {"aicost_org": model.org_name}},
        "rule_files": ["rules/*.yml"],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": list(model.alertmanager_targets)}]}]},
        "scrape_configs": scrape,
    }
