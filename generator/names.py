"""Every metric, label, recording-rule, rule-group and alert name aicost uses.

This module is the public contract: the exporter, the instrumentation library, the
rules and the dashboards import it, and it imports nothing, so a rename breaks a
test instead of a dashboard. Recorded series follow Prometheus'
``level:metric:operations`` convention, except the two names the seed's queries use.
"""

import hashlib

# --- raw metrics (emitted by the exporter and the instrumentation library) -------------
REQUEST_COST = "ai_request_cost_dollars"  # histogram
REQUEST_COST_BUCKETS = (0.0001, 0.001, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0)
API_TOKENS = "ai_api_tokens_total"  # counter
SPEND = "ai_spend_dollars_total"  # counter: every dollar, any category
GPU_UTILIZATION = "ai_gpu_utilization_percent"  # gauge
GPU_HOURLY_COST = "ai_gpu_hourly_cost_dollars"  # gauge
GPU_MEMORY_USED = "ai_gpu_memory_used_bytes"  # gauge
GPU_MEMORY_TOTAL = "ai_gpu_memory_total_bytes"  # gauge
GPU_POWER = "ai_gpu_power_watts"  # gauge
EXPORTER_ERRORS = "ai_exporter_errors_total"  # counter {gpu, reason}
UNPRICED_CALLS = "ai_unpriced_calls_total"  # counter {model}
TRACKING_ERRORS = "ai_tracking_errors_total"  # counter {reason}: calls the library refused to record
EXPORTER_HOST_INFO = "ai_exporter_host_info"  # gauge 1 {instance, the required tags}
# The budget guard of the instrumentation library (teams with `enforce: block`).
GUARD_STATE_AGE = "ai_guard_state_age_seconds"  # gauge: since the guard last read Alertmanager
GUARD_POLL_ERRORS = "ai_guard_poll_errors_total"  # counter {reason}
GUARD_DECISIONS = "ai_guard_decisions_total"  # counter {team, decision, reason}

# --- metrics of other tools, as those tools emit them (specs' `sources`; README: Sources) ---------
# LiteLLM proxy (litellm/types/integrations/prometheus.py): counters by team (a UUID), team_alias, model...
LITELLM_SPEND = "litellm_spend_metric_total"
LITELLM_INPUT_TOKENS = "litellm_input_tokens_metric_total"
LITELLM_OUTPUT_TOKENS = "litellm_output_tokens_metric_total"
# OpenTelemetry GenAI semantic conventions: the gen_ai.client.token.usage histogram's sum counts tokens.
OTEL_TOKEN_USAGE_SUM = {"underscore": "gen_ai_client_token_usage_sum", "utf8": "gen_ai.client.token.usage_sum"}
OTEL_TOKEN_TYPE = {"underscore": "gen_ai_token_type", "utf8": "gen_ai.token.type"}
OTEL_REQUEST_MODEL = {"underscore": "gen_ai_request_model", "utf8": "gen_ai.request.model"}
# vLLM (docs/design/metrics.md): tokens by model_name; no team, no price.
VLLM_PROMPT_TOKENS = "vllm:prompt_tokens_total"
VLLM_GENERATION_TOKENS = "vllm:generation_tokens_total"
VLLM_MODEL = "model_name"
# NVIDIA dcgm-exporter: utilization in percent by gpu, modelName and a host label (Hostname, hostname from #655).
DCGM_GPU_UTIL = "DCGM_FI_DEV_GPU_UTIL"
DCGM_MODEL_NAME = "modelName"
DCGM_HOST_LABELS = ("Hostname", "hostname")
# OpenCost (pkg/costmodel/metrics.go): GPUs allocated per container, dollars per GPU-hour per node.
OPENCOST_GPU_ALLOCATION = "container_gpu_allocation"
OPENCOST_GPU_HOURLY_COST = "node_gpu_hourly_cost"
L_NAMESPACE = "namespace"
L_NODE = "node"
# Which source a contract series came from (absent: aicost's own library and exporter).
L_SOURCE = "source"
NATIVE_SOURCE = "aicost"
SOURCES = ("litellm", "otel", "vllm", "dcgm", "opencost")
API_SOURCES = (NATIVE_SOURCE, "litellm", "otel")  # what a team's `sources.api` may name
GPU_SOURCES = (NATIVE_SOURCE, "opencost", "vllm")  # what a team's `sources.gpu` may name

# prometheus_client appends these suffixes; rules query the exposed names.
REQUEST_COST_BUCKET = REQUEST_COST + "_bucket"

# --- labels -------------------------------------------------------------------------------
L_NAME = "__name__"
L_TEAM = "team"
L_PROJECT = "project"
L_CATEGORY = "category"
L_MODEL = "model"
L_DIRECTION = "direction"
L_ENDPOINT = "endpoint"
L_INSTANCE = "instance"
L_GPU = "gpu"
L_GPU_TYPE = "type"
L_ENVIRONMENT = "environment"
L_COST_CENTER = "cost_center"
L_OWNER = "owner"
L_PERIOD = "period"
L_SEVERITY = "severity"
L_TIER = "tier"
L_THRESHOLD = "threshold"
L_ANOMALY_DIRECTION = "direction"  # spike | drop, on AICostAnomaly (not a token direction)
L_REASON = "reason"
L_DAYS_AGO = "days_ago"
L_SCOPE = "scope"  # team | exporter, on AICostDataMissing
L_ACTION = "action"  # block | throttle, on AIBudgetGuard and aicost_team_enforce
L_JOB = "job"
L_LE = "le"
L_RULE_GROUP = "rule_group"  # Prometheus' own: "<rule file>;<group name>"
# The UTC day number (days since 1970-01-01) of a ledger entry modulo 2: today's entries and
# yesterday's are apart by label, so a plain one-day range sums exactly one calendar day.
L_DAY_PARITY = "day_parity"
DAY_PARITIES = ("even", "odd")
# A scratch label inside one expression (promql.sum_parts): never on a recorded series.
L_PART = "part"
TPC = (L_TEAM, L_PROJECT, L_CATEGORY)  # the level spend is allocated at

DIRECTIONS = ("input", "output")  # this order: the library relies on it
CATEGORIES = ("api", "compute", "inference", "training", "storage", "network", "other")
GPU_CATEGORIES = ("compute", "inference", "training")
PERIODS = ("daily", "monthly")
UNTAGGED = "untagged"
# The seed's required resource tags.
REQUIRED_TAGS = ("team", "project", "environment", "cost_center", "owner")

# Prometheus' own rule-group metrics (its self-scrape), which the health alerts read.
PROM_RULE_FAILURES = "prometheus_rule_evaluation_failures_total"
PROM_RULE_MISSED = "prometheus_rule_group_iterations_missed_total"
PROM_RULE_LAST_DURATION = "prometheus_rule_group_last_duration_seconds"
PROM_RULE_INTERVAL = "prometheus_rule_group_interval_seconds"
PROMETHEUS_SELF_METRICS = (PROM_RULE_FAILURES, PROM_RULE_MISSED, PROM_RULE_LAST_DURATION, PROM_RULE_INTERVAL)

# --- constants recorded from the spec (one small rule group) --------------------------------
C_TEAM_INFO = "aicost_team_info"  # 1 {team, owner, cost_center, environment}
C_TEAM_BUDGET = "aicost_team_budget_dollars"  # {team, period}
C_ORG_BUDGET = "aicost_org_budget_dollars"  # {period}
C_TEAM_THRESHOLD = "aicost_team_threshold"  # {team, threshold}: per-team overrides only
C_MODEL_PRICE = "aicost_model_price_dollars_per_token"  # {model, direction}
C_GPU_PRICE = "aicost_gpu_price_dollars_per_hour"  # {type}
C_TOKEN_BUDGET = "aicost_team_token_budget_tokens"  # {team, model}: per day
C_TRAINING_DEFAULT_BUDGET = "aicost_team_training_budget_dollars"  # {team}
C_EXPERIMENT_BUDGET = "aicost_experiment_budget_dollars"  # {team, project}
C_TIER_USERS = "aicost_tier_users"  # {team, tier}
C_TIER_REVENUE = "aicost_tier_revenue_per_user_dollars"  # {team, tier}: per month
C_TIER_PROJECT = "aicost_tier_project"  # 1 {team, tier, project}
C_TRANSFER_PRICE = "aicost_model_transfer_price_dollars_per_token"  # {model, direction}: self-hosted (vLLM)
C_TEAM_ENFORCE = "aicost_team_enforce"  # 1 {team, action}: what the library does past the team's budget

# --- recorded series ------------------------------------------------------------------------
# The two names the seed's dashboard queries use, kept verbatim.
DAILY_SPEND = "ai_daily_spend_dollars"  # {team, category}: spend since 00:00 UTC
BUDGET_UTILIZATION = "ai_budget_utilization_ratio"  # {team, period}
R_TPC_TODAY = "team_project_category:ai_spend_dollars:today"
R_TPC_YESTERDAY = "team_project_category:ai_spend_dollars:yesterday"
R_TPC_MONTH = "team_project_category:ai_spend_dollars:month_to_date"
R_TEAM_TODAY = "team:ai_spend_dollars:today"
R_TEAM_MONTH = "team:ai_spend_dollars:month_to_date"
R_TEAM_FORECAST = "team:ai_spend_dollars:month_forecast"
R_TEAM_HISTORY = "team_days_ago:ai_spend_dollars:same_time_of_day"
R_TEAM_HIST_COUNT = "team:ai_spend_dollars:same_time_history_count"
R_TEAM_HIST_MEAN = "team:ai_spend_dollars:same_time_history_mean"
R_TEAM_HIST_STDDEV = "team:ai_spend_dollars:same_time_history_stddev"
R_TEAM_ZSCORE = "team:ai_spend_dollars:zscore"
R_TEAM_WEEK = "team:ai_spend_dollars:increase7d"
R_ORG_TODAY = "org:ai_spend_dollars:today"
R_ORG_MONTH = "org:ai_spend_dollars:month_to_date"
R_TEAM_MODEL_TOKENS_TODAY = "team_model:ai_api_tokens:today"
R_UNPRICED_TOKENS_TODAY = "team_model:ai_api_tokens:unpriced_today"  # tokens no price covers, since 00:00 UTC
R_TEAM_ENDPOINT_P95 = "team_endpoint:ai_request_cost_dollars:p95_5m"
R_TEAM_ENDPOINT_P95_BASELINE = "team_endpoint:ai_request_cost_dollars:p95_7d"
R_TEAM_TIER_COST_PER_USER = "team_tier:ai_spend_dollars:month_to_date_per_user"
R_TEAM_PROJECT_TRAINING = "team_project:ai_spend_dollars:training_window"
R_GPU_IDLE_COST_TODAY = "instance_gpu:ai_gpu_idle_cost_dollars:today"

# The spend ledger (group aicost-spend): what each evaluation adds, exactly, from the raw counters.
R_LEDGER_HEARTBEAT = "aicost:ledger:evaluation_timestamp_seconds"  # time() of every ledger evaluation
# 1 while the ledger cannot tell a new series from one back from its own outage; absent otherwise
R_LEDGER_BIRTHS_UNTRUSTED = "aicost:ledger:births_untrusted"
# Per raw counter series (every raw label kept): its last sample, recorded at the evaluations after it
# went quiet (no sample in the ledger's recent read), and the latest of those within the lookback. Only
# series in a scrape gap, or gone, have them: the ledger's base for a series back from a long gap.
R_DEPARTED = {API_TOKENS: "series:ai_api_tokens_total:departed", SPEND: "series:ai_spend_dollars_total:departed"}
R_PARKED = {API_TOKENS: "series:ai_api_tokens_total:parked", SPEND: "series:ai_spend_dollars_total:parked"}
R_TPC_INCREMENT = "team_project_category:ai_spend_dollars:increment"  # dollars since the previous evaluation
R_TPC_INCREMENT_BY_DAY = "team_project_category:ai_spend_dollars:increment_by_day"  # the same, {day_parity}
R_TEAM_INCREMENT = "team:ai_spend_dollars:increment"
R_TMD_INCREMENT = "team_model_direction:ai_api_tokens:increment"  # tokens since the previous evaluation
R_TMD_INCREMENT_BY_DAY = "team_model_direction:ai_api_tokens:increment_by_day"
# Today as a running total per day parity (each evaluation adds its entry; recounted every ten
# minutes), and 1 while those totals are exact (0 after a long gap in the ledger, until a recount).
R_TPC_RUNNING = "team_project_category:ai_spend_dollars:today_running"  # {day_parity}
R_TM_TOKENS_RUNNING = "team_model:ai_api_tokens:today_running"  # {day_parity}
# The day's entries summed at the evaluation holding a ten-minute mark (recorded only then)
R_TPC_RECOUNT = "team_project_category:ai_spend_dollars:day_recount"  # {day_parity}
R_TM_TOKENS_RECOUNT = "team_model:ai_api_tokens:day_recount"  # {day_parity}
R_TODAY_TRUSTED = "aicost:ledger:today_trusted"
R_TPC_DAY_TOTAL = "team_project_category:ai_spend_dollars:day_total"  # the last complete UTC day, hourly
R_DAY_TOTAL_DATE = "aicost:day_total:date"  # the UTC day number the latest day_total samples are of
R_GPU_IDLE_INCREMENT = "instance_gpu:ai_gpu_idle_cost_dollars:increment"
R_GPU_IDLE_INCREMENT_BY_DAY = "instance_gpu:ai_gpu_idle_cost_dollars:increment_by_day"
R_TEAM_ENDPOINT_BUCKET_HOURLY = "team_endpoint_le:ai_request_cost_dollars_bucket:increase1h"

# --- rule groups and files -------------------------------------------------------------------
# Each dependency chain lives in one group (Prometheus runs a group's rules in order, groups in
# no guaranteed order): the spend chain and every alert on it in aicost-spend, request cost and
# GPUs in aicost-signals. The constants only change when the spec does.
G_CONSTANTS = "aicost-constants"
G_SPEND = "aicost-spend"
G_SIGNALS = "aicost-signals"
# aicost watching itself: reads Prometheus' own rule-group metrics and the other groups' output,
# so it lives apart (a stuck or failing spend group must not take its watcher down with it).
G_HEALTH = "aicost-health"

# --- alerts (names are a contract: runbooks and routes depend on them) ----------------------
A_DAILY_EXCEEDED = "AIDailyBudgetExceeded"
A_DAILY_WARNING = "AIDailyBudgetWarning"
A_MONTHLY_EXCEEDED = "AIMonthlyBudgetExceeded"
A_MONTHLY_WARNING = "AIMonthlyBudgetWarning"
A_MONTHLY_FORECAST = "AIMonthlyBudgetForecast"
A_ORG_EXCEEDED = "AIOrgBudgetExceeded"
A_ANOMALY = "AICostAnomaly"
A_GPU_IDLE = "AIGPUIdle"
A_COST_PER_REQUEST = "AICostPerRequestHigh"
A_TOKEN_BUDGET = "AITokenBudgetExceeded"
A_TREND = "AICostTrendUp"
A_COST_PER_USER = "AICostPerUserHigh"
A_TRAINING = "AITrainingJobOverBudget"
A_UNPRICED_TOKENS = "AIUnpricedTokens"
A_UNTAGGED = "AIUntaggedSpend"
A_DATA_MISSING = "AICostDataMissing"
A_RULE_FAILURES = "AICostRuleFailures"
A_RULE_GROUP_SLOW = "AICostRuleGroupSlow"
A_RULE_GROUP_MISSED = "AICostRuleGroupMissedEvaluations"
A_SPEND_STALE = "AICostSpendStale"
A_CONSTANTS_MISSING = "AICostConstantsMissing"
# The budget guard's own alerts: what the library polls (never inhibited, never rerouted), and its staleness.
A_BUDGET_GUARD = "AIBudgetGuard"
A_GUARD_STALE = "AIBudgetGuardStale"
GUARD_RECEIVER = "aicost-guard"  # the guard alert's fixed route: a receiver that notifies no one

# Labels an idle-GPU action's command template may use ({instance}...): those AIGPUIdle carries.
ACTION_LABELS = ("instance", "gpu", "type", "team", "project", "environment", "namespace", "pod", "container")
# Every decision `aicost act` writes to its audit log.
ACT_AUDIT_DECISIONS = ("dry_run", "running", "ran", "failed", "refused_production", "no_action", "duplicate", "invalid",
                       "resolved")

HEALTH_ALERTS = (A_RULE_FAILURES, A_RULE_GROUP_SLOW, A_RULE_GROUP_MISSED, A_SPEND_STALE, A_CONSTANTS_MISSING)
ALERTS = (
    A_DAILY_EXCEEDED, A_DAILY_WARNING, A_MONTHLY_EXCEEDED, A_MONTHLY_WARNING,
    A_MONTHLY_FORECAST, A_ORG_EXCEEDED, A_ANOMALY, A_GPU_IDLE, A_COST_PER_REQUEST,
    A_TOKEN_BUDGET, A_TREND, A_COST_PER_USER, A_TRAINING, A_UNPRICED_TOKENS, A_UNTAGGED, A_DATA_MISSING, *HEALTH_ALERTS,
    A_BUDGET_GUARD, A_GUARD_STALE,
)
SEVERITIES = ("critical", "warning", "info")
# In a route of alerting.yaml, this receiver name means "the alert's team's own receiver".
TEAM_RECEIVER = "team"

# --- files under rendered/ ----------------------------------------------------------------------
RULES_DIR = "prometheus/rules"
RULE_TESTS_DIR = "prometheus/tests"
PROMETHEUS_CONFIG = "prometheus/prometheus.yml"
ALERTMANAGER_CONFIG = "alertmanager/alertmanager.yml"
ALERTMANAGER_TEMPLATES_DIR = "alertmanager/templates"
ALERTMANAGER_TESTS = "alertmanager/route-tests.yml"
ALERTMANAGER_TEST_RUNNER = "alertmanager/test-routes.sh"
GRAFANA_DASHBOARDS_DIR = "grafana/dashboards"
GRAFANA_PROVISIONING_DIR = "grafana/provisioning"
EXPORTER_JOB = "aicost-exporter"
PROMETHEUS_JOB = "aicost-prometheus"  # Prometheus scraping itself: the health alerts read its rule metrics
APP_JOB = "aicost-apps"
SOURCE_JOB_PREFIX = "aicost-source-"  # + the source's name: one scrape job per configured source

OVERVIEW_DASHBOARD = "AI Cost Overview"
TEAM_DASHBOARD = "AI Cost: Team"  # one dashboard with a `team` variable; alerts link to it


def dashboard_uid(name: str) -> str:
    """Stable Grafana uid for a dashboard title (Grafana allows at most 40 characters)."""
    return "aicost-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:12]
