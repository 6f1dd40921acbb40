"""The report's formats: terminal table (the seed's), Markdown, self-contained HTML, CSV, JSON."""

from __future__ import annotations

import csv
import html
import io
import json
from decimal import Decimal

from generator import names as n
from generator.report.allocation import COLUMNS, Report, money

HEAD = ("Compute", "API", "Storage", "Other")
DOLLAR = Decimal(1)


def _usd(x: Decimal | None, width: int = 0) -> str:
    """Money as printed: rounded here, once (half up), never before."""
    if x is None:
        return "-"
    sign = "-" if x < 0 else ""
    if width:
        return f"${sign}{abs(money(x, DOLLAR)):>{width - len(sign)},.0f}"
    return f"{sign}${abs(money(x)):,.2f}"


def _pct(x: Decimal | None) -> str:
    return "-" if x is None else f"{x * 100:.1f}%"


def _cents(x: Decimal | None) -> str | None:
    return None if x is None else f"{money(x):.2f}"


def _warning(r: Report) -> str | None:
    if not r.untagged:
        return None
    unknown = f" Teams not in the spec: {', '.join(r.unknown_teams)}." if r.unknown_teams else ""
    return (f"[WARNING] {_usd(r.untagged, 1)} ({_pct(r.untagged_share)}) of costs are UNTAGGED. Fix resource tagging "
            f"({', '.join(n.REQUIRED_TAGS)}).{unknown}")


def _notes(r: Report) -> list[str]:
    """Lines under the table: credits netted, budgets not compared for undated money."""
    out = []
    if r.credits:
        out.append(f"Credits, refunds and discounts: {_usd(r.credits)} (netted into the rows above)")
    if r.period is None:
        out.append("Budgets: not compared (the plain CSV has no dates; give --from/--to for the period it covers)")
    return out


def _change(t) -> str:
    return "-" if t.change is None else f"{t.change * 100:+.1f}%"


def _forecast(t) -> str:
    return "-" if t.forecast is None else _usd(t.forecast)


def table(r: Report) -> str:
    """The seed's AI COST ALLOCATION REPORT, plus budgets and changes."""
    out = ["AI COST ALLOCATION REPORT", f"{r.org}, {r.label} (UTC)", "=" * 80,
           f"{'Team/Project':<30} {'Compute':>10} {'API':>10} {'Storage':>10} {'Other':>8} {'Total':>10}", "-" * 80]
    for line in r.lines:
        c = dict(line.columns)
        out.append(f"{line.key:<30} {_usd(c['compute'], 9)} {_usd(c['api'], 9)} {_usd(c['storage'], 9)} "
                   f"{_usd(c['other'], 7)} {_usd(line.total, 9)}")
    out += ["-" * 80, f"{'TOTAL':<30} {_usd(r.total, 49)}"]
    if (w := _warning(r)):
        out += ["", w]
    if (notes := _notes(r)):
        out += ["", *notes]
    out += ["", f"{'Team':<16} {'Spend':>12} {'Budget':>12} {'Used':>8} {'vs previous':>12} {'Month-end forecast':>19}"]
    for t in r.teams:
        out.append(f"{t.team:<16} {_usd(t.spend):>12} {_usd(t.budget):>12} {_pct(t.utilization):>8} {_change(t):>12}"
                   f" {_forecast(t):>19}")
    movers = r.movers()
    if movers:
        out += ["", "Top movers: " + ", ".join(f"{t.team} {'+' if t.spend >= t.previous else '-'}"
                                               f"{_usd(abs(t.spend - t.previous))}" for t in movers)]
    return "\n".join(out) + "\n"


def markdown(r: Report) -> str:
    """The same report as Markdown tables."""
    out = [f"# AI cost allocation: {r.org}", "", f"Period: {r.label} (UTC)", "",
           "| Team/Project | " + " | ".join(HEAD) + " | Total |", "|---|" + "---:|" * (len(HEAD) + 1)]
    for line in r.lines:
        c = dict(line.columns)
        out.append(f"| {line.key} | " + " | ".join(_usd(c[k]) for k in COLUMNS) + f" | {_usd(line.total)} |")
    out.append("| **TOTAL** | " + " | ".join("" for _ in HEAD) + f" | **{_usd(r.total)}** |")
    if (w := _warning(r)):
        out += ["", f"> {w}"]
    out += [line for note in _notes(r) for line in ("", note)]
    out += ["", "| Team | Spend | Budget | Used | vs previous | Month-end forecast |", "|---|---:|---:|---:|---:|---:|"]
    for t in r.teams:
        out.append(f"| {t.team} | {_usd(t.spend)} | {_usd(t.budget)} | {_pct(t.utilization)} | {_change(t)} | {_forecast(t)} |")
    return "\n".join(out) + "\n"


def html_page(r: Report) -> str:
    """A self-contained HTML page with a spend-by-team bar chart (inline SVG), for the weekly mail."""
    e = html.escape
    by_team: dict[str, Decimal] = {}
    for line in r.lines:
        by_team[line.team] = by_team.get(line.team, Decimal(0)) + line.total
    top = max(by_team.values(), default=Decimal(1)) or Decimal(1)
    bars = []
    for i, (team, v) in enumerate(sorted(by_team.items(), key=lambda kv: (-kv[1], kv[0]))):
        w = max(0, int(Decimal(400) * v / top))  # a team whose credits exceed its spend gets no bar
        color = "#c0392b" if team == n.UNTAGGED else "#2e86c1"
        bars.append(f'<text x="0" y="{i * 26 + 17}" font-size="13">{e(team)}</text>'
                    f'<rect x="140" y="{i * 26 + 4}" width="{w}" height="18" fill="{color}"/>'
                    f'<text x="{150 + w}" y="{i * 26 + 17}" font-size="13">{e(_usd(v))}</text>')
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="680" height="{len(bars) * 26 + 8}" role="img" '
           f'aria-label="Spend by team">{"".join(bars)}</svg>')
    rows = "".join(
        f"<tr><td>{e(line.key)}</td>" + "".join(f"<td class=n>{e(_usd(dict(line.columns)[k]))}</td>" for k in COLUMNS)
        + f"<td class=n><b>{e(_usd(line.total))}</b></td></tr>" for line in r.lines)
    teams = "".join(
        f"<tr><td>{e(t.team)}</td><td class=n>{e(_usd(t.spend))}</td><td class=n>{e(_usd(t.budget))}</td>"
        f"<td class=n>{e(_pct(t.utilization))}</td><td class=n>{e(_change(t))}</td>"
        f"<td class=n>{e(_forecast(t))}</td></tr>"
        for t in r.teams)
    warning = f'<p class=warn>{e(w)}</p>' if (w := _warning(r)) else ""
    warning += "".join(f"<p>{e(note)}</p>" for note in _notes(r))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>AI cost allocation: {e(r.org)} {e(r.label)}</title>
<style>body{{font-family:sans-serif;margin:24px;color:#222}}table{{border-collapse:collapse;margin:12px 0}}
td,th{{border-bottom:1px solid #ddd;padding:4px 10px}}.n{{text-align:right}}.warn{{color:#c0392b;font-weight:bold}}</style>
</head><body>
<h1>AI cost allocation: {e(r.org)}</h1>
<p>Period: {e(r.label)} (UTC). Total: <b>{e(_usd(r.total))}</b></p>
<h2>Spend by team</h2>
{svg}
<h2>By team and project</h2>
<table><tr><th>Team/Project</th>{''.join(f'<th>{h}</th>' for h in HEAD)}<th>Total</th></tr>{rows}
<tr><th>TOTAL</th>{''.join('<td></td>' for _ in HEAD)}<td class=n><b>{e(_usd(r.total))}</b></td></tr></table>
{warning}
<h2>Budgets</h2>
<table><tr><th>Team</th><th>Spend</th><th>Budget</th><th>Used</th><th>vs previous</th><th>Month-end forecast</th></tr>{teams}</table>
</body></html>
"""


def csv_rows(r: Report) -> str:
    """Chargeback CSV: one row per team/project/category, amounts to the cent."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["period_start", "period_end", "team", "project", "category", "amount_usd"])
    acc: dict[tuple, Decimal] = {}
    for row in r.rows:
        acc[(row.team, row.project, row.category)] = acc.get((row.team, row.project, row.category), Decimal(0)) + row.amount
    start, end = (r.period.start.date(), r.period.end.date()) if r.period else ("", "")
    for (team, project, category), amount in sorted(acc.items()):
        w.writerow([start, end, team, project, category, _cents(amount)])
    return buf.getvalue()


def json_doc(r: Report) -> str:
    """Everything, as JSON (amounts as strings of cents-exact decimals)."""
    doc = {
        "org": r.org,
        "period": {"start": r.period.start.isoformat(), "end": r.period.end.isoformat()} if r.period else None,
        "total": _cents(r.total), "untagged": _cents(r.untagged), "untagged_share": f"{r.untagged_share:.4f}",
        "credits": _cents(r.credits), "unknown_teams": list(r.unknown_teams),
        "lines": [{"team": line.team, "project": line.project, "total": _cents(line.total),
                   **{k: _cents(v) for k, v in line.columns}} for line in r.lines],
        "teams": [{"team": t.team, "spend": _cents(t.spend), "budget": _cents(t.budget),
                   "utilization": None if t.utilization is None else f"{t.utilization:.4f}",
                   "previous": _cents(t.previous), "forecast": _cents(t.forecast)} for t in r.teams],
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


FORMATS = {"table": table, "markdown": markdown, "html": html_page, "csv": csv_rows, "json": json_doc}
