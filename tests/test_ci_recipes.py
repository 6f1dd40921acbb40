"""The CI recipes under docs/ci/ and the pre-commit hooks run as written.

Each recipe's own commands run in a clone of a repository whose pull request raises a budget:
the platform's setup steps (checkout, installing aicost and Debian's packages) are what this
machine already has, and the comment is posted to a local stand-in of GitHub's or GitLab's API,
which records it. GitHub's recipe runs on the Prometheus 2 leg, GitLab's on the 3 leg (each runs
promtool's unit tests of rendered/, a minute apiece on two cores).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, LEG, ROOT, require_tool

BIN = str(Path(sys.executable).parent)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=repo, check=True,
                   capture_output=True)


def _aicost(repo: Path, *args: str) -> None:
    subprocess.run([f"{BIN}/aicost", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def pull_request(tmp_path) -> Path:
    """A clone whose branch `raise-search` raises search's daily budget 50 -> 60, rendered and committed."""
    origin = tmp_path / "origin"
    origin.mkdir()
    _git(origin, "init", "-q", "-b", "main")
    shutil.copytree(FIXTURES / "minimal" / "specs", origin / "specs")
    _aicost(origin, "generate")
    _git(origin, "add", ".")
    _git(origin, "commit", "-qm", "specs")
    work = tmp_path / "work"
    _git(tmp_path, "clone", "-q", str(origin), str(work))
    _git(work, "checkout", "-qb", "raise-search")
    team = work / "specs" / "teams" / "search.yaml"
    team.write_text(team.read_text().replace("daily: 50", "daily: 60"))
    _aicost(work, "generate")
    _git(work, "commit", "-qam", "search: daily budget 60")
    return work


class _Api:
    """A stand-in of the forge's API on 127.0.0.1: records every POST."""

    def __init__(self):
        posts = self.posts = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                posts.append((self.path, dict(self.headers), body.decode()))
                self.send_response(201)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *_):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api():
    server = _Api()
    yield server
    server.close()


def _run(script: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    assert "${{" not in script, f"a platform expression in a command the test runs: {script}"
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def _env(**extra: str) -> dict:
    path = os.pathsep.join([BIN, os.environ["PATH"]])
    return {**os.environ, "PATH": path, **extra}


def _tools():
    for tool in ("promtool", "amtool", "curl", "git"):
        require_tool(tool)


@pytest.mark.tools
@pytest.mark.skipif(LEG != "2", reason="GitHub's recipe runs on the Prometheus 2 leg")
def test_github_actions_recipe(pull_request, api):
    _tools()
    workflow = yaml.safe_load((ROOT / "docs" / "ci" / "github-actions.yml").read_text())
    steps = workflow["jobs"]["aicost"]["steps"]
    ran = []
    for step in steps:
        if "uses" in step or step["name"].startswith("Install"):
            continue  # the runner's setup: this machine has Python, aicost, promtool and amtool
        env = _env(**{k: str(v) for k, v in workflow["env"].items()}, GITHUB_BASE_REF="main", GITHUB_API_URL=api.url,
                   GITHUB_REPOSITORY="acme/ai-specs", GITHUB_TOKEN="t0ken", PR_NUMBER="7")
        r = _run(step["run"], pull_request, env)
        assert r.returncode == 0, f"{step['name']}\n{r.stdout}{r.stderr}"
        ran.append(step["name"])
    assert len(ran) == 6
    [(path, headers, body)] = api.posts
    assert path == "/repos/acme/ai-specs/issues/7/comments"
    assert headers["Authorization"] == "Bearer t0ken"
    comment = json.loads(body)["body"]
    assert comment.startswith("### aicost diff: `origin/main` -> `specs/ (working tree)`")
    assert "- daily budget: $50.00 -> $60.00 (+20.0%)" in comment


@pytest.mark.tools
@pytest.mark.skipif(LEG != "3", reason="GitLab's recipe runs on the Prometheus 3 leg")
def test_gitlab_ci_recipe(pull_request, api):
    _tools()
    job = yaml.safe_load((ROOT / "docs" / "ci" / "gitlab-ci.yml").read_text())["aicost"]
    env = _env(**{k: str(v) for k, v in job["variables"].items()}, CI_MERGE_REQUEST_TARGET_BRANCH_NAME="main",
               AICOST_GITLAB_TOKEN="t0ken", CI_API_V4_URL=f"{api.url}/api/v4", CI_PROJECT_ID="42",
               CI_MERGE_REQUEST_IID="7")
    for line in job["script"] + job["after_script"]:
        r = _run(line, pull_request, env)
        assert r.returncode == 0, f"{line}\n{r.stdout}{r.stderr}"
    [(path, headers, body)] = api.posts
    assert path == "/api/v4/projects/42/merge_requests/7/notes"
    assert headers["PRIVATE-TOKEN"] == "t0ken"
    note = urllib.parse.parse_qs(body)["body"][0]
    assert note.startswith("### aicost diff: `origin/main` -> `specs/ (working tree)`")
    assert "- daily budget: $50.00 -> $60.00 (+20.0%)" in note


def test_a_recipe_fails_when_rendered_was_not_regenerated(pull_request):
    """The recipes' freshness step, as written, fails a pull request that edited specs/ alone."""
    step = next(s for s in yaml.safe_load((ROOT / "docs" / "ci" / "github-actions.yml").read_text())["jobs"]["aicost"]["steps"]
                if s.get("name", "").startswith("rendered/"))
    team = pull_request / "specs" / "teams" / "search.yaml"
    team.write_text(team.read_text().replace("daily: 60", "daily: 70"))
    _git(pull_request, "commit", "-qam", "edit without generate")
    r = _run(step["run"], pull_request, _env())
    assert r.returncode == 1
    assert "are stale; run `aicost generate" in r.stderr


def test_pre_commit_hooks_run_their_entries_on_the_files_they_name(pull_request):
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert [h["id"] for h in hooks] == ["aicost-validate", "aicost-check"]
    for hook in hooks:
        assert hook["language"] == "python" and hook["pass_filenames"] is False
        assert re.search(hook["files"], "specs/teams/search.yaml")
        r = _run(hook["entry"], pull_request, _env())
        assert r.returncode == 0, r.stderr
    check = hooks[1]
    assert re.search(check["files"], "rendered/prometheus/rules/aicost-spend.yml")
    team = pull_request / "specs" / "teams" / "search.yaml"
    team.write_text(team.read_text().replace("daily: 60", "daily: 70"))
    assert _run(check["entry"], pull_request, _env()).returncode == 1
    team.write_text(team.read_text().replace("daily: 70", "daily: -1"))
    r = _run(hooks[0]["entry"], pull_request, _env())
    assert r.returncode == 1 and "-1 is not a positive number" in r.stderr
    assert (ROOT / "pyproject.toml").is_file()  # language: python installs this repository
