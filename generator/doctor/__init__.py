"""`aicost doctor`: a live Prometheus read against the spec; the checks are pure functions of what was read.

`command.gather` reads (queries, targets, rules, flags) into `Facts`; `diagnose` turns the spec and
the facts into findings. A problem is something that makes numbers wrong (spend not counted,
counted for no team, priced at $0, rules not running, history too short); a warning is worth a look.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator import durations
from generator import names as n
from generator.model import Spec

PROBLEM, WARNING, OK = "problem", "warning", "ok"
GROUPS = (n.G_CONSTANTS, n.G_SPEND, n.G_SIGNALS, n.G_HEALTH)
STALE_SECONDS = 300  # Prometheus forgets a sample after 5 minutes: gauges older than that are gone


@dataclass(frozen=True)
class Finding:
    """One line of the doctor's report."""

    level: str  # problem | warning | ok
    check: str  # sources | teams | prices | scrape | retention | rules
    subject: str
    message: str


@dataclass
class Facts:
    """What was read from Prometheus, as plain data."""

    source_series: dict[str, tuple[int, float | None]] = field(default_factory=dict)  # kind -> (series, last age s)
    unmapped: dict[str, set[str]] = field(default_factory=dict)  # kind -> team ids of the source no team maps
    data_teams: set[str] = field(default_factory=set)  # team label values of the contract's spend and tokens
    token_models: set[str] = field(default_factory=set)  # models of tokens aicost prices
    targets: list[dict] = field(default_factory=list)  # {job, instance, health, error, interval, duration s, timeout}
    retention: str | None = None  # storage.tsdb.retention.time
    groups: list[dict] = field(default_factory=list)  # {name, interval, age, duration, errors: [(rule, error)]}


def required_retention_days(spec: Spec) -> int:
    """Days of history the rules read: month to date (31 days and the day before), the anomaly window, training."""
    return max(32, spec.thresholds.anomaly_window_days + 1, spec.training_window_days + 1, 15)


def _sources(spec: Spec, facts: Facts) -> list[Finding]:
    out = []
    for source in spec.sources:
        count, age = facts.source_series.get(source.kind, (0, None))
        if not count:
            out.append(Finding(PROBLEM, "sources", source.kind, f"no series of {source.kind} in Prometheus: check the "
                                                                 f"scrape job {source.job} and its targets"))
        elif age is not None and age > STALE_SECONDS:
            out.append(Finding(PROBLEM, "sources", source.kind, f"last sample {age:.0f}s ago: the source stopped"))
        else:
            out.append(Finding(OK, "sources", source.kind, f"{count} series, last sample {age or 0:.0f}s ago"))
        for team_id in sorted(facts.unmapped.get(source.kind, ())):
            out.append(Finding(WARNING, "sources", f"{source.kind} team {team_id}",
                               f"its spend is not counted: no team's sources.{source.kind} names it "
                               "(or that team's truth is another source)"))
    return out


def _teams(spec: Spec, facts: Facts) -> list[Finding]:
    known = {t.name for t in spec.teams}
    return [Finding(PROBLEM, "teams", team or "(no team)", "spend or tokens under a team the spec does not know: "
                                                           "in no team's budget (AIUntaggedSpend)")
            for team in sorted(facts.data_teams - known)]


def _prices(spec: Spec, facts: Facts) -> list[Finding]:
    priced = {name for m in spec.models for name in m.names}
    vllm = spec.source("vllm")
    priced |= {m.name for m in vllm.transfer_prices} if vllm else set()
    return [Finding(PROBLEM, "prices", model, "tokens of a model no price or alias covers: counted as $0 "
                                              "(add it, or an alias, to prices.yaml)")
            for model in sorted(facts.token_models - priced)]


def _scrape(spec: Spec, facts: Facts) -> list[Finding]:
    out = []
    jobs = {n.EXPORTER_JOB, n.APP_JOB, *(s.job for s in spec.sources)}
    seen = {t["job"] for t in facts.targets}
    for job in sorted({s.job for s in spec.sources} - seen):
        out.append(Finding(PROBLEM, "scrape", job, "no such scrape job: deploy rendered/prometheus/prometheus.yml"))
    step = spec.ledger_interval_seconds
    for t in sorted(facts.targets, key=lambda t: (t["job"], t["instance"])):
        if t["job"] not in jobs:
            continue
        subject, every = f"{t['job']} {t['instance']}", durations.seconds(t["interval"])
        if t["health"] != "up":
            out.append(Finding(PROBLEM, "scrape", subject, f"target {t['health']}: {t['error'] or 'no scrape yet'}"))
        if every > STALE_SECONDS:
            out.append(Finding(PROBLEM, "scrape", subject, f"scraped every {t['interval']}: gauges go stale after 5m"))
        elif every > step:
            out.append(Finding(WARNING, "scrape", subject, f"scraped every {t['interval']}, longer than the rules' "
                                                           f"step ({spec.evaluation_interval}): spend lags a scrape"))
        out.extend(_scrape_time(spec, subject, t))
    return out


def _scrape_time(spec: Spec, subject: str, target: dict) -> list[Finding]:
    """A scrape longer than spend_delay can straddle a ledger evaluation: its samples land behind a window
    already counted and that spend is lost (README: How "today" is computed)."""
    delay = spec.spend_delay_seconds
    took, timeout = target["duration"], target["timeout"]
    if took >= delay:
        return [Finding(PROBLEM, "scrape", subject, f"the last scrape took {took:.2f}s, not less than spend_delay "
                                                    f"({spec.spend_delay}): raise spend_delay past the scrape_timeout")]
    if durations.seconds(timeout) > delay:
        return [Finding(WARNING, "scrape", subject, f"scrape_timeout {timeout} is longer than spend_delay "
                                                    f"({spec.spend_delay}): a scrape that slow would lose its spend")]
    return []


def _retention(spec: Spec, facts: Facts) -> list[Finding]:
    need = required_retention_days(spec)
    if facts.retention is None:
        return [Finding(WARNING, "retention", "storage.tsdb.retention.time", "unknown (no flags API)")]
    have = durations.seconds(facts.retention) if facts.retention not in ("0s", "") else 15 * 86400
    if have < need * 86400:
        return [Finding(PROBLEM, "retention", "storage.tsdb.retention.time",
                        f"{facts.retention if have != 15 * 86400 else '15d (the default)'} is shorter than the {need}d "
                        "the rules read (month to date, the anomaly history, training windows)")]
    return [Finding(OK, "retention", "storage.tsdb.retention.time", f"{facts.retention} (needs {need}d)")]


def _rules(spec: Spec, facts: Facts) -> list[Finding]:
    out, by_name = [], {g["name"]: g for g in facts.groups}
    for name in GROUPS:
        g = by_name.get(name)
        if g is None:
            out.append(Finding(PROBLEM, "rules", name, "rule group not loaded: deploy rendered/prometheus/rules/"))
            continue
        for rule, error in g["errors"]:
            out.append(Finding(PROBLEM, "rules", f"{name} {rule}", f"evaluation fails: {error}"))
        if g["age"] is None or g["age"] > 2 * g["interval"] + 30:
            out.append(Finding(PROBLEM, "rules", name, f"not evaluated for {g['age'] or 0:.0f}s (interval "
                                                       f"{g['interval']:g}s): recorded spend is stale"))
        elif g["duration"] > spec.thresholds.rule_group_duration_share * g["interval"]:
            out.append(Finding(WARNING, "rules", name, f"an evaluation takes {g['duration']:.1f}s of its "
                                                       f"{g['interval']:g}s interval"))
        elif not g["errors"]:
            out.append(Finding(OK, "rules", name, f"evaluated {g['age']:.0f}s ago in {g['duration']:.2f}s"))
    return out


def diagnose(spec: Spec, facts: Facts) -> list[Finding]:
    """Every finding, problems first, in the order of the checks."""
    found = [*_sources(spec, facts), *_teams(spec, facts), *_prices(spec, facts), *_scrape(spec, facts),
             *_retention(spec, facts), *_rules(spec, facts)]
    order = {PROBLEM: 0, WARNING: 1, OK: 2}
    return sorted(found, key=lambda f: order[f.level])
