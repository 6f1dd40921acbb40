"""The `sources` sections (org.yaml and each team's file) as the model, and the checks that span files."""

from __future__ import annotations

import shlex
import string

from generator import model as m
from generator import names as n
from generator.spec.types import Ctx

# What each source cannot give: said in `aicost validate`'s output as in the README, never faked.
LIMITS = {
    "litellm": "LiteLLM has no per-request cost histogram: cost-per-request (p95) and AICostPerRequestHigh see only "
               "track_ai_call's calls",
    "otel": "OpenTelemetry GenAI metrics carry no cost: tokens are priced by prices.yaml, and a model without a price "
            "shows in team_model:ai_api_tokens:unpriced_today (AIUnpricedTokens)",
    "vllm": "vLLM has no team and no price: the team comes from the target or its namespace, dollars only from "
            "transfer_prices for teams whose sources.gpu names vllm",
    "dcgm": "dcgm-exporter gives utilization, not dollars: idle-GPU alerts and panels see it; GPU spend comes from "
            "aicost's exporter or OpenCost",
    "opencost": "OpenCost gives dollars per hour (gauges), not counters: spend is the rate at each evaluation times "
                "the interval, and a scrape gap longer than 5 minutes is spend not counted",
}


def _map(value) -> dict:
    return value if isinstance(value, dict) else {}


def resolve_sources(data: dict | None, make_target, ctx: Ctx) -> tuple[m.Source, ...]:
    """The sources org.yaml configures, in the contract's order; warns what each cannot give.
    `make_target(value, path)` reads one scrape target (the org's targets' own reader)."""
    out = []
    for kind in n.SOURCES:
        d = _map(data).get(kind)
        if d is None:
            continue
        ctx.problems.warn(ctx.doc.file, ctx.doc.line(("sources", kind)), f"sources.{kind}", LIMITS[kind])
        if d.get("names") == "utf8":
            ctx.problems.warn(ctx.doc.file, ctx.doc.line(("sources", kind, "names")), f"sources.{kind}.names",
                              "utf8 needs Prometheus 3: Prometheus 2 refuses the rendered scrape job")
        prices = tuple(m.ModelPrice(name, p["input_per_million"], p["output_per_million"])
                       for name, p in sorted(_map(d.get("transfer_prices")).items()))
        out.append(m.Source(
            kind, tuple(make_target(t, ("sources", kind, "targets", i)) for i, t in enumerate(d.get("targets") or ())),
            d.get("bearer_token_file"),
            team_label=d.get("team_label") or "", project_label=d.get("project_label"),
            names=d.get("names") or "underscore", category=d.get("category") or "compute", transfer_prices=prices,
            target_teams=tuple((t["target"], t["team"]) for t in d.get("targets") or ()
                               if isinstance(t, dict) and t.get("team")),
        ))
    return tuple(out)


def resolve_team_sources(d: dict | None, projects: tuple[str, ...], configured: set[str], ctx: Ctx) -> m.TeamSources:
    """A team's precedence and its names in other tools, checked against what org.yaml configures."""
    d = _map(d)
    path = ("sources",)
    have = ", ".join(sorted(configured)) or "none"
    api = d.get("api") or n.NATIVE_SOURCE
    if api != n.NATIVE_SOURCE and api not in configured:
        ctx.error(path + ("api",), f"'{api}' is not configured in org.yaml sources (configured: {have})")
    gpu = tuple(d.get("gpu") or (n.NATIVE_SOURCE,))
    for i, g in enumerate(gpu):
        if g != n.NATIVE_SOURCE and g not in configured:
            ctx.error(path + ("gpu", i), f"'{g}' is not configured in org.yaml sources (configured: {have})")
    if "opencost" in gpu and len(gpu) > 1:
        ctx.error(path + ("gpu",), f"opencost counts the same GPU hours as {' and '.join(g for g in gpu if g != 'opencost')}; "
                                   "name it alone")
    for key in ("litellm", "otel"):
        if d.get(key) and key not in configured:
            ctx.error(path + (key,), f"org.yaml configures no {key} source (configured: {have})")
    project = d.get("project") or ""
    if project and project not in projects:
        ctx.error(path + ("project",), f"'{project}' is not one of the team's projects: {', '.join(projects)}")
    return m.TeamSources(api, gpu, tuple(d.get("litellm") or ()), tuple(d.get("otel") or ()),
                         tuple(d.get("namespaces") or ()), project)


def check_source_names(spec: m.Spec, org: Ctx, prices: Ctx, team_ctx) -> None:
    """Each id, namespace and alias means one thing; every vLLM target's team exists."""
    for key in ("litellm", "otel", "namespaces"):
        owner: dict[str, str] = {}
        for t in spec.teams:
            for j, v in enumerate(getattr(t.sources, key)):
                if v in owner:
                    team_ctx(t).error(("sources", key, j), f"'{v}' already means team '{owner[v]}'; it can mean one team")
                else:
                    owner[v] = t.name
    vllm = spec.source("vllm")
    teams = {t.name for t in spec.teams}
    addresses = [t.address for t in vllm.targets] if vllm else []
    for target, team in vllm.target_teams if vllm else ():
        if team not in teams:
            org.error(("sources", "vllm", "targets", addresses.index(target), "team"),
                      f"'{team}' is not defined; defined: {', '.join(sorted(teams))}")
    model_of: dict[str, str] = {}
    for price in spec.models:
        for name in price.names:
            if name in model_of:
                prices.error(("models", price.name, "aliases"), f"'{name}' already names model '{model_of[name]}'; "
                                                                "a name has one price")
            model_of[name] = price.name


def action_template(template: str | None, ctx: Ctx, path: tuple) -> str:
    """An idle-GPU command template, checked: it splits into words without a shell, and names only
    labels AIGPUIdle carries."""
    if not template:
        return ""
    try:
        words = shlex.split(template)
        fields = {f for w in words for _, f, _, _ in string.Formatter().parse(w) if f is not None}
    except ValueError as exc:
        ctx.error(path, f"{template!r} is not a command: {exc}")
        return ""
    unknown = sorted(fields - set(n.ACTION_LABELS))
    if unknown:
        ctx.error(path, f"{', '.join('{' + f + '}' for f in unknown)} is not a label of {n.A_GPU_IDLE}; "
                        f"allowed: {', '.join('{' + f + '}' for f in n.ACTION_LABELS)}")
        return ""
    return template
