"""`aicost doctor --prometheus URL`: read a live Prometheus (read-only), then report and exit 1 on a problem."""

from __future__ import annotations

import json
import time

from generator import names as n
from generator import promql as q
from generator.doctor import PROBLEM, WARNING, Facts, Finding, diagnose
from generator.durations import timestamp
from generator.model import Spec
from generator.prometheus_api import api_data, instant_query
from generator.spec.types import LABEL_NAME_RE


LANDED = (n.SPEND, n.API_TOKENS, n.GPU_UTILIZATION, n.OPENCOST_GPU_ALLOCATION)  # what source jobs label


def raw_names(spec: Spec, kind: str) -> tuple[str, ...]:
    """The metric names a source emits that aicost reads."""
    otel = spec.source("otel")
    return {"litellm": (n.LITELLM_SPEND, n.LITELLM_INPUT_TOKENS, n.LITELLM_OUTPUT_TOKENS),
            "otel": (n.OTEL_TOKEN_USAGE_SUM[otel.names] if otel else "",),
            "vllm": (n.VLLM_PROMPT_TOKENS, n.VLLM_GENERATION_TOKENS),
            "dcgm": (n.DCGM_GPU_UTIL,), "opencost": (n.OPENCOST_GPU_ALLOCATION, n.OPENCOST_GPU_HOURLY_COST)}[kind]


def _value(url: str, promql: str) -> float | None:
    rows = instant_query(url, promql, timeout=30)
    return float(rows[0]["value"][1]) if rows else None


def _labels(url: str, promql: str, label: str) -> set[str]:
    return {r["metric"].get(label, "") for r in instant_query(url, promql, timeout=30)}


def _source_facts(spec: Spec, url: str, facts: Facts) -> None:
    for source in spec.sources:
        # the tool's own names (teams it is not the truth for) and what was renamed onto the contract
        names = json.dumps(q.alternatives(raw_names(spec, source.kind)))
        landed = json.dumps(q.alternatives(LANDED))  # raw series only: recorded ones keep `source` too
        series = f'{{__name__=~{names}}} or {{__name__=~{landed},{n.L_SOURCE}="{source.kind}"}}'
        count = _value(url, f"count({series})") or 0
        age = _value(url, f"time() - max(timestamp({series}))")
        facts.source_series[source.kind] = (int(count), age)
        if source.kind in ("litellm", "otel"):
            counted = {i for t in spec.truth_teams(source.kind) for i in t.source_ids(source.kind)}
            metric = raw_names(spec, source.kind)[0]
            # a dotted label name is quoted, as only Prometheus 3 reads it
            by = source.team_label if LABEL_NAME_RE.match(source.team_label) else json.dumps(source.team_label)
            seen = _labels(url, f"count by ({by}) ({{__name__={json.dumps(metric)}}})", source.team_label)
            facts.unmapped[source.kind] = seen - counted


def gather(spec: Spec, url: str) -> Facts:
    """Everything the checks need, read from Prometheus' HTTP API."""
    facts = Facts()
    _source_facts(spec, url, facts)
    contract = f'{{__name__=~"{q.alternatives((n.SPEND, n.API_TOKENS))}"}}'
    facts.data_teams = _labels(url, f"count by ({n.L_TEAM}) ({contract})", n.L_TEAM)
    facts.token_models = _labels(url, f'count by ({n.L_MODEL}) ({n.API_TOKENS}{{{n.L_SOURCE}!="litellm"}})', n.L_MODEL)
    targets = api_data(url, "targets?state=active")["activeTargets"]
    facts.targets = [{"job": t["labels"].get("job", ""), "instance": t["labels"].get("instance", ""),
                      "health": t.get("health", ""), "error": t.get("lastError", ""),
                      "interval": t.get("scrapeInterval") or spec.scrape_interval,
                      "duration": float(t.get("lastScrapeDuration") or 0.0),
                      "timeout": t.get("scrapeTimeout") or "10s"} for t in targets]
    try:
        facts.retention = api_data(url, "status/flags").get("storage.tsdb.retention.time")
    except Exception:  # noqa: BLE001 - an engine without the flags API: said as "unknown"
        facts.retention = None
    now = time.time()
    for g in api_data(url, "rules")["groups"]:
        last = g.get("lastEvaluation") or ""
        evaluated = timestamp(last) if not last.startswith("0001") else None  # Go's zero time: never evaluated
        age = now - evaluated if evaluated is not None else None
        errors = [(r.get("name", ""), r.get("lastError", "")) for r in g.get("rules", []) if r.get("health") == "err"]
        facts.groups.append({"name": g["name"], "interval": float(g.get("interval") or 60), "age": age,
                             "duration": float(g.get("evaluationTime") or 0), "errors": errors})
    return facts


def _counts(findings: list[Finding]) -> tuple[int, int]:
    return sum(f.level == PROBLEM for f in findings), sum(f.level == WARNING for f in findings)


def as_text(findings: list[Finding]) -> str:
    """A terminal table, problems first, and a count."""
    rows = [(f.level.upper(), f.check, f.subject, f.message) for f in findings]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(("LEVEL", "CHECK", "SUBJECT"))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(("LEVEL", "CHECK", "SUBJECT"), widths)) + "  FINDING"]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r[:3], widths)) + "  " + r[3] for r in rows]
    lines.append("{} problem(s), {} warning(s)".format(*_counts(findings)))
    return "\n".join(lines)


def as_json(findings: list[Finding]) -> str:
    """The findings for CI: counts and every finding."""
    problems, warnings = _counts(findings)
    return json.dumps({"problems": problems, "warnings": warnings, "findings": [vars(f) for f in findings]},
                      indent=2, sort_keys=True)


def run_doctor(spec: Spec, url: str, fmt: str) -> tuple[str, bool]:
    """The report, and whether it found a problem."""
    findings = diagnose(spec, gather(spec, url))
    return (as_json if fmt == "json" else as_text)(findings), _counts(findings)[0] > 0
