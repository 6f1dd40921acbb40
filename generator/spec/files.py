"""The spec folder on disk: which files it holds, each parsed and checked against its schema."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from generator.errors import Problems
from generator.spec import schema
from generator.spec.types import NAME_RE, NAME_RULE, Ctx
from generator.spec.yamlload import Document, load_document

TOP_FILES = {"org.yaml": schema.ORG_FILE, "prices.yaml": schema.PRICES_FILE, "alerting.yaml": schema.ALERTING_FILE}


@dataclass
class SpecFiles:
    """The checked raw data of every file, with the documents for line numbers."""

    docs: dict[str, Document] = field(default_factory=dict)
    data: dict[str, dict] = field(default_factory=dict)
    teams: dict[str, tuple[Document, dict]] = field(default_factory=dict)


def _display(specs: Path, rel: str, base: str) -> str:
    return f"{base.rstrip('/')}/{rel}" if base else str(specs / rel)


def _listdir(folder: Path, shown: str, problems: Problems) -> list[str] | None:
    try:
        return sorted(os.listdir(folder))
    except OSError as exc:
        problems.add(shown, 0, "", f"cannot read folder: {exc.strerror or exc}")
        return None


def read_spec_files(specs: Path, base: str, problems: Problems, workers: int = 1) -> SpecFiles:
    """Parse and schema-check every file under `specs`; record what is missing or unknown. With
    `workers` > 1 and thousands of team files, the team files are read by that many processes."""
    spec = SpecFiles()
    if not specs.is_dir():
        problems.add(base or str(specs), 0, "", "spec folder not found; expected org.yaml, prices.yaml, alerting.yaml and teams/")
        return spec
    entries = _listdir(specs, base or str(specs), problems)
    if entries is None:
        return spec
    known = set(TOP_FILES) | {"teams", "README.md"}
    for name in entries:
        if not name.startswith(".") and name not in known:
            problems.add(_display(specs, name, base), 0, "",
                         f"unknown spec file '{name}'; allowed: {', '.join(TOP_FILES)} and teams/<team>.yaml")
    for name, obj in TOP_FILES.items():
        shown = _display(specs, name, base)
        if not (specs / name).is_file():
            problems.add(shown, 0, "", "file not found; it is required")
            continue
        doc = load_document(specs / name, shown, problems)
        if doc is not None:
            spec.docs[name], spec.data[name] = doc, obj.check(doc.data, (), Ctx(doc, problems)) or {}
    _read_teams(specs, base, problems, spec, workers)
    return spec


def _read_teams(specs: Path, base: str, problems: Problems, spec: SpecFiles, workers: int) -> None:
    teams_dir = specs / "teams"
    names = _listdir(teams_dir, _display(specs, "teams", base), problems) if teams_dir.is_dir() else []
    if names is None:
        return
    seen_lower: dict[str, str] = {}
    jobs = []
    for name in names:
        f = teams_dir / name
        shown = _display(specs, f"teams/{name}", base)
        if name.startswith("."):
            continue
        if f.suffix not in (".yaml", ".yml") or not f.is_file():
            problems.add(shown, 0, "", "unknown file in teams/; each team is teams/<team>.yaml")
            continue
        team = f.stem
        if not NAME_RE.match(team):
            problems.add(shown, 0, f"teams.{team}", f"'{team}' is not a valid team name: {NAME_RULE}")
            continue
        if team.lower() in seen_lower:
            problems.add(shown, 0, f"teams.{team}", f"team '{team}' is defined twice (also {seen_lower[team.lower()]}); "
                                                     "team names are unique, case-insensitively")
            continue
        seen_lower[team.lower()] = shown
        jobs.append((str(f), shown, team))
    for team, doc, data, found in _read_team_files(jobs, workers):
        problems.items.extend(found)
        if doc is not None and data is not None:
            spec.teams[team] = (doc, data)
    if not names:
        problems.add(_display(specs, "teams", base), 0, "", "no team files; add teams/<team>.yaml")


# Team files from which reading them in worker processes pays for starting the workers.
PARALLEL_FROM = 1000


def _read_team_files(jobs: list[tuple[str, str, str]], workers: int) -> list[tuple]:
    """(team, document, checked data, problems) of each (file, shown name, team), in the jobs' order."""
    if workers <= 1 or len(jobs) < PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
        return [_read_team_file(job) for job in jobs]
    # fork: the workers inherit the loaded modules, so each starts in milliseconds; this process
    # reads its own share meanwhile (nothing of it crosses a pipe)
    mine = len(jobs) // workers
    theirs = jobs[:len(jobs) - mine]
    with ProcessPoolExecutor(workers - 1, mp_context=multiprocessing.get_context("fork")) as pool:
        read = pool.map(_read_team_file_lean, theirs, chunksize=max(1, len(theirs) // (workers * 4)))
        here = [_read_team_file_lean(job) for job in jobs[len(theirs):]]
        return [*read, *here]


def _read_team_file(job: tuple[str, str, str], lines: bool = True) -> tuple:
    """One team file parsed and checked against the team schema, with the problems found in it."""
    path, shown, team = job
    problems = Problems()
    doc = load_document(Path(path), shown, problems, ("teams", team), lines)
    data = None if doc is None else schema.TEAM_FILE.check(doc.data, (), Ctx(doc, problems, ("teams", team)))
    return team, doc, data, problems.items


def _read_team_file_lean(job: tuple[str, str, str]) -> tuple:
    """_read_team_file in a worker: no line table is built, and the document goes back without
    its data (the line table is read again if a check cites a line): a third of what crosses the pipe."""
    team, doc, data, found = _read_team_file(job, lines=False)
    return team, (doc.without_lines(Path(job[0])) if doc is not None else None), data, found
