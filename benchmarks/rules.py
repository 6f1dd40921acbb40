"""Benchmark the rendered rules on a real Prometheus with a backfilled TSDB, against a naive query.

For 10, 100 and 1,000 teams (per team: 3 projects x 2 categories x 4 instances of
ai_spend_dollars_total, 3 models x 2 directions x 4 instances of ai_api_tokens_total, a cost
histogram of 4 instances (11 series each), 4 GPU hosts x 2 GPUs x 2 gauges: about 110 raw series
a team, scraped every 60 s), it

1. writes 30 hours of that history, up to `--head-hours` (3) ago, as OpenMetrics, one file per
   2-hour block, and the rule history the ledger would have recorded meanwhile (its entries, day
   totals, heartbeat), then turns them into TSDB blocks with `promtool tsdb create-blocks-from
   openmetrics`;
2. starts Prometheus on that TSDB, sends it the last hours through remote write, into its head
   block, where a running Prometheus holds them, then loads the rules rendered for those teams
   and scrapes a local endpoint that carries every raw series on from where the history stops;
3. once Prometheus has compacted the blocks it found (a minute of quiet), reads each group's
   evaluation time from /api/v1/rules over a few evaluations, times the naive
   `sum by (team) (increase(ai_spend_dollars_total[1d]))` through the query API once after each
   evaluation of aicost-spend (medians of the same minutes), and
   takes Prometheus' CPU seconds and peak RSS from /proc.

Goals (spend-ledger issue): at 1,000 teams every group within 2x the naive query and well
inside its evaluation interval; growth linear in the number of aggregated series.

With `--against REF` (a git revision), the rules that revision renders run too, on a copy of the
same TSDB, before this tree's: an A/B on one backfill, the only fair comparison on a machine
whose timings drift.

    python benchmarks/rules.py [--teams 10,100,1000] [--prometheus 2,3] [--evaluations 3] [--against REF]
                               [--head-hours 3]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import make_specs  # noqa: E402
import remote_write  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402
from generator.stack import free_port, wait_http  # noqa: E402

HOURS = 30
STEP = 60  # seconds between samples
BLOCK = 7200  # promtool writes 2-hour blocks: one input file per block keeps it to one pass each
BUCKETS = ("0.0001", "0.001", "0.01", "0.05", "0.1", "0.5", "1.0", "5.0", "+Inf")
MODELS = ("gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet")
NAIVE = "sum by (team) (increase(ai_spend_dollars_total[1d]))"


def _teams(n: int) -> list[str]:
    return [f"team-{i:05d}" for i in range(n)]


def raw_series(n: int) -> list[tuple[str, str, float, str]]:
    """(family, labels, rate per minute, kind) of every raw series: kind counter, gauge or bucket share."""
    out = []
    for i, team in enumerate(_teams(n)):
        for p in (f"app-{i}", f"batch-{i}", "shared"):
            for c in ("api", "compute"):
                for k in range(4):
                    out.append(("ai_spend_dollars_total", f'team="{team}",project="{p}",category="{c}",'
                                f'instance="i-{i}-{k}",job="aicost-apps"', 0.01 * (1 + (i + k) % 7), "counter"))
        for m in MODELS:
            for d in ("input", "output"):
                for k in range(4):
                    out.append(("ai_api_tokens_total", f'team="{team}",model="{m}",direction="{d}",'
                                f'instance="i-{i}-{k}",job="aicost-apps"', 1000.0 * (1 + k), "counter"))
        for k in range(4):
            base = f'model="gpt-4o",team="{team}",endpoint="/chat",instance="i-{i}-{k}",job="aicost-apps"'
            for j, le in enumerate(BUCKETS):
                out.append(("ai_request_cost_dollars_bucket", f'{base},le="{le}"', 10.0 * (j + 1) / len(BUCKETS), "counter"))
            out.append(("ai_request_cost_dollars_count", base, 10.0, "counter"))
            out.append(("ai_request_cost_dollars_sum", base, 0.2, "counter"))
            for g in range(2):
                gpu = (f'instance="h-{i}-{k}",gpu="{g}",type="A100",team="{team}",project="app-{i}",'
                       f'environment="production",job="aicost-exporter"')
                out.append(("ai_gpu_utilization_percent", gpu, 3.0 if (k + g) == 0 else 60.0, "gauge"))
                out.append(("ai_gpu_hourly_cost_dollars", gpu, 4.096, "gauge"))
    return out


def recorded_series(n: int) -> list[tuple[str, str, float, str]]:
    """The rule history the ledger would have recorded over the same hours (entries every minute)."""
    out = [("aicost:ledger:evaluation_timestamp_seconds", "", 0.0, "time"), ("aicost:ledger:today_trusted", "", 1.0, "flag")]
    for i, team in enumerate(_teams(n)):
        out.append(("team:ai_spend_dollars:increment", f'team="{team}"', 1.0, "entry"))
        for p in (f"app-{i}", f"batch-{i}", "shared"):
            for c in ("api", "compute"):
                out.append(("team_project_category:ai_spend_dollars:increment_by_day",
                            f'team="{team}",project="{p}",category="{c}"', 0.1, "by_day"))
                out.append(("team_project_category:ai_spend_dollars:today_running",
                            f'team="{team}",project="{p}",category="{c}"', 0.1, "running"))
                out.append(("team_project_category:ai_spend_dollars:day_total",
                            f'team="{team}",project="{p}",category="{c}"', 144.0, "hourly"))
        for m in MODELS:
            out.append(("team_model:ai_api_tokens:today_running", f'team="{team}",model="{m}"', 8000.0, "running"))
            for d in ("input", "output"):
                out.append(("team_model_direction:ai_api_tokens:increment_by_day",
                            f'team="{team}",model="{m}",direction="{d}"', 4000.0, "by_day"))
        out.append(("instance_gpu:ai_gpu_idle_cost_dollars:increment_by_day",
                    f'instance="h-{i}-0",gpu="0",type="A100",team="{team}",project="app-{i}",'
                    f'environment="production",job="aicost-exporter"', 4.096 / 60, "by_day"))
        for le in BUCKETS:
            out.append(("team_endpoint_le:ai_request_cost_dollars_bucket:increase1h",
                        f'team="{team}",endpoint="/chat",le="{le}"', 600.0, "hourly"))
    out.append(("aicost:day_total:date", "", 0.0, "date"))
    return out


def _value(kind: str, rate: float, t: int, start: int) -> float:
    minutes = (t - start) / 60
    if kind == "counter":
        return round(rate * minutes, 6)
    return rate


def recorded_sample(labels: str, rate: float, kind: str, t: int) -> tuple[str, float] | None:
    """The labels and value of a recorded series of `kind` at `t`; None where it has no sample then."""
    if kind in ("hourly", "date") and t % 3600:
        return None
    if kind == "time":
        return labels, t
    if kind == "date":
        return labels, t // 86400 - 1
    if kind in ("by_day", "running"):
        parity = f'day_parity="{"even" if ((t - 1) // 86400) % 2 == 0 else "odd"}"'
        # a running total: the day's entries so far, one a minute
        return f"{labels},{parity}", (rate * (((t - 1) % 86400) // 60 + 1) if kind == "running" else rate)
    return labels, rate


def replay_head(n: int, url: str, start: int, since: int) -> float:
    """Send every series' samples from `since` to a minute ago through remote write, minute by
    minute (the head only takes samples within an hour of its newest); the seconds it took.

    A running Prometheus holds its last one to three hours in its head block, where a read costs
    less than in the persisted blocks: a TSDB made only of backfilled blocks would bill the
    ledger's recent reads as if they reached blocks they never reach in production.
    """
    t0 = time.monotonic()
    raw = [(remote_write.labels(f, labels), rate, kind) for f, labels, rate, kind in raw_series(n)]
    recorded = recorded_series(n)
    encoded: dict[tuple[str, str], bytes] = {}
    t = since
    while t <= time.time() - STEP:
        request = [remote_write.series(lb, _value(kind, rate, t, start), t * 1000) for lb, rate, kind in raw]
        for f, labels, rate, kind in recorded:
            sample = recorded_sample(labels, rate, kind, t)
            if sample:
                if (f, sample[0]) not in encoded:
                    encoded[f, sample[0]] = remote_write.labels(f, sample[0])
                request.append(remote_write.series(encoded[f, sample[0]], sample[1], t * 1000))
        remote_write.post(url, b"".join(request))
        t += STEP
    return time.monotonic() - t0


def _write_block(args) -> str:
    """One OpenMetrics file holding every series' samples in one 2-hour block."""
    path, n, start, lo, hi, end = args
    times = range(max(lo, start), min(hi, end), STEP)
    by_family: dict[str, list[str]] = {}
    for family, labels, rate, kind in raw_series(n):
        lines = by_family.setdefault(family, [])
        for t in times:
            lines.append(f"{family}{{{labels}}} {_value(kind, rate, t, start)} {t}\n")
    for family, labels, rate, kind in recorded_series(n):
        lines = by_family.setdefault(family, [])
        for t in times:
            sample = recorded_sample(labels, rate, kind, t)
            if sample:
                lines.append(f"{family}{{{sample[0]}}} {sample[1]} {t}\n" if sample[0] else f"{family} {sample[1]} {t}\n")
    with open(path, "w") as f:
        for family, lines in by_family.items():
            f.write(f"# TYPE {family} unknown\n")
            f.writelines(lines)
        f.write("# EOF\n")
    return path


def backfill(n: int, promtool: str, data: Path, work: Path, end: int) -> float:
    """Write the history as one file per block and turn each into blocks; the seconds it took."""
    start = end - HOURS * 3600
    start -= start % STEP
    t0 = time.monotonic()
    jobs = [(str(work / f"block-{lo}.om"), n, start, lo, lo + BLOCK, end) for lo in range(start - start % BLOCK, end, BLOCK)]
    with ProcessPoolExecutor(max_workers=2) as pool:
        for path in pool.map(_write_block, jobs):
            subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", "-q", path, str(data)],
                           check=True, capture_output=True)
            os.unlink(path)
    return time.monotonic() - t0


def leg_binary(leg: str, name: str) -> str:
    """A binary of a Prometheus leg, as scripts/fetch-tools unpacked it under .tools/."""
    return str(ROOT / ".tools" / f"prometheus-{leg}" / "usr" / "bin" / name)


class LiveSeries:
    """Serves every raw series with its value now, carrying on the backfilled history."""

    def __init__(self, n: int, start: int):
        series = raw_series(n)
        self.n, self.start = n, start

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                now = int(time.time())
                body = "".join(f"{f}{{{labels}}} {_value(kind, rate, now, start)}\n"
                               for f, labels, rate, kind in series).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.port = self.server.server_port

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


def history(n: int, tmp: Path, head_hours: float) -> tuple[Path, LiveSeries, int, float]:
    """The TSDB of `n` teams backfilled up to `head_hours` ago (tmp/tsdb), the live series that
    carry it on, where the backfill stops, and the seconds the backfill took."""
    end = int(time.time() - head_hours * 3600)
    end -= end % STEP
    data = tmp / "tsdb"
    seconds = backfill(n, leg_binary("3", "promtool"), data, tmp, end)
    start = end - HOURS * 3600
    return data, LiveSeries(n, start - start % STEP), end, seconds


def _get(url: str, timeout: float = 300) -> dict:
    return json.loads(urllib.request.urlopen(url, timeout=timeout).read())


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def settle_compaction(metrics_url: str, quiet_seconds: float = 60, limit: float = 1800) -> None:
    """Wait until Prometheus has compacted what it found on start (30 hours of 2-hour blocks).

    It does that right after starting, for minutes at 1,000 teams, on the same cores as the rules;
    a running Prometheus compacts a 2-hour block now and then. Measured during it, the rules and
    the naive query would be timed against a one-off load.
    """
    def state() -> tuple[float, float]:
        text = urllib.request.urlopen(metrics_url, timeout=60).read().decode()
        values = {s.name: s.value for f in text_string_to_metric_families(text) for s in f.samples}
        return (values.get("prometheus_tsdb_compactions_total", 0.0),
                values.get("prometheus_tsdb_compaction_populating_block", 0.0))

    stop, previous, since = time.monotonic() + limit, state(), time.monotonic()
    while time.monotonic() < stop and time.monotonic() - since < quiet_seconds:
        time.sleep(5)
        now = state()
        if now != previous or now[1]:
            previous, since = now, time.monotonic()


@contextmanager
def running(prometheus: str, data: Path, rules: Path, live: LiveSeries, head_since: int | None):
    """Prometheus on the TSDB with the rules and the scrape of `live`, once it has compacted what
    it found: yields (API URL, process, seconds the head replay took); stopped on leaving.

    With `head_since`, Prometheus first takes the history from then on into its head block
    (`replay_head`), with neither rules nor scrapes, then loads both.
    """
    port = free_port()
    cfg = data.parent / "prometheus.yml"
    full = {"global": {"scrape_interval": "60s", "evaluation_interval": "1m"},
            "rule_files": [str(rules / "*.yml")],
            "scrape_configs": [{"job_name": "bench", "honor_labels": True, "scrape_timeout": "50s",
                                "static_configs": [{"targets": [f"127.0.0.1:{live.port}"]}]}]}
    cfg.write_text(json.dumps({"global": full["global"]} if head_since else full))
    proc = subprocess.Popen([prometheus, f"--config.file={cfg}", f"--storage.tsdb.path={data}",
                             f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=30d",
                             *(["--web.enable-remote-write-receiver"] if head_since else [])],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    api = f"http://127.0.0.1:{port}/api/v1"
    replay = 0.0
    try:
        wait_http(f"http://127.0.0.1:{port}/-/ready", proc, "prometheus", timeout=600)  # a big TSDB replays for minutes
        if head_since:
            replay = replay_head(live.n, f"{api}/write", live.start, head_since)
            cfg.write_text(json.dumps(full))
            os.kill(proc.pid, signal.SIGHUP)
            while not _get(f"{api}/rules")["data"]["groups"]:
                time.sleep(1)
        settle_compaction(f"http://127.0.0.1:{port}/metrics")
        yield api, proc, replay
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)


def measure(prometheus: str, data: Path, rules: Path, live: LiveSeries, evaluations: int, head_since: int | None) -> dict:
    """Run Prometheus on the TSDB with the rules (`running`); group evaluation times, naive query time, CPU, RSS."""
    with running(prometheus, data, rules, live, head_since) as (api, proc, replay):
        cpu0, t0 = _cpu_seconds(proc.pid), time.monotonic()
        seen: dict[str, list[float]] = {}
        last: dict[str, str] = {}
        naive: list[float] = []
        deadline = time.monotonic() + 60 * (evaluations + 4)
        while time.monotonic() < deadline and min((len(v) for v in seen.values()), default=0) < evaluations:
            for g in _get(f"{api}/rules")["data"]["groups"]:
                if g.get("lastEvaluation", "").startswith("2") and last.get(g["name"]) != g["lastEvaluation"]:
                    if g["name"] in last and g["name"] == "aicost-spend":
                        # the naive query once per spend evaluation: both measured over the same minutes
                        q0 = time.monotonic()
                        _get(f"{api}/query?" + urllib.parse.urlencode({"query": NAIVE}))
                        naive.append(time.monotonic() - q0)
                    last[g["name"]] = g["lastEvaluation"]
                    seen.setdefault(g["name"], []).append(g["evaluationTime"])
            time.sleep(5)
        cpu = (_cpu_seconds(proc.pid) - cpu0) / (time.monotonic() - t0)
        rules = [(g["name"], r) for g in _get(f"{api}/rules")["data"]["groups"] for r in g["rules"]]
        health = [(group, r.get("lastError")) for group, r in rules if r.get("health") == "err"]
        slowest = sorted(((r["evaluationTime"], group, r.get("name", "")) for group, r in rules), reverse=True)
        return {"groups": {k: statistics.median(v[1:] or v) for k, v in seen.items()}, "naive": statistics.median(naive or [math.nan]),
                "cpu_cores": cpu, "peak_rss_mb": _peak_rss_mb(proc.pid), "errors": health,
                "slowest": slowest, "replay_s": replay}


def render_ref(ref: str, specs: Path, tmp: Path) -> Path:
    """The rule folder git revision `ref` renders for `specs`: its tree exported, its own generator run."""
    src = tmp / "ref"
    src.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
    # run from its folder: `python -m generator` imports that revision's package, not this one
    return render(specs, tmp / "rendered-ref", src)


def render(specs: Path, out: Path, tree: Path = ROOT) -> Path:
    """`aicost generate` of the generator in `tree` on `specs` into `out`; the rule folder it wrote."""
    subprocess.run([sys.executable, "-m", "generator", "generate", "--specs", str(specs), "--out", str(out)],
                   check=True, capture_output=True, cwd=tree)
    return out / "prometheus" / "rules"


def main() -> None:
    """Every size, every Prometheus (and every rule set): a table."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--teams", default="10,100,1000")
    ap.add_argument("--prometheus", default="2,3", help="legs under .tools/ (scripts/fetch-tools)")
    ap.add_argument("--evaluations", type=int, default=3)
    ap.add_argument("--top", type=int, default=0, help="also print the N slowest rules of each run")
    ap.add_argument("--against", default="", help="also run the rules of this git revision, on the same TSDB")
    ap.add_argument("--head-hours", type=float, default=3,
                    help="hours of history sent into the head block instead of backfilled (0: all backfilled)")
    args = ap.parse_args()
    print(f"{'teams':>6} {'raw series':>10} {'Prom':>5} {'constants s':>11} {'spend s':>8} {'signals s':>9} "
          f"{'naive s':>8} {'spend/naive':>11} {'CPU cores':>9} {'peak RSS MB':>11} {'backfill s':>10} {'replay s':>8}  rules",
          flush=True)
    for n in (int(s) for s in args.teams.split(",")):
        with tempfile.TemporaryDirectory(prefix="aicost-bench-") as tmp:
            tmp = Path(tmp)
            specs = make_specs(n, tmp)
            rule_sets = [("this tree", render(specs, tmp / "rendered"))]
            if args.against:
                rule_sets.insert(0, (args.against, render_ref(args.against, specs, tmp)))
            pristine, live, end, seconds = history(n, tmp, args.head_hours)
            head_since = end if args.head_hours else None
            try:
                for leg in args.prometheus.split(","):
                    for label, rules in rule_sets:
                        data = tmp / f"tsdb-{leg}"
                        shutil.copytree(pristine, data)
                        r = measure(leg_binary(leg, "prometheus"), data, rules, live, args.evaluations, head_since)
                        _print_row(n, leg, r, seconds, label, args.top)
                        shutil.rmtree(data)
            finally:
                live.close()


def _print_row(n: int, leg: str, r: dict, backfill_seconds: float, label: str, top: int) -> None:
    g = r["groups"]
    spend = g.get("aicost-spend", math.nan)
    print(f"{n:>6} {len(raw_series(n)):>10} {leg:>5} {g.get('aicost-constants', math.nan):>11.3f} "
          f"{spend:>8.3f} {g.get('aicost-signals', math.nan):>9.3f} {r['naive']:>8.3f} "
          f"{spend / r['naive']:>11.2f} {r['cpu_cores']:>9.2f} {r['peak_rss_mb']:>11.0f} {backfill_seconds:>10.0f} "
          f"{r['replay_s']:>8.0f}  {label}"
          + (f"  errors: {r['errors'][:2]}" if r["errors"] else ""), flush=True)
    for secs, group, name in r["slowest"][:top]:
        print(f"        {secs:8.3f} s  {group}  {name}", flush=True)


if __name__ == "__main__":
    main()
