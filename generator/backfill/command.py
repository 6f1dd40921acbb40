"""The I/O of `aicost backfill`: ask Prometheus, write ledger.om, run promtool; the lines to print."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

from generator import backfill as b
from generator.errors import BackfillError
from generator.model import Spec
from generator.prometheus_api import instant_query, range_query


def _utc(t: float) -> str:
    return f"{datetime.fromtimestamp(t, timezone.utc):%Y-%m-%d %H:%M:%S} UTC"


def _prepare(out: Path) -> None:
    """A new or empty folder: a backfill never overwrites blocks someone may not have moved yet."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BackfillError(f"--out {out}: exists and is not an empty folder; choose a new one")
    out.mkdir(parents=True, exist_ok=True)


def _end(spec: Spec, url: str, start: float, end: float | None, now: float) -> float:
    """The period's end: the given one, checked against the live ledger, or where that ledger began."""
    found = instant_query(url, b.first_heartbeat_query(now - start), at=datetime.fromtimestamp(now, timezone.utc), timeout=120)
    first_live = float(found[0]["value"][1]) if found else None
    limit = b.period_end(spec, start, first_live, now)
    if end is None:
        return limit
    if end > limit:
        where = f"the live ledger began at {_utc(first_live)}" if first_live else "that is in the future"
        raise BackfillError(f"--to {_utc(end)}: {where}; entries after {_utc(limit)} would be counted twice")
    return end


def run_backfill(spec: Spec, url: str, start: datetime, end: datetime | None, now: datetime, out: Path,
                 promtool: str) -> list[str]:
    """Compute the ledger for [start, end), write it under `out`, turn it into blocks; what to tell the user."""
    tool = shutil.which(promtool)
    if tool is None:
        raise BackfillError(f"--promtool {promtool}: not found (scripts/fetch-tools puts one under .tools/prometheus-3/usr/bin)")
    t0 = start.timestamp()
    t1 = _end(spec, url, t0, end.timestamp() if end else None, now.timestamp())
    if t1 <= t0:
        raise BackfillError(f"nothing to rebuild: the live ledger already ran right after --from {_utc(t0)}")
    _prepare(out)
    samples = b.ledger_samples(spec, partial(range_query, url), t0, t1)
    text = out / "ledger.om"
    text.write_text(b.openmetrics(samples))
    blocks = out / "blocks"
    done = subprocess.run([tool, "tsdb", "create-blocks-from", "openmetrics", str(text), str(blocks)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise BackfillError(f"{promtool} tsdb create-blocks-from openmetrics {text}: {done.stderr.strip()[-600:]}")
    lines = [f"aicost backfill: rebuilt the ledger from {_utc(t0)} to {_utc(t1)}"]
    lines += [f"  {count:>9} samples of {name}" for name, count in b.summary(samples).items()]
    lines.append(f"Move {blocks}/* into Prometheus' data folder (--storage.tsdb.path); it loads them at its next "
                 "block reload, or at a restart.")
    return lines
