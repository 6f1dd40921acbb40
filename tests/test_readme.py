"""Every code block of the README runs as written.

Python blocks run, in order, in one fresh interpreter from the repository root. Shell blocks run
line by line in a copy of the repository's specs/ and rendered/ (so nothing here changes), except
the commands that set up machines, serve forever or need a server, which other tests drive: the
quick start and CI scripts, `aicost demo`, `aicost exporter`, a report from a live Prometheus
(see ELSEWHERE).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)
ELSEWHERE = ("scripts/quickstart", ".ci/run", "scripts/fetch-tools", "aicost demo", "aicost exporter",
                "python -m exporter", "python -m pytest", "python benchmarks/", "sudo ", "pip install", "kubectl ",
                "mimirtool ", "promtool ", "amtool ", "pre-commit ", "aicost backfill", "aicost doctor", "aicost act", "curl ",
                "aicost explain", "aicost diff", "aicost report --prometheus")


def _blocks(lang: str) -> list[str]:
    return [body for kind, body in BLOCK.findall((ROOT / "README.md").read_text()) if kind == lang]


def _commands(block: str) -> list[str]:
    """The commands of a shell block: continuation lines joined, comments and blank lines dropped."""
    text = block.replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.split(" #")[0].strip() if not line.lstrip().startswith("#") else ""
        if line:
            out.append(line)
    return out


def test_python_blocks_run_as_written(tmp_path):
    code = "\n\n".join(_blocks("python"))
    assert "track_ai_call" in code
    env = {**os.environ, "AICOST_SPECS": str(ROOT / "specs"), "PROMETHEUS_MULTIPROC_DIR": ""}
    env.pop("PROMETHEUS_MULTIPROC_DIR")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def test_shell_blocks_run_as_written(tmp_path):
    work = tmp_path / "repo"
    work.mkdir()
    for folder in ("specs", "rendered", "tests"):
        shutil.copytree(ROOT / folder, work / folder, ignore=shutil.ignore_patterns("__pycache__"))
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    ran = []
    for block in _blocks("sh"):
        for cmd in _commands(block):
            if cmd.startswith(ELSEWHERE) or not cmd.startswith(("aicost ", "python -m generator")):
                continue
            r = subprocess.run(shlex.split(cmd), cwd=work, env=env, capture_output=True, text=True, timeout=120)
            assert r.returncode == 0, f"{cmd}\n{r.stdout}{r.stderr}"
            ran.append(cmd)
    assert any(c.startswith("aicost report") for c in ran), ran
