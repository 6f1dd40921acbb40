"""What a generated promtool test expects of an alert: labels, annotations as Prometheus renders them, edges."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from generator import names as n
from generator.catalogue import Catalogue
from generator.catalogue.annotations import expand
from generator import durations
from generator.durations import seconds

EVAL = "_evaluation_interval"  # scenario key: the evaluation interval of the file it goes to
LEAD = 10  # minutes a signal stays on the healthy side first, so `for: 0s` still has a "before"


def minutes(duration: str) -> int:
    """A Prometheus duration such as 1h30m, in whole minutes (rounded up)."""
    return math.ceil(seconds(duration) / 60)


def landed(team, labels: dict) -> dict:
    """A raw series' labels as they land for the team: from its truth source where that is not aicost
    (renamed by the source's scrape job, labelled `source`), so the ledger counts it."""
    truth = team.sources.truth_for(labels.get(n.L_CATEGORY, "api"))
    return labels if truth == n.NATIVE_SOURCE else {**labels, n.L_SOURCE: truth}


def series(metric: str, labels: dict, values: str) -> dict:
    """An input series of a promtool test."""
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return {"series": f"{metric}{{{inner}}}", "values": values}


def crossing(limit: float, floor: float, step: Fraction) -> int:
    """First minute k at which step*k > limit and step*k >= floor."""
    k = int(Fraction(str(limit)) / step) + 1
    return max(k, math.ceil(Fraction(str(floor)) / step)) if floor else k


def cents_rate(target: float, at_minute: int = 60, digits: int = 2) -> Fraction:
    """A round per-minute step that crosses `target` just before `at_minute`."""
    scale = 10 ** digits
    r = Fraction(math.ceil(target / (at_minute - 0.5) * scale), scale)
    if (Fraction(str(target)) / r).denominator == 1:  # landing exactly on the limit is ambiguous
        r += Fraction(1, scale)
    return r


class Expect:
    """Expected alerts of one spec, from the catalogue's enriched alerts."""

    def __init__(self, catalogue: Catalogue):
        self.catalogue = catalogue

    def alert(self, name: str, severity: str, labels: dict, value: float, queries: dict, exact: bool,
              extra: dict | None = None, per_team: bool = True) -> dict:
        """An exp_alerts entry: the labels, and with `exact` the annotations as Prometheus renders them."""
        extra = extra or {}
        a = self.catalogue.alert((name, severity, tuple(sorted(extra.items())), per_team))
        all_labels = {**labels, n.L_SEVERITY: severity, **extra}
        if not exact:
            return {"exp_labels": dict(sorted(all_labels.items()))}
        texts = {"summary": a.summary, "description": a.description, "dashboard": a.dashboard}
        ann = {key: expand(text, all_labels, value, queries) for key, text in texts.items()}
        ann["action"] = a.action
        ann["runbook_url"] = a.runbook_url
        return {"exp_labels": dict(sorted(all_labels.items())), "exp_annotations": ann}


def at(minute) -> str:
    """An eval_time of `minute` minutes (a fraction for sub-minute evaluation intervals)."""
    return durations.render(float(minute) * 60)


@dataclass(frozen=True)
class Clock:
    """The evaluation grid of a test file, every `step` minutes, and when Prometheus fires on it."""

    step: Fraction

    def at_or_after(self, minute) -> Fraction:
        """The first evaluation at or after `minute`."""
        return math.ceil(Fraction(minute) / self.step) * self.step

    def fires(self, true_from, for_: str) -> Fraction:
        """When an alert whose condition holds from minute `true_from` on fires: pending at the first
        evaluation after that, firing once `for:` has passed at an evaluation."""
        return self.at_or_after(true_from) + math.ceil(Fraction(minutes_exact(for_)) / self.step) * self.step


def minutes_exact(duration: str) -> Fraction:
    """A Prometheus duration in minutes, exactly."""
    return Fraction(str(seconds(duration))) / 60


def edge(name: str, fire_at, expected: list[dict], step=1, before: list | None = None) -> list[dict]:
    """Not firing one evaluation before `fire_at` minutes (only `before` is), firing at it."""
    return [
        {"eval_time": at(fire_at - step), "alertname": name, "exp_alerts": before or []},
        {"eval_time": at(fire_at), "alertname": name, "exp_alerts": expected},
    ]
