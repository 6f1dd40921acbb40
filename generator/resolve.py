"""specs/ -> Model: cross-check the schema-checked files and map them onto the frozen model.

Every problem is collected before anything aborts. A value the schema refused is None here,
so each step reads defensively and skips what it cannot check, instead of crashing on it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from generator import model as m
from generator import names as n
from generator.errors import Problems
from generator.policy import ALERT_FOR_DEFAULTS, TIMING_DEFAULTS
from generator.spec import schema
from generator.spec.deploy import check_secret_keys, resolve_deploy
from generator.spec.sources import action_template, check_source_names, resolve_sources, resolve_team_sources
from generator.spec.timing import check_intervals
from generator.spec.files import TOP_FILES, SpecFiles, read_spec_files
from generator.spec.types import Ctx, dotted
from generator.spec.yamlload import Document



def _map(value) -> dict:
    """A checked map, or {} where the schema refused it."""
    return value if isinstance(value, dict) else {}


def _thresholds(values: dict) -> m.Thresholds:
    return m.Thresholds(**values)


def _check_threshold_order(t: m.Thresholds, err) -> None:
    if t.budget_warning >= t.budget_exceeded:
        err("budget_warning", f"{t.budget_warning:g} must be below budget_exceeded ({t.budget_exceeded:g})")
    if t.anomaly_z_warning >= t.anomaly_z_critical:
        err("anomaly_z_warning", f"{t.anomaly_z_warning:g} must be below anomaly_z_critical ({t.anomaly_z_critical:g})")
    if t.anomaly_min_history_days > t.anomaly_window_days:
        err("anomaly_min_history_days",
            f"{t.anomaly_min_history_days} is more than anomaly_window_days ({t.anomaly_window_days})")


def _org_thresholds(spec: SpecFiles, problems: Problems) -> dict:
    """The org's effective thresholds: the schema's defaults under org.yaml's values."""
    given = {k: v for k, v in _map(spec.data["org.yaml"].get("thresholds")).items() if v is not None}
    values = {**{k: v[1] for k, v in schema.THRESHOLDS.items()}, **given}
    ctx = Ctx(spec.docs["org.yaml"], problems)
    _check_threshold_order(_thresholds(values), lambda k, msg: ctx.error(("thresholds", k), msg))
    return values


def _required_tags(spec: SpecFiles, problems: Problems) -> tuple[str, ...]:
    required = tuple(_map(spec.data["org.yaml"].get("tags")).get("required") or ())
    ctx = Ctx(spec.docs["org.yaml"], problems)
    for tag in ("team", "project"):
        if required and tag not in required:
            ctx.error(("tags", "required"), f"'{tag}' must stay required: spend is allocated by team and project")
    return required


def _receivers(spec: SpecFiles, problems: Problems) -> tuple[m.Receiver, ...]:
    ctx = Ctx(spec.docs["alerting.yaml"], problems)
    out = []
    for name, r in sorted(_map(spec.data["alerting.yaml"].get("receivers")).items()):
        path = ("receivers", name)
        if name == n.TEAM_RECEIVER:
            ctx.error(path, f"'{n.TEAM_RECEIVER}' is reserved: in routes it means the alert's team's own receiver")
            continue
        kinds = [k for k, v in _map(r).items() if v is not None]
        if len(kinds) != 1:
            found = ", ".join(kinds) if kinds else "none"
            ctx.error(path, f"a receiver has exactly one of pagerduty, slack, email, webhook; found: {found}")
            continue
        kind = kinds[0]
        settings = _map(r[kind])
        out.append(m.Receiver(name, kind, tuple(sorted((k, v) for k, v in settings.items() if v is not None))))
    return tuple(out)


def _routes(spec: SpecFiles, receivers: set[str], problems: Problems) -> tuple[m.Route, ...]:
    ctx = Ctx(spec.docs["alerting.yaml"], problems)
    allowed = ", ".join(sorted(receivers | {n.TEAM_RECEIVER}))
    out = []
    for i, r in enumerate(spec.data["alerting.yaml"].get("routes") or ()):
        if not isinstance(r, dict):
            continue
        for j, rec in enumerate(r["receivers"] or ()):
            if rec not in receivers and rec != n.TEAM_RECEIVER:
                ctx.error(("routes", i, "receivers", j), f"receiver '{rec}' is not defined; defined: {allowed}")
        out.append(m.Route(tuple(r["alerts"] or ()), r["severity"], tuple(r["receivers"] or ())))
    return tuple(out)


def _tiers(d: dict, projects: tuple, ctx: Ctx) -> tuple[m.UserTier, ...]:
    tiers, tier_of = [], {}
    for tname, t in sorted(_map(d["user_tiers"]).items()):
        for j, p in enumerate(t["projects"] or ()):
            where = ("user_tiers", tname, "projects", j)
            if p not in projects:
                ctx.error(where, f"project '{p}' is not one of the team's projects: {', '.join(projects)}")
            elif p in tier_of:
                ctx.error(where, f"project '{p}' already serves tier '{tier_of[p]}'; a project serves one tier")
            else:
                tier_of[p] = tname
        if t["users"] is not None and t["revenue_per_user"] is not None:
            tiers.append(m.UserTier(tname, t["users"], t["revenue_per_user"], tuple(t["projects"] or ())))
    return tuple(tiers)


def _team(name: str, doc: Document, d: dict, org_t: dict, prices: set[str], receivers: set[str],
          default_receiver: str, configured: set[str], org_action: str, problems: Problems) -> m.Team | None:
    ctx = Ctx(doc, problems, ("teams", name))
    overrides = {k: v for k, v in _map(d["thresholds"]).items() if v is not None}
    effective = _thresholds({**org_t, **overrides})
    _check_threshold_order(effective, lambda k, msg: ctx.error(("thresholds", k), msg + " (after this team's overrides)"))
    budget = _map(d["budget"])
    if budget.get("daily") and budget.get("monthly") and budget["daily"] > budget["monthly"]:
        ctx.error(("budget", "daily"), f"{budget['daily']:g} is more than the monthly budget ({budget['monthly']:g})")
    priced = ", ".join(sorted(prices)) or "none"
    for model in _map(d["token_budgets"]):
        if model not in prices:
            ctx.error(("token_budgets", model), f"model '{model}' has no price; priced models (prices.yaml): {priced}")
    if d["receiver"] and d["receiver"] not in receivers:
        ctx.error(("receiver",), f"receiver '{d['receiver']}' is not defined in alerting.yaml; "
                                 f"defined: {', '.join(sorted(receivers))}")
    projects = tuple(d["projects"] or ())
    tiers = _tiers(d, projects, ctx)
    sources = resolve_team_sources(d.get("sources"), projects, configured, ctx)
    action = action_template(_map(d.get("actions")).get("idle_gpu"), ctx, ("actions", "idle_gpu")) or org_action
    if any(d.get(k) is None for k in ("owner", "cost_center", "environment")) or not projects \
            or budget.get("daily") is None or budget.get("monthly") is None:
        return None  # the schema has reported what is missing or refused
    training = _map(d["training"])
    return m.Team(
        name=name, file=doc.file, owner=d["owner"], cost_center=d["cost_center"],
        environment=d["environment"], projects=projects,
        daily_budget=budget["daily"], monthly_budget=budget["monthly"],
        token_budgets=tuple(sorted(_map(d["token_budgets"]).items())),
        training_default_budget=training.get("default_budget"),
        experiments=tuple(sorted(_map(training.get("experiments")).items())),
        user_tiers=tiers, receiver=d["receiver"] or default_receiver, thresholds=effective,
        overrides=tuple(sorted(overrides.items())), enforce=_enforce(d, projects, ctx), sources=sources,
        idle_gpu_action=action,
    )


def _enforce(d: dict, projects: tuple, ctx: Ctx) -> m.Enforce:
    e = _map(d.get("enforce"))
    exempt = tuple(e.get("exempt_projects") or ())
    for p in exempt:
        if p not in projects:
            ctx.error(("enforce", "exempt_projects"), f"project '{p}' is not a project of this team; its projects: "
                                                      f"{', '.join(projects)}")
    mode = e.get("mode") or "notify"
    if mode == "throttle" and not e.get("per_minute"):
        ctx.error(("enforce", "per_minute"), "missing; mode throttle needs the calls a minute it allows past the warning level")
    return m.Enforce(mode, e.get("on_stale") or "allow", exempt, tuple(e.get("exempt_endpoints") or ()), e.get("per_minute"),
                     bool(e.get("reserve")))


def _org_budget_warnings(spec: SpecFiles, teams: list[m.Team], problems: Problems) -> None:
    budget = _map(_map(spec.data["org.yaml"].get("org")).get("budget"))
    doc = spec.docs["org.yaml"]
    for period, total in (("daily", sum(t.daily_budget for t in teams)),
                          ("monthly", sum(t.monthly_budget for t in teams))):
        if budget.get(period) and total > budget[period]:
            path = ("org", "budget", period)
            problems.warn(doc.file, doc.line(path), dotted(path),
                          f"team {period} budgets add up to {total:,.2f}, more than the org budget {budget[period]:,.2f}")


def _target(t, ctx: Ctx, where: tuple) -> m.ScrapeTarget:
    """A scrape target from its shorthand (host:port) or full form; TLS needs https."""
    if isinstance(t, str):
        return m.ScrapeTarget(t)
    tls, auth = _map(t["tls"]), _map(t["basic_auth"])
    if tls and t["scheme"] != "https":
        ctx.error(where + ("scheme",), "tls settings need scheme: https")
    if bool(tls.get("cert_file")) != bool(tls.get("key_file")):
        ctx.error(where + ("tls",), "cert_file and key_file go together (a client certificate and its key)")
    return m.ScrapeTarget(t["target"], t["scheme"] or "http",
                          m.Tls(**{k: v for k, v in tls.items() if v is not None}) if tls else None,
                          m.BasicAuth(auth["username"], auth["password_file"]) if auth else None)


def _targets(spec: SpecFiles, key: str, problems: Problems) -> tuple[m.ScrapeTarget, ...]:
    """The scrape targets of one org.yaml list."""
    ctx = Ctx(spec.docs["org.yaml"], problems)
    return tuple(_target(t, ctx, (key, i)) for i, t in enumerate(spec.data["org.yaml"].get(key) or ()))


def _timing(alerting: dict) -> tuple[tuple[str, m.Timing], ...]:
    given = _map(alerting.get("timing"))
    out = []
    for sev, defaults in TIMING_DEFAULTS.items():
        mine = _map(given.get(sev))
        out.append((sev, m.Timing(*(mine.get(k) or d for k, d in zip(("group_wait", "group_interval", "repeat_interval"),
                                                                        defaults)))))
    return tuple(out)


def _model(spec: SpecFiles, org_t: dict, required: tuple, receivers, default_receiver, routes, teams,
           targets: dict) -> m.Spec:
    org, prices, alerting = spec.data["org.yaml"], spec.data["prices.yaml"], spec.data["alerting.yaml"]
    smtp = alerting.get("smtp")
    budget = org["org"]["budget"]
    return m.Spec(
        org_name=org["org"]["name"],
        org_daily_budget=budget["daily"], org_monthly_budget=budget["monthly"],
        runbook_base_url=org["links"]["runbook_base_url"], grafana_url=org["links"]["grafana_url"].rstrip("/"),
        datasource_url=org["datasource"]["url"], datasource_uid=org["datasource"]["uid"],
        required_tags=required, thresholds=_thresholds(org_t),
        alert_for=tuple(sorted({**ALERT_FOR_DEFAULTS,
                                **{k: v for k, v in _map(org["alert_for"]).items() if v}}.items())),
        evaluation_interval=org["evaluation_interval"], scrape_interval=org["scrape_interval"],
        spend_lookback=org["spend_lookback"], spend_delay=org["spend_delay"],
        untagged_spend_window=org["untagged_spend_window"],
        training_window=org["training_window"], silence_window=org["silence_window"],
        finance_emails=tuple(org["finance_emails"] or ()),
        exporter_targets=targets["exporter_targets"], app_targets=targets["app_targets"],
        alertmanager_targets=tuple(org["alertmanager_targets"] or ()),
        prometheus_self_target=org["prometheus_self_target"],
        models=tuple(m.ModelPrice(k, v["input_per_million"], v["output_per_million"], tuple(v["aliases"] or ()))
                     for k, v in sorted(prices["models"].items())),
        gpus=tuple(m.GpuPrice(k, v["hourly"], tuple(v["nvml_names"] or (k,))) for k, v in sorted(prices["gpus"].items())),
        teams=tuple(teams), receivers=receivers, default_receiver=default_receiver, routes=routes,
        timing=_timing(alerting),
        smtp=m.Smtp(smtp["smarthost"], smtp["from"], smtp["auth_username"], smtp["auth_password_file"],
                    smtp["require_tls"]) if smtp else None,
        deploy=resolve_deploy(org.get("deploy")),
    )


def load_model(specs: Path, display_base: str = "", workers: int = 1) -> tuple[m.Spec, list]:
    """Load and check specs/ (team files read by `workers` processes when there are thousands); return
    the model and the warnings, or raise SpecError with every problem."""
    problems = Problems(display_base or str(specs))
    spec = read_spec_files(specs, display_base, problems, workers)
    if set(spec.data) != set(TOP_FILES):
        problems.raise_if_errors()
    org, prices, alerting = spec.data["org.yaml"], spec.data["prices.yaml"], spec.data["alerting.yaml"]
    if any(v is None for v in (org.get("org"), org.get("links"), prices.get("models"), prices.get("gpus"))):
        problems.raise_if_errors()  # what the cross-checks read is missing: they would only echo it
    org_t = _org_thresholds(spec, problems)
    required = _required_tags(spec, problems)
    receivers = _receivers(spec, problems)
    rnames = {r.name for r in receivers}
    al_ctx = Ctx(spec.docs["alerting.yaml"], problems)
    default_receiver = alerting.get("default_receiver")
    if default_receiver and default_receiver not in rnames:
        al_ctx.error(("default_receiver",), f"receiver '{default_receiver}' is not defined; defined: {', '.join(sorted(rnames))}")
    routes = _routes(spec, rnames, problems)
    if alerting.get("smtp") is None and any(r.kind == "email" for r in receivers):
        al_ctx.error(("smtp",), "missing; e-mail receivers need smtp settings (smarthost, from)")
    priced = {alias for name, p in _map(prices.get("models")).items() for alias in (name, *(_map(p).get("aliases") or ()))}
    org_ctx = Ctx(spec.docs["org.yaml"], problems)
    sources = resolve_sources(org.get("sources"), lambda t, where: _target(t, org_ctx, where), org_ctx)
    configured = {s.kind for s in sources}
    actions = _map(org.get("actions"))
    org_action = action_template(actions.get("idle_gpu"), org_ctx, ("actions", "idle_gpu"))
    teams = [t for name, (doc, d) in sorted(spec.teams.items())
             if (t := _team(name, doc, d, org_t, priced, rnames, default_receiver, configured, org_action, problems))
             is not None]
    _org_budget_warnings(spec, teams, problems)
    targets = {key: _targets(spec, key, problems) for key in ("exporter_targets", "app_targets")}
    check_intervals(spec, problems)
    problems.raise_if_errors()
    model = replace(_model(spec, org_t, required, receivers, default_receiver, routes, teams, targets), sources=sources,
                    act_url=(actions.get("url") or "").rstrip("/"))
    check_secret_keys(model, org_ctx)
    check_source_names(model, org_ctx, Ctx(spec.docs["prices.yaml"], problems),
                       lambda t: Ctx(spec.teams[t.name][0], problems, ("teams", t.name)))
    problems.raise_if_errors()
    return model, problems.warnings
