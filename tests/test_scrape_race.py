"""A scrape still in flight when the ledger evaluates, on a real Prometheus (benchmarks/scrape_race.py):
with no delay the ledger never sees the held samples inside a window and loses the spend; with the
spec's default `spend_delay` it records every cent."""

from __future__ import annotations

import importlib.util

import pytest

from conftest import LEG, ROOT, require_tool
from generator.load import load_spec


def _bench():
    spec = importlib.util.spec_from_file_location("bench_scrape_race", ROOT / "benchmarks" / "scrape_race.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.tools
def test_the_default_delay_counts_every_cent_of_scrapes_that_straddle_an_evaluation():
    if LEG == "2":  # CI's 20 minutes: scraping and visibility are the same on 2.42 (README: measured on both)
        pytest.skip("the scrape race runs on the Prometheus 3 leg")
    bench = _bench()
    default = load_spec(bench.SPECS)[0].spend_delay
    undelayed, delayed = bench.race(["0s", default], 12, require_tool("prometheus"))
    # the race is real here: without a delay most of the spend never reaches the ledger
    assert undelayed["truth"] > 3 and undelayed["lost"] > 0.5 * undelayed["truth"], undelayed
    assert delayed["truth"] > 3 and abs(delayed["lost"]) < 1e-9, delayed
