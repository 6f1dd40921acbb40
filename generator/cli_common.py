"""What every command of the `aicost` line shares: the --specs and --out options, and loading a spec."""

from __future__ import annotations

import gc
from contextlib import contextmanager

import click


SPECS = click.option("--specs", "specs", default="specs", show_default=True, help="spec folder")
OUT = click.option("--out", "out", default="rendered", show_default=True, help="rendered output folder")


def load(specs: str):
    """Load and check the spec folder; print its warnings. A SpecError lists every problem and exits 1."""
    from generator.load import load_spec

    spec, warnings = load_spec(specs, parallel=True)  # a command line owns its process and its cores
    for w in warnings:
        click.echo(str(w), err=True)
    return spec


def build(specs: str) -> dict[str, bytes]:
    """Load, check and render as `generate`, `check` and `validate` do: every file of the output
    folder, the marker included."""
    from generator.build import rendered_files

    with gc_paused():
        return rendered_files(load(specs), parallel=True)


@contextmanager
def gc_paused():
    """Python's cyclic garbage collector off for one pipeline run, back on after.

    A run builds millions of small objects (parsed spec, model, rules, text) that all live until
    it ends; the collector's full passes only walk them again, about a sixth of generation time at
    10,000 teams. The pipeline's data holds no reference cycles to collect.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
