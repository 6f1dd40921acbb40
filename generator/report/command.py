"""`aicost report` as a function: which sources, which period, the previous one, the mail and the file.

The command line only parses options; this module decides and does, and returns what to print.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from generator.model import Spec
from generator.report import allocation as alloc
from generator.report.formats import FORMATS
from generator.report.sources import read_focus, read_forecasts, read_plain_csv, read_prometheus


@dataclass(frozen=True)
class Sources:
    """Where the money comes from: a Prometheus running the rules, FOCUS exports, plain CSVs."""

    prometheus_url: str | None = None
    focus_files: tuple[str, ...] = ()
    csv_files: tuple[str, ...] = ()

    def gather(self, period: alloc.Period | None, now: datetime) -> list[alloc.CostRow]:
        """Every cost row of the period: billing first, Prometheus for the categories no bill has."""
        billing = [r for f in self.focus_files for r in read_focus(Path(f), period)]
        billing += [r for f in self.csv_files for r in read_plain_csv(Path(f))]
        metered = read_prometheus(self.prometheus_url, period, now) if self.prometheus_url else []
        return alloc.combine(billing, metered)


def build_report(spec: Spec, sources: Sources, span: alloc.Period | None, now: datetime) -> alloc.Report:
    """The report of a period (None: undated CSV money), with the previous period and forecasts where known."""
    rows = sources.gather(span, now)
    # A plain CSV has no dates, so it says nothing about the previous period.
    previous = None if sources.csv_files else sources.gather(span.previous(), now)
    forecasts = read_forecasts(sources.prometheus_url, now) if sources.prometheus_url else None
    return alloc.build(spec, span, rows, previous, forecasts)


def deliver(spec: Spec, report: alloc.Report, fmt: str, output: str | None, send: bool) -> tuple[str, list[str]]:
    """Mail and/or write the report; (text for standard output, notices for standard error)."""
    from generator.output import write_file
    from generator.report import mail

    text, notices = FORMATS[fmt](report), []
    if send:
        msg = mail.message(spec, f"AI cost report {report.label}: {spec.org_name}",
                           FORMATS["table"](report), FORMATS["html"](report))
        mail.send(spec, msg)
        notices.append(f"aicost: mailed the report for {report.label} to {msg['To']}")
    if output:
        write_file(Path(output), text.encode("utf-8"))
        notices.append(f"aicost: wrote the {fmt} report for {report.label} to {output}")
        text = ""
    return text, notices
