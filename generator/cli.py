"""The `aicost` command line: thin click wrappers around load -> render -> write."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click


SPECS = click.option("--specs", "specs", default="specs", show_default=True, help="spec folder")
OUT = click.option("--out", "out", default="rendered", show_default=True, help="rendered output folder")


def load(specs: str):
    """Load and check the spec folder; print its warnings. A SpecError lists every problem and exits 1."""
    from generator.load import load_spec

    model, warnings = load_spec(specs)
    for w in warnings:
        click.echo(str(w), err=True)
    return model


def _build(specs: str) -> dict[str, bytes]:
    """Load, check and render: every file of the output folder, the marker included."""
    from generator.output import with_marker
    from generator.render import render_all

    return with_marker(render_all(load(specs)))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """aicost: compile specs/ into Prometheus rules, Alertmanager routes and Grafana dashboards."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")


@main.command()
@SPECS
@OUT
def generate(specs: str, out: str) -> None:
    """Render specs/ into rendered/ (atomically; stale files are removed)."""
    from generator.output import check_out_dir, write_tree

    target = check_out_dir(out, specs)
    files = _build(specs)
    write_tree(files, target)
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
def validate(specs: str) -> None:
    """Run the whole pipeline on specs/ and write nothing."""
    files = _build(specs)
    click.echo(f"aicost: {specs}/ is valid ({len(files)} files would be rendered)")


@main.command()
@click.option("--file", "which", type=click.Choice(["org.yaml", "prices.yaml", "alerting.yaml", "teams/<team>.yaml"]),
              help="print only this file's schema")
def schema(which: str | None) -> None:
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

    Rules evaluate every second and every `for:` is 0s, so alerts fire within a minute. Every
    way out (the duration, Ctrl-C, SIGTERM, an error) stops what it started.
    """
    import signal

    from generator.stack import Ports, Stack
    from generator.stack.demo import Runaway, Status, demo_events

    model = load(specs)
    if runaway and runaway not in {t.name for t in model.teams}:
        raise click.UsageError(f"--runaway: no team '{runaway}' in {specs}/teams/")

    def terminate(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    printer = _StatusPrinter(sys.stdout.isatty())
    try:
        with Stack(model, Ports(**{k.removesuffix("_port"): v for k, v in ports.items() if v}), simulate=gpus) as stack:
            p = stack.ports
            click.echo(f"Prometheus   http://127.0.0.1:{p.prometheus}\nAlertmanager http://127.0.0.1:{p.alertmanager}\n"
                       f"exporter     http://127.0.0.1:{p.exporter}/metrics  ({gpus} simulated GPUs)\n"
                       f"receivers -> webhook sink on 127.0.0.1:{p.sink}; Ctrl-C stops everything")
            for event in demo_events(stack, runaway, duration):
                if isinstance(event, Status):
                    printer.status(event)
                elif isinstance(event, Runaway):
                    printer.line(f"!! runaway loop: {event.calls} calls of 10M {event.ai_model} tokens for team {event.team}")
                else:
                    for a in event.alerts:
                        lbl = a["labels"]
                        printer.line(f"-> {event.receiver:<16} {lbl.get('alertname')} [{lbl.get('severity')}]"
                                     f" team={lbl.get('team', '-')}: {a['annotations'].get('summary', '')}")
    except KeyboardInterrupt:
        pass
    printer.line("aicost demo: stopped everything it started")


class _StatusPrinter:
    """The demo's live line: rewritten in place on a terminal, a plain line every 10 s otherwise."""

    EVERY = 10

    def __init__(self, tty: bool):
        self.tty, self.count, self.open = tty, 0, False

    def status(self, s) -> None:
        text = "  ".join(f"{t} ${v:,.2f}" for t, v in sorted(s.spend.items())) + f"  | alerts firing: {s.firing}"
        if self.tty:
            click.echo(f"\r{text}   ", nl=False)
            self.open = True
        elif self.count % self.EVERY == 0:
            click.echo(text)
        self.count += 1

    def line(self, text: str) -> None:
        if self.open:
            click.echo()
            self.open = False
        click.echo(text)


def _day(text: str, option: str):
    """A --from/--to date as midnight UTC."""
    from datetime import datetime, timezone

    try:
        return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date such as 2026-11-16", param_hint=option) from None


def _now(text: str | None):
    from datetime import datetime, timezone

    if not text:
        return datetime.now(timezone.utc)
    try:
        return datetime.fromisoformat(text).astimezone(timezone.utc)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO 8601 time", param_hint="--now") from None


@main.command()
@SPECS
@click.option("--prometheus", "prometheus_url", help="Prometheus URL running the aicost rules")
@click.option("--focus", "focus_files", multiple=True, help="FinOps FOCUS 1.x CSV export")
@click.option("--csv", "csv_files", multiple=True,
              help="CSV of cost,team,project,category (no dates: give --from/--to for the period it covers)")
@click.option("--period", type=click.Choice(["day", "week", "month"]), default="week", show_default=True,
              help="the last complete one, in UTC (a week runs Monday to Sunday)")
@click.option("--from", "from_", help="first day (UTC), with --to instead of --period")
@click.option("--to", "to", help="day after the last (UTC)")
@click.option("--format", "fmt", type=click.Choice(["table", "markdown", "html", "csv", "json"]), default="table", show_default=True)
@click.option("--output", help="write here instead of standard output")
@click.option("--send", is_flag=True, help="mail the HTML report to every team owner and finance (smtp in alerting.yaml)")
@click.option("--now", hidden=True, help="the current time (tests)")
def report(specs, prometheus_url, focus_files, csv_files, period, from_, to, fmt, output, send, now) -> None:
    """Cost allocation report (showback/chargeback) from Prometheus and billing exports."""
    from generator import report as rep
    from generator.report_formats import FORMATS
    from generator.report_sources import read_focus, read_forecasts, read_plain_csv, read_prometheus

    if not (prometheus_url or focus_files or csv_files):
        raise click.UsageError("give at least one source: --prometheus URL, --focus FILE or --csv FILE")
    if bool(from_) != bool(to):
        raise click.UsageError("--from and --to go together")
    if csv_files and not from_ and (prometheus_url or focus_files):
        raise click.UsageError("a plain CSV has no dates: give --from/--to for the period it covers "
                               "to combine it with --prometheus or --focus")
    model = load(specs)
    current_time = _now(now)
    if from_:
        span = rep.Period(_day(from_, "--from"), _day(to, "--to"))
        if span.end <= span.start:
            raise click.UsageError("--to must be after --from")
    else:
        # A plain CSV alone is undated: its money is reported, but no budget is compared.
        span = None if csv_files else rep.last_complete(period, current_time)

    def gather(p) -> list:
        billing = [r for f in focus_files for r in read_focus(Path(f), p)]
        billing += [r for f in csv_files for r in read_plain_csv(Path(f))]
        metered = read_prometheus(prometheus_url, p, current_time) if prometheus_url else []
        return rep.combine(billing, metered)

    rows = gather(span)
    # A plain CSV has no dates, so it says nothing about the previous period.
    previous = None if csv_files else gather(span.previous())
    forecasts = read_forecasts(prometheus_url, current_time) if prometheus_url else None
    built = rep.build(model, span, rows, previous, forecasts)
    text = FORMATS[fmt](built)
    if send:
        from generator import report_mail

        msg = report_mail.message(model, f"AI cost report {built.label}: {model.org_name}",
                                  FORMATS["table"](built), FORMATS["html"](built))
        report_mail.send(model, msg)
        click.echo(f"aicost: mailed the report for {built.label} to {msg['To']}", err=True)
    if output:
        from generator.output import write_file

        write_file(Path(output), text.encode("utf-8"))
        click.echo(f"aicost: wrote the {fmt} report for {built.label} to {output}", err=True)
    else:
        click.echo(text, nl=False)
