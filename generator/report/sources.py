"""Where report money comes from: billing exports (plain CSV, FinOps FOCUS) and Prometheus."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path

from generator import names as n
from generator.errors import PrometheusUnavailable, ReportError
from generator.prometheus_api import instant_query
from generator.report.allocation import CostRow, Period, money

PLAIN_COLUMNS = ("cost", "team", "project", "category")
FOCUS_SERVICE_CATEGORY = {"compute": "compute", "ai and machine learning": "api", "storage": "storage",
                          "networking": "network", "databases": "other"}


# No bill line is a quadrillion dollars; past this an amount is a typo or an attack on Decimal.
MAX_AMOUNT = Decimal("1e15")


def _cost(text: str, where: str, what: str = "cost") -> Decimal:
    """An amount; negative ones are credits, refunds or discounts and are netted, not refused."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ReportError(f"{where}: {what} {text!r} is not a number") from None
    if not value.is_finite() or abs(value) >= MAX_AMOUNT:
        raise ReportError(f"{where}: {what} {text!r} is not an amount of money")
    return value


def _category(value: str, where: str) -> str:
    if value not in n.CATEGORIES:
        raise ReportError(f"{where}: category {value!r} is not one of {', '.join(n.CATEGORIES)}")
    return value


def _read(path: Path) -> tuple[list[str], list[dict]]:
    """The header and the rows of a CSV file."""
    try:
        # utf-8-sig: spreadsheet exports often start with a byte-order mark.
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            rows = list(reader)
            return list(reader.fieldnames or []), rows
    except FileNotFoundError:
        raise ReportError(f"{path}: file not found") from None
    except OSError as exc:
        raise ReportError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ReportError(f"{path}: not a readable CSV file ({exc})") from None


def read_plain_csv(path: Path) -> list[CostRow]:
    """Rows of `cost,team,project,category`; an empty team or project is untagged."""
    fields, rows = _read(path)
    missing = [c for c in PLAIN_COLUMNS if c not in fields]
    if missing:
        raise ReportError(f"{path}: missing column(s) {', '.join(missing)}; expected a header {','.join(PLAIN_COLUMNS)}")
    out = []
    for i, r in enumerate(rows, start=2):  # line 1 is the header
        where = f"{path}:{i}"
        if None in r or any(r.get(c) is None for c in PLAIN_COLUMNS):
            raise ReportError(f"{where}: expected {len(fields)} fields ({','.join(fields)})")
        out.append(CostRow((r["team"] or "").strip(), (r["project"] or "").strip(),
                           _category((r["category"] or "other").strip() or "other", where), _cost(r["cost"], where),
                           path.name))
    return out


def _timestamp(text: str, where: str) -> datetime:
    try:
        t = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ReportError(f"{where}: ChargePeriodStart {text!r} is not an ISO 8601 time") from None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def _tag(tags: dict, key: str, where: str) -> str:
    value = tags.get(key, "")
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise ReportError(f"{where}: tag {key} must be a name, found {json.dumps(value)}")
    return str(value).strip()


def read_focus(path: Path, period: Period, tag_keys: dict[str, str] | None = None) -> list[CostRow]:
    """FinOps FOCUS 1.x rows whose ChargePeriodStart lies in the period, allocated by their Tags.

    Tags is the FOCUS JSON object of resource tags; `team` and `project` come from the spec's
    required tags, the category from a `cost_category` (or `category`) tag, else from
    ServiceCategory.
    """
    keys = {"team": "team", "project": "project", **(tag_keys or {})}
    fields, rows = _read(path)
    missing = [c for c in ("BilledCost", "ChargePeriodStart", "Tags") if c not in fields]
    if missing:
        raise ReportError(f"{path}: not a FOCUS export: missing column(s) {', '.join(missing)}")
    out = []
    for i, r in enumerate(rows, start=2):
        where = f"{path}:{i}"
        start = _timestamp(r["ChargePeriodStart"] or "", where)
        if not period.start <= start < period.end:
            continue
        try:
            tags = json.loads(r["Tags"]) if (r["Tags"] or "").strip() else {}
        except json.JSONDecodeError:
            raise ReportError(f"{where}: Tags {r['Tags']!r} is not a JSON object") from None
        if not isinstance(tags, dict):
            raise ReportError(f"{where}: Tags must be a JSON object of tag: value")
        category = tags.get("cost_category") or tags.get("category")
        if category is None:
            category = FOCUS_SERVICE_CATEGORY.get((r.get("ServiceCategory") or "").strip().lower(), "other")
        out.append(CostRow(_tag(tags, keys["team"], where), _tag(tags, keys["project"], where),
                           _category(str(category), f"{where}: tag cost_category"),
                           _cost(r["BilledCost"] or "", where, "BilledCost"), path.name))
    return out


def _query(url: str, promql: str, at: datetime) -> list[dict]:
    try:
        return instant_query(url, promql, at)
    except PrometheusUnavailable as exc:
        raise ReportError(str(exc)) from None


def read_prometheus(url: str, period: Period, now: datetime) -> list[CostRow]:
    """Spend per team/project/category in the period, from the aicost recording rules.

    Each complete day is the exact `...:yesterday` total recorded during the day after it; a
    day in progress is `...:today` now. So the report agrees with the alerts to the cent and
    counter resets change nothing. The rules must run on that Prometheus.
    """
    out: dict[tuple, Decimal] = {}
    day = period.start
    while day < period.end and day <= now:
        next_day = day + timedelta(days=1)
        if next_day <= now:
            series, at = n.R_TPC_YESTERDAY, min(next_day + timedelta(hours=1), now)
        else:
            series, at = n.R_TPC_TODAY, now
        for r in _query(url, series, at):
            labels = r["metric"]
            key = (labels.get("team", ""), labels.get("project", ""), labels.get("category", "other"))
            out[key] = out.get(key, Decimal(0)) + _sample(url, series, r)
        day = next_day
    if not out and not _query(url, f"count({n.C_TEAM_INFO})", now):
        raise ReportError(f"{url}: the aicost recording rules are not loaded there (no {n.C_TEAM_INFO})")
    return [CostRow(t, p, c if c in n.CATEGORIES else "other", v, "prometheus") for (t, p, c), v in sorted(out.items())]


def _sample(url: str, series: str, r: dict) -> Decimal:
    """The value of one result sample; NaN or infinite money is Prometheus' problem, named."""
    value = Decimal(r["value"][1])
    if not value.is_finite():
        raise ReportError(f"{url}: {series} of {json.dumps(r['metric'], sort_keys=True)} is {r['value'][1]}, "
                          "not an amount; check the aicost rules there")
    return value


def read_forecasts(url: str, now: datetime) -> dict[str, Decimal]:
    """Each team's month-end forecast as the rules record it now (teams whose forecast is not a number are left out)."""
    out = {}
    for r in _query(url, n.R_TEAM_FORECAST, now):
        value = Decimal(r["value"][1])
        if value.is_finite():
            out[r["metric"].get("team", "")] = money(value)
    return out
