"""Benchmark `aicost diff` and `aicost explain` for 10, 100, 1,000 and 10,000 teams.

The pull request a reviewer sees most: one team's budget doubled and one route changed, compared
with the spec before it (two spec folders, so git's own time is out of the figure). Each command
runs in a fresh process, as a user runs it: seconds and peak RSS.

    python benchmarks/review.py [--sizes 10,100,1000,10000]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import ROOT, make_specs  # noqa: E402

AICOST = str(Path(sys.executable).parent / "aicost")


# A fresh parent per command, so the peak RSS of its children is that command's alone.
MEASURE = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
           "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(r.returncode)")


def timed(*args: str) -> tuple[float, float, str]:
    """Seconds, peak RSS (MB) and the first line of one aicost command."""
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", MEASURE, AICOST, *args], capture_output=True, text=True, cwd=ROOT)
    secs = time.perf_counter() - t0
    if r.returncode:
        raise SystemExit(f"aicost {' '.join(args)}: {r.stderr}")
    return secs, int(r.stderr.split()[-1]) / 1024, r.stdout.splitlines()[0]


def main() -> None:
    """Time both commands at each size and print a table."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10,100,1000,10000")
    sizes = [int(s) for s in ap.parse_args().sizes.split(",")]
    print(f"{'teams':>7} {'diff s':>7} {'diff MB':>8} {'changes':>8} {'explain s':>10} {'explain MB':>11}")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            old = make_specs(n, Path(tmp) / "old")
            new = Path(tmp) / "new" / "specs"
            shutil.copytree(old, new)
            team = new / "teams" / "team-00000.yaml"
            team.write_text(re.sub(r"daily: (\d+)", lambda m: f"daily: {2 * int(m.group(1))}", team.read_text(), count=1))
            alerting = new / "alerting.yaml"
            alerting.write_text(alerting.read_text().replace("receivers: [pagerduty, slack-oncall]",
                                                             "receivers: [pagerduty, slack-oncall, email-leads]"))
            secs, mb, first = timed("diff", str(old), "--specs", str(new))
            changes = first.rsplit(": ", 1)[1].split()[0]
            e_secs, e_mb, _ = timed("explain", "AIDailyBudgetExceeded", "--team", "team-00000", "--specs", str(new))
            print(f"{n:>7} {secs:>7.2f} {mb:>8.1f} {changes:>8} {e_secs:>10.2f} {e_mb:>11.1f}", flush=True)


if __name__ == "__main__":
    main()
