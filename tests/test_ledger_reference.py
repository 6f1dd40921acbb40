"""The ledger against an independent reference, on random counter histories, on the real promtool.

Each seed draws raw counter series the way real targets produce them: scrapes every 15 to 60
seconds off the minute grid, uneven spend, process restarts (a drop inside a window, or during a
gap), scrape gaps shorter than Prometheus' 5-minute lookback, longer than it, and longer than
the ledger's 45-minute recent read (the base then comes from the parked departures), failed
scrapes (staleness markers), and series first seen hours in, at a value above 0 (a new pod).

The reference knows nothing of the rules: a counter's spend is what its samples show, read one
after the other (a rise counts its difference, a drop counts the new value from 0, the first
sample counts from 0). "Today" must equal that sum over every sample stamped up to the
evaluation, at every minute, in both group orders. Amounts are whole numbers, so the sums are
exact in floating point and any difference is the ledger's.

The histories stay inside what the ledger states it measures exactly (README, "How today and
this month are computed"): at most one restart per window, a drop to below any value counted
before it in that window, none inside a series' first window, and no gap longer than the
lookback (3h).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from generator import names
from promtool_runner import fixture_failures

GRID = 5  # seconds between promtool input points; scrapes fall on it, off the minute grid
MINUTES = 150  # the first test's horizon; the midnight test's is 26 hours
POINTS = MINUTES * 60 // GRID
DAY = 86400
GAPS = (120, 420, 1800, 3000, 4200)  # under 5m, over 5m, under 45m, over 45m (parked) twice
SEEDS = (11, 23, 37)

DOLLARS = 'ai_spend_dollars_total{{team="{team}",project="{project}",category="api",instance="{instance}",job="aicost-apps"}}'
TOKENS = 'ai_api_tokens_total{{team="{team}",model="{model}",direction="{direction}",instance="{instance}",job="aicost-apps"}}'


@dataclass(frozen=True)
class Fixture:
    """A spec set of tests/fixtures and who spends in it: teams with their project, and the token
    user (a team with no dollar series of its own: a team's tokens are priced only in a window
    where it has no dollar series, the README's limits), and its spend_delay in seconds."""

    name: str
    teams: tuple[tuple[str, str], ...]
    tokens: tuple[str, str] | None
    delay: int


FIXTURE_SETS = (
    # no spend_delay: each window ends at the evaluation
    Fixture("acme", (("search", "product-search"), ("chatbot", "customer-support")), ("data", "gpt-4o"), 0),
    # the default spend_delay, 10s: each window ends 10 seconds before the evaluation
    Fixture("minimal", (("search", "product-search"),), None, 10),
)


def draw_series(rng: random.Random, born: int, step_max: int, gaps: list[int], points: int) -> dict[int, float | str]:
    """Grid index -> value (or "stale") of one counter series first scraped at grid index `born`,
    silent for each of `gaps` (seconds) once, up to grid index `points`."""
    period = rng.choice((15, 20, 25, 30, 45, 60)) // GRID
    out: dict[int, float | str] = {}
    value = rng.randint(0, 5)  # a new pod may have served calls before its first scrape
    # no restart in the first three minutes (one inside the very first window would count from
    # the drop: the README's limits), nor after a gap in which it restarted
    i, quiet_until, chance = born, born + 36, 0.04
    gap_at = sorted(rng.randint(born + 60, points - 200) for _ in gaps)
    while i < points:
        out[i] = float(value)
        if rng.random() < 0.03 and i + 1 < points:
            out[i + 1] = "stale"  # a failed scrape right after this one
        i += period
        if gap_at and i >= gap_at[0]:
            gap_at.pop(0)
            i += gaps.pop() // GRID
            if rng.random() < 0.3:  # it restarted during the gap
                value, quiet_until = rng.randint(0, 2), i + 36
            else:  # it went on counting, and is likely to restart in its first window back
                value, chance = value + rng.randint(0, step_max * 20), 0.5
            continue
        # a restart drops below anything the window counted before it (at most 4 scrapes a window)
        if i >= quiet_until and value >= 4 * step_max + 20 and rng.random() < chance:
            value, quiet_until = rng.randint(0, 2), i + 36
        else:
            value += rng.choice((0, 0, 1, 2, step_max))
        chance = 0.04
    return out


def spent_up_to(series: dict[int, float | str], t: int) -> float:
    """What the samples of one series stamped at or before `t` seconds show was spent."""
    total, previous = 0.0, None
    for i in sorted(series):
        v = series[i]
        if i * GRID > t:
            break
        if v == "stale":
            continue
        total += v - previous if previous is not None and v >= previous else v
        previous = v
    return total


def _values(series: dict[int, float | str]) -> str:
    """promtool's notation: one point per GRID seconds from 0, `_` where there is no sample."""
    out, missing = [], 0
    for i in range(max(series) + 1):
        if i not in series:
            missing += 1
            continue
        if missing:
            out.append("_" if missing == 1 else f"_x{missing}")
            missing = 0
        v = series[i]
        out.append(v if isinstance(v, str) else str(int(v)))
    return " ".join(out)


def _gaps(k: int) -> list[int]:
    """Two of the gap lengths for the k-th series: together the series of a seed have each."""
    return [GAPS[k % len(GAPS)], GAPS[(k + 3) % len(GAPS)]]


def draw(seed: int, fixture: Fixture, points: int = POINTS) -> list[tuple[str, str, str, dict]]:
    """(series, today record, its labels, samples) of every series one seed draws, over `points`."""
    rng = random.Random(seed)
    drawn: list[tuple[str, str, str, dict]] = []
    for team, project in fixture.teams:
        for k in range(3):
            # the first series of a team is scraped within the first minute; the others may be
            # born hours in (a new instance), at any value
            born = rng.randint(1, 11) if k == 0 else rng.randint(1, points // 2)
            drawn.append((DOLLARS.format(team=team, project=project, instance=f"{team}-{k}"),
                          names.R_TEAM_TODAY, f'team="{team}"', draw_series(rng, born, 3, _gaps(len(drawn)), points)))
    for k, direction in enumerate(("input", "output", "input") if fixture.tokens else ()):
        born = rng.randint(1, 11) if k < 2 else rng.randint(1, points // 2)
        team, model = fixture.tokens
        drawn.append((TOKENS.format(team=team, model=model, direction=direction, instance=f"tokens-{k}"),
                      names.R_TEAM_MODEL_TOKENS_TODAY, f'model="{model}",team="{team}"',
                      draw_series(rng, born, 900, _gaps(len(drawn)), points)))
    return drawn


def _spent(drawn: list, record: str, since: int, t: int) -> dict[str, float]:
    """Per labels of `record` with a sample stamped in (since, t] (an entry in that time): what its
    series' samples stamped then show was spent."""
    totals: dict[str, float] = {}
    for _, rec, labels, series in drawn:
        if rec == record and any(since < i * GRID <= t and v != "stale" for i, v in series.items()):
            totals[labels] = totals.get(labels, 0.0) + spent_up_to(series, t) - spent_up_to(series, since)
    return totals


def _teams(fixture: Fixture) -> str:
    """The label matcher of the fixture's dollar teams (a token-only team has priced dollars too)."""
    return f'{{team=~"{"|".join(team for team, _ in fixture.teams)}"}}'


def _check(expr: str, minute: int, record: str, totals: dict[str, float]) -> dict:
    return {"expr": expr, "eval_time": f"{minute}m",
            "exp_samples": [{"labels": f"{record}{{{labels}}}", "value": v} for labels, v in sorted(totals.items())]}


def _group(name: str, drawn: list, checks: list[dict]) -> dict:
    return {"name": name, "interval": f"{GRID}s",
            "input_series": [{"series": s, "values": _values(series)} for s, _, _, series in drawn],
            "promql_expr_test": checks}


def case(seed: int, fixture: Fixture) -> dict:
    """One promtool test group: drawn series, and today of every team at every minute (each
    window ending `fixture.delay` seconds before its evaluation)."""
    drawn = draw(seed, fixture)
    teams = _teams(fixture)
    checks = [_check(record + selector, minute, record, _spent(drawn, record, 0, minute * 60 - fixture.delay))
              for minute in range(1, MINUTES)
              for record, selector in ((names.R_TEAM_TODAY, teams), (names.R_TEAM_MODEL_TOKENS_TODAY, ""))]
    return _group(f"seed {seed}", drawn, checks)


def midnight_case(seed: int, fixture: Fixture) -> dict:
    """26 hours of drawn series: today through the day and every minute around midnight, then
    yesterday and month to date (the second of January: today plus yesterday) through the next day."""
    drawn = draw(seed, fixture, (DAY + 2 * 3600) // GRID)
    teams = _teams(fixture)
    close = DAY - fixture.delay  # the last sample of day one is the one the 00:00 entry reads
    checks = []
    for minute in sorted(set(range(30, 26 * 60, 30)) | set(range(23 * 60 + 50, 24 * 60 + 11))):
        t = minute * 60 - fixture.delay
        since = close if minute >= 24 * 60 else 0
        today = _spent(drawn, names.R_TEAM_TODAY, since, t)
        if since:
            yesterday = _spent(drawn, names.R_TEAM_TODAY, 0, close)
            # a team with a total yesterday reads 0, not nothing, before its first entry of the day
            today = {labels: today.get(labels, 0.0) for labels in yesterday}
            checks.append(_check(f"sum by (team) ({names.R_TPC_YESTERDAY}{teams})", minute, "", yesterday))
        checks.append(_check(names.R_TEAM_TODAY + teams, minute, names.R_TEAM_TODAY, today))
        checks.append(_check(names.R_TEAM_MONTH + teams, minute, names.R_TEAM_MONTH,
                             _spent(drawn, names.R_TEAM_TODAY, 0, t)))
        # tokens: a model's today exists once it has an entry that day (no yesterday to fall back on)
        checks.append(_check(names.R_TEAM_MODEL_TOKENS_TODAY, minute, names.R_TEAM_MODEL_TOKENS_TODAY,
                             _spent(drawn, names.R_TEAM_MODEL_TOKENS_TODAY, since, t)))
    return _group(f"midnight, seed {seed}", drawn, checks)


def test_reference_counts_what_the_samples_show():
    """The reference itself, on a hand-made series: rises, a drop (counted from 0), a stale marker."""
    series = {1: 3.0, 4: 5.0, 5: "stale", 7: 9.0, 10: 1.0, 13: 4.0}
    assert [spent_up_to(series, t * GRID) for t in (0, 1, 4, 7, 10, 13)] == [0, 3, 5, 9, 10, 13]


def test_drawn_histories_have_every_kind_of_event():
    """Each seed draws what the ledger must survive: restarts, gaps over 45 minutes, late births, stale markers."""
    for seed in SEEDS:
        drops = long_gaps = late = stale = 0
        for _, _, _, series in draw(seed, FIXTURE_SETS[0]):
            samples = [(i, v) for i, v in sorted(series.items()) if v != "stale"]
            drops += sum(1 for (_, a), (_, b) in zip(samples, samples[1:]) if b < a)
            long_gaps += sum(1 for (i, _), (j, _) in zip(samples, samples[1:]) if (j - i) * GRID > 2700)
            late += min(series) * GRID > 600
            stale += "stale" in series.values()
        assert drops >= 2 and long_gaps >= 2 and late >= 1 and stale >= 1, (seed, drops, long_gaps, late, stale)


def _failures(fixture: Fixture, groups: list[dict], tmp_path: Path) -> list[str]:
    """promtool on these test groups against the fixture's rules, in both group orders."""
    source = tmp_path / "reference.test.yml"
    source.write_text(yaml.safe_dump({"rule_files": ["rules/*.yml"], "evaluation_interval": "1m", "tests": groups},
                                     sort_keys=False, width=1 << 20))
    return fixture_failures(fixture.name, source, tmp_path)


@pytest.mark.tools
@pytest.mark.parametrize("fixture", FIXTURE_SETS, ids=lambda f: f.name)
def test_today_equals_the_reference_on_random_histories(fixture, tmp_path):
    """Today, every minute for two and a half hours, equals what the samples show, in both group orders."""
    found = _failures(fixture, [case(seed, fixture) for seed in SEEDS], tmp_path)
    assert not found, "\n".join(found)[:20000]


@pytest.mark.tools
@pytest.mark.parametrize("fixture", FIXTURE_SETS, ids=lambda f: f.name)
def test_days_equal_the_reference_across_midnight(fixture, tmp_path):
    """Today, yesterday and month to date across a midnight equal what the samples show, in both group orders."""
    found = _failures(fixture, [midnight_case(SEEDS[0], fixture)], tmp_path)
    assert not found, "\n".join(found)[:20000]
