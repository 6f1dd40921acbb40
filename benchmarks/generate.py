"""Benchmark `aicost generate` for 10, 100, 1,000 and 10,000 teams: time, peak memory, rule counts.

Each size runs in a fresh process (peak RSS is per process) on real spec files written to a
temp folder: load + validate + render + atomic write, exactly what `aicost generate` does.
Goal (issue 2): 10,000 teams in under 5 s and under 300 MB, growing linearly.
With --promtool, also times `promtool check rules` on the rendered rules and runs every generated
promtool test file on each Prometheus leg under .tools/ (scripts/fetch-tools): files passed out
of files, the suite's wall time (two files at a time) and that time per team (issue: generated
tests that pass for 100, 1,000 and 10,000 teams).

    python benchmarks/generate.py [--sizes 10,100,1000,10000] [--promtool] [--legs 2,3]
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
    from generator.cli_common import build
    from generator.output import write_tree

    files = build(specs)  # as `aicost generate` does: team files read on every core, no GC pauses
    write_tree(files, Path(out))
    elapsed = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    import yaml  # counted after timing and RSS were taken

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    rules = sum(len(g["rules"]) for p in (Path(out) / "prometheus" / "rules").glob("*.yml")
                for g in yaml.load(p.read_text(), Loader=loader)["groups"])
    print(f"{elapsed:.3f} {rss:.1f} {len(files)} {rules} {sum(len(b) for b in files.values())}")


def _promtool(leg: str) -> str:
    path = ROOT / ".tools" / f"prometheus-{leg}" / "usr" / "bin" / "promtool"
    return str(path) if path.exists() else "promtool"


def run_generated_tests(out: Path, leg: str) -> tuple[int, int, float, list[str]]:
    """Every generated test file on one leg, two at a time: (passed, files, seconds, failures)."""
    from concurrent.futures import ThreadPoolExecutor

    tests = sorted((out / "prometheus" / "tests").glob("*.yml"))

    def run(f: Path):
        return f, subprocess.run([_promtool(leg), "test", "rules", f.name], cwd=f.parent, capture_output=True, text=True)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run, tests))
    failed = [f"{f.name}: {(r.stdout + r.stderr).strip()[-200:]}" for f, r in results if r.returncode != 0]
    return len(tests) - len(failed), len(tests), time.perf_counter() - t0, failed


def main() -> None:
    """Run every size and print a table."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10,100,1000,10000")
    ap.add_argument("--promtool", action="store_true")
    ap.add_argument("--legs", default="2,3", help="with --promtool: the Prometheus legs to run the generated tests on")
    ap.add_argument("--one", nargs=2, metavar=("SPECS", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        one(*args.one)
        return
    legs = args.legs.split(",")
    print(f"{'teams':>7} {'seconds':>8} {'peak MB':>8} {'files':>6} {'rules':>7} {'MB out':>7}"
          + (f" {'check rules s':>13}" + "".join(f" {'P' + leg + ' tests passed':>16} {'P' + leg + ' s':>7} {'ms/team':>7}"
                                                for leg in legs) if args.promtool else ""))
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
                subprocess.run([_promtool(legs[-1]), "check", "rules",
                                *map(str, sorted((out / "prometheus" / "rules").glob("*.yml")))], capture_output=True, check=True)
                line += f" {time.perf_counter() - t0:>13.2f}"
                failures = []
                for leg in legs:
                    passed, total, secs, failed = run_generated_tests(out, leg)
                    line += f" {f'{passed}/{total}':>16} {secs:>7.0f} {1000 * secs / n:>7.0f}"
                    failures += [f"  P{leg} {f}" for f in failed]
                line += "".join("\n" + f for f in failures)
            print(line, flush=True)


if __name__ == "__main__":
    main()
