"""The resolved model: frozen, cross-checked, what every renderer reads."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Thresholds:
    """Alert thresholds (org defaults, or a team's effective values)."""

    budget_warning: float
    budget_exceeded: float
    org_budget_exceeded: float
    budget_gauge_red: float
    anomaly_z_warning: float
    anomaly_z_critical: float
    anomaly_window_days: int
    anomaly_min_history_days: int
    gpu_idle_percent: float
    cost_per_request_factor: float
    trend_week_over_week: float
    min_daily_spend: float
    forecast_min_days: int


@dataclass(frozen=True)
class ModelPrice:
    """Dollars per 1M input and output tokens of one API model."""

    name: str
    input_per_million: float
    output_per_million: float


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
class Model:
    """Everything the renderers need, resolved from specs/."""

    org_name: str
    currency: str
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
    untagged_spend_window: str
    training_window: str
    silence_window: str
    finance_emails: tuple[str, ...]
    exporter_targets: tuple[ScrapeTarget, ...]
    app_targets: tuple[ScrapeTarget, ...]
    alertmanager_targets: tuple[str, ...]
    models: tuple[ModelPrice, ...]
    gpus: tuple[GpuPrice, ...]
    teams: tuple[Team, ...]
    receivers: tuple[Receiver, ...]
    default_receiver: str
    routes: tuple[Route, ...]
    timing: tuple[tuple[str, Timing], ...]
    smtp: Smtp | None = field(default=None)

    def for_(self, alert: str) -> str:
        """The `for:` duration of an alert."""
        return dict(self.alert_for)[alert]

    def team(self, name: str) -> Team:
        """The team of that name."""
        return next(t for t in self.teams if t.name == name)

    def receiver(self, name: str) -> Receiver:
        """The receiver of that name."""
        return next(r for r in self.receivers if r.name == name)
