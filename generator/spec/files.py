"""The spec folder on disk: which files it holds, each parsed and checked against its schema."""

from __future__ import annotations

import os
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


def read_spec_files(specs: Path, base: str, problems: Problems) -> SpecFiles:
    """Parse and schema-check every file under `specs`; record what is missing or unknown."""
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
    _read_teams(specs, base, problems, spec)
    return spec


def _read_teams(specs: Path, base: str, problems: Problems, spec: SpecFiles) -> None:
    teams_dir = specs / "teams"
    names = _listdir(teams_dir, _display(specs, "teams", base), problems) if teams_dir.is_dir() else []
    if names is None:
        return
    seen_lower: dict[str, str] = {}
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
        doc = load_document(f, shown, problems, ("teams", team))
        if doc is None:
            continue
        data = schema.TEAM_FILE.check(doc.data, (), Ctx(doc, problems, ("teams", team)))
        if data is not None:
            spec.teams[team] = (doc, data)
    if not names:
        problems.add(_display(specs, "teams", base), 0, "", "no team files; add teams/<team>.yaml")
