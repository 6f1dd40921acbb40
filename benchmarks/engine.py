"""What one read and one operation cost on each Prometheus: the same queries, the same TSDB, the same time.

The spend ledger's increments are made of short reads of every raw counter series (its last
sample in the window, the one before it, whether it restarted) and operations between them,
per series; the naive query `sum by (team) (increase(ai_spend_dollars_total[1d]))` is one read
that decodes a day of samples per series. How their costs compare differs between Prometheus
versions, and that is what sets the ledger's ratio to the naive query on each: this measures it.

It builds the TSDB of `benchmarks/rules.py` (backfilled history, the last hours through remote
write into the head), starts the first leg's Prometheus on it with the rendered rules and a
scrape (as `rules.py` does), lets the rules run a few minutes after compaction, then times each
query below through the query API at one evaluation time two minutes back; each further leg
then starts on the same TSDB (its head replayed from the write-ahead log, the rules' records
included) and times the same queries at the same time. Medians (and minimum) of `--repeats`
runs, with the rule groups evaluating meanwhile, as in production.

    python benchmarks/engine.py [--teams 1000] [--prometheus 2,3] [--repeats 7]

Legs run in the order given, on one TSDB: an older Prometheus first (2.42 reads what it wrote
before 3.5 does; the other way round is not promised).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rules as bench  # noqa: E402
from generate import make_specs  # noqa: E402

X = "ai_spend_dollars_total"
WINDOW = f"{X}[59s999ms] offset 10s"


def queries(rule_dir: Path) -> list[tuple[str, str]]:
    """(what, query): the naive query, single reads and operations, and two of the ledger's rules as rendered."""
    spend = {r["record"]: r["expr"] for g in yaml.safe_load((rule_dir / "aicost-spend.yml").read_text())["groups"]
             for r in g["rules"] if "record" in r}
    return [
        ("naive query (a day of samples per series)", bench.NAIVE),
        ("one 1-minute read", f"count(last_over_time({WINDOW}))"),
        ("one 45-minute read", f"count(last_over_time({X}[45m] offset 1m10s))"),
        ("two 1-minute reads, compared per series", f"count(last_over_time({WINDOW}) <= min_over_time({WINDOW}))"),
        ("two 1-minute reads, subtracted per series", f"count(last_over_time({WINDOW}) - min_over_time({WINDOW}))"),
        ("one 1-minute read, summed by team/project/category", f"sum by (team, project, category) (last_over_time({WINDOW}))"),
        ("the dollars' increment (rule)", spend["team_project_category:ai_spend_dollars:increment"]),
        ("the dollars' departures (rule)", spend[f"series:{X}:departed"]),
    ]


def _time(api: str, query: str, at: int, repeats: int) -> tuple[float, float]:
    seconds = []
    for _ in range(repeats):
        t0 = time.monotonic()
        body = json.loads(urllib.request.urlopen(f"{api}/query?" + urllib.parse.urlencode({"query": query, "time": at}),
                                                 timeout=600).read())
        seconds.append(time.monotonic() - t0)
        if body["status"] != "success":
            raise RuntimeError(body)
    return statistics.median(seconds), min(seconds)


def measure(prometheus: str, data: Path, rule_dir: Path, live: bench.LiveSeries, head_since: int | None,
            work: list[tuple[str, str]], at: int | None, repeats: int) -> tuple[int, list[tuple[float, float]]]:
    """Prometheus on `data` with the rules (`rules.running`): every query timed at `at` (None: two
    minutes back, after three minutes of rules); that time, and the timings."""
    with bench.running(prometheus, data, rule_dir, live, head_since) as (api, _, _):
        if at is None:
            time.sleep(180)
            at = int(time.time()) - 120
            at -= at % 60
        return at, [_time(api, q, at, repeats) for _, q in work]


def main() -> None:
    """Every leg on one TSDB: a table of seconds per query."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--teams", type=int, default=1000)
    ap.add_argument("--prometheus", default="2,3", help="legs under .tools/ (scripts/fetch-tools)")
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    legs = args.prometheus.split(",")
    with tempfile.TemporaryDirectory(prefix="aicost-engine-") as tmp:
        tmp = Path(tmp)
        rule_dir = bench.render(make_specs(args.teams, tmp), tmp / "rendered")
        data, live, end, _ = bench.history(args.teams, tmp, head_hours=3)
        work = queries(rule_dir)
        at, results = None, {}
        try:
            for i, leg in enumerate(legs):
                at, results[leg] = measure(bench.leg_binary(leg, "prometheus"), data, rule_dir, live,
                                           None if i else end, work, at, args.repeats)
        finally:
            live.close()
    print(f"{args.teams} teams, {len(bench.raw_series(args.teams)):,} raw series; seconds per query, median (min) of "
          f"{args.repeats}, at one evaluation time")
    print("| query | " + " | ".join(f"Prometheus {leg}" for leg in legs) + " |")
    print("| --- |" + " --- |" * len(legs))
    for i, (what, _) in enumerate(work):
        print(f"| {what} | " + " | ".join(f"{results[leg][i][0]:.3f} ({results[leg][i][1]:.3f})" for leg in legs) + " |")


if __name__ == "__main__":
    main()
