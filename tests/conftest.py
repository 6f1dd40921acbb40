"""Shared test helpers: golden files with an update flag, paths, the real tools."""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOLDEN = Path(__file__).resolve().parent / "golden"
# The tests' own copy of an org of four teams (the bundled specs/ serve `aicost check`, the
# end-to-end test and the README alone, so editing them breaks no unrelated test).
ACME = FIXTURES / "acme" / "specs"

# Which Prometheus the tools tests run against: 2 (Debian 12: 2.42 / Alertmanager 0.25) or 3
# (Debian sid: 3.5 / 0.33), as scripts/fetch-tools puts them under .tools/. Without .tools the
# tools on PATH are used.
LEG = os.environ.get("AICOST_PROMETHEUS_LEG", "2")
LEG_DIR = ROOT / ".tools" / f"prometheus-{LEG}"
if (LEG_DIR / "usr" / "bin").is_dir():
    os.environ["PATH"] = f"{LEG_DIR / 'usr' / 'bin'}{os.pathsep}{os.environ['PATH']}"
# The second engine (tests/test_second_engine.py), fetched by scripts/fetch-tools as well.
if (ROOT / ".tools" / "victoria-metrics" / "usr" / "bin").is_dir():
    os.environ["PATH"] = f"{ROOT / '.tools' / 'victoria-metrics' / 'usr' / 'bin'}{os.pathsep}{os.environ['PATH']}"


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/ from the current output")


@pytest.fixture
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")


def assert_golden(files: dict[str, bytes], case: str, update: bool) -> None:
    """Compare rendered files with tests/golden/<case>/; print a diff and the update command on mismatch."""
    golden = GOLDEN / case
    if update:
        shutil.rmtree(golden, ignore_errors=True)
        for rel, data in files.items():
            (golden / rel).parent.mkdir(parents=True, exist_ok=True)
            (golden / rel).write_bytes(data)
        return
    have = {p.relative_to(golden).as_posix(): p.read_bytes() for p in golden.rglob("*") if p.is_file()} if golden.is_dir() else {}
    problems = []
    for rel in sorted(set(files) | set(have)):
        if files.get(rel) == have.get(rel):
            continue
        a = have.get(rel, b"").decode().splitlines(keepends=True)
        b = files.get(rel, b"").decode().splitlines(keepends=True)
        problems.append("".join(difflib.unified_diff(a, b, f"golden/{case}/{rel}", f"rendered/{rel}")) or f"{rel}: missing")
    if problems:
        pytest.fail("\n".join(problems)[:20000] + "\n\nIf the change is intended: pytest tests/test_golden.py --update-golden")


def require_tool(name: str) -> str:
    """Path of a real tool; CI (AICOST_REQUIRE_TOOLS=1) fails instead of skipping when it is missing.

    A leg whose packages have left Debian's archive (.tools/prometheus-N/UNAVAILABLE) is skipped
    with the reason, CI or not.
    """
    if (LEG_DIR / "UNAVAILABLE").is_file():
        pytest.skip(f"Prometheus leg {LEG}: {(LEG_DIR / 'UNAVAILABLE').read_text().strip()}")
    path = shutil.which(name)
    if path is None:
        if os.environ.get("AICOST_REQUIRE_TOOLS") == "1":
            pytest.fail(f"{name} is not installed (scripts/fetch-tools puts it under .tools/)")
        pytest.skip(f"{name} is not installed")
    return path


@pytest.fixture
def minimal_specs(tmp_path) -> Path:
    """A writable copy of the minimal spec set."""
    dst = tmp_path / "specs"
    shutil.copytree(FIXTURES / "minimal" / "specs", dst)
    return dst


def rule_files(spec) -> dict[str, dict]:
    """The rule files of a spec as data, by file name (rendered through the catalogue)."""
    from generator import catalogue
    from generator.render.prometheus_rules import render_rule_files

    return render_rule_files(catalogue.build(spec))
