"""`aicost act`: an Alertmanager webhook receiver that shuts down idle GPUs, safely.

For each firing AIGPUIdle it decides, and writes the decision to an append-only audit log (one JSON
line: time, the alert's fingerprint and start, its labels, the decision, the command, its exit
code) before anything runs:

* production is never touched, whatever the spec says (the alert's `environment` or the team's);
* no command for the team (its own `actions.idle_gpu`, else the org's): nothing to do;
* the same firing (fingerprint and start) never acts twice, across restarts (the log is replayed);
* dry run unless started with --execute: the command is logged, not run;
* with --execute: the template's words filled from the labels, run without a shell, under a timeout.

A label value that could smuggle an option or a path out of its word (a leading '-', '..', a
character outside [A-Za-z0-9_.:/@=+-]) makes the alert invalid: nothing runs.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, urlparse

from generator import names as n

SAFE_VALUE = re.compile(r"^[A-Za-z0-9_.:/@=+][A-Za-z0-9_.:/@=+-]*$")
OUTPUT_LIMIT = 2000  # characters of a command's output kept in the audit log


@dataclass(frozen=True)
class TeamAction:
    """What `aicost act` knows of a team: its environment and its idle-GPU command template."""

    environment: str
    template: str


def command_for(template: str, labels: dict[str, str]) -> list[str]:
    """The command's words with the alert's labels filled in; ValueError names a missing or unsafe label."""
    words = []
    for word in shlex.split(template):
        try:
            words.append(word.format_map(_SafeLabels(labels)))
        except KeyError as exc:
            raise ValueError(f"the alert has no label {exc.args[0]!r}") from None
    return words


class _SafeLabels(dict):
    """The alert's labels as the template reads them: only the labels it names are checked."""

    def __getitem__(self, label: str) -> str:
        value = super().__getitem__(label)
        if not SAFE_VALUE.match(value) or ".." in value:
            raise ValueError(f"label {label}={value!r} is not a safe command word")
        return value


class Act:
    """The decisions and the audit log; `run` executes a command (injected: tests pass a fake)."""

    def __init__(self, teams: dict[str, TeamAction], audit_log: Path, execute: bool = False, timeout: float = 120,
                 run: Callable = subprocess.run, clock: Callable[[], float] = time.time):
        self.teams, self.audit_log, self.execute, self.timeout = teams, audit_log, execute, timeout
        self.run, self.clock = run, clock
        self._lock = threading.Lock()
        self.seen = self._replay()

    def _replay(self) -> set[tuple[str, str]]:
        """The firings already decided, from the log: a restart never acts on them again."""
        if not self.audit_log.exists():
            return set()
        seen = set()
        for line in self.audit_log.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line cut by a crash: the entries before it still count
            if entry.get("decision") not in ("duplicate", "resolved"):
                seen.add((entry.get("fingerprint", ""), entry.get("starts_at", "")))
        return seen

    def plan(self, labels: dict[str, str]) -> tuple[str, list[str] | None, str]:
        """(decision, command, why) for an AIGPUIdle alert with these labels ("run" with --execute);
        nothing is logged or run."""
        team = self.teams.get(labels.get(n.L_TEAM, ""))
        if "production" in (labels.get(n.L_ENVIRONMENT), team and team.environment):
            return "refused_production", None, "production is never shut down by aicost act"
        if team is None or not team.template:
            return "no_action", None, "no idle_gpu action in the spec for this team"
        try:
            command = command_for(team.template, labels)
        except ValueError as exc:
            return "invalid", None, str(exc)
        return ("run" if self.execute else "dry_run"), command, "" if self.execute else "dry run: started without --execute"

    def handle(self, payload: dict) -> list[dict]:
        """Decide (and with --execute, act) on every AIGPUIdle alert of one Alertmanager webhook."""
        out = []
        for alert in payload.get("alerts") or []:
            labels = {str(k): str(v) for k, v in (alert.get("labels") or {}).items()}
            if labels.get("alertname") != n.A_GPU_IDLE:
                continue
            with self._lock:
                entry = self._decide(alert, labels)
                self._write(entry)  # before anything runs: a crash mid-command still leaves the trace
            if entry["decision"] == "running":
                entry = self._run(entry, entry["command"])
                with self._lock:
                    self._write(entry)
            out.append(entry)
        return out

    def _decide(self, alert: dict, labels: dict[str, str]) -> dict:
        key = (str(alert.get("fingerprint", "")), str(alert.get("startsAt", "")))
        if alert.get("status") == "resolved":
            return self._entry(key, labels, "resolved", None, "")
        if key in self.seen:
            return self._entry(key, labels, "duplicate", None, "this firing was decided already")
        self.seen.add(key)
        decision, command, why = self.plan(labels)
        return self._entry(key, labels, "running" if decision == "run" else decision, command, why)

    def _entry(self, key, labels, decision, command, why) -> dict:
        return {"time": round(self.clock(), 3), "fingerprint": key[0], "starts_at": key[1], "labels": labels,
                "decision": decision, "command": command, "why": why}

    def _run(self, entry: dict, command: list[str]) -> dict:
        try:
            done = self.run(command, capture_output=True, text=True, timeout=self.timeout)
            code, output = done.returncode, (done.stdout or "") + (done.stderr or "")
        except (OSError, subprocess.SubprocessError) as exc:
            code, output = None, f"{type(exc).__name__}: {exc}"
        decision = "ran" if code == 0 else "failed"
        return {**entry, "time": round(self.clock(), 3), "decision": decision, "exit_code": code,
                "output": output[-OUTPUT_LIMIT:], "why": "" if code == 0 else "the command failed"}

    def _write(self, entry: dict) -> None:
        with self.audit_log.open("a", encoding="utf-8") as f:
            f.write(json.dumps(entry, sort_keys=True) + "\n")


def serve(act: Act, host: str, port: int) -> ThreadingHTTPServer:
    """POST / takes Alertmanager's webhooks; GET /preview?label=value... says what would happen (read-only)."""

    class Handler(BaseHTTPRequestHandler):
        def _send(self, code: int, doc) -> None:
            body = json.dumps(doc, sort_keys=True).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):  # noqa: N802 - http.server's name
            try:
                payload = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if not isinstance(payload, dict):
                    raise ValueError("not an object")
            except ValueError as exc:
                self._send(400, {"error": f"not an Alertmanager webhook: {exc}"})
                return
            self._send(200, {"decisions": act.handle(payload)})

        def do_GET(self):  # noqa: N802 - http.server's name
            url = urlparse(self.path)
            if url.path == "/healthz":
                self._send(200, {"status": "ok", "execute": act.execute})
            elif url.path == "/preview":
                labels = {k: v[0] for k, v in parse_qs(url.query).items()}
                decision, command, why = act.plan(labels)
                self._send(200, {"decision": "would_run" if decision == "run" else decision, "command": command,
                                 "why": why, "labels": labels})
            else:
                self._send(404, {"error": "POST / (Alertmanager webhook), GET /preview?instance=...&team=..., /healthz"})

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
