"""What every command of the `aicost` line shares: the --specs and --out options, and loading a spec."""

from __future__ import annotations

import click


SPECS = click.option("--specs", "specs", default="specs", show_default=True, help="spec folder")
OUT = click.option("--out", "out", default="rendered", show_default=True, help="rendered output folder")


def load(specs: str):
    """Load and check the spec folder; print its warnings. A SpecError lists every problem and exits 1."""
    import os

    from generator.load import load_spec

    # a command line owns its process: thousands of team files are read on every core
    spec, warnings = load_spec(specs, workers=os.cpu_count() or 1)
    for w in warnings:
        click.echo(str(w), err=True)
    return spec
