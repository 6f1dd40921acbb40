"""An alert of the contract as data, and the one enrichment pass every alert goes through."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from generator import names as n
from generator.catalogue.links import dashboard_link, runbook_url
from generator.model import Spec


@dataclass(frozen=True)
class Alert:
    """One alerting rule: its condition and texts in the annotation placeholder language.

    The domain modules fill in the first fields; `enrich` adds what every alert carries
    (its `for:`, runbook and dashboard links), so no domain module repeats them.
    """

    name: str
    severity: str
    expr: str
    summary: str
    description: str
    action: str
    labels: dict = field(default_factory=dict)  # besides severity, e.g. {"direction": "spike"}
    per_team: bool = True  # carries a `team` label; links to the team dashboard
    group: str = n.G_SPEND  # the rule group of the series it reads: a chain never crosses groups
    for_: str = ""
    runbook_url: str = ""
    dashboard: str = ""

    @property
    def all_labels(self) -> dict:
        """The labels the rule sets: severity and the extra ones."""
        return {n.L_SEVERITY: self.severity, **self.labels}

    @property
    def key(self) -> tuple:
        """What tells apart the rules of one alert name (severity, extra labels, scope)."""
        return self.name, self.severity, tuple(sorted(self.labels.items())), self.per_team


def enrich(spec: Spec, alert: Alert) -> Alert:
    """The cross-cutting pass: `for:`, runbook and dashboard links, the same for every alert."""
    return replace(alert, for_=spec.for_(alert.name), runbook_url=runbook_url(spec, alert.name),
                   dashboard=dashboard_link(spec, alert.per_team))
