"""Benchmark the exporter and the library (issue 6 goals in brackets).

- scrape time for 8 simulated GPUs, median of 2,000 scrapes  [< 2 ms]
- RSS of a running `python -m exporter --simulate 8`         [< 60 MB]
- track_ai_call cost per call next to a bare Counter.inc()   [within 5x]

    python benchmarks/exporter.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
import timeit
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def scrape_ms() -> float:
    """Median milliseconds of generate_latest() over the collector with 8 simulated GPUs."""
    from prometheus_client import CollectorRegistry, generate_latest

    from exporter.collector import GpuCostCollector, GpuPrices, HostTags
    from exporter.simulate import SimulatedGpus

    reg = CollectorRegistry()
    prices = GpuPrices([("A10G", 1.006, ("A10G",)), ("A100", 4.096, ("A100",)), ("H100", 6.88, ("H100",))])
    reg.register(GpuCostCollector(SimulatedGpus(8), prices, HostTags("i-1", "t", "p", "production", "cc", "o@x.io")))
    times = []
    for _ in range(2000):
        t0 = time.perf_counter()
        generate_latest(reg)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def exporter_rss_mb() -> float:
    """RSS of a real exporter process after a few scrapes."""
    proc = subprocess.Popen([sys.executable, "-m", "exporter", "--specs", str(ROOT / "specs"), "--simulate", "8",
                             "--port", "19471", "--team", "t", "--project", "p", "--environment", "production",
                             "--cost-center", "cc", "--owner", "o@x.io"], cwd=ROOT, stdout=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                for _ in range(20):
                    urllib.request.urlopen("http://127.0.0.1:19471/metrics", timeout=2).read()
                break
            except OSError:
                time.sleep(0.1)
        for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return float("nan")


def track_vs_inc() -> tuple[float, float]:
    """(microseconds per track_ai_call, microseconds per bare Counter.inc()) in the same run."""
    from prometheus_client import CollectorRegistry, Counter

    from exporter.library import CostTracker

    tracker = CostTracker.from_specs(ROOT / "specs", registry=CollectorRegistry())
    bare = Counter("bare", "bare counter", registry=CollectorRegistry())
    n = 200_000
    track = min(timeit.repeat(lambda: tracker.track("gpt-4o", "search", "/search", 800, 120), number=n, repeat=5)) / n
    inc = min(timeit.repeat(bare.inc, number=n, repeat=5)) / n
    return track * 1e6, inc * 1e6


def main() -> None:
    """Print every figure."""
    print(f"scrape, 8 simulated GPUs (median of 2000): {scrape_ms():.3f} ms   [goal < 2 ms]")
    print(f"exporter RSS (--simulate 8, after 20 scrapes): {exporter_rss_mb():.1f} MB   [goal < 60 MB]")
    t, i = track_vs_inc()
    print(f"track_ai_call: {t:.2f} us/call; bare Counter.inc(): {i:.2f} us/call; ratio {t / i:.1f}x   [goal <= 5x]")


if __name__ == "__main__":
    main()
