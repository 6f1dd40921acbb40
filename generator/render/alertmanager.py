"""Alertmanager: receivers, the route tree, inhibitions and the notification templates."""

from __future__ import annotations

from importlib import resources

from generator import names as n
from generator.catalogue import Catalogue
from generator.model import Route, Spec
from generator.policy import INHIBITS

TEMPLATE_FILE = "aicost.tmpl"


def _matchers(route: Route) -> list[str]:
    m = []
    if route.alerts:
        alerts = sorted(route.alerts)
        m.append(f'alertname="{alerts[0]}"' if len(alerts) == 1 else f'alertname=~"{"|".join(alerts)}"')
    if route.severity:
        m.append(f'severity="{route.severity}"')
    return m


def _timing(spec: Spec, severity: str) -> dict:
    t = dict(spec.timing)[severity]
    return {"group_wait": t.group_wait, "group_interval": t.group_interval, "repeat_interval": t.repeat_interval}


def _team_branch(spec: Spec) -> dict:
    """Per-team child routes to each team's own receiver; the rest falls back to the default."""
    routes = [{"matchers": [f'team="{t.name}"'], "receiver": t.receiver}
              for t in spec.teams if t.receiver != spec.default_receiver]
    branch = {"receiver": spec.default_receiver}
    if routes:
        branch["routes"] = routes
    return branch


def _route_severities(route: Route, severities: dict[str, set[str]]) -> set[str]:
    """The severities the alerts of a route can have (timing follows: pages are faster)."""
    if route.severity:
        return {route.severity}
    if route.alerts:
        return set().union(*(severities[a] for a in route.alerts))
    return {"warning"}


def _route(spec: Spec, route: Route, severities: dict[str, set[str]]) -> dict:
    sevs = _route_severities(route, severities)
    node = {"matchers": _matchers(route), **_timing(spec, "critical" if sevs == {"critical"} else "warning")}
    targets = [_team_branch(spec) if r == n.TEAM_RECEIVER else {"receiver": r} for r in route.receivers]
    if len(targets) == 1:
        node.update(targets[0])
        return node
    # An alert for several receivers: each child matches everything and all but the last continue.
    node["receiver"] = targets[0].get("receiver", spec.default_receiver)
    node["routes"] = [dict(t, **({"continue": True} if i < len(targets) - 1 else {})) for i, t in enumerate(targets)]
    return node


def _receiver(r) -> dict:
    send = {"send_resolved": True}
    if r.kind == "pagerduty":
        return {"pagerduty_configs": [{
            **send, "routing_key_file": r.get("routing_key_file"),
            "severity": '{{ if eq .CommonLabels.severity "critical" }}critical{{ else }}warning{{ end }}',
            "description": '{{ template "aicost.title" . }}',
            "details": {"summary": '{{ template "aicost.text" . }}'},
        }]}
    if r.kind == "slack":
        return {"slack_configs": [{
            **send, "channel": r.get("channel"), "api_url_file": r.get("api_url_file"),
            "title": '{{ template "aicost.title" . }}', "text": '{{ template "aicost.text" . }}',
            "color": '{{ if eq .Status "firing" }}{{ if eq .CommonLabels.severity "critical" }}danger{{ else }}warning{{ end }}{{ else }}good{{ end }}',
        }]}
    if r.kind == "email":
        return {"email_configs": [{
            **send, "to": ", ".join(r.get("to")),
            "headers": {"Subject": '{{ template "aicost.title" . }}'},
            "html": '{{ template "aicost.email.html" . }}',
        }]}
    cfg = {**send, "url": r.get("url")}
    if r.get("credentials_file"):
        cfg["http_config"] = {"authorization": {"type": "Bearer", "credentials_file": r.get("credentials_file")}}
    return {"webhook_configs": [cfg]}


def _inhibitions() -> list[dict]:
    """A critical alert silences its warning twin for the same team (and direction, for anomalies)."""
    out = []
    for source, target in INHIBITS:
        equal = ["team", n.L_ANOMALY_DIRECTION] if source == target else ["team"]
        out.append({"source_matchers": [f'alertname="{source}"', 'severity="critical"'],
                    "target_matchers": [f'alertname="{target}"', 'severity="warning"'], "equal": equal})
    return out


def render_alertmanager(spec: Spec, catalogue: Catalogue) -> dict:
    """alertmanager.yml as a dict."""
    severities = catalogue.severities()
    cfg = {
        "route": {
            "receiver": spec.default_receiver,
            "group_by": ["alertname", "team"],
            **_timing(spec, "warning"),
            # The guard's alert goes nowhere, before any route of the spec can catch it: the library
            # reads it from Alertmanager's API, and no routing change may reroute or drop it.
            "routes": [{"matchers": [f'alertname="{n.A_BUDGET_GUARD}"'], "receiver": n.GUARD_RECEIVER},
                       *(_route(spec, r, severities) for r in spec.routes)],
        },
        "receivers": [{"name": n.GUARD_RECEIVER}, *({"name": r.name, **_receiver(r)} for r in spec.receivers)],
        "inhibit_rules": _inhibitions(),
        "templates": [f"templates/{TEMPLATE_FILE}"],
    }
    if spec.smtp:
        g = {"smtp_smarthost": spec.smtp.smarthost, "smtp_from": spec.smtp.sender, "smtp_require_tls": spec.smtp.require_tls}
        if spec.smtp.auth_username:
            g["smtp_auth_username"] = spec.smtp.auth_username
        if spec.smtp.auth_password_file:
            g["smtp_auth_password_file"] = spec.smtp.auth_password_file
        cfg["global"] = g
    return cfg


def render_templates() -> dict[str, str]:
    """Notification templates, by file name (package data: Go templates are not Python's business)."""
    return {TEMPLATE_FILE: resources.files("generator.render").joinpath("templates", TEMPLATE_FILE).read_text("utf-8")}
