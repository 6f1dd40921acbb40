"""The rules on a second engine: VictoriaMetrics + vmalert scrape and evaluate what Prometheus does,
from the same rendered files, through the end-to-end test's scenario (steady traffic, a runaway
call, an idle GPU). `python benchmarks/second_engine.py` prints the README's table of differences;
this test keeps the facts the README states true."""

from __future__ import annotations

import pytest

from conftest import LEG, ROOT, require_tool
from generator import names as n
from generator.catalogue import build
from generator.resolve import load_model
from generator.stack import Stack
from generator.stack.victoria import SecondEngine, compare, run_scenario

pytestmark = [pytest.mark.tools, pytest.mark.skipif(LEG != "3", reason="the second engine runs on the Prometheus 3 leg")]
INTERVAL = "5s"


@pytest.fixture(scope="module")
def engines():
    unavailable = ROOT / ".tools" / "victoria-metrics" / "UNAVAILABLE"
    if unavailable.is_file():
        pytest.skip(f"VictoriaMetrics: {unavailable.read_text().strip()}")
    for tool in ("prometheus", "victoria-metrics", "vmalert"):
        require_tool(tool)
    spec, _ = load_model(ROOT / "specs")
    with Stack(spec, simulate=4, interval=INTERVAL) as stack:
        vm = SecondEngine(stack, INTERVAL).start()
        spent = run_scenario(stack, vm, warm_up=12)  # shorter than the benchmark's 20 s: CI time
        yield stack, vm, spent


def test_vmalert_evaluates_every_rule_without_error(engines):
    _, vm, _ = engines
    assert vm.rule_errors() == []


def test_the_constants_agree_exactly(engines):
    stack, vm, _ = engines
    constants = sorted({c.metric for c in build(stack.spec).constants} | {n.C_MODEL_PRICE})
    rows = compare(stack, vm, constants)
    assert [r["series"] for r in rows if not r["prometheus"] == r["victoria"] == r["agree"]] == []
    assert all(r["prometheus"] > 0 for r in rows if r["series"] in (n.C_TEAM_BUDGET, n.C_MODEL_PRICE))


def test_an_idle_gpu_alerts_on_both(engines):
    stack, vm, _ = engines
    query = f'ALERTS{{alertname="{n.A_GPU_IDLE}",alertstate="firing"}}'
    labels = lambda rows: {(r["metric"]["instance"], r["metric"]["gpu"]) for r in rows}  # noqa: E731
    assert labels(stack.query(query)) == labels(vm.query(query)) == {("i-0demo", "3")}


def test_prometheus_side_of_the_comparison_counts_the_runaway_call(engines):
    """The comparison's reference: Prometheus records the $61.25 call; what VictoriaMetrics records
    varies from run to run (README: A second engine, measured by benchmarks/second_engine.py)."""
    _, _, (prometheus, victoria) = engines
    assert prometheus[("search", "product-search", "api")] >= 61.25
    assert set(victoria) <= set(prometheus) | {k for k, v in victoria.items() if v == 0}
