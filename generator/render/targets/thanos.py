"""Thanos Ruler: the rule groups with a partial response strategy, and nothing Thanos ignores."""

from __future__ import annotations

from generator.model import Thanos
from generator.render.targets import Plain

DIR = "thanos/rules"


def render_thanos(thanos: Thanos, plain: Plain) -> dict[str, object]:
    """rendered/thanos/rules/<group>.yml."""
    out = {}
    for name, data in plain.rule_files.items():
        groups = [{**g, "partial_response_strategy": thanos.partial_response_strategy} for g in data["groups"]]
        out[f"{DIR}/{name}"] = {"groups": groups}
    return out
