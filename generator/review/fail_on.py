"""`aicost diff --fail-on`: policies a change may break, such as "no budget grows by more than 50 %"."""

from __future__ import annotations

from typing import NamedTuple

from generator.errors import DiffError
from generator.review.changes import Change

# policy -> (the change kinds it looks at, whether it takes a percentage, what it means)
POLICIES = {
    "any": ((), False, "any change at all"),
    "team-added": (("team-added",), False, "a team was added"),
    "team-removed": (("team-removed",), False, "a team was removed"),
    "budget-increase": (("budget",), True, "a team or org budget grew (by more than PCT %)"),
    "budget-decrease": (("budget",), True, "a team or org budget shrank (by more than PCT %)"),
    "token-budget": (("token-budget",), True, "a token budget changed (by more than PCT %)"),
    "threshold": (("threshold",), False, "a threshold changed"),
    "alert-level": (("alert-level",), True, "an alert's firing level moved (by more than PCT %)"),
    "alert-added": (("alert-added",), False, "an alert can now fire for a team"),
    "alert-removed": (("alert-removed",), False, "an alert no longer fires for a team"),
    "price-change": (("price-change",), True, "a model or GPU price changed (by more than PCT %)"),
    "receiver": (("receiver",), False, "a receiver was added, removed or changed"),
    "routing": (("routing",), False, "an alert now reaches other receivers"),
    "setting": (("setting",), False, "any other setting changed"),
}


class Policy(NamedTuple):
    """One --fail-on value: a policy name and, for some, a percentage."""

    name: str
    percent: float | None

    def __str__(self) -> str:
        return self.name if self.percent is None else f"{self.name}={self.percent:g}"


def parse(text: str) -> Policy:
    """A --fail-on value such as `budget-increase=50` or `team-removed`; DiffError naming the allowed ones."""
    name, _, pct = text.partition("=")
    allowed = ", ".join(f"{k}{'[=PCT]' if v[1] else ''}" for k, v in POLICIES.items())
    if name not in POLICIES:
        raise DiffError(f"--fail-on {text!r}: unknown policy '{name}'; allowed: {allowed}")
    if pct and not POLICIES[name][1]:
        raise DiffError(f"--fail-on {text!r}: '{name}' takes no percentage; allowed: {allowed}")
    try:
        value = float(pct.rstrip("%")) if pct else None
    except ValueError:
        value = -1.0
    if value is not None and not value >= 0:
        raise DiffError(f"--fail-on {text!r}: '{pct}' is not a percentage such as 50")
    return Policy(name, value)


def _breaks(policy: Policy, c: Change) -> bool:
    kinds = POLICIES[policy.name][0]
    if kinds and c.kind not in kinds:
        return False
    if policy.name == "any":
        return c.kind != "price-effect"
    a, b = c.before, c.after
    if policy.name == "budget-increase":
        if a is None or b is None or b <= a:
            return False
    elif policy.name == "budget-decrease":
        if a is None or b is None or b >= a:
            return False
    if policy.percent is None:
        return True
    if a is None or b is None:
        return policy.name in ("token-budget", "price-change")  # a budget or price appearing or going is no percentage
    return a == 0 or abs(b - a) / a * 100 > policy.percent


def violations(changes: list[Change], policies: list[Policy]) -> list[str]:
    """One line per change that breaks a policy."""
    return [f"aicost diff: --fail-on {p}: {c.section}: {c.text}" for p in policies for c in changes if _breaks(p, c)]
