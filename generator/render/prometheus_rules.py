"""Prometheus rule files: one file per rule group of the catalogue, alerts in Prometheus' rule form.

The number of rules does not grow with the number of teams except for the constants:
every alert is one rule (or one per severity/direction) that joins live series to the
constant series on `team`.
"""

from __future__ import annotations

from generator import names as n
from generator.catalogue import Catalogue
from generator.catalogue.alert import Alert
from generator.catalogue.annotations import to_template


def alert_rule(alert: Alert) -> dict:
    """An enriched alert as a Prometheus alerting rule; its texts become Go templates."""
    return {
        "alert": alert.name,
        "expr": alert.expr,
        "for": alert.for_,
        "labels": alert.all_labels,
        "annotations": {
            "summary": to_template(alert.summary),
            "description": to_template(alert.description),
            "action": alert.action,
            "runbook_url": alert.runbook_url,
            "dashboard": to_template(alert.dashboard),
        },
    }


def render_rule_files(catalogue: Catalogue) -> dict[str, dict]:
    """<group>.yml -> rule file content."""
    out = {}
    for g in catalogue.groups:
        group = {"name": g.name, "rules": [alert_rule(r) if isinstance(r, Alert) else r for r in g.rules]}
        if g.interval:
            group["interval"] = g.interval
        out[f"{g.name}.yml"] = {"groups": [group]}
    return out


# The order a promtool test evaluates the groups in at each step; the tests also run reversed.
GROUP_ORDER = (n.G_CONSTANTS, n.G_SPEND, n.G_SIGNALS, n.G_HEALTH)


def rule_file(group: str) -> str:
    """Path of a group's rule file, relative to rendered/prometheus/tests/."""
    return f"../rules/{group}.yml"

