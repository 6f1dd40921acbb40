"""The one URL scheme of the Grafana dashboards, for alert annotations and dashboard panel links."""

from __future__ import annotations

from generator import names as n
from generator.model import Spec


def team_dashboard_path(team: str) -> str:
    """Path of the team dashboard with `team` selected; `team` may be a placeholder of any template language."""
    return f"/d/{n.dashboard_uid(n.TEAM_DASHBOARD)}/team?var-team={team}"


def overview_path() -> str:
    """Path of the overview dashboard."""
    return f"/d/{n.dashboard_uid(n.OVERVIEW_DASHBOARD)}/overview"


def dashboard_link(spec: Spec, per_team: bool) -> str:
    """The dashboard annotation, in the annotation placeholder language: a per-team alert lands
    on the team dashboard with its team selected, the others on the overview."""
    return spec.grafana_url + (team_dashboard_path("{label:team}") if per_team else overview_path())


def runbook_url(spec: Spec, alert: str) -> str:
    """The runbook of an alert: <runbook_base_url>#<alert name, lower case>."""
    return f"{spec.runbook_base_url}#{alert.lower()}"


def act_preview_url(spec: Spec, labels: dict[str, str]) -> str:
    """`aicost act`'s read-only preview of what it would do for an idle GPU with these labels (placeholders allowed)."""
    return f"{spec.act_url}/preview?" + "&".join(f"{k}={v}" for k, v in labels.items())
