"""Generated tests under spend_delay: promtool's series notation advanced by whole input steps, values
exactly as promtool expands them, and only the raw counters the ledger reads moved."""

from __future__ import annotations

import re

import pytest

from generator import names as n
from generator.render.promtool_tests.delay import advance, delayed


def _expand(values: str) -> list:
    """promtool's expansion: `a+bxN` is N+1 values by repeated addition, `_xN` N blanks."""
    out = []
    for item in values.split():
        if item.startswith("_"):
            out += ["_"] * (int(item[2:]) if "x" in item else 1)
            continue
        if item == "stale":
            out.append("stale")
            continue
        head, _, times = item.partition("x")
        number = re.compile(r"[-+]?[0-9.]+(?:e[-+]?[0-9]+)?")
        first = number.match(head)
        start, step = float(first.group()), float(head[first.end():] or 0)
        for _ in range(int(times or 0) + 1):
            out.append(start)
            start += step
    return out


@pytest.mark.parametrize("values", ["0+1x10", "0x10 1000+1000x5", "0 5x3", "_x3 1+0.1x4", "_ 1 _x2 3",
                                    "0+0.1x30", "1-1e-05x3", "0+36.98x70", "stale 1 2x2", "0+2x29 stale 62+2x49"])
@pytest.mark.parametrize("steps", [1, 2, 4, 11])
def test_advancing_drops_exactly_the_first_values(values, steps):
    assert _expand(advance(values, steps)) == _expand(values)[steps:]


def test_only_the_ledgers_raw_counters_move_and_sub_minute_checks_move_earlier():
    spend = {"series": f'{n.SPEND}{{team="a"}}', "values": "0+1x10"}
    gauge = {"series": f'{n.GPU_UTILIZATION}{{gpu="0"}}', "values": "50x10"}
    test = {"interval": "1m", "input_series": [spend, gauge],
            "alert_rule_test": [{"eval_time": "5m", "alertname": "X", "exp_alerts": []}]}
    assert delayed(test, 0, 60) is test
    at_minutes = delayed(test, 10, 60)
    assert [s["values"] for s in at_minutes["input_series"]] == ["1.0+1x9", "50x10"]
    assert at_minutes["alert_rule_test"][0]["eval_time"] == "5m"
    # 30 s evaluations: fed a minute ahead, entries see each sample 30 s early, checks move with them
    assert delayed(test, 10, 30)["alert_rule_test"][0]["eval_time"] == "4m30s"
    assert delayed({**test, "input_series": [gauge]}, 10, 30)["alert_rule_test"][0]["eval_time"] == "5m"


def test_a_value_promtool_would_not_read_is_refused():
    with pytest.raises(ValueError, match="not a promtool series value"):
        advance("1+2+3x4", 1)
