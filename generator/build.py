"""The compile line's edge: a spec's rendered tree as file bytes, ready for `output.write_tree`."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

from generator.model import Spec
from generator.output import with_marker
from generator.serialise import serialise
from generator.render import render_all, render_deployed, render_tests

# From this many teams a command line renders the promtool tests and writes every file that
# holds no rules in a second process while it writes the rule files: below it, forking costs
# more than it saves.
PARALLEL_FROM = 1000
_FORKED: dict[str, object] = {}  # what a forked writer inherits (never pickled)


def _holds_rules(data) -> bool:
    """Rule files (plain, Thanos, Mimir, PrometheusRule) share every team's constants: one process
    writes them all, so the text is written once and reused or re-indented."""
    return type(data) is dict and ("groups" in data or data.get("kind") == "PrometheusRule")


def _tests_and_the_rest() -> dict[str, bytes]:
    """In the forked process: the promtool tests rendered, and every file without rules written."""
    spec, cat, deployed = _FORKED["spec"], _FORKED["catalogue"], _FORKED["deployed"]
    rest = {p: d for p, d in deployed.items() if not _holds_rules(d)}
    return serialise({**rest, **render_tests(spec, cat)})


def _rendered_on_two_cores(spec: Spec) -> dict[str, bytes]:
    """render_all then serialise, shared with a forked process: the same bytes in the same order."""
    from generator import catalogue

    cat = catalogue.build(spec)
    deployed = render_deployed(spec, cat)
    _FORKED.update(spec=spec, catalogue=cat, deployed=deployed)
    try:
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
            future = pool.submit(_tests_and_the_rest)  # forks now: the child inherits _FORKED
            out = serialise({p: d for p, d in deployed.items() if _holds_rules(d)})
            out.update(future.result())
    finally:
        _FORKED.clear()
    return dict(sorted(out.items()))  # render_all's order


def rendered_files(spec: Spec, parallel: bool = False) -> dict[str, bytes]:
    """Every file of the output folder, the marker included: render, then serialise. `parallel`
    (a command line, which owns its process and cores) uses two cores for a large spec."""
    if (parallel and len(spec.teams) >= PARALLEL_FROM and (os.cpu_count() or 1) > 1
            and "fork" in multiprocessing.get_all_start_methods()):
        return with_marker(_rendered_on_two_cores(spec))
    return with_marker(serialise(render_all(spec)))
