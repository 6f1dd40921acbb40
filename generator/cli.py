"""The `aicost` command line: thin click wrappers around load -> render -> write."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from generator.errors import SpecError

SPECS = click.option("--specs", "specs", default="specs", show_default=True,
                     type=click.Path(file_okay=False, path_type=str), help="spec folder")
OUT = click.option("--out", "out", default="rendered", show_default=True,
                   type=click.Path(file_okay=False, path_type=str), help="rendered output folder")


def _build(specs: str) -> dict[str, bytes]:
    """Load, check and render; report problems and exit 1 on a bad spec."""
    from generator.render import render_all
    from generator.resolve import load_model

    try:
        model, warnings = load_model(Path(specs), specs)
    except SpecError as exc:
        for p in exc.problems:
            click.echo(str(p), err=True)
        n = len([p for p in exc.problems if not p.warning])
        click.echo(f"aicost: {n} error{'s' if n != 1 else ''} in {specs}/; nothing was written", err=True)
        sys.exit(1)
    for w in warnings:
        click.echo(str(w), err=True)
    return render_all(model)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """aicost: compile specs/ into Prometheus rules, Alertmanager routes and Grafana dashboards."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")


@main.command()
@SPECS
@OUT
def generate(specs: str, out: str) -> None:
    """Render specs/ into rendered/ (atomically; stale files are removed)."""
    from generator.output import write_tree

    files = _build(specs)
    write_tree(files, Path(out))
    click.echo(f"aicost: wrote {len(files)} files to {out}/")


@main.command()
@SPECS
@OUT
def check(specs: str, out: str) -> None:
    """Exit 1 with a diff when rendered/ is not exactly what specs/ produce."""
    from generator.output import diff_tree

    diffs = diff_tree(_build(specs), Path(out), out)
    if diffs:
        for d in diffs:
            click.echo(d)
        click.echo(f"aicost: {len(diffs)} file(s) in {out}/ are stale; run `aicost generate --specs {specs} --out {out}`", err=True)
        sys.exit(1)
    click.echo(f"aicost: {out}/ is up to date with {specs}/")


@main.command()
@SPECS
@OUT
def validate(specs: str, out: str) -> None:
    """Run the whole pipeline on specs/ and write nothing."""
    files = _build(specs)
    click.echo(f"aicost: {specs}/ is valid ({len(files)} files would be rendered)")


@main.command()
@SPECS
@OUT
@click.option("--file", "which", type=click.Choice(["org.yaml", "prices.yaml", "alerting.yaml", "teams/<team>.yaml"]),
              help="print only this file's schema")
def schema(specs: str, out: str, which: str | None) -> None:
    """Print the JSON Schema of the spec files (for editors and CI)."""
    from generator.spec.schema import json_schemas

    schemas = json_schemas()
    click.echo(json.dumps(schemas[which] if which else schemas, indent=2, sort_keys=True))




@main.command("exporter", context_settings={"ignore_unknown_options": True, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def exporter_command(args) -> None:
    """Run the GPU cost exporter (see `aicost exporter --help`)."""
    from exporter.cli import exporter

    exporter.main(list(args), prog_name="aicost exporter")
