"""The cost-allocation report (showback/chargeback): periods, rows, allocation. Pure: no I/O.

Money is `Decimal` from the source text to the printed cent. Rows are summed exactly and
rounded once, when printed: a million rows of $0.004 are $4,000, not $0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from generator import names as n
from generator.model import Spec

CENT = Decimal("0.01")
# Report columns (the seed's table) and the categories each one gathers.
COLUMNS = {"compute": ("compute", "inference", "training"), "api": ("api",), "storage": ("storage",),
           "other": ("network", "other")}


def money(x: Decimal, unit: Decimal = CENT) -> Decimal:
    """Round to the cent (or `unit`), half up (the way invoices round)."""
    return x.quantize(unit, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC."""

    start: datetime
    end: datetime

    @property
    def days(self) -> int:
        """Whole days in the period."""
        return (self.end - self.start).days

    @property
    def calendar_month(self) -> bool:
        """Whether the period is exactly one calendar month."""
        nxt = (self.start.replace(day=28) + timedelta(days=4)).replace(day=1)
        return self.start.day == 1 and self.start.time() == self.end.time() and self.end == nxt

    def previous(self) -> "Period":
        """The period of the same kind just before this one."""
        if self.calendar_month:
            prev_start = (self.start - timedelta(days=1)).replace(day=1)
            return Period(prev_start, self.start)
        return Period(self.start - (self.end - self.start), self.start)

    def label(self) -> str:
        """2026-11-16 .. 2026-11-22 (inclusive end)."""
        return f"{self.start.date()} .. {(self.end - timedelta(days=1)).date()}"


def _midnight(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=timezone.utc)


def last_complete(kind: str, now: datetime) -> Period:
    """The last complete day, week (Monday to Sunday) or month before `now`, in UTC."""
    today = now.astimezone(timezone.utc).date()
    if kind == "day":
        return Period(_midnight(today - timedelta(days=1)), _midnight(today))
    if kind == "week":
        monday = today - timedelta(days=today.weekday())
        return Period(_midnight(monday - timedelta(days=7)), _midnight(monday))
    if kind == "month":
        first = today.replace(day=1)
        return Period(_midnight((first - timedelta(days=1)).replace(day=1)), _midnight(first))
    raise ValueError(f"unknown period {kind!r}; expected day, week or month")


@dataclass(frozen=True)
class CostRow:
    """Money allocated to a team, project and category, from one source."""

    team: str
    project: str
    category: str
    amount: Decimal
    source: str


@dataclass(frozen=True)
class Line:
    """One row of the allocation table: team/project by column."""

    team: str
    project: str
    columns: tuple[tuple[str, Decimal], ...]
    total: Decimal

    @property
    def key(self) -> str:
        """team/project, as the seed prints it."""
        return f"{self.team}/{self.project}"


@dataclass(frozen=True)
class TeamSummary:
    """A team's spend against its budget for the period, and its change on the previous period."""

    team: str
    spend: Decimal
    budget: Decimal | None  # None when the money is undated
    previous: Decimal | None
    forecast: Decimal | None = None  # month-end forecast (from Prometheus), None when unknown

    @property
    def utilization(self) -> Decimal | None:
        """spend / budget (None without a budget to compare with)."""
        return self.spend / self.budget if self.budget else None

    @property
    def change(self) -> Decimal | None:
        """Change on the previous period, as a fraction (None without a previous period)."""
        if self.previous is None or not self.previous:
            return None
        return (self.spend - self.previous) / self.previous


@dataclass(frozen=True)
class Report:
    """Everything every format prints."""

    org: str
    period: Period | None  # None: undated money (a plain CSV without --from/--to)
    lines: tuple[Line, ...]
    total: Decimal
    untagged: Decimal
    teams: tuple[TeamSummary, ...]
    rows: tuple[CostRow, ...] = field(default=())
    credits: Decimal = Decimal(0)  # credits, refunds and discounts, already netted into the lines

    @property
    def label(self) -> str:
        """The period as printed."""
        return self.period.label() if self.period else "undated (plain CSV; give --from/--to for its period)"

    @property
    def unknown_teams(self) -> tuple[str, ...]:
        """Team names the money carried that the spec does not know."""
        return tuple(sorted({line.project for line in self.lines if line.team == n.UNTAGGED} - {n.UNTAGGED}))

    @property
    def untagged_share(self) -> Decimal:
        """Untagged / total."""
        return self.untagged / self.total if self.total else Decimal(0)

    def movers(self, k: int = 3) -> tuple[TeamSummary, ...]:
        """The teams whose spend changed most in dollars on the previous period."""
        with_prev = [t for t in self.teams if t.previous is not None]
        return tuple(sorted(with_prev, key=lambda t: (-abs(t.spend - t.previous), t.team))[:k])


def untagged(team: str) -> bool:
    """Whether money under this team label carries no team tag at all."""
    return team in ("", n.UNTAGGED)


def normalise(row: CostRow, teams: frozenset[str]) -> CostRow:
    """Money of no team, or of a team the spec does not know, is untagged: one bucket, named.

    Untagged money keeps its name as the line's project (untagged/untagged for no tag at all,
    untagged/<name> for an unknown team), so the warning can say whose it is. Amounts stay
    exact: rounding happens once, when a format prints them.
    """
    if untagged(row.team):
        return CostRow(n.UNTAGGED, n.UNTAGGED, row.category, row.amount, row.source)
    if row.team not in teams:
        return CostRow(n.UNTAGGED, row.team, row.category, row.amount, row.source)
    return CostRow(row.team, row.project or n.UNTAGGED, row.category, row.amount, row.source)


def combine(billing: list[CostRow], metered: list[CostRow]) -> list[CostRow]:
    """Billing rows, plus metered (Prometheus) rows only for categories no billing row has.

    The bill is the truth for what it covers: GPU hours on the cloud bill and the same hours
    accrued by the exporter are the same money, so a category that any billing source reports
    is taken from billing alone, and Prometheus fills in the rest (typically `api`, paid to a
    model vendor and not on the cloud bill).
    """
    billed = {r.category for r in billing}
    return billing + [r for r in metered if r.category not in billed]


def _lines(rows: list[CostRow]) -> list[Line]:
    acc: dict[tuple[str, str], dict[str, Decimal]] = {}
    for r in rows:
        col = next(c for c, cats in COLUMNS.items() if r.category in cats)
        cell = acc.setdefault((r.team, r.project), {c: Decimal(0) for c in COLUMNS})
        cell[col] += r.amount
    lines = [Line(t, p, tuple(cols.items()), sum(cols.values(), Decimal(0))) for (t, p), cols in acc.items()]
    lines.sort(key=lambda line: (-line.total, line.key))
    return lines


def _budget(team, period: Period | None) -> Decimal | None:
    if period is None:
        return None
    if period.calendar_month:
        return Decimal(str(team.monthly_budget))
    return Decimal(str(team.daily_budget)) * period.days


def build(spec: Spec, period: Period | None, rows: list[CostRow], previous: list[CostRow] | None,
          forecasts: dict[str, Decimal] | None = None) -> Report:
    """Allocate rows to team/project lines; budgets for the period; change on the previous period.

    `period` is None for undated money (a plain CSV without --from/--to): then no budget is
    compared, since nothing says which days the money covers.
    """
    teams = frozenset(t.name for t in spec.teams)
    rows = [normalise(r, teams) for r in rows]
    lines = _lines(rows)
    total = sum((line.total for line in lines), Decimal(0))
    untagged_total = sum((line.total for line in lines if line.team == n.UNTAGGED), Decimal(0))
    prev_by_team: dict[str, Decimal] | None = None
    if previous is not None:
        prev_by_team = {}
        for r in (normalise(r, teams) for r in previous):
            prev_by_team[r.team] = prev_by_team.get(r.team, Decimal(0)) + r.amount
    summaries = []
    for t in spec.teams:
        spend = sum((line.total for line in lines if line.team == t.name), Decimal(0))
        prev = None if prev_by_team is None else prev_by_team.get(t.name, Decimal(0))
        summaries.append(TeamSummary(t.name, spend, _budget(t, period), prev, (forecasts or {}).get(t.name)))
    credits = sum((r.amount for r in rows if r.amount < 0), Decimal(0))
    return Report(spec.org_name, period, tuple(lines), total, untagged_total, tuple(summaries), tuple(rows), credits)
