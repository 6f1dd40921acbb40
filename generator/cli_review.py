"""The review commands of the `aicost` line: diff, explain (a change and an alert) and doctor (a live Prometheus)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from generator.cli_common import SPECS, gc_paused, load


@click.command()
@click.argument("base", required=False)
@SPECS
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True,
              help="markdown: for a pull-request comment")
@click.option("--fail-on", "fail_on", multiple=True, metavar="POLICY[=PCT]",
              help="exit 1 when a change breaks this policy, e.g. budget-increase=50, team-removed, routing, any")
@click.option("--prometheus", "prometheus_url", help="Prometheus running the aicost rules: price changes at today's volumes")
@click.option("--output", help="write here instead of standard output")
def diff(base, specs, fmt, fail_on, prometheus_url, output) -> None:
    """What a spec change means: budgets, alert levels, prices, routing, teams.

    BASE is a git revision (default: the merge base of HEAD with the default branch) or a spec
    folder; it is compared with the spec folder as it is now, uncommitted edits included.
    """
    from generator.review.command import run_diff
    from generator.review.fail_on import parse

    policies = [parse(p) for p in fail_on]
    with gc_paused():  # two whole specs loaded and compared
        text, broken = run_diff(base, specs, fmt, policies, prometheus_url)
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
    for line in broken:
        click.echo(line, err=True)
    if broken:
        from generator.errors import DiffError

        raise DiffError(f"{len(broken)} change(s) break a --fail-on policy")


@click.command()
@click.argument("alert")
@SPECS
@click.option("--team", help="the team the alert is about (every alert with a team label needs one)")
@click.option("--prometheus", "prometheus_url", help="Prometheus running the aicost rules: today's value at each step")
@click.option("--promql", is_flag=True, help="print each recorded series' PromQL too")
def explain(alert, specs, team, prometheus_url, promql) -> None:
    """An alert's chain for a team: raw metrics, recorded series, the alert, who receives it and what they read."""
    from generator import names as n
    from generator.catalogue import build
    from generator.review.command import run_explain

    if alert not in n.ALERTS:
        raise click.UsageError(f"no alert '{alert}'; aicost's alerts: {', '.join(n.ALERTS)}")
    with gc_paused():
        spec = load(specs)
        catalogue = build(spec)  # once: with thousands of teams it is most of the command's time
    per_team = {a.per_team for a in catalogue.alerts if a.name == alert}
    if team and team not in {t.name for t in spec.teams}:
        raise click.UsageError(f"--team: no team '{team}' in {specs.rstrip('/')}/teams/")
    if team and True not in per_team:
        raise click.UsageError(f"{alert} has no team label; leave out --team")
    if not team and False not in per_team:
        raise click.UsageError(f"{alert} is about one team: give --team")
    click.echo(run_explain(spec, catalogue, alert, team, prometheus_url, promql), nl=False)


@click.command()
@SPECS
@click.option("--prometheus", "prometheus_url", required=True, help="the Prometheus to check (read-only)")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def doctor(specs, prometheus_url, fmt) -> None:
    """Check a live Prometheus against the spec: sources, unknown teams, unpriced models, scrapes, retention, rules."""
    from generator.doctor.command import run_doctor

    report, broken = run_doctor(load(specs), prometheus_url, fmt)
    click.echo(report)
    if broken:
        sys.exit(1)
