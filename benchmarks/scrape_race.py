"""Spend lost to scrapes still in flight when the ledger evaluates, on a real Prometheus.

Prometheus stamps a scrape's samples with the time the scrape *started* and makes them visible
when it *ends*. A target whose /metrics is slow (a busy LiteLLM proxy, a big exposition) can be
in the middle of a scrape at every ledger evaluation: Prometheus offsets each target's scrapes
and each group's evaluations by a fixed hash, so the same phase repeats all day. Here the target
holds every answer until just after the next evaluation of `aicost-spend` (read from
/api/v1/rules), the worst phase, and serves the value its counter had when the scrape began.
After `--seconds` the counter stops growing, the ledger catches up, and the spend it recorded
is compared with what the counter counted, once per `spend_delay`, each on its own Prometheus,
side by side.

    python benchmarks/scrape_race.py [--delays 0s,10s] [--seconds 12] [--prometheus PATH]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator import names as n  # noqa: E402
from generator.durations import seconds  # noqa: E402
from generator.load import load_spec  # noqa: E402
from generator.output import write_tree  # noqa: E402
from generator.prometheus_api import api_data, instant_query  # noqa: E402
from generator.render import render_all  # noqa: E402
from generator.serialise import serialise  # noqa: E402
from generator.stack import find_binary, free_port, wait_http  # noqa: E402

SPECS = ROOT / "tests" / "fixtures" / "minimal" / "specs"
SERIES = 'ai_spend_dollars_total{team="search",project="product-search",category="api",instance="slow-app"}'
EVALUATION = 2.0  # seconds between ledger evaluations
SCRAPE = 4.0  # seconds between scrapes: a scrape held until after the next evaluation stays under it
HOLD = 0.3  # seconds a scrape is held past the evaluation it straddles


class SlowTarget:
    """A spend counter ($0.37 a second, to the cent) whose scrapes each straddle a ledger evaluation."""

    def __init__(self, prometheus_url: str):
        self.url, self.t0, self.frozen_at = prometheus_url, time.time(), None
        self.last_evaluation: float | None = None
        self.scrapes = 0

    def value(self, at: float) -> float:
        """Dollars counted by `at`."""
        end = min(at, self.frozen_at) if self.frozen_at else at
        return math.floor(0.37 * (end - self.t0) * 100) / 100

    def _hold(self, started: float) -> float:
        """Seconds to hold a scrape that began at `started`: until just after the next evaluation."""
        if self.last_evaluation is None:
            return 0.0
        ahead = math.ceil((started - self.last_evaluation) / EVALUATION) * EVALUATION
        return max(0.0, self.last_evaluation + ahead - started) + HOLD

    def watch(self, stop: threading.Event) -> None:
        """Follow the spend group's evaluations (their phase is fixed by Prometheus)."""
        while not stop.is_set():
            try:
                groups = api_data(self.url, "rules", timeout=2)["groups"]
                spend = next(g for g in groups if g["name"] == n.G_SPEND)
                if not spend["lastEvaluation"].startswith("0001"):
                    self.last_evaluation = _unix(spend["lastEvaluation"])
            except Exception:  # noqa: BLE001 (not ready yet: keep the last phase)
                pass
            stop.wait(0.5)

    def serve(self, port: int) -> ThreadingHTTPServer:
        """Serve /metrics on 127.0.0.1:port in a thread."""
        target = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the http.server API)
                started = time.time()
                value = target.value(started)
                time.sleep(target._hold(started))
                target.scrapes += 1
                body = f"# TYPE ai_spend_dollars counter\n{SERIES} {value}\n".encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain; version=0.0.4")
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # Prometheus gave up on this scrape (stopping)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


def _unix(rfc3339: str) -> float:
    """Prometheus' RFC 3339 time (nanoseconds, Z) as unix seconds."""
    head, _, frac = rfc3339.rstrip("Z").partition(".")
    return datetime.fromisoformat(head + "+00:00").timestamp() + (float("0." + frac) if frac else 0.0)


def run_once(delay: str, duration: float, prometheus: str) -> dict:
    """One Prometheus, one slow target, the minimal spec's rules with `spend_delay: delay`."""
    spec, problems = load_spec(SPECS)
    assert spec is not None, problems
    every = f"{EVALUATION:g}s"
    spec = dataclasses.replace(spec, evaluation_interval=every, scrape_interval=f"{SCRAPE:g}s", spend_delay=delay,
                               exporter_targets=(), app_targets=())
    folder = Path(tempfile.mkdtemp(prefix="aicost-race-"))
    write_tree(serialise(render_all(spec)), folder / "rendered")
    port, target_port = free_port(), free_port()
    config = {"global": {"scrape_interval": f"{SCRAPE:g}s", "scrape_timeout": f"{SCRAPE:g}s", "evaluation_interval": every},
              "rule_files": [str(folder / "rendered" / "prometheus" / "rules" / "*.yml")],
              "scrape_configs": [{"job_name": "slow-app", "honor_labels": True,
                                  "static_configs": [{"targets": [f"127.0.0.1:{target_port}"]}]}]}
    (folder / "prometheus.yml").write_text(json.dumps(config))
    url = f"http://127.0.0.1:{port}"
    target, stop = SlowTarget(url), threading.Event()
    server = target.serve(target_port)
    proc = subprocess.Popen([prometheus, f"--config.file={folder / 'prometheus.yml'}",
                             f"--storage.tsdb.path={folder / 'tsdb'}", f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    watcher = threading.Thread(target=target.watch, args=(stop,), daemon=True)
    try:
        wait_http(f"{url}/-/ready", proc, "prometheus")
        watcher.start()
        time.sleep(duration)
        target.frozen_at = time.time()
        # the frozen value's scrape (held past an evaluation), then the entry that counts it
        time.sleep(SCRAPE + HOLD + seconds(delay) + 2 * EVALUATION)
        truth = target.value(time.time())
        recorded = instant_query(url, f"sum(sum_over_time({n.R_TPC_INCREMENT}[1h]))")
        spent = float(recorded[0]["value"][1]) if recorded else 0.0
        return {"delay": delay, "truth": truth, "recorded": spent, "lost": truth - spent, "scrapes": target.scrapes}
    finally:
        stop.set()
        proc.terminate()
        proc.wait(timeout=30)
        server.shutdown()
        shutil.rmtree(folder, ignore_errors=True)


def race(delays: list[str], duration: float, prometheus: str) -> list[dict]:
    """One run per delay, side by side."""
    with ThreadPoolExecutor(len(delays)) as pool:
        return list(pool.map(lambda d: run_once(d, duration, prometheus), delays))


def main() -> None:
    """Print, per delay, the spend the counter counted, what the ledger recorded, and the loss."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delays", default="0s,10s")
    parser.add_argument("--seconds", type=float, default=12, help="how long the counter grows")
    parser.add_argument("--prometheus", default=None, help="the prometheus binary (default: the one on PATH)")
    args = parser.parse_args()
    prometheus = args.prometheus or find_binary("prometheus")
    print(f"{prometheus}: scrapes every {SCRAPE:g} s, each held until {HOLD} s after a ledger evaluation "
          f"(every {EVALUATION:g} s)")
    print("| spend_delay | counted $ | recorded $ | lost $ | lost % | scrapes |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in race(args.delays.split(","), args.seconds, prometheus):
        lost = 100 * r["lost"] / r["truth"] if r["truth"] else 0.0
        print(f"| {r['delay']} | {r['truth']:.2f} | {r['recorded']:.2f} | {r['lost']:.2f} | {lost:.1f} | {r['scrapes']} |")


if __name__ == "__main__":
    main()
