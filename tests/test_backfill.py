"""`aicost backfill` on a real Prometheus: raw counters of two and a half past days (scrapes off the
minute grid, a scrape gap, a restart, a team that only counts tokens) and a live ledger that
starts at 12:00:30 on the last day -> the ledger rebuilt as blocks up to where the live one
began -> today (as the running totals' recount reads it), yesterday and month to date, read with
the rules' own expressions, equal the exact sums of what the counters counted."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import FIXTURES, require_tool
from generator import names as n
from generator.catalogue import build
from generator.catalogue.records.ledger import DAY_RANGE, day_sum
from generator.durations import seconds
from generator.cli import main
from generator.errors import StackError
from generator.load import load_spec
from generator.prometheus_api import instant_query
from generator.stack import free_port, wait_http

DAY = 86400
START = datetime(2025, 3, 3, tzinfo=timezone.utc).timestamp()
END = START + 2 * DAY + 12 * 3600  # 2025-03-05 12:00 UTC
SCRAPE = 45  # seconds, starting 7 s past a minute: never on a ledger window's edge
GAP = (START + 15 * 3600, START + 15 * 3600 + 40 * 60)  # 40 minutes without a scrape on the 3rd
RESTART = START + DAY + 10 * 3600  # the app restarts on the 4th (its counter starts again at 0)
PRICE = 0.15 / 1e6  # gpt-4o-mini input, the minimal spec's price
LIVE = END + 30  # the live ledger's first evaluation, off the minute grid
CUT = LIVE - 60  # the backfill stops where that evaluation's window begins


def _history() -> dict[str, list[tuple[float, float]]]:
    """Two raw series from an hour before the period: dollars of team search, tokens of team bots."""
    dollars, tokens = [], []
    value, count, k = 0.0, 0.0, 0
    t = START - 3600 + 7
    while t <= END:
        value += 0.01 * (k % 7 + 1)  # spend keeps happening during the gap: the jump after it carries it
        count += 1000 + 10 * (k % 5)
        if t >= RESTART and (not dollars or dollars[-1][0] < RESTART):
            value = 0.03  # restarted: what it counted since the restart
        if not GAP[0] <= t < GAP[1]:
            dollars.append((t, value))
            tokens.append((t, count))
        t += SCRAPE
        k += 1
    return {'ai_spend_dollars_total{team="search",project="product-search",category="api",instance="app-1"}': dollars,
            'ai_api_tokens_total{team="bots",model="gpt-4o-mini",direction="input",instance="bot-1"}': tokens,
            n.R_LEDGER_HEARTBEAT: [(LIVE + 60 * k, LIVE + 60 * k) for k in range(30)]}


def _truth(points: list[tuple[float, float]], lo: float, hi: float) -> float:
    """What a counter counted between its samples in (lo, hi] (a drop counts from 0)."""
    spent = []
    for (_, before), (t, now) in zip(points, points[1:]):
        if lo < t <= hi:
            spent.append(now - before if now >= before else now)
    return math.fsum(spent)


def _openmetrics(history: dict) -> str:
    lines = []
    for family in ("ai_api_tokens_total", "ai_spend_dollars_total", n.R_LEDGER_HEARTBEAT):
        kind = "gauge" if family == n.R_LEDGER_HEARTBEAT else "counter"
        lines.append(f"# TYPE {family.removesuffix('_total')} {kind}")
        for series, points in history.items():
            if series.startswith(family):
                lines += [f"{series} {v!r} {t:.3f}" for t, v in points]
    return "\n".join(lines + ["# EOF"]) + "\n"


class Prometheus:
    """A Prometheus on a TSDB folder, no scrapes, no rules, 127.0.0.1 only."""

    def __init__(self, data: Path):
        self.port = free_port()
        config = data.parent / "prometheus.yml"
        config.write_text(json.dumps({"global": {"evaluation_interval": "1m"}}))
        self.proc = subprocess.Popen([require_tool("prometheus"), f"--config.file={config}",
                                      f"--storage.tsdb.path={data}", "--storage.tsdb.retention.time=100y",
                                      f"--web.listen-address=127.0.0.1:{self.port}"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}"
        try:
            wait_http(f"{self.url}/-/ready", self.proc, "prometheus on the backfilled TSDB", timeout=60)
        except StackError as exc:
            self.stop()
            pytest.fail(str(exc))

    def value(self, expr: str, at: float) -> float | None:
        result = instant_query(self.url, expr, at=datetime.fromtimestamp(at, timezone.utc))
        return math.fsum(float(r["value"][1]) for r in result) if result else None

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def _record(spec, name: str) -> str:
    return next(r["expr"] for g in build(spec).groups for r in g.rules if isinstance(r, dict) and r.get("record") == name)


@pytest.mark.tools
def test_backfill_rebuilds_today_yesterday_and_month_to_date_exactly(tmp_path):
    promtool = require_tool("promtool")
    history = _history()
    raw = tmp_path / "raw.om"
    raw.write_text(_openmetrics(history))
    data = tmp_path / "tsdb"
    subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", str(raw), str(data)], check=True,
                   capture_output=True)
    specs = FIXTURES / "minimal" / "specs"
    spec, _ = load_spec(specs)

    prometheus = Prometheus(data)
    try:
        out = tmp_path / "backfill"
        args = ["backfill", "--specs", str(specs), "--prometheus", prometheus.url, "--from", "2025-03-03",
                "--promtool", promtool, "--now", "2025-03-05T13:00"]
        # Past the live ledger's start, entries would be counted twice: refused.
        late = CliRunner().invoke(main, [*args, "--to", "2025-03-05T12:10", "--out", str(tmp_path / "late")])
        assert late.exit_code == 1
        assert late.output.strip() == ("aicost backfill: --to 2025-03-05 12:10:00 UTC: the live ledger began at "
                                       "2025-03-05 12:00:30 UTC; entries after 2025-03-05 11:59:30 UTC would be counted twice")
        result = CliRunner().invoke(main, [*args, "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert "rebuilt the ledger from 2025-03-03 00:00:00 UTC to 2025-03-05 11:59:30 UTC" in result.output
        # A second run into the same folder is refused: blocks not yet moved are never overwritten.
        again = CliRunner().invoke(main, ["backfill", "--specs", str(specs), "--prometheus", prometheus.url,
                                          "--from", "2025-03-03", "--out", str(out), "--promtool", promtool,
                                          "--now", "2025-03-05T12:00:30"])
        assert again.exit_code == 1
        assert f"aicost backfill: --out {out}: exists and is not an empty folder" in again.output
    finally:
        prometheus.stop()
    for block in (out / "blocks").iterdir():
        shutil.move(str(block), data / block.name)

    dollars, tokens, _ = history.values()
    # the ledger reads spend_delay behind its evaluations: a day holds the samples stamped in
    # (midnight - delay, next midnight - delay], the entries up to CUT those up to CUT - delay
    delay = seconds(spec.spend_delay)
    assert delay > 0
    start, cut = START - delay, CUT - delay
    day = {d: _truth(dollars, start + d * DAY, start + (d + 1) * DAY) + PRICE * _truth(tokens, start + d * DAY, start + (d + 1) * DAY)
           for d in range(3)}
    today_part = _truth(dollars, start + 2 * DAY, cut) + PRICE * _truth(tokens, start + 2 * DAY, cut)
    assert _truth(dollars, GAP[0], GAP[1] + 3600) > 0.5  # the gap and the restart are inside what is checked

    yesterday = _record(spec, n.R_TPC_YESTERDAY)
    # today as the running totals' next recount reads it: the sum of today's entries, rebuilt here
    today = day_sum(n.R_TPC_INCREMENT_BY_DAY, n.TPC, 0, DAY_RANGE)
    month = (_record(spec, n.R_TPC_MONTH).replace(n.R_TPC_TODAY, f"({today})")
             .replace(n.R_TPC_YESTERDAY, f"({yesterday})"))
    prometheus = Prometheus(data)
    try:
        assert prometheus.value(n.R_TPC_DAY_TOTAL, START + DAY + 3600) == pytest.approx(day[0], rel=1e-12)
        assert prometheus.value(yesterday, CUT) == pytest.approx(day[1], rel=1e-12)
        assert prometheus.value(today, CUT) == pytest.approx(today_part, rel=1e-12)
        assert prometheus.value(month, CUT) == pytest.approx(day[0] + day[1] + today_part, rel=1e-12)
        tokens_today = prometheus.value(day_sum(n.R_TMD_INCREMENT_BY_DAY, (n.L_TEAM, n.L_MODEL), 0, DAY_RANGE), CUT)
        assert tokens_today == pytest.approx(_truth(tokens, start + 2 * DAY, cut), rel=1e-12)
    finally:
        prometheus.stop()


def test_backfill_refuses_a_folder_in_use_and_an_unreachable_prometheus(tmp_path):
    promtool = shutil.which("promtool") or "true"
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "01ABC").mkdir()
    specs = str(FIXTURES / "minimal" / "specs")
    port = free_port()
    result = CliRunner().invoke(main, ["backfill", "--specs", specs, "--prometheus", f"http://127.0.0.1:{port}",
                                       "--from", "2025-03-03", "--out", str(tmp_path / "new"), "--promtool", promtool])
    assert result.exit_code == 1
    assert result.output.strip() == f"http://127.0.0.1:{port}: cannot reach Prometheus ([Errno 111] Connection refused)"
    result = CliRunner().invoke(main, ["backfill", "--specs", specs, "--prometheus", "http://127.0.0.1:1",
                                       "--from", "2025-03-03", "--out", str(busy), "--promtool", "no-such-promtool"])
    assert result.exit_code == 1
    assert result.output.strip() == ("aicost backfill: --promtool no-such-promtool: not found "
                                     "(scripts/fetch-tools puts one under .tools/prometheus-3/usr/bin)")
    assert not (tmp_path / "new").exists()
