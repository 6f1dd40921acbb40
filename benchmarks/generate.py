"""Benchmark `aicost generate` for 10, 100, 1,000 and 10,000 teams: time, peak memory, rule counts.

Each size runs in a fresh process (peak RSS is per process) on real spec files written to a
temp folder: load + validate + render + atomic write, exactly what `aicost generate` does.
Goal (issue 2): 10,000 teams in under 5 s and under 300 MB, growing linearly.
With --promtool, also times `promtool check rules` on the rendered rules (issue 3).

    python benchmarks/generate.py [--sizes 10,100,1000,10000] [--promtool]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TEAM = """owner: lead{i}@example.com
cost_center: CC-{i:05d}
projects: [app-{i}, batch-{i}]
budget:
  daily: {daily}
  monthly: {monthly}
token_budgets:
  gpt-4o-mini: 50000000
training:
  default_budget: 500
  experiments:
    exp-{i}: 1500
user_tiers:
  pro:
    users: 1000
    revenue_per_user: 3
    projects: [app-{i}]
{receiver}"""


def make_specs(n: int, where: Path) -> Path:
    """The bundled org/prices/alerting files plus n generated team files."""
    specs = where / "specs"
    (specs / "teams").mkdir(parents=True)
    for f in ("org.yaml", "prices.yaml", "alerting.yaml"):
        shutil.copy(ROOT / "specs" / f, specs / f)
    for i in range(n):
        receiver = "receiver: slack-search\n" if i % 3 == 0 else ""
        (specs / "teams" / f"team-{i:05d}.yaml").write_text(
            TEAM.format(i=i, daily=100 + i % 50, monthly=3000 + i % 50, receiver=receiver))
    return specs


def one(specs: str, out: str) -> None:
    """Child process: run the pipeline once and print seconds, peak RSS MB and counts."""
    t0 = time.perf_counter()
    from generator.output import write_tree
    from generator.build import rendered_files
    from generator.resolve import load_model

    model, _ = load_model(Path(specs))
    files = rendered_files(model)
    write_tree(files, Path(out))
    elapsed = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    import yaml  # counted after timing and RSS were taken

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    rules = sum(len(g["rules"]) for p in (Path(out) / "prometheus" / "rules").glob("*.yml")
                for g in yaml.load(p.read_text(), Loader=loader)["groups"])
    print(f"{elapsed:.3f} {rss:.1f} {len(files)} {rules} {sum(len(b) for b in files.values())}")


def main() -> None:
    """Run every size and print a table."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10,100,1000,10000")
    ap.add_argument("--promtool", action="store_true")
    ap.add_argument("--one", nargs=2, metavar=("SPECS", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        one(*args.one)
        return
    print(f"{'teams':>7} {'seconds':>8} {'peak MB':>8} {'files':>6} {'rules':>7} {'MB out':>7}"
          + (f" {'promtool check rules s':>22}" if args.promtool else ""))
    for n in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            specs = make_specs(n, Path(tmp))
            out = Path(tmp) / "rendered"
            r = subprocess.run([sys.executable, __file__, "--one", str(specs), str(out)],
                               capture_output=True, text=True, check=True, cwd=ROOT)
            secs, rss, files, rules, size = r.stdout.split()
            line = f"{n:>7} {float(secs):>8.2f} {float(rss):>8.1f} {files:>6} {rules:>7} {int(size) / 1e6:>7.1f}"
            if args.promtool:
                t0 = time.perf_counter()
                subprocess.run(["promtool", "check", "rules", *map(str, sorted((out / "prometheus" / "rules").glob("*.yml")))],
                               capture_output=True, check=True)
                line += f" {time.perf_counter() - t0:>22.2f}"
            print(line, flush=True)


if __name__ == "__main__":
    main()
