"""specs/ -> Model: load every file, check shapes and cross-references, collect every problem."""

from __future__ import annotations

import os
from pathlib import Path

from generator import model as m
from generator.errors import Problems
from generator.spec import schema
from generator.spec.types import NAME_RE, NAME_RULE, Ctx, dotted
from generator.spec.yamlload import Document, load_document

TOP_FILES = ("org.yaml", "prices.yaml", "alerting.yaml")
TEAM_RECEIVER = "team"  # in a route: the alert's team's own receiver


class _Spec:
    """The checked raw data of every file, with the documents for line numbers."""

    def __init__(self) -> None:
        self.docs: dict[str, Document] = {}
        self.data: dict[str, dict] = {}
        self.teams: dict[str, tuple[Document, dict]] = {}


def _display(specs: Path, rel: str, base: str) -> str:
    return f"{base.rstrip('/')}/{rel}" if base else str(specs / rel)


def _load(specs: Path, base: str, problems: Problems) -> _Spec:
    spec = _Spec()
    if not specs.is_dir():
        problems.add(base or str(specs), 0, "", "spec folder not found; expected org.yaml, prices.yaml, alerting.yaml and teams/")
        return spec
    known = set(TOP_FILES) | {"teams", "README.md"}
    for entry in sorted(specs.iterdir()):
        if entry.name.startswith(".") or entry.name in known:
            continue
        problems.add(_display(specs, entry.name, base), 0, "",
                     f"unknown spec file '{entry.name}'; allowed: {', '.join(TOP_FILES)} and teams/<team>.yaml")
    for name in TOP_FILES:
        disp = _display(specs, name, base)
        if not (specs / name).is_file():
            problems.add(disp, 0, "", "file not found; it is required")
            continue
        doc = load_document(specs / name, disp, problems)
        if doc is None:
            continue
        obj = {"org.yaml": schema.ORG_FILE, "prices.yaml": schema.PRICES_FILE,
               "alerting.yaml": schema.ALERTING_FILE}[name]
        data = obj.check(doc.data, (), Ctx(doc, problems))
        spec.docs[name], spec.data[name] = doc, data or {}
    teams_dir = specs / "teams"
    files = [teams_dir / name for name in sorted(os.listdir(teams_dir))] if teams_dir.is_dir() else []
    seen_lower: dict[str, str] = {}
    for f in files:
        disp = _display(specs, f"teams/{f.name}", base)
        if f.name.startswith("."):
            continue
        if f.suffix not in (".yaml", ".yml") or not f.is_file():
            problems.add(disp, 0, "", "unknown file in teams/; each team is teams/<team>.yaml")
            continue
        team = f.stem
        if not NAME_RE.match(team):
            problems.add(disp, 0, f"teams.{team}", f"'{team}' is not a valid team name: {NAME_RULE}")
            continue
        if team.lower() in seen_lower:
            problems.add(disp, 0, f"teams.{team}", f"team '{team}' is defined twice (also {seen_lower[team.lower()]}); team names are unique, case-insensitively")
            continue
        seen_lower[team.lower()] = disp
        doc = load_document(f, disp, problems, ("teams", team))
        if doc is None:
            continue
        data = schema.TEAM_FILE.check(doc.data, (), Ctx(doc, problems, ("teams", team)))
        if data is not None:
            spec.teams[team] = (doc, data)
    if not files:
        problems.add(_display(specs, "teams", base), 0, "", "no team files; add teams/<team>.yaml")
    return spec


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


def _receivers(spec: _Spec, problems: Problems) -> tuple[m.Receiver, ...]:
    doc = spec.docs["alerting.yaml"]
    ctx = Ctx(doc, problems)
    out = []
    for name, r in sorted((spec.data["alerting.yaml"].get("receivers") or {}).items()):
        path = ("receivers", name)
        if name == TEAM_RECEIVER:
            ctx.error(path, f"'{TEAM_RECEIVER}' is reserved: in routes it means the alert's team's own receiver")
            continue
        kinds = [k for k, v in r.items() if v is not None]
        if len(kinds) != 1:
            found = ", ".join(kinds) if kinds else "none"
            ctx.error(path, f"a receiver has exactly one of pagerduty, slack, email, webhook; found: {found}")
            continue
        kind = kinds[0]
        settings = dict(r[kind])
        out.append(m.Receiver(name, kind, tuple(sorted((k, v) for k, v in settings.items() if v is not None))))
    return tuple(out)


def _routes(spec: _Spec, receivers: set[str], problems: Problems) -> tuple[m.Route, ...]:
    doc = spec.docs["alerting.yaml"]
    ctx = Ctx(doc, problems)
    allowed = ", ".join(sorted(receivers | {TEAM_RECEIVER}))
    out = []
    for i, r in enumerate(spec.data["alerting.yaml"].get("routes") or ()):
        if r is None:
            continue
        for j, rec in enumerate(r["receivers"] or ()):
            if rec not in receivers and rec != TEAM_RECEIVER:
                ctx.error(("routes", i, "receivers", j), f"receiver '{rec}' is not defined; defined: {allowed}")
        out.append(m.Route(tuple(r["alerts"] or ()), r["severity"], tuple(r["receivers"] or ())))
    return tuple(out)


def _team(name: str, doc: Document, d: dict, org_t: dict, prices: set[str], receivers: set[str],
          default_receiver: str, problems: Problems) -> m.Team | None:
    ctx = Ctx(doc, problems, ("teams", name))
    for key in ("budget", "projects", "owner", "cost_center"):
        if d.get(key) is None:
            return None
    overrides = {k: v for k, v in (d["thresholds"] or {}).items() if v is not None}
    effective = _thresholds({**org_t, **overrides})
    _check_threshold_order(effective, lambda k, msg: ctx.error(("thresholds", k), msg + " (after this team's overrides)"))
    budget = d["budget"]
    if budget.get("daily") and budget.get("monthly") and budget["daily"] > budget["monthly"]:
        ctx.error(("budget", "daily"), f"{budget['daily']:g} is more than the monthly budget ({budget['monthly']:g})")
    priced = ", ".join(sorted(prices)) or "none"
    for model in d["token_budgets"] or {}:
        if model not in prices:
            ctx.error(("token_budgets", model), f"model '{model}' has no price; priced models (prices.yaml): {priced}")
    receiver = d["receiver"] or default_receiver
    if d["receiver"] and d["receiver"] not in receivers:
        ctx.error(("receiver",), f"receiver '{d['receiver']}' is not defined in alerting.yaml; defined: {', '.join(sorted(receivers))}")
    projects = d["projects"] or ()
    tiers, tier_of = [], {}
    for tname, t in sorted((d["user_tiers"] or {}).items()):
        for j, p in enumerate(t["projects"] or ()):
            if p not in projects:
                ctx.error(("user_tiers", tname, "projects", j), f"project '{p}' is not one of the team's projects: {', '.join(projects)}")
            elif p in tier_of:
                ctx.error(("user_tiers", tname, "projects", j), f"project '{p}' already serves tier '{tier_of[p]}'; a project serves one tier")
            else:
                tier_of[p] = tname
        tiers.append(m.UserTier(tname, t["users"], t["revenue_per_user"], tuple(t["projects"] or ())))
    training = d["training"] or {}
    return m.Team(
        name=name, file=doc.file, owner=d["owner"], cost_center=d["cost_center"],
        environment=d["environment"], projects=tuple(projects),
        daily_budget=budget["daily"], monthly_budget=budget["monthly"],
        token_budgets=tuple(sorted((d["token_budgets"] or {}).items())),
        training_default_budget=training.get("default_budget"),
        experiments=tuple(sorted((training.get("experiments") or {}).items())),
        user_tiers=tuple(tiers), receiver=receiver, thresholds=effective,
        overrides=tuple(sorted(overrides.items())),
    )


def load_model(specs: Path, display_base: str = "") -> tuple[m.Model, list]:
    """Load and check specs/; return the model and the warnings, or raise SpecError with every problem."""
    problems = Problems()
    spec = _load(specs, display_base, problems)
    if set(spec.data) != set(TOP_FILES):
        problems.raise_if_errors()
    org, prices, alerting = spec.data["org.yaml"], spec.data["prices.yaml"], spec.data["alerting.yaml"]
    if any(v is None for v in (org.get("org"), org.get("links"), prices.get("models"), prices.get("gpus"))):
        problems.raise_if_errors()
    org_t = org["thresholds"] or {}
    org_ctx = Ctx(spec.docs["org.yaml"], problems)
    defaults = {k: v[1] for k, v in schema.THRESHOLDS.items()}
    org_t = {**defaults, **{k: v for k, v in org_t.items() if v is not None}}
    _check_threshold_order(_thresholds(org_t), lambda k, msg: org_ctx.error(("thresholds", k), msg))
    required = tuple(org["tags"]["required"] or ())
    for tag in ("team", "project"):
        if required and tag not in required:
            org_ctx.error(("tags", "required"), f"'{tag}' must stay required: spend is allocated by team and project")

    receivers = _receivers(spec, problems)
    rnames = {r.name for r in receivers}
    al_ctx = Ctx(spec.docs["alerting.yaml"], problems)
    default_receiver = alerting.get("default_receiver")
    if default_receiver and default_receiver not in rnames:
        al_ctx.error(("default_receiver",), f"receiver '{default_receiver}' is not defined; defined: {', '.join(sorted(rnames))}")
    routes = _routes(spec, rnames, problems)
    smtp = alerting.get("smtp")
    if smtp is None and any(r.kind == "email" for r in receivers):
        al_ctx.error(("smtp",), "missing; e-mail receivers need smtp settings (smarthost, from)")

    teams = []
    for name, (doc, d) in sorted(spec.teams.items()):
        t = _team(name, doc, d, org_t, set(prices["models"]), rnames, default_receiver, problems)
        if t is not None:
            teams.append(t)
    budget = org["org"]["budget"] or {}
    for period, total in (("daily", sum(t.daily_budget or 0 for t in teams)),
                          ("monthly", sum(t.monthly_budget or 0 for t in teams))):
        if budget.get(period) and total > budget[period]:
            problems.warn(spec.docs["org.yaml"].file, spec.docs["org.yaml"].line(("org", "budget", period)),
                          dotted(("org", "budget", period)),
                          f"team {period} budgets add up to {total:,.2f}, more than the org budget {budget[period]:,.2f}")
    problems.raise_if_errors()

    timing_defaults = {
        "critical": m.Timing("30s", "5m", "1h"),
        "warning": m.Timing("2m", "15m", "12h"),
    }
    timing = []
    for sev, dflt in timing_defaults.items():
        given = (alerting["timing"] or {}).get(sev) or {}
        timing.append((sev, m.Timing(*(given.get(k) or getattr(dflt, k) for k in ("group_wait", "group_interval", "repeat_interval")))))
    model = m.Model(
        org_name=org["org"]["name"], currency=org["org"]["currency"],
        org_daily_budget=budget["daily"], org_monthly_budget=budget["monthly"],
        runbook_base_url=org["links"]["runbook_base_url"], grafana_url=org["links"]["grafana_url"].rstrip("/"),
        datasource_url=org["datasource"]["url"], datasource_uid=org["datasource"]["uid"],
        required_tags=required, thresholds=_thresholds(org_t),
        alert_for=tuple(sorted({**schema.ALERT_FOR_DEFAULTS, **{k: v for k, v in (org["alert_for"] or {}).items() if v}}.items())),
        evaluation_interval=org["evaluation_interval"], scrape_interval=org["scrape_interval"],
        untagged_spend_window=org["untagged_spend_window"],
        training_window=org["training_window"], silence_window=org["silence_window"],
        finance_emails=tuple(org["finance_emails"] or ()),
        exporter_targets=tuple(org["exporter_targets"] or ()), app_targets=tuple(org["app_targets"] or ()),
        alertmanager_targets=tuple(org["alertmanager_targets"] or ()),
        models=tuple(m.ModelPrice(k, v["input_per_million"], v["output_per_million"]) for k, v in sorted(prices["models"].items())),
        gpus=tuple(m.GpuPrice(k, v["hourly"], tuple(v["nvml_names"] or (k,))) for k, v in sorted(prices["gpus"].items())),
        teams=tuple(teams), receivers=receivers, default_receiver=default_receiver, routes=routes,
        timing=tuple(timing),
        smtp=m.Smtp(smtp["smarthost"], smtp["from"], smtp["auth_username"], smtp["auth_password_file"], smtp["require_tls"]) if smtp else None,
    )
    return model, problems.warnings
