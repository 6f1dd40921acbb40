"""A small PromQL helper: selectors, grouping, layout. Label names come from `names`, never literals.

Rendered rules are read by the on-call engineer who opens them, so every builder here lays
its expression out on indented lines once it grows past one short line. The domain
expressions (the ledger, the calendar, the alerts) live in the catalogue and are written
with these helpers.
"""

from __future__ import annotations

import json

from generator import names as n

WIDTH = 72  # longer expressions go on their own indented lines
DAY = 86400
# The UTC day number of the evaluation time (days since 1970-01-01), as a one-element vector.
TODAY_NUMBER = "floor(vector(time()) / 86400)"


def number(x: float) -> str:
    """A PromQL number literal, exact and stable (repr of the float)."""
    if type(x) is int:
        return str(x)
    f = float(x)  # once: this runs for every constant of every team
    return str(int(f)) if f.is_integer() else repr(f)


def sel(metric: str, **matchers: str) -> str:
    """A vector selector with equality matchers; values are quoted and escaped."""
    if not matchers:
        return metric
    inner = ",".join(f"{k}={json.dumps(str(v))}" for k, v in sorted(matchers.items()))
    return f"{metric}{{{inner}}}"


_RE2_SPECIAL = set("\\.+*?()|[]{}^$")


def regex_escape(value: str) -> str:
    """A literal inside an RE2 regex (label matchers and relabel regexes)."""
    return "".join("\\" + c if c in _RE2_SPECIAL else c for c in value)


def alternatives(values) -> str:
    """An alternation of literals, sorted (matchers and relabel regexes are anchored)."""
    return "|".join(regex_escape(v) for v in sorted(values))


def labels(*names: str) -> str:
    """A label list as written inside by (...) or on (...)."""
    return ", ".join(names)


def by(*names: str) -> str:
    """`by (a, b)`."""
    return f"by ({labels(*names)})"


def on(*names: str) -> str:
    """`on (a, b)`; `on ()` matches any single series on the other side."""
    return f"on ({labels(*names)})"


def indent(text: str, by_spaces: int = 2) -> str:
    """Every line of `text` indented."""
    pad = " " * by_spaces
    return "\n".join(pad + line if line else line for line in text.split("\n"))


def _wrap(head: str, body: str, tail: str = ")") -> str:
    if "\n" in body or len(head) + len(body) > WIDTH:
        return f"{head}\n{indent(body)}\n{tail}"
    return f"{head}{body}{tail}"


def call(function: str, *args: str) -> str:
    """function(arg, ...), over several lines when long."""
    return _wrap(f"{function}(", ", ".join(args) if all("\n" not in a for a in args) else ",\n".join(args))


def agg(op: str, grouping: str, expr: str) -> str:
    """An aggregation such as `sum by (team) (expr)`."""
    return _wrap(f"{op} {grouping} (" if grouping else f"{op}(", expr)


def parens(expr: str) -> str:
    """(expr), over several lines when long."""
    return _wrap("(", expr)


def join(op: str, *exprs: str) -> str:
    """Operands joined by a binary operator such as `or`, `and on (team)`, each in parentheses
    when it is more than a name, one per line when long."""
    parts = [e if _simple(e) else parens(e) for e in exprs]
    one_line = f" {op} ".join(parts)
    if "\n" not in one_line and len(one_line) <= WIDTH:
        return one_line
    return f"\n{op}\n".join(parts)


def _simple(expr: str) -> bool:
    return "\n" not in expr and " " not in expr


def label_value(expr: str, label: str, value: str) -> str:
    """`expr` with label `label` set to the constant `value`."""
    return call("label_replace", expr, json.dumps(label), json.dumps(value), '""', '""')


def sum_parts(grouping: tuple[str, ...], *parts: tuple[str, ...]) -> str:
    """The sum of (sign, vector[, why]) parts by `grouping`; a part absent for a group counts as 0.

    `a + b` would drop a group missing from either side, so each part gets a `part` label,
    the parts are united with `or`, and the sum by the grouping adds them up. A part's `why`
    becomes a comment line above it in the rendered rule.
    """
    tagged = []
    for i, (sign, expr, *why) in enumerate(parts):
        vector = expr if sign == "+" else join("*", expr, "-1")
        tagged.append("".join(f"# {w}\n" for w in why) + label_value(vector, n.L_PART, f"p{i}"))
    return agg("sum", by(*grouping), join("or", *tagged))


def of_parity(series: str, parity: str) -> str:
    """The selector of a by-day series' entries of one day parity."""
    return sel(series, **{n.L_DAY_PARITY: parity})


def of_day(read, grouping: tuple[str, ...] | None, days_ago: int = 0) -> str:
    """`read(parity)` for the UTC day `days_ago` before today, summed by `grouping` (None: every label
    but the parity): both parities are written out, the one of that day kept."""
    per_parity = [join(f"and {on()}", read(p), parens(day_is(p, days_ago))) for p in n.DAY_PARITIES]
    return agg("sum", by(*grouping) if grouping else f"without ({n.L_DAY_PARITY})", join("or", *per_parity))


def day_is(parity: str, days_ago: int = 0, day: str = TODAY_NUMBER) -> str:
    """True (one empty-labelled sample) when the UTC day `days_ago` before `day` has that parity."""
    shifted = f"({day} - {days_ago})" if days_ago else day
    return f"{shifted} % 2 == {n.DAY_PARITIES.index(parity)}"
