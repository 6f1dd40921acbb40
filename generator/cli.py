"""The `aicost` command line: thin click wrappers around load -> render -> write."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click


from generator.cli_common import OUT, SPECS, build, load  # noqa: F401 - load is used by the commands below


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
    files = build(specs)
    write_tree(files, target)
    click.echo(f"aicost: wrote {len(files)} files to {out}/")


@main.command()
@SPECS
@OUT
def check(specs: str, out: str) -> None:
    """Exit 1 with a diff when rendered/ is not exactly what specs/ produce."""
    from generator.output import diff_tree

    from generator.errors import AicostError

    diffs = diff_tree(build(specs), Path(out), out)
    for d in diffs:
        click.echo(d)
    if diffs:
        raise AicostError(f"aicost: {len(diffs)} file(s) in {out}/ are stale; run `aicost generate --specs {specs} --out {out}`")
    click.echo(f"aicost: {out}/ is up to date with {specs}/")


@main.command()
@SPECS
def validate(specs: str) -> None:
    """Run the whole pipeline on specs/ and write nothing."""
    files = build(specs)
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
@click.option("--listen", default="127.0.0.1:9095", show_default=True, help="host:port for Alertmanager's webhook")
@click.option("--audit-log", "audit_log", default="aicost-act.jsonl", show_default=True,
              help="append-only JSON lines: every decision and command")
@click.option("--execute", is_flag=True, help="run the commands (default: dry run, logged only)")
@click.option("--timeout", type=float, default=120, show_default=True, help="seconds a command may run")
def act(specs: str, listen: str, audit_log: str, execute: bool, timeout: float) -> None:
    """Shut down idle GPUs: an Alertmanager webhook for AIGPUIdle that runs each team's idle_gpu action,
    never on production, once per firing, dry run unless --execute, every decision in the audit log."""
    import signal
    import time

    from exporter.act import Act, TeamAction, serve

    spec = load(specs)
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise click.UsageError(f"--listen: {listen!r} is not host:port")
    teams = {t.name: TeamAction(t.environment, t.idle_gpu_action) for t in spec.teams}
    try:
        server = serve(Act(teams, Path(audit_log), execute, timeout), host, int(port))
    except OSError as exc:
        raise click.ClickException(f"aicost act: cannot listen on {listen}: {exc.strerror}") from None
    mode = "EXECUTES commands" if execute else "dry run (commands are logged, not run)"
    click.echo(f"aicost act: listening on http://{listen}/ for Alertmanager webhooks; {mode}; audit log {audit_log}")
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.shutdown()


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
    from generator.stack.demo import Status, banner, demo_events, describe

    spec = load(specs)
    if runaway and runaway not in {t.name for t in spec.teams}:
        raise click.UsageError(f"--runaway: no team '{runaway}' in {specs}/teams/")
    signal.signal(signal.SIGTERM, _interrupt)
    printer = _StatusPrinter(sys.stdout.isatty())
    try:
        with Stack(spec, Ports(**{k.removesuffix("_port"): v for k, v in ports.items() if v}), simulate=gpus) as stack:
            click.echo(banner(stack, gpus))
            for event in demo_events(stack, runaway, duration):
                (printer.status if isinstance(event, Status) else printer.line)(describe(event))
    except KeyboardInterrupt:
        pass
    printer.line("aicost demo: stopped everything it started")


def _interrupt(*_) -> None:
    """SIGTERM ends the demo the way Ctrl-C does: through the stack's cleanup."""
    raise KeyboardInterrupt


class _StatusPrinter:
    """The demo's live line: rewritten in place on a terminal, a plain line every 10 s otherwise."""

    EVERY = 10

    def __init__(self, tty: bool):
        self.tty, self.count, self.open = tty, 0, False

    def status(self, text: str) -> None:
        """Show spend per team and alerts firing."""
        if self.tty:
            click.echo(f"\r{text}   ", nl=False)
            self.open = True
        elif self.count % self.EVERY == 0:
            click.echo(text)
        self.count += 1

    def line(self, text: str) -> None:
        """Print an event on a line of its own."""
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


def _now(text: str | None, option: str = "--now"):
    """An ISO 8601 time option in UTC (now when absent)."""
    from datetime import datetime, timezone

    if not text:
        return datetime.now(timezone.utc)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO 8601 time such as 2026-11-16T12:00", param_hint=option) from None
    # A time without a zone is UTC, like every day and period aicost speaks of.
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)


@main.command()
@SPECS
@click.option("--prometheus", "prometheus_url", required=True, help="Prometheus URL holding the raw counters")
@click.option("--from", "from_", required=True,
              help="where to start (UTC): a day such as the 1st of the month, or the time an outage began")
@click.option("--to", "to", help="where to stop (ISO 8601, UTC); default: where the live ledger begins, else now")
@click.option("--out", "out", default="backfill", show_default=True, help="a new folder for ledger.om and the TSDB blocks")
@click.option("--promtool", default="promtool", show_default=True, help="promtool to turn ledger.om into blocks")
@click.option("--now", hidden=True, help="the current time (tests)")
def backfill(specs, prometheus_url, from_, to, out, promtool, now) -> None:
    """Rebuild the spend ledger for past days (mid-month deploys, rule outages) as TSDB blocks."""
    from generator.backfill.command import run_backfill

    spec = load(specs)
    start, end = _now(from_, "--from"), (_now(to, "--to") if to else None)
    for line in run_backfill(spec, prometheus_url, start, end, _now(now), Path(out), promtool):
        click.echo(line)


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
    from generator.report.allocation import Period, last_complete
    from generator.report.command import Sources, build_report, deliver

    if not (prometheus_url or focus_files or csv_files):
        raise click.UsageError("give at least one source: --prometheus URL, --focus FILE or --csv FILE")
    if bool(from_) != bool(to):
        raise click.UsageError("--from and --to go together")
    if csv_files and not from_ and (prometheus_url or focus_files):
        raise click.UsageError("a plain CSV has no dates: give --from/--to for the period it covers "
                               "to combine it with --prometheus or --focus")
    spec, current_time = load(specs), _now(now)
    span = Period(_day(from_, "--from"), _day(to, "--to")) if from_ else None if csv_files else last_complete(period, current_time)
    if span is not None and span.end <= span.start:
        raise click.UsageError("--to must be after --from")
    built = build_report(spec, Sources(prometheus_url, tuple(focus_files), tuple(csv_files)), span, current_time)
    text, notices = deliver(spec, built, fmt, output, send)
    for line in notices:
        click.echo(line, err=True)
    click.echo(text, nl=False)


from generator.cli_review import diff, doctor, explain  # noqa: E402 - registered below

for _command in (diff, explain, doctor):
    main.add_command(_command)
