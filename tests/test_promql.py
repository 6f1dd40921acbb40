"""Every rendered rule parses, reads only metrics aicost knows, and groups or matches only on labels
of the contract: a typo in a name breaks this test, not a dashboard."""

from __future__ import annotations

import promql_parser

from conftest import ACME, FIXTURES, rule_files
from generator import names as n
from generator.resolve import load_model

LABELS = {v for k, v in vars(n).items() if k.startswith("L_")} | {"part"}  # `part`: sum_parts' tag


def _metrics(files) -> set[str]:
    raw = {n.REQUEST_COST_BUCKET, n.API_TOKENS, n.SPEND, n.GPU_UTILIZATION, n.GPU_HOURLY_COST, n.GUARD_STATE_AGE, "up",
           *n.PROMETHEUS_SELF_METRICS}
    raw |= {v for k, v in vars(n).items() if k.startswith("C_")}  # constants (overrides only where set)
    recorded = {r["record"] for f in files.values() for g in f["groups"] for r in g["rules"] if "record" in r}
    return raw | recorded


def _walk(expr: str) -> tuple[set[str], set[str]]:
    """(metric names selected, labels used in by/without/on/ignoring/group_*) of an expression."""
    metrics, labels = set(), set()

    def visit(node):
        if isinstance(node, promql_parser.VectorSelector):
            metrics.add(node.name)
        modifier = getattr(node, "modifier", None)
        if isinstance(node, promql_parser.AggregateExpr) and modifier is not None:
            labels.update(modifier.labels)
        if isinstance(node, promql_parser.BinaryExpr) and modifier is not None:
            if modifier.matching is not None:
                labels.update(modifier.matching.labels)
            labels.update(modifier.group_labels or ())

    promql_parser.walk(promql_parser.parse(expr), visit)
    return metrics, labels


def test_every_rule_parses_and_names_only_known_metrics_and_labels():
    for fixture in (ACME, FIXTURES / "minimal" / "specs", FIXTURES / "hourly" / "specs"):
        spec, _ = load_model(fixture)
        files = rule_files(spec)
        known = _metrics(files)
        for f in files.values():
            for g in f["groups"]:
                for rule in g["rules"]:
                    metrics, labels = _walk(rule["expr"])
                    name = rule.get("record") or rule.get("alert")
                    assert metrics <= known, f"{name} reads unknown {metrics - known}"
                    assert labels <= LABELS, f"{name} groups or matches on unknown labels {labels - LABELS}"


def test_rendered_expressions_are_readable():
    """No rendered line is longer than a screen: the on-call engineer reads these."""
    spec, _ = load_model(ACME)
    for f in rule_files(spec).values():
        for g in f["groups"]:
            for rule in g["rules"]:
                longest = max(len(line) for line in rule["expr"].split("\n"))
                assert longest <= 160, f"{rule.get('record') or rule.get('alert')}: a line of {longest} characters"
