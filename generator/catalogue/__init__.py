"""The catalogue: what aicost watches, computed once per run from the spec, read by every renderer.

It sits between the model and the renderers: recording rules and alerts as data, by rule group.
Every alert has passed the one enrichment pass (for:, runbook, dashboard) and comes in the
contract's order. Renderers lay it out (rule files, promtool tests, Alertmanager routes and
their tests); none of them builds or enriches an alert again.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator import durations, names as n
from generator.catalogue.alert import Alert, enrich
from generator.catalogue.alerts import anomaly, budget, health, infra, usage
from generator.catalogue.records.calendar import day_rules, month_rules
from generator.catalogue.records.constants import Constant, constants
from generator.catalogue.records.ledger import ledger_rules, price_rules, transfer_price_rules
from generator.catalogue.records.signals import signal_rules
from generator.catalogue.records.usage import usage_rules
from generator.model import Spec

DOMAINS = (budget, anomaly, usage, infra, health)


@dataclass(frozen=True)
class RuleGroup:
    """A Prometheus rule group: its name, its rules (recording rules as dicts, alerts as Alert), and
    its own evaluation interval where the rules depend on it (the ledger's windows)."""

    name: str
    rules: tuple
    interval: str | None = None


@dataclass(frozen=True)
class Catalogue:
    """Every rule group aicost renders, and its alerts in the contract's order."""

    groups: tuple[RuleGroup, ...]
    alerts: tuple[Alert, ...]
    constants: tuple[Constant, ...]  # the numbers behind the constants group's rules

    def severities(self) -> dict[str, set[str]]:
        """Alert name -> the severities its rules carry."""
        out: dict[str, set[str]] = {}
        for a in self.alerts:
            out.setdefault(a.name, set()).add(a.severity)
        return out

    def alert(self, key: tuple) -> Alert:
        """The alert of that key (name, severity, sorted extra labels, per team)."""
        return next(a for a in self.alerts if a.key == key)


def alerts_of(spec: Spec) -> tuple[Alert, ...]:
    """Every alert rule of a spec, enriched, in the contract's order (no recording rule built)."""
    order = {name: i for i, name in enumerate(n.ALERTS)}
    return tuple(sorted((enrich(spec, a) for d in DOMAINS for a in d.alerts(spec)), key=lambda a: order[a.name]))


def build(spec: Spec) -> Catalogue:
    """The catalogue of a spec: each group's recording rules, then the enriched alerts that read them."""
    alerts = alerts_of(spec)
    spend = [*price_rules(spec), *transfer_price_rules(spec), *ledger_rules(spec), *day_rules(spec), *month_rules(spec), *signal_rules(spec)]
    # The constants at least every minute whatever the interval (a 5m interval must not leave a
    # restarted Prometheus without budgets for 5 minutes), and no slower than the ledger: a group's
    # first evaluation waits for its slot in the interval, up to one interval after a start.
    constants_every = durations.render(min(60.0, spec.ledger_interval_seconds))
    numbers = tuple(constants(spec))
    groups = (RuleGroup(n.G_CONSTANTS, tuple(c.rule() for c in numbers), constants_every),
              RuleGroup(n.G_SPEND, (*spend, *(a for a in alerts if a.group == n.G_SPEND)), spec.evaluation_interval),
              RuleGroup(n.G_SIGNALS, (*usage_rules(spec), *(a for a in alerts if a.group == n.G_SIGNALS))),
              RuleGroup(n.G_HEALTH, tuple(a for a in alerts if a.group == n.G_HEALTH)))
    return Catalogue(groups, alerts, numbers)
