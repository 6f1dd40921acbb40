"""The shape of every spec file: specs/org.yaml, prices.yaml, alerting.yaml, teams/<team>.yaml."""

from __future__ import annotations

import dataclasses
import re

from generator import names
from generator.model import Thresholds
from generator.policy import ALERT_FOR_DEFAULTS, FIXED_FOR
from generator.spec.types import (
    EMAIL_RE, LABEL_NAME_RE, LABEL_VALUE_RE, LABEL_VALUE_RULE,
    Bool, Field, ListOf, MapOf, Num, Obj, Str,
)
from generator.spec.sources_schema import (
    HOST_PORT, NAME, PRICE, SECRET_FILE, SOURCES, TARGET, TEAM_SOURCES, actions_obj, target_address,
)
from generator.spec.values import Duration, Url

LABEL_VALUE = Str(LABEL_VALUE_RE, LABEL_VALUE_RULE)
EMAIL = Str(EMAIL_RE, "an e-mail address such as lead@example.com")
DURATION = Duration()
POSITIVE_DURATION = Duration(positive=True)
URL = Url()
POSITIVE = Num(0, exclusive=True)

def _thresholds() -> dict:
    """name -> (type, default, description), from the model's one definition of the thresholds."""
    out = {}
    for f in dataclasses.fields(Thresholds):
        m = f.metadata
        out[f.name] = (Num(m["minimum"], exclusive=m["exclusive"], maximum=m["maximum"], integer=m["integer"]),
                       m["default"], m["about"])
    return out


THRESHOLDS = _thresholds()
ORG_ONLY_THRESHOLDS = {f.name for f in dataclasses.fields(Thresholds) if f.metadata["org_only"]}


def thresholds_obj(team: bool) -> Obj:
    """The thresholds map: defaults at org level, overrides (no defaults) at team level."""
    fields = {}
    for key, (typ, default, desc) in THRESHOLDS.items():
        if team and key in ORG_ONLY_THRESHOLDS:
            continue
        fields[key] = Field(typ, default=None if team else default, description=desc)
    return Obj(fields, description="threshold overrides for this team" if team else "thresholds, with the seed's defaults")



# The guard's alert has a fixed route of its own (no route of the spec can catch it).
ROUTABLE_ALERTS = tuple(a for a in names.ALERTS if a != names.A_BUDGET_GUARD)

K8S_NAME = Str(re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"),
               "a Kubernetes name: lower-case letters, digits and '-', at most 63, starting and ending alphanumeric")
K8S_LABEL_KEY = Str(re.compile(r"^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$"),
                    "a Kubernetes label key such as release or app.kubernetes.io/part-of")
K8S_LABEL_VALUE = Str(re.compile(r"^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$"),
                      "a Kubernetes label value: letters, digits, '-', '_', '.', at most 63, starting and ending alphanumeric")
K8S_LABELS = MapOf(K8S_LABEL_VALUE, key=K8S_LABEL_KEY)

DEPLOY = Obj({
    "kubernetes": Field(Obj({
        "namespace": Field(K8S_NAME, default="monitoring", description="namespace of every object"),
        "labels": Field(K8S_LABELS, default={}, description="labels on every object; kube-prometheus-stack only loads "
                                                            "rules labelled release: <its release name>"),
        "alertmanager": Field(Str(choices=("config", "secret")), default="config",
                              description="config: an AlertmanagerConfig object; secret: the plain configuration as "
                                          "the Secret alertmanager-<alertmanager_name>"),
        "alertmanager_name": Field(K8S_NAME, default="main", description="the Alertmanager object's name (secret mode)"),
        "secret_name": Field(K8S_NAME, default="aicost-alertmanager",
                             description="the Secret holding the receivers' keys, one key per *_file of alerting.yaml "
                                         "(its base name)"),
        "dashboards": Field(Str(choices=("configmap", "operator")), default="configmap",
                            description="configmap: ConfigMaps labelled grafana_dashboard: \"1\" for Grafana's sidecar; "
                                        "operator: GrafanaDashboard objects of grafana-operator"),
        "grafana_instance_selector": Field(K8S_LABELS, default={"dashboards": "grafana"},
                                           description="operator mode: the labels of the Grafana instances to serve them"),
    }), description="Prometheus Operator and Grafana objects under rendered/kubernetes/"),
    "mimir": Field(Obj({
        "namespace": Field(NAME, default="aicost", description="the rule namespace mimirtool loads the groups into"),
    }), description="Grafana Mimir / Cortex files under rendered/mimir/"),
    "thanos": Field(Obj({
        "partial_response_strategy": Field(Str(choices=("abort", "warn")), default="abort",
                                           description="abort: a rule over a partial answer fails instead of "
                                                       "recording too little spend"),
    }), description="Thanos Ruler files under rendered/thanos/"),
}, description="deployment targets rendered besides the plain Prometheus files")

ORG_FILE = Obj({
    "org": Field(Obj({
        "name": Field(LABEL_VALUE, required=True, description="organisation name shown on dashboards and mails"),
        "currency": Field(Str(choices=("USD",)), default="USD", description="currency of every amount in the spec"),
        "budget": Field(Obj({
            "daily": Field(POSITIVE, required=True, description="org-wide daily AI budget"),
            "monthly": Field(POSITIVE, required=True, description="org-wide monthly AI budget"),
        }), required=True),
    }), required=True),
    "links": Field(Obj({
        "runbook_base_url": Field(URL, required=True, description="runbook_url annotations are <base>#<alertname>"),
        "grafana_url": Field(URL, required=True, description="where the dashboards are served, for alert links"),
    }), required=True),
    "datasource": Field(Obj({
        "url": Field(URL, default="http://127.0.0.1:9090", description="Prometheus URL for the Grafana datasource"),
        "uid": Field(NAME, default="aicost-prometheus", description="Grafana datasource uid"),
    }), default={"url": "http://127.0.0.1:9090", "uid": "aicost-prometheus"}),
    "tags": Field(Obj({
        "required": Field(ListOf(Str(LABEL_NAME_RE, "a label name matching [a-zA-Z_][a-zA-Z0-9_]*"), min_items=1, unique=True),
                          default=names.REQUIRED_TAGS, description="tags every resource must carry"),
    }), default={"required": names.REQUIRED_TAGS}),
    "thresholds": Field(thresholds_obj(team=False), default={}),
    "alert_for": Field(Obj({a: Field(DURATION, default=d) for a, d in ALERT_FOR_DEFAULTS.items() if a not in FIXED_FOR},
                           description="how long each alert's condition must hold before it fires"), default={}),
    "evaluation_interval": Field(POSITIVE_DURATION, default="1m",
                                 description="rule evaluation interval, and the spend ledger's window: it divides a day, "
                                             "at most 1h"),
    "scrape_interval": Field(POSITIVE_DURATION, default="15s", description="scrape interval of the exporter and app jobs (at most 5m)"),
    "spend_lookback": Field(POSITIVE_DURATION, default="3h",
                            description="how far back the spend ledger looks for a counter's last value: a scrape gap up "
                                        "to this long loses nothing (longer costs more per evaluation)"),
    "spend_delay": Field(DURATION, default="10s",
                         description="how far behind the clock the spend ledger reads the raw counters: longer than "
                                     "your slowest spend scrape, so no sample arrives after its window was counted "
                                     "(at most 5m)"),
    "untagged_spend_window": Field(POSITIVE_DURATION, default="1h", description="AIUntaggedSpend looks at spend in this window"),
    "training_window": Field(POSITIVE_DURATION, default="30d",
                             description="an experiment's spend is its spend over this many whole days"),
    "silence_window": Field(POSITIVE_DURATION, default="30m", description="AICostDataMissing: silent this long after reporting in the last day"),
    "finance_emails": Field(ListOf(EMAIL, unique=True), default=(),
                            description="who gets the cost report with --send, besides every team owner"),
    "exporter_targets": Field(ListOf(TARGET, unique=True, unique_key=target_address), default=("127.0.0.1:9400",),
                              description="scrape targets of the aicost GPU exporter"),
    "app_targets": Field(ListOf(TARGET, unique=True, unique_key=target_address), default=(),
                         description="scrape targets of applications instrumented with track_ai_call"),
    "alertmanager_targets": Field(ListOf(HOST_PORT, unique=True), default=("127.0.0.1:9093",)),
    "prometheus_self_target": Field(HOST_PORT, default="127.0.0.1:9090",
                                    description="this Prometheus' own address: it scrapes itself (job aicost-prometheus) "
                                                "so that aicost's health alerts see its rule evaluations"),
    "deploy": Field(DEPLOY, default={}),
    "sources": Field(SOURCES, default={}),
    "actions": Field(actions_obj(team=False), default={}),
})

PRICES_FILE = Obj({
    "models": Field(MapOf(Obj({
        **PRICE,
        "aliases": Field(ListOf(Str(LABEL_VALUE_RE, LABEL_VALUE_RULE), unique=True), default=(),
                         description="the same model as vendors and proxies write it (openai/gpt-4o, "
                                     "claude-3-5-sonnet@20240620): one price serves them all"),
    })), required=True, description="API model prices"),
    "gpus": Field(MapOf(Obj({
        "hourly": Field(POSITIVE, required=True, description="dollars per GPU-hour"),
        "nvml_names": Field(ListOf(Str(LABEL_VALUE_RE, LABEL_VALUE_RULE), unique=True), default=(),
                            description="NVML device names (substrings) of this type; default: the type name"),
    })), required=True, description="GPU types and their hourly prices"),
})

_RECEIVER = Obj({
    "pagerduty": Field(Obj({
        "routing_key_file": Field(SECRET_FILE, required=True),
    })),
    "slack": Field(Obj({
        "channel": Field(Str(LABEL_VALUE_RE, "a Slack channel such as #ai-costs"), required=True),
        "api_url_file": Field(SECRET_FILE, required=True),
    })),
    "email": Field(Obj({
        "to": Field(ListOf(EMAIL, min_items=1, unique=True), required=True),
    })),
    "webhook": Field(Obj({
        "url": Field(URL, required=True, description="the webhook URL, without credentials (Alertmanager 0.25 has no url_file)"),
        "credentials_file": Field(SECRET_FILE, description="bearer token file, sent as Authorization: Bearer"),
    })),
}, description="exactly one of pagerduty, slack, email, webhook")

_TIMING = Obj({
    "group_wait": Field(DURATION),
    "group_interval": Field(POSITIVE_DURATION),
    "repeat_interval": Field(POSITIVE_DURATION),
})

ALERTING_FILE = Obj({
    "receivers": Field(MapOf(_RECEIVER), required=True, description="who can be notified"),
    "default_receiver": Field(NAME, required=True, description="gets what no route matches and teams without a channel"),
    "routes": Field(ListOf(Obj({
        "alerts": Field(ListOf(Str(choices=ROUTABLE_ALERTS), unique=True), description="alert names; empty = any"),
        "severity": Field(Str(choices=names.SEVERITIES), description="only alerts of this severity"),
        "receivers": Field(ListOf(NAME, min_items=1, unique=True), required=True,
                           description="receivers to notify; 'team' = the alert's team's own receiver"),
    }), min_items=1), required=True, description="first match wins; an alert reaches every receiver of its route"),
    "timing": Field(Obj({
        "critical": Field(_TIMING, default={}),
        "warning": Field(_TIMING, default={}),
    }), default={}),
    "smtp": Field(Obj({
        "smarthost": Field(HOST_PORT, required=True),
        "from": Field(EMAIL, required=True),
        "auth_username": Field(LABEL_VALUE),
        "auth_password_file": Field(SECRET_FILE),
        "require_tls": Field(Bool(), default=True),
    })),
})

TEAM_FILE = Obj({
    "owner": Field(EMAIL, required=True, description="the team lead; gets the weekly report"),
    "cost_center": Field(LABEL_VALUE, required=True, description="finance cost center code"),
    "environment": Field(Str(choices=("production", "staging", "dev")), default="production"),
    "projects": Field(ListOf(NAME, min_items=1, unique=True), required=True),
    "budget": Field(Obj({
        "daily": Field(POSITIVE, required=True),
        "monthly": Field(POSITIVE, required=True),
    }), required=True),
    "token_budgets": Field(MapOf(Num(0, exclusive=True, integer=True), description="model -> tokens per day"), default={}),
    "training": Field(Obj({
        "default_budget": Field(POSITIVE, description="budget of an experiment without its own"),
        "experiments": Field(MapOf(POSITIVE), default={}, description="experiment (project) -> budget"),
    }), default={}),
    "user_tiers": Field(MapOf(Obj({
        "users": Field(Num(0, exclusive=True, integer=True), required=True),
        "revenue_per_user": Field(POSITIVE, required=True, description="monthly revenue per user"),
        "projects": Field(ListOf(NAME, min_items=1, unique=True), required=True,
                          description="projects whose spend serves this tier"),
    })), default={}),
    "receiver": Field(NAME, description="the team's own receiver (from alerting.yaml); default: default_receiver"),
    "thresholds": Field(thresholds_obj(team=True), default={}),
    "enforce": Field(Obj({
        "mode": Field(Str(choices=("notify", "throttle", "block")), default="notify",
                      description="block: the instrumentation library refuses the team's calls (BudgetExceeded) while "
                                  "its daily or monthly budget is exceeded; throttle: the same, and past budget_warning "
                                  "at most per_minute calls a minute per process; notify: alerts only"),
        "per_minute": Field(POSITIVE, description="throttle: calls a minute, per process, past the warning level"),
        "on_stale": Field(Str(choices=("allow", "block")), default="allow",
                          description="when the library cannot read Alertmanager for too long: allow calls, or block them"),
        "exempt_projects": Field(ListOf(NAME, unique=True), default=(), description="projects never blocked"),
        "exempt_endpoints": Field(ListOf(Str(LABEL_VALUE_RE, LABEL_VALUE_RULE), unique=True), default=(),
                                  description="endpoints never blocked (a production incident must not be stopped)"),
        "reserve": Field(Bool(), default=False,
                         description="a harder cap: before each call the library reserves its maximum cost (max tokens "
                                     "at the model's price) against the day's budget left, read from Prometheus"),
    }), default={}, description="budget enforcement by the instrumentation library (default: notify only)"),
    "sources": Field(TEAM_SOURCES, default={}),
    "actions": Field(actions_obj(team=True), default={}),
})

FILES = {"org.yaml": ORG_FILE, "prices.yaml": PRICES_FILE, "alerting.yaml": ALERTING_FILE, "teams/<team>.yaml": TEAM_FILE}


def json_schemas() -> dict:
    """JSON Schema of each spec file, keyed by its path under specs/."""
    out = {}
    for path, obj in FILES.items():
        s = obj.json_schema()
        s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        s["title"] = f"aicost specs/{path}"
        out[path] = s
    return out
