"""The catalogue: what aicost watches, computed once per run from the spec, read by every renderer.

It sits between the model and the renderers: recording rules and alerts as data, by rule group.
Every alert has passed the one enrichment pass (for:, runbook, dashboard) and comes in the
contract's order. Renderers lay it out (rule files, promtool tests, Alertmanager routes and
their tests); none of them builds or enriches an alert again.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator import names as n
from generator.catalogue import records
from generator.catalogue.alert import Alert, enrich
from generator.catalogue.alerts import anomaly, budget, infra, usage
from generator.model import Spec

DOMAINS = (budget, anomaly, usage, infra)


@dataclass(frozen=True)
class RuleGroup:
    """A Prometheus rule group: its name and its rules, recording rules as dicts and alerts as Alert."""

    name: str
    rules: tuple


@dataclass(frozen=True)
class Catalogue:
    """Every rule group aicost renders, and its alerts in the contract's order."""

    groups: tuple[RuleGroup, ...]
    alerts: tuple[Alert, ...]

    def severities(self) -> dict[str, set[str]]:
        """Alert name -> the severities its rules carry."""
        out: dict[str, set[str]] = {}
        for a in self.alerts:
            out.setdefault(a.name, set()).add(a.severity)
        return out

    def alert(self, key: tuple) -> Alert:
        """The alert of that key (name, severity, sorted extra labels, per team)."""
        return next(a for a in self.alerts if a.key == key)


def build(spec: Spec) -> Catalogue:
    """The catalogue of a spec: recording rules, then every enriched alert."""
    order = {name: i for i, name in enumerate(n.ALERTS)}
    alerts = sorted((enrich(spec, a) for d in DOMAINS for a in d.alerts(spec)), key=lambda a: order[a.name])
    groups = (RuleGroup(n.G_CONSTANTS, tuple(records.constant_rules(spec))),
              RuleGroup(n.G_SPEND, tuple(records.spend_rules())),
              RuleGroup(n.G_SIGNALS, tuple(records.signal_rules(spec))),
              RuleGroup(n.G_ALERTS, tuple(alerts)))
    return Catalogue(groups, tuple(alerts))
