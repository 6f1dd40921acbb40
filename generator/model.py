"""The resolved model of a spec: frozen, cross-checked, what every renderer reads."""

from __future__ import annotations

from dataclasses import dataclass, field

from generator import names as n
from generator.deploy_model import Deploy, Kubernetes, Mimir, Thanos, secret_files, secret_key  # noqa: F401
from generator.durations import seconds
from generator.sources_model import Source, TeamSources


def _threshold(default: float, about: str, minimum: float = 0, exclusive: bool = True, maximum: float | None = None,
               integer: bool = False, org_only: bool = False):
    """A threshold field: its default, bounds and meaning, which the spec schema is built from."""
    return field(metadata={"default": default, "about": about, "minimum": minimum, "exclusive": exclusive,
                           "maximum": maximum, "integer": integer, "org_only": org_only})


@dataclass(frozen=True)
class Thresholds:
    """Alert thresholds (org defaults, or a team's effective values); every one is overridable per team
    unless org_only. This is their one definition: the spec schema reads names, defaults and bounds here."""

    budget_warning: float = _threshold(0.8, "warn when spend reaches this share of a budget", maximum=10)
    budget_exceeded: float = _threshold(1.0, "page when spend reaches this share of a budget", maximum=10)
    org_budget_exceeded: float = _threshold(1.1, "page when the whole organisation reaches this share of its budget",
                                            maximum=10, org_only=True)
    budget_gauge_red: float = _threshold(0.95, "dashboards: budget gauges turn red from this share (yellow from "
                                               "budget_warning)", maximum=10, org_only=True)
    anomaly_z_warning: float = _threshold(2.5, "abs(z-score) of today's spend that warns", maximum=100)
    anomaly_z_critical: float = _threshold(4.0, "z-score of a spend spike that pages", maximum=100)
    # The window sets how many `offset Nd` terms the history rule has, so it is one number for all.
    anomaly_window_days: int = _threshold(14, "days of history the z-score compares with", 2, False, 28, True, True)
    anomaly_min_history_days: int = _threshold(7, "no anomaly verdict before this many days of history", 2, False, 28, True)
    gpu_idle_percent: float = _threshold(10.0, "a GPU below this utilization is idle", maximum=100)
    cost_per_request_factor: float = _threshold(2.0, "p95 cost per request above this multiple of its 7-day p95", 1,
                                                maximum=100)
    trend_week_over_week: float = _threshold(0.2, "warn when the last 7 days cost this much more than the 7 before",
                                             maximum=100)
    min_daily_spend: float = _threshold(5.0, "ratio and z-score alerts stay quiet below this many dollars a day",
                                        exclusive=False)
    forecast_min_days: int = _threshold(3, "no month-end forecast alert before this day of the month", 2, False, 27, True)
    rule_group_duration_share: float = _threshold(0.5, "AICostRuleGroupSlow: warn when an aicost rule group's evaluation "
                                                       "takes this share of its interval", maximum=1, org_only=True)


@dataclass(frozen=True)
class ModelPrice:
    """Dollars per 1M input and output tokens of one API model."""

    name: str
    input_per_million: float
    output_per_million: float
    aliases: tuple[str, ...] = ()  # the same model as vendors and proxies write it: openai/gpt-4o, gpt-4o@2024-08-06

    @property
    def names(self) -> tuple[str, ...]:
        """The model's name and its aliases: every `model` label value this price serves."""
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class GpuPrice:
    """Dollars per GPU-hour of one GPU type, and the NVML names that map to it."""

    name: str
    hourly: float
    nvml_names: tuple[str, ...]


@dataclass(frozen=True)
class UserTier:
    """A tier of users whose cost must stay below its revenue."""

    name: str
    users: int
    revenue_per_user: float
    projects: tuple[str, ...]


@dataclass(frozen=True)
class Enforce:
    """How the instrumentation library enforces a team's budget."""

    mode: str = "notify"  # notify | throttle (past the warning level, then block) | block
    on_stale: str = "allow"  # allow | block: when the guard's state is too old
    exempt_projects: tuple[str, ...] = ()
    exempt_endpoints: tuple[str, ...] = ()
    per_minute: float | None = None  # throttle: calls a minute per process past the warning level
    reserve: bool = False  # a harder cap: each call's maximum cost reserved against the day's budget left

    @property
    def actions(self) -> tuple[str, ...]:
        """What the guard does for this team: block past the exceeded level, throttle past the warning."""
        return {"block": ("block",), "throttle": ("block", "throttle")}.get(self.mode, ())


@dataclass(frozen=True)
class Team:
    """One team, with its effective thresholds and only-overridden ones apart."""

    name: str
    file: str
    owner: str
    cost_center: str
    environment: str
    projects: tuple[str, ...]
    daily_budget: float
    monthly_budget: float
    token_budgets: tuple[tuple[str, int], ...]
    training_default_budget: float | None
    experiments: tuple[tuple[str, float], ...]
    user_tiers: tuple[UserTier, ...]
    receiver: str
    thresholds: Thresholds
    overrides: tuple[tuple[str, float], ...]
    enforce: Enforce = field(default=Enforce())
    sources: TeamSources = field(default=TeamSources())
    idle_gpu_action: str = ""  # `aicost act`'s command template for the team's idle GPUs (the org's if unset)

    def source_ids(self, source: str) -> tuple[str, ...]:
        """The values that mean this team in a source's team label."""
        return {"litellm": self.sources.litellm, "otel": self.sources.otel}.get(source, ()) or (self.name,)

    @property
    def source_project(self) -> str:
        """The project source spend without one is booked to."""
        return self.sources.project or self.projects[0]


@dataclass(frozen=True)
class Receiver:
    """A notification target; secrets only as file paths."""

    name: str
    kind: str  # pagerduty | slack | email | webhook
    settings: tuple[tuple[str, object], ...]

    def get(self, key: str, default=None):
        """One setting of the receiver."""
        return dict(self.settings).get(key, default)


@dataclass(frozen=True)
class Route:
    """Alerts (by name and severity) and the receivers they reach; 'team' = the team's own."""

    alerts: tuple[str, ...]
    severity: str | None
    receivers: tuple[str, ...]


@dataclass(frozen=True)
class Timing:
    """Alertmanager grouping timers for one severity."""

    group_wait: str
    group_interval: str
    repeat_interval: str


@dataclass(frozen=True)
class Tls:
    """TLS settings Prometheus uses to scrape a target (files on the Prometheus host)."""

    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    server_name: str | None = None
    insecure_skip_verify: bool = False


@dataclass(frozen=True)
class BasicAuth:
    """HTTP basic auth for a scrape target; the password only as a file."""

    username: str
    password_file: str


@dataclass(frozen=True)
class ScrapeTarget:
    """host:port and how Prometheus connects to it."""

    address: str
    scheme: str = "http"
    tls: Tls | None = None
    basic_auth: BasicAuth | None = None


@dataclass(frozen=True)
class Smtp:
    """SMTP settings for e-mail receivers and the weekly report."""

    smarthost: str
    sender: str
    auth_username: str | None
    auth_password_file: str | None
    require_tls: bool


@dataclass(frozen=True)
class Spec:
    """The resolved spec: everything the renderers need, checked and cross-referenced."""

    org_name: str
    org_daily_budget: float
    org_monthly_budget: float
    runbook_base_url: str
    grafana_url: str
    datasource_url: str
    datasource_uid: str
    required_tags: tuple[str, ...]
    thresholds: Thresholds
    alert_for: tuple[tuple[str, str], ...]
    evaluation_interval: str
    scrape_interval: str
    spend_lookback: str
    untagged_spend_window: str
    training_window: str
    silence_window: str
    finance_emails: tuple[str, ...]
    exporter_targets: tuple[ScrapeTarget, ...]
    app_targets: tuple[ScrapeTarget, ...]
    alertmanager_targets: tuple[str, ...]
    prometheus_self_target: str
    models: tuple[ModelPrice, ...]
    gpus: tuple[GpuPrice, ...]
    teams: tuple[Team, ...]
    receivers: tuple[Receiver, ...]
    default_receiver: str
    routes: tuple[Route, ...]
    timing: tuple[tuple[str, Timing], ...]
    smtp: Smtp | None = field(default=None)
    deploy: Deploy = field(default=Deploy())
    sources: tuple[Source, ...] = ()
    spend_delay: str = "10s"  # the ledger reads the raw counters this far behind its evaluation time
    act_url: str = ""  # where `aicost act` answers (the dashboards' preview buttons)

    def source(self, kind: str) -> Source | None:
        """The configured source of that kind, if any."""
        return next((s for s in self.sources if s.kind == kind), None)

    def truth_teams(self, source: str) -> list[Team]:
        """The teams whose API or GPU spend is counted from `source`."""
        return [t for t in self.teams if t.sources.counts(source)]

    @property
    def ledger_interval_seconds(self) -> float:
        """The ledger's window: its rule group runs at the evaluation interval."""
        return seconds(self.evaluation_interval)

    @property
    def spend_delay_seconds(self) -> float:
        """How far behind its evaluation the ledger reads the raw counters."""
        return seconds(self.spend_delay)

    @property
    def training_window_days(self) -> int:
        """training_window in days (the spec allows whole days only)."""
        return round(seconds(self.training_window) / 86400)

    def for_(self, alert: str) -> str:
        """The `for:` duration of an alert."""
        return dict(self.alert_for)[alert]

    def team(self, name: str) -> Team:
        """The team of that name."""
        return next(t for t in self.teams if t.name == name)
