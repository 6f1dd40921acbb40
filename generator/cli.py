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


def load_or_exit(specs: str):
    """Load and check specs/; on a bad spec print every problem and exit 1 (commands share this)."""
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
    return model


def _build(specs: str) -> dict[str, bytes]:
    """Load, check and render."""
    from generator.render import render_all

    return render_all(load_or_exit(specs))


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


@main.command()
@SPECS
@click.option("--prometheus-port", type=int, default=0, help="default: a free port")
@click.option("--alertmanager-port", type=int, default=0, help="default: a free port")
@click.option("--exporter-port", type=int, default=0, help="default: a free port")
@click.option("--app-port", type=int, default=0, help="default: a free port")
@click.option("--sink-port", type=int, default=0, help="default: a free port")
@click.option("--gpus", type=int, default=4, show_default=True, help="simulated GPUs (every fourth one idles)")
@click.option("--runaway", "runaway", metavar="TEAM", help="after a minute of normal traffic, blow TEAM's daily budget")
@click.option("--duration", type=float, default=0, help="stop after this many seconds (default: until Ctrl-C)")
def demo(specs: str, gpus: int, runaway: str | None, duration: float, **ports) -> None:
    """Run exporter, traffic, Prometheus and Alertmanager on 127.0.0.1 and show alerts as they arrive.

    Rules evaluate every second and every `for:` is 0s, so alerts fire within a minute.
    """
    import time as _time

    from generator.stack import Ports, Stack, StackError

    model = load_or_exit(specs)
    if runaway and runaway not in {t.name for t in model.teams}:
        raise click.UsageError(f"--runaway: no team '{runaway}' in {specs}/teams/")
    chosen = Ports(**{k.removesuffix("_port"): v for k, v in ports.items() if v})
    try:
        stack = Stack(model, Path(specs), chosen, simulate=gpus)
        stack.start()
    except StackError as exc:
        click.echo(f"aicost demo: {exc}", err=True)
        sys.exit(1)
    p = stack.ports
    click.echo(f"Prometheus   http://127.0.0.1:{p.prometheus}\nAlertmanager http://127.0.0.1:{p.alertmanager}\n"
               f"exporter     http://127.0.0.1:{p.exporter}/metrics  ({gpus} simulated GPUs)\n"
               f"receivers -> webhook sink on 127.0.0.1:{p.sink}; Ctrl-C stops everything")
    started, blown = _time.monotonic(), False
    try:
        while not duration or _time.monotonic() - started < duration:
            stack.traffic()
            if runaway and not blown and _time.monotonic() - started > 60:
                calls, model_name = stack.runaway(runaway)
                click.echo(f"\n!! runaway loop: {calls} calls of 10M {model_name} tokens for team {runaway}")
                blown = True
            for note in stack.sink.take_new():
                for a in note.alerts:
                    lbl = a["labels"]
                    click.echo(f"\n-> {note.receiver:<16} {lbl.get('alertname')} [{lbl.get('severity')}]"
                               f" team={lbl.get('team', '-')}: {a['annotations'].get('summary', '')}")
            spend = {r["metric"].get("team"): float(r["value"][1]) for r in stack.query("team:ai_spend_dollars:today")}
            firing = len(stack.query('ALERTS{alertstate="firing"}'))
            status = "  ".join(f"{t} ${v:,.2f}" for t, v in sorted(spend.items()))
            click.echo(f"\r{status}  | alerts firing: {firing}   ", nl=False)
            _time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
        click.echo("\naicost demo: stopped everything it started")


def _day(text: str):
    """A --from/--to date as midnight UTC."""
    from datetime import datetime, timezone

    try:
        return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date such as 2026-11-16") from None


@main.command()
@SPECS
@click.option("--prometheus", "prometheus_url", help="Prometheus URL running the aicost rules")
@click.option("--focus", "focus_files", multiple=True, type=click.Path(dir_okay=False), help="FinOps FOCUS 1.x CSV export")
@click.option("--csv", "csv_files", multiple=True, type=click.Path(dir_okay=False), help="CSV of cost,team,project,category")
@click.option("--period", type=click.Choice(["day", "week", "month"]), default="week", show_default=True,
              help="the last complete one, in UTC (a week runs Monday to Sunday)")
@click.option("--from", "from_", help="first day (UTC), with --to instead of --period")
@click.option("--to", "to", help="day after the last (UTC)")
@click.option("--format", "fmt", type=click.Choice(["table", "markdown", "html", "csv", "json"]), default="table", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False), help="write here instead of standard output")
@click.option("--send", is_flag=True, help="mail the HTML report to every team owner and finance (smtp in alerting.yaml)")
@click.option("--now", hidden=True, help="the current time (tests)")
def report(specs, prometheus_url, focus_files, csv_files, period, from_, to, fmt, output, send, now) -> None:
    """Cost allocation report (showback/chargeback) from Prometheus and billing exports."""
    from datetime import datetime, timezone

    from generator import report as rep
    from generator.report_formats import FORMATS
    from generator.report_sources import ReportError, read_focus, read_forecasts, read_plain_csv, read_prometheus

    if not (prometheus_url or focus_files or csv_files):
        raise click.UsageError("give at least one source: --prometheus URL, --focus FILE or --csv FILE")
    if bool(from_) != bool(to):
        raise click.UsageError("--from and --to go together")
    model = load_or_exit(specs)
    current_time = datetime.fromisoformat(now).astimezone(timezone.utc) if now else datetime.now(timezone.utc)
    span = rep.Period(_day(from_), _day(to)) if from_ else rep.last_complete(period, current_time)
    if span.end <= span.start:
        raise click.UsageError("--to must be after --from")

    def gather(p: rep.Period) -> list:
        billing = [r for f in focus_files for r in read_focus(Path(f), p)]
        billing += [r for f in csv_files for r in read_plain_csv(Path(f))]
        metered = read_prometheus(prometheus_url, p, current_time) if prometheus_url else []
        return rep.combine(billing, metered)

    try:
        rows = gather(span)
        # A plain CSV has no dates, so it says nothing about the previous period.
        previous = None if csv_files else gather(span.previous())
        forecasts = read_forecasts(prometheus_url, current_time) if prometheus_url else None
    except ReportError as exc:
        click.echo(f"aicost report: {exc}", err=True)
        sys.exit(1)
    built = rep.build(model, span, rows, previous, forecasts)
    text = FORMATS[fmt](built)
    if send:
        from generator import report_mail

        try:
            msg = report_mail.message(model, f"AI cost report {span.label()}: {model.org_name}",
                                      FORMATS["table"](built), FORMATS["html"](built))
            report_mail.send(model, msg)
        except ReportError as exc:
            click.echo(f"aicost report: {exc}", err=True)
            sys.exit(1)
        click.echo(f"aicost: mailed the report for {span.label()} to {msg['To']}", err=True)
    if output:
        from generator.output import write_file

        write_file(Path(output), text.encode("utf-8"))
        click.echo(f"aicost: wrote the {fmt} report for {span.label()} to {output}", err=True)
    else:
        click.echo(text, nl=False)
