"""Prometheus durations: the exact grammar Prometheus and Alertmanager accept, and their length."""

from __future__ import annotations

import re

# prometheus/common model.ParseDuration: units in decreasing order, each at most once ("1h30m",
# not "30m1h"); both Prometheus and Alertmanager refuse anything else.
DURATION_RE = re.compile(r"^(?=[0-9])(?:([0-9]+)y)?(?:([0-9]+)w)?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?"
                         r"(?:([0-9]+)s)?(?:([0-9]+)ms)?$")
_UNITS = (365 * 86400, 7 * 86400, 86400, 3600, 60, 1, 0.001)


def seconds(duration: str) -> float:
    """The length of a duration such as 1h30m, in seconds; ValueError for anything Prometheus refuses."""
    m = DURATION_RE.match(duration)
    if not m:
        raise ValueError(f"{duration!r} is not a Prometheus duration")
    return sum(int(g) * unit for g, unit in zip(m.groups(), _UNITS) if g)


def render(total_seconds: float) -> str:
    """The shortest Prometheus duration of a whole number of milliseconds (0 -> 0s)."""
    ms = round(total_seconds * 1000)
    if ms == 0:
        return "0s"
    out = ""
    for unit, name in ((86400000, "d"), (3600000, "h"), (60000, "m"), (1000, "s"), (1, "ms")):
        if ms >= unit:
            out += f"{ms // unit}{name}"
            ms %= unit
    return out
