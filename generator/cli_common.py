"""What every command of the `aicost` line shares: the --specs and --out options, and loading a spec."""

from __future__ import annotations

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
