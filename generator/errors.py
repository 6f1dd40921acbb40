"""Errors aicost reports to a user, and the spec problems collected during loading and validation.

Every error a user can cause derives from `AicostError`, a `click.ClickException`: the CLI
prints its message on one line (or one line per spec problem) and exits 1, never with a
traceback. Library code raises these and never prints or exits.
"""

from __future__ import annotations

from dataclasses import dataclass

import click


class AicostError(click.ClickException):
    """Base of every error a user can cause: a clear message, exit status 1, no traceback."""

    exit_code = 1

    def show(self, file=None) -> None:
        """Print the message as it is (click would prefix 'Error: ')."""
        click.echo(self.format_message(), err=True, file=file)


class OutputError(AicostError):
    """The output folder cannot be written safely (it would destroy something, or is unwritable)."""


class _Prefixed(AicostError):
    """An error whose message starts with the command that reports it."""

    prefix = "aicost"

    def __init__(self, message: str):
        super().__init__(f"{self.prefix}: {message}")


class ReportError(_Prefixed):
    """Bad input for a report: names the file and row, or the URL."""

    prefix = "aicost report"


class StackError(_Prefixed):
    """The demo stack cannot start: a missing binary, a port in use, a process that died."""

    prefix = "aicost demo"


class ExporterError(_Prefixed):
    """The exporter cannot start: the message says why and names the file or flag."""

    prefix = "aicost exporter"


class BackfillError(_Prefixed):
    """A backfill that cannot run or would count twice: names the option, the folder or the tool."""

    prefix = "aicost backfill"


class DiffError(_Prefixed):
    """A comparison that cannot run: a bad revision or policy, a spec that does not validate."""

    prefix = "aicost diff"


class PrometheusUnavailable(AicostError):
    """Prometheus could not be reached or refused the query; the message names the URL."""


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in the spec: where it is and what is wrong."""

    file: str
    line: int  # 0 when the YAML has no line for it (a missing key, a whole file)
    path: str  # YAML path, e.g. teams.search.budget.daily
    message: str
    warning: bool = False

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        kind = "warning: " if self.warning else ""
        path = f"{self.path}: " if self.path else ""
        return f"{where}: {kind}{path}{self.message}"


class SpecError(AicostError):
    """Raised with every problem found; nothing has been written when it is raised."""

    def __init__(self, problems: list[Problem], where: str = "specs"):
        self.problems = sorted(problems)
        errors = len([p for p in self.problems if not p.warning])
        summary = f"aicost: {errors} error{'s' if errors != 1 else ''} in {where.rstrip('/')}/; nothing was written"
        super().__init__("\n".join([*(str(p) for p in self.problems), summary]))


class Problems:
    """Collector handed through loading and validation."""

    def __init__(self, where: str = "specs") -> None:
        self.items: list[Problem] = []
        self.where = where

    def add(self, file: str, line: int, path: str, message: str) -> None:
        """Record an error."""
        self.items.append(Problem(file, line, path, message))

    def warn(self, file: str, line: int, path: str, message: str) -> None:
        """Record a warning (reported, does not fail the run)."""
        self.items.append(Problem(file, line, path, message, warning=True))

    @property
    def errors(self) -> list[Problem]:
        """The problems that fail the run."""
        return [p for p in self.items if not p.warning]

    @property
    def warnings(self) -> list[Problem]:
        """The problems that are only reported."""
        return [p for p in self.items if p.warning]

    def raise_if_errors(self) -> None:
        """Abort with every error collected so far."""
        if self.errors:
            raise SpecError(self.items, self.where)
