"""What changed between two models of a spec, in words and numbers: the data `aicost diff` prints.

It compares models, never rendered text: budgets, thresholds and the level at which each alert
fires per team (`levels`), token budgets, prices, receivers, routing (the routing oracle the
amtool tests use, so "who gets this alert" is the same answer Alertmanager gives), alerts a team
gains or loses, teams added or removed, and every other setting. Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

from generator import names as n
from generator.catalogue import alerts_of
from generator.model import Spec, Team
from generator.render.alertmanager_tests import expected_receivers
from generator.review.levels import Condition, money, org_conditions, team_conditions

ORG = "Organisation"
PRICES = "Prices"
RECEIVERS = "Receivers"
ROUTING = "Routing (who receives what)"
TEAMS = "Teams"


class Change(NamedTuple):
    """One change: where it shows (section), what kind it is (for --fail-on), words, and its numbers."""

    section: str
    kind: str
    text: str
    before: float | None = None
    after: float | None = None


def percent(before: float, after: float) -> str:
    """A relative change, as the diff writes it."""
    if before == 0:
        return "new" if after else "0%"
    return f"{(after - before) / before * 100:+.1f}%"


def _number(section: str, kind: str, what: str, before: float, after: float, fmt=money, unit: str = "") -> Change:
    return Change(section, kind, f"{what}: {fmt(before)} -> {fmt(after)}{unit} ({percent(before, after)})", before, after)


def _conditions(section: str, old: list[Condition], new: list[Condition]) -> list[Change]:
    """Alerts whose firing condition changed, that can now fire, or that no longer can."""
    before, after = {c.key: c for c in old}, {c.key: c for c in new}
    out = []
    for key in sorted(before.keys() | after.keys(), key=lambda k: (n.ALERTS.index(k[0]), k)):
        a, b = before.get(key), after.get(key)
        if a and b and a.text != b.text:
            text = (f"{b.title} fires at {money(b.level)} instead of {money(a.level)}: {b.text}"
                    if a.level is not None and b.level is not None and a.level != b.level
                    else f"{b.title} now fires when {b.text} (was: {a.text})")
            out.append(Change(section, "alert-level", text, a.level, b.level))
        elif b and not a:
            out.append(Change(section, "alert-added", f"{b.title} can now fire: {b.text}", None, b.level))
        elif a and not b:
            out.append(Change(section, "alert-removed", f"{a.title} no longer fires (was: {a.text})", a.level, None))
    return out


def _show(value) -> str:
    """A setting's value in one line."""
    if isinstance(value, tuple) and not value:
        return "(none)"
    if isinstance(value, tuple):
        return ", ".join(_show(v) for v in value)
    if dataclasses.is_dataclass(value):
        return "{" + ", ".join(f"{f.name}: {_show(getattr(value, f.name))}" for f in dataclasses.fields(value)
                               if getattr(value, f.name) not in (None, False, ())) + "}"
    return "(none)" if value is None else str(value)


def _settings(section: str, old, new, fields: tuple[str, ...], prefix: str = "") -> list[Change]:
    return [Change(section, "setting", f"{prefix}{f}: {_show(getattr(old, f))} -> {_show(getattr(new, f))}")
            for f in fields if getattr(old, f) != getattr(new, f)]


def _team(old: Team, new: Team, old_spec: Spec, new_spec: Spec) -> list[Change]:
    s = f"Team {new.name}"
    out = [_number(s, "budget", f"{p} budget", getattr(old, f"{p}_budget"), getattr(new, f"{p}_budget"))
           for p in n.PERIODS if getattr(old, f"{p}_budget") != getattr(new, f"{p}_budget")]
    overridden = dict(new.overrides)
    for f in dataclasses.fields(new.thresholds):
        a, b = getattr(old.thresholds, f.name), getattr(new.thresholds, f.name)
        if a != b and not f.metadata["org_only"]:
            why = "team override" if f.name in overridden else "org default"
            out.append(Change(s, "threshold", f"threshold {f.name}: {a:g} -> {b:g} ({why})", a, b))
    old_tokens, new_tokens = dict(old.token_budgets), dict(new.token_budgets)
    for model in sorted(old_tokens.keys() | new_tokens.keys()):
        a, b = old_tokens.get(model), new_tokens.get(model)
        if a == b:
            continue
        if a is None:
            text = f"token budget {model}: {b:,} tokens a day (new; {n.A_TOKEN_BUDGET} can now fire above it)"
        elif b is None:
            text = f"token budget {model}: removed (was {a:,} tokens a day; {n.A_TOKEN_BUDGET} no longer fires for it)"
        else:
            text = f"token budget {model}: {a:,} -> {b:,} tokens a day ({percent(a, b)})"
        out.append(Change(s, "token-budget", text, a, b))
    conditions = lambda spec, t: [c for c in team_conditions(spec, t) if c.alert != n.A_TOKEN_BUDGET]  # noqa: E731
    out += _conditions(s, conditions(old_spec, old), conditions(new_spec, new))
    out += _settings(s, old, new, ("receiver", "owner", "cost_center", "environment", "projects", "enforce",
                                      "sources", "idle_gpu_action"))
    return out


def _teams(old: Spec, new: Spec) -> list[Change]:
    before, after = {t.name: t for t in old.teams}, {t.name: t for t in new.teams}
    out = []
    for name in sorted(after.keys() - before.keys()):
        t = after[name]
        out.append(Change(TEAMS, "team-added", f"added {name}: daily budget {money(t.daily_budget)}, monthly "
                                               f"{money(t.monthly_budget)}, receiver {t.receiver}", None, t.daily_budget))
    for name in sorted(before.keys() - after.keys()):
        t = before[name]
        out.append(Change(TEAMS, "team-removed", f"removed {name} (daily budget {money(t.daily_budget)}, monthly "
                                                 f"{money(t.monthly_budget)}): its alerts stop; its spend becomes "
                                                 f"untagged ({n.A_UNTAGGED})", t.daily_budget, None))
    # A team's words depend on the team and these settings alone: an unchanged team says nothing
    # (10,000 teams with one edit compare in the time it takes to load them).
    same = (old.alert_for, old.silence_window, old.training_window) == (new.alert_for, new.silence_window, new.training_window)
    for name in sorted(before.keys() & after.keys()):
        a, b = before[name], after[name]
        if not (same and dataclasses.replace(a, file="") == dataclasses.replace(b, file="")):
            out += _team(a, b, old, new)
    return out


ORG_FIELDS = ("org_name", "required_tags", "evaluation_interval", "scrape_interval", "spend_lookback", "spend_delay",
              "untagged_spend_window", "training_window", "silence_window", "finance_emails", "exporter_targets",
              "app_targets", "alertmanager_targets", "prometheus_self_target", "runbook_base_url", "grafana_url",
              "datasource_url", "datasource_uid", "default_receiver", "smtp", "deploy", "sources", "act_url")


def _org(old: Spec, new: Spec) -> list[Change]:
    out = [_number(ORG, "budget", f"org {p} budget", getattr(old, f"org_{p}_budget"), getattr(new, f"org_{p}_budget"))
           for p in n.PERIODS if getattr(old, f"org_{p}_budget") != getattr(new, f"org_{p}_budget")]
    for f in dataclasses.fields(new.thresholds):
        a, b = getattr(old.thresholds, f.name), getattr(new.thresholds, f.name)
        if a != b:
            scope = "org" if f.metadata["org_only"] else "default for teams without an override"
            out.append(Change(ORG, "threshold", f"threshold {f.name}: {a:g} -> {b:g} ({scope})", a, b))
    out += _conditions(ORG, org_conditions(old), org_conditions(new))
    old_for, new_for = dict(old.alert_for), dict(new.alert_for)
    out += [Change(ORG, "setting", f"{name} for: {old_for[name]} -> {new_for[name]}")
            for name in n.ALERTS if old_for.get(name) != new_for.get(name)]
    old_timing, new_timing = dict(old.timing), dict(new.timing)
    out += [Change(ORG, "setting", f"timing {sev}: {_show(old_timing.get(sev))} -> {_show(new_timing.get(sev))}")
            for sev in sorted(old_timing.keys() | new_timing.keys()) if old_timing.get(sev) != new_timing.get(sev)]
    return out + _settings(ORG, old, new, ORG_FIELDS)


def _per_million(x: float) -> str:
    return f"${x:,.4g} per 1M tokens"


def _prices(old: Spec, new: Spec) -> list[Change]:
    out = []
    before, after = {m.name: m for m in old.models}, {m.name: m for m in new.models}
    for name in sorted(before.keys() | after.keys()):
        a, b = before.get(name), after.get(name)
        if a is None:
            out.append(Change(PRICES, "price-change", f"model {name} added: input {_per_million(b.input_per_million)}, "
                                                      f"output {_per_million(b.output_per_million)}"))
        elif b is None:
            out.append(Change(PRICES, "price-change", f"model {name} removed (was input {_per_million(a.input_per_million)}, "
                                                      f"output {_per_million(a.output_per_million)})"))
        else:
            out += [_number(PRICES, "price-change", f"model {name} {d}", getattr(a, f"{d}_per_million"),
                            getattr(b, f"{d}_per_million"), lambda x: f"${x:,.4g}", " per 1M tokens")
                    for d in n.DIRECTIONS if getattr(a, f"{d}_per_million") != getattr(b, f"{d}_per_million")]
            out += _settings(PRICES, a, b, ("aliases",), f"model {name} ")
    before, after = {g.name: g for g in old.gpus}, {g.name: g for g in new.gpus}
    for name in sorted(before.keys() | after.keys()):
        a, b = before.get(name), after.get(name)
        if a is None:
            out.append(Change(PRICES, "price-change", f"GPU {name} added: {money(b.hourly)} an hour"))
        elif b is None:
            out.append(Change(PRICES, "price-change", f"GPU {name} removed (was {money(a.hourly)} an hour)"))
        else:
            if a.hourly != b.hourly:
                out.append(_number(PRICES, "price-change", f"GPU {name}", a.hourly, b.hourly, unit=" an hour"))
            out += _settings(PRICES, a, b, ("nvml_names",), f"GPU {name} ")
    return out


def _receivers(old: Spec, new: Spec) -> list[Change]:
    before, after = {r.name: r for r in old.receivers}, {r.name: r for r in new.receivers}
    pairs = lambda r: ", ".join(f"{k}: {_show(v)}" for k, v in r.settings)  # noqa: E731
    out = [Change(RECEIVERS, "receiver", f"added {name} ({after[name].kind}: {pairs(after[name])})")
           for name in sorted(after.keys() - before.keys())]
    out += [Change(RECEIVERS, "receiver", f"removed {name} ({before[name].kind})") for name in sorted(before.keys() - after.keys())]
    for name in sorted(before.keys() & after.keys()):
        a, b = before[name], after[name]
        if a.kind != b.kind:
            out.append(Change(RECEIVERS, "receiver", f"{name}: {a.kind} ({pairs(a)}) -> {b.kind} ({pairs(b)})"))
            continue
        a_set, b_set = dict(a.settings), dict(b.settings)
        out += [Change(RECEIVERS, "receiver", f"{name}: {key}: {_show(a_set.get(key))} -> {_show(b_set.get(key))}")
                for key in sorted(a_set.keys() | b_set.keys()) if a_set.get(key) != b_set.get(key)]
    return out


def _names(teams: list[str], most: int = 8) -> str:
    shown = ", ".join(teams[:most])
    return shown + (f" and {len(teams) - most} more" if len(teams) > most else "")


def _routing(old: Spec, new: Spec) -> list[Change]:
    """Each alert class, for each team in both specs: the receivers before and after, grouped."""
    old_teams, new_teams = {t.name: t.receiver for t in old.teams}, {t.name: t.receiver for t in new.teams}
    kept = sorted(old_teams.keys() & new_teams.keys())
    # With the same routes and default, only a team whose own receiver changed can route differently.
    same_routes = (old.routes, old.default_receiver) == (new.routes, new.default_receiver)
    if same_routes:
        kept = [t for t in kept if old_teams[t] != new_teams[t]]
    moved: dict[tuple, list[str]] = {}  # (team, before, after) -> the alerts that move so
    for a in alerts_of(new):
        labels = {"alertname": a.name, "severity": a.severity, **a.labels}
        title = f"{a.name} ({', '.join([a.severity, *a.labels.values()])})"
        for team in kept if a.per_team else ([] if same_routes else [None]):
            with_team = dict(labels, team=team) if team else labels
            before, after = expected_receivers(old, with_team, old_teams), expected_receivers(new, with_team, new_teams)
            if before != after:
                moved.setdefault((team, tuple(before), tuple(after)), []).append(title)
    grouped: dict[tuple, list] = {}  # (alerts, before, after) -> the teams
    for (team, before, after), titles in moved.items():
        grouped.setdefault((tuple(titles), before, after), []).append(team)
    out = []
    for (titles, before, after), teams in grouped.items():
        whom = f" for team{'s' if len(teams) > 1 else ''} {_names(teams)}" if teams != [None] else ""
        out.append(Change(ROUTING, "routing", f"{', '.join(titles)}{whom}: {', '.join(before)} -> {', '.join(after)}"))
    return out


def compare(old: Spec, new: Spec) -> list[Change]:
    """Every change from `old` to `new`, in the order the diff prints them."""
    return [*_teams(old, new), *_org(old, new), *_prices(old, new), *_receivers(old, new), *_routing(old, new)]


def price_effects(old: Spec, new: Spec, volumes: dict[tuple[str, str, str], float]) -> list[Change]:
    """What the price changes do to each team's token-priced spend today, at today's volumes.

    `volumes` maps (team, model, direction) to the tokens used today (from Prometheus).
    """
    def per_token(spec: Spec) -> dict[tuple[str, str], float]:
        return {(m.name, d): getattr(m, f"{d}_per_million") / 1e6 for m in spec.models for d in n.DIRECTIONS}

    before, after = per_token(old), per_token(new)
    spent: dict[str, list[float]] = {}
    for (team, model, direction), tokens in volumes.items():
        a, b = before.get((model, direction), 0.0), after.get((model, direction), 0.0)
        if a != b:
            sums = spent.setdefault(team, [0.0, 0.0])
            sums[0] += tokens * a
            sums[1] += tokens * b
    return [Change(PRICES, "price-effect", f"at today's volumes, team {team}'s priced spend today: "
                                           f"{money(a)} -> {money(b)} ({'+' if b >= a else '-'}{money(abs(b - a))})", a, b)
            for team, (a, b) in sorted(spent.items())]
