"""The rules on a second engine: VictoriaMetrics + vmalert against Prometheus, same rendered files,
same scrapes, the end-to-end scenario (steady traffic, a $61.25 runaway call, an idle GPU), at a 5 s
evaluation interval. Prints, per run, what each engine recorded per team/project/category between
two snapshots of today (both ledgers running), and how the recorded series compare at the end.

    python benchmarks/second_engine.py [--runs 3] [--interval 5s]

Needs .tools/ (scripts/fetch-tools all): Prometheus 3.5 and VictoriaMetrics 1.145.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
for tools in ("prometheus-3", "victoria-metrics"):
    os.environ["PATH"] = f"{ROOT / '.tools' / tools / 'usr' / 'bin'}{os.pathsep}{os.environ['PATH']}"

from generator import names as n  # noqa: E402
from generator.resolve import load_model  # noqa: E402
from generator.stack import Stack  # noqa: E402
from generator.stack.victoria import SecondEngine, compare, run_scenario  # noqa: E402

SERIES = (n.R_TPC_INCREMENT, n.R_TPC_INCREMENT_BY_DAY, n.R_TEAM_INCREMENT, n.R_TPC_TODAY, n.R_TEAM_TODAY,
          n.R_TEAM_MONTH, n.BUDGET_UTILIZATION, n.R_TEAM_MODEL_TOKENS_TODAY, n.R_GPU_IDLE_COST_TODAY, n.R_TEAM_WEEK)


def main() -> None:
    """Run the comparison and print the tables."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--interval", default="5s")
    args = ap.parse_args()
    spec, _ = load_model(ROOT / "specs")
    for run in range(1, args.runs + 1):
        with Stack(spec, simulate=4, interval=args.interval) as stack:
            vm = SecondEngine(stack, args.interval).start()
            prometheus, victoria = run_scenario(stack, vm)
            print(f"run {run}: spent between the snapshots (Prometheus, VictoriaMetrics, VictoriaMetrics short by)")
            for key in sorted(prometheus):
                p, v = prometheus[key], victoria.get(key, 0.0)
                short = f"{100 * (p - v) / p:5.1f}%" if p else "   - "
                print(f"  {'/'.join(key):42} ${p:10.4f}  ${v:10.4f}  {short}")
            total_p, total_v = sum(prometheus.values()), sum(victoria.values())
            print(f"  {'total':42} ${total_p:10.4f}  ${total_v:10.4f}  {100 * (total_p - total_v) / total_p:5.1f}%")
            print(f"  vmalert rule errors: {len(vm.rule_errors())}")
            print("  series at the end: name, series on each, agreeing, largest difference")
            for row in compare(stack, vm, list(SERIES), tolerance=1e-9):
                print(f"    {row['series']:52} {row['prometheus']:3} {row['victoria']:3} {row['agree']:3} {row['max_diff']:.6g}")


if __name__ == "__main__":
    main()
