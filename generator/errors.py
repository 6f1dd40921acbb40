"""Spec problems: collected during loading and validation, reported together."""

from __future__ import annotations

from dataclasses import dataclass


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


class SpecError(Exception):
    """Raised with every problem found; nothing has been written when it is raised."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class Problems:
    """Collector handed through loading and validation."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

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
            raise SpecError(self.items)
