"""Prometheus durations (the exact grammar Prometheus and Alertmanager accept, and their length) and the
RFC 3339 timestamps their APIs answer with."""

from __future__ import annotations

import re
from datetime import datetime

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


_RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")


def timestamp(text: str) -> float | None:
    """Unix seconds of an RFC 3339 timestamp as Prometheus and Alertmanager write them (nanoseconds,
    a zone); None when it is not one."""
    m = _RFC3339.match(text)
    if not m:
        return None
    zone = "+00:00" if m.group(3) == "Z" else m.group(3)
    return datetime.fromisoformat(m.group(1) + zone).timestamp() + float("0." + (m.group(2) or "0"))
