"""The whole stack on loopback: exporter -> Prometheus -> Alertmanager -> a webhook sink.

Used by `aicost demo` and by the end-to-end test. Everything listens on 127.0.0.1 only, runs
from a temporary folder, and is stopped by `Stack.stop()` (also on Ctrl-C in the demo).
"""

from __future__ import annotations

import json
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from generator import names as n
from generator.model import Model
from generator.output import to_yaml, write_tree
from generator.prometheus_api import instant_query

PROMETHEUS = "prometheus"
ALERTMANAGER = ("prometheus-alertmanager", "alertmanager")  # Debian's name, upstream's name


class StackError(Exception):
    """The stack cannot start: a missing binary, a port in use, a process that died."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_free(port: int) -> bool:
    """Whether 127.0.0.1:port can be bound."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


@dataclass
class Ports:
    """Where each part of the stack listens."""

    prometheus: int = field(default_factory=free_port)
    alertmanager: int = field(default_factory=free_port)
    exporter: int = field(default_factory=free_port)
    app: int = field(default_factory=free_port)
    sink: int = field(default_factory=free_port)


@dataclass
class Notification:
    """One webhook that reached the sink: which receiver, and its alerts."""

    receiver: str
    status: str
    alerts: list


class WebhookSink:
    """Collects Alertmanager webhook notifications; every receiver posts to /<receiver>."""

    def __init__(self, port: int):
        self.notifications: list[Notification] = []
        self._taken = 0
        self._lock = threading.Lock()
        self.arrived = threading.Condition(self._lock)
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with sink.arrived:
                    sink.notifications.append(Notification(body.get("receiver", self.path.strip("/")),
                                                           body.get("status", ""), body.get("alerts", [])))
                    sink.arrived.notify_all()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def _matching(self, alertname: str, labels: dict) -> dict[str, list]:
        out: dict[str, list] = {}
        for note in self.notifications:
            for a in note.alerts:
                if a["labels"].get("alertname") == alertname and all(a["labels"].get(k) == v for k, v in labels.items()):
                    out.setdefault(note.receiver, []).append(a)
        return out

    def received(self, alertname: str, **labels) -> dict[str, list]:
        """receiver -> alerts named `alertname` (with these labels) that reached it."""
        with self._lock:
            return self._matching(alertname, labels)

    def wait_for(self, alertname: str, receivers: set[str], timeout: float, **labels) -> dict[str, list]:
        """Block until the alert reached every receiver in `receivers` (or time out); return what arrived."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while True:
                got = self._matching(alertname, labels)
                if receivers <= set(got) or time.monotonic() >= deadline:
                    return got
                self.arrived.wait(max(0.0, min(1.0, deadline - time.monotonic())))

    def take_new(self) -> list[Notification]:
        """The notifications that arrived since the last call."""
        with self._lock:
            new = self.notifications[self._taken:]
            self._taken = len(self.notifications)
        return new

    def close(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()


def fast_model(model: Model, ports: Ports, interval: str = "1s") -> Model:
    """The spec with loopback targets and a speed-up: short scrape/evaluation intervals, `for: 0s`."""
    return replace(model, exporter_targets=(f"127.0.0.1:{ports.exporter}",), app_targets=(f"127.0.0.1:{ports.app}",),
                   alertmanager_targets=(f"127.0.0.1:{ports.alertmanager}",), evaluation_interval=interval,
                   scrape_interval=interval, alert_for=tuple((a, "0s") for a, _ in model.alert_for))


def redirect_receivers(config: dict, sink_url: str) -> dict:
    """The rendered Alertmanager config with every receiver replaced by a webhook to the sink,
    and short timers; routes and inhibitions are kept as rendered."""
    out = json.loads(json.dumps(config))
    out["receivers"] = [{"name": r["name"], "webhook_configs": [{"url": f"{sink_url}/{r['name']}", "send_resolved": False}]}
                        for r in config["receivers"]]
    out.pop("global", None)

    def fast(route: dict) -> None:
        for key, value in (("group_wait", "1s"), ("group_interval", "2s"), ("repeat_interval", "1h")):
            if key in route:
                route[key] = value
        for child in route.get("routes", []):
            fast(child)

    fast(out["route"])
    return out


def _which(names) -> str:
    for name in (names if isinstance(names, tuple) else (names,)):
        path = shutil.which(name)
        if path:
            return path
    raise StackError(f"{names[0] if isinstance(names, tuple) else names} is not installed; "
                     "apt-get install prometheus prometheus-alertmanager")


def _wait_http(url: str, proc: subprocess.Popen, name: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StackError(f"{name} exited with code {proc.returncode}: {proc.stderr.read().decode()[-800:] if proc.stderr else ''}")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise StackError(f"{name} did not answer on {url} within {timeout:.0f}s")


class Stack:
    """Renders the spec into a temporary folder and runs every part on 127.0.0.1."""

    def __init__(self, model: Model, specs: Path, ports: Ports | None = None, simulate: int = 4, interval: str = "1s"):
        self.ports = ports or Ports()
        for name, port in vars(self.ports).items():
            if not port_free(port):
                raise StackError(f"port {port} ({name}) is already in use on 127.0.0.1; choose another with --{name}-port")
        self.specs, self.simulate = specs, simulate
        self.model = fast_model(model, self.ports, interval)
        self.dir = Path(tempfile.mkdtemp(prefix="aicost-stack-"))
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.sink: WebhookSink | None = None
        self.app = None
        self.tracker = None
        self._rng = random.Random(7)  # the same demo traffic every run
        self._binaries = (_which(PROMETHEUS), _which(ALERTMANAGER))

    def start(self) -> "Stack":
        """Start the sink, the app, the exporter, Alertmanager and Prometheus; wait until each answers."""
        from prometheus_client import CollectorRegistry

        from exporter.library import CostTracker
        from exporter.server import serve
        from generator.render import render_all
        from generator.render.alertmanager import render_alertmanager

        out = self.dir / "rendered"
        write_tree(render_all(self.model), out)
        am = redirect_receivers(render_alertmanager(self.model), f"http://127.0.0.1:{self.ports.sink}")
        (out / n.ALERTMANAGER_CONFIG).write_bytes(to_yaml(am))
        self.sink = WebhookSink(self.ports.sink)
        registry = CollectorRegistry()
        self.tracker = CostTracker.from_specs(self.specs, registry=registry)
        self.app = serve(registry, "127.0.0.1", self.ports.app)
        prom_bin, am_bin = self._binaries
        team = self.model.teams[0]
        self._spawn("exporter", [sys.executable, "-m", "exporter", "--specs", str(self.specs), "--simulate", str(self.simulate),
                                 "--port", str(self.ports.exporter), "--team", team.name, "--project", team.projects[0],
                                 "--environment", team.environment, "--cost-center", team.cost_center,
                                 "--owner", team.owner, "--instance", "i-0demo"], cwd=Path(__file__).resolve().parent.parent)
        self._spawn("alertmanager", [am_bin, f"--config.file={out / n.ALERTMANAGER_CONFIG}",
                                     f"--storage.path={self.dir / 'am'}", f"--web.listen-address=127.0.0.1:{self.ports.alertmanager}",
                                     "--cluster.listen-address="])
        self._spawn("prometheus", [prom_bin, f"--config.file={out / n.PROMETHEUS_CONFIG}",
                                   f"--storage.tsdb.path={self.dir / 'tsdb'}", f"--web.listen-address=127.0.0.1:{self.ports.prometheus}"])
        for name, url in (("exporter", f"http://127.0.0.1:{self.ports.exporter}/metrics"),
                          ("alertmanager", f"http://127.0.0.1:{self.ports.alertmanager}/-/ready"),
                          ("prometheus", f"http://127.0.0.1:{self.ports.prometheus}/-/ready")):
            _wait_http(url, dict(self.procs)[name], name)
        self._wait_scraped()
        return self

    def _wait_scraped(self, timeout: float = 30) -> None:
        """Ready is not scraped: wait until both jobs have been scraped, so that every counter's
        first sample is its starting 0 and no early spend goes unseen."""
        jobs = f'up{{job=~"{n.EXPORTER_JOB}|{n.APP_JOB}"}} == 1'
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.query(jobs)) == 2:
                return
            time.sleep(0.3)
        raise StackError(f"Prometheus did not scrape the exporter and the app within {timeout:.0f}s")

    def _spawn(self, name: str, argv: list[str], cwd: Path | None = None) -> None:
        self.procs.append((name, subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)))

    def query(self, promql: str) -> list[dict]:
        """An instant query against the stack's Prometheus."""
        return instant_query(f"http://127.0.0.1:{self.ports.prometheus}", promql, timeout=10)

    def rules(self) -> list[dict]:
        """Prometheus' rule groups with their health."""
        url = f"http://127.0.0.1:{self.ports.prometheus}/api/v1/rules"
        return json.loads(urllib.request.urlopen(url, timeout=10).read())["data"]["groups"]

    def traffic(self, calls: int = 5) -> None:
        """Realistic calls through the library: a team/model/endpoint mix, a few thousand tokens each."""
        mixes = [(t.name, m.name) for t in self.model.teams for m in self.model.models[:2]]
        for _ in range(calls):
            team, model = self._rng.choice(mixes)
            self.tracker.track(model, team, self._rng.choice(["/search", "/chat", "/summarize"]),
                               self._rng.randint(500, 4000), self._rng.randint(50, 800))

    def runaway(self, team_name: str) -> tuple[int, str]:
        """A runaway batch job: calls of 10M input tokens of the dearest model until the team's daily
        budget is 120 % spent; returns (calls, model)."""
        team = self.model.team(team_name)
        dearest = max(self.model.models, key=lambda m: m.input_per_million)
        calls = int(team.daily_budget * 1.2 / (dearest.input_per_million * 10)) + 1
        for _ in range(calls):
            self.tracker.track(dearest.name, team.name, "/batch", 10_000_000, 0)
        return calls, dearest.name

    def stop(self) -> None:
        """Stop everything started, by pid, and remove the temporary folder."""
        for _, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for _, proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stderr:
                proc.stderr.close()
        self.procs.clear()
        if self.app is not None:
            self.app.shutdown()
            self.app.server_close()
            self.app = None
        if self.sink is not None:
            self.sink.close()
            self.sink = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "Stack":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()
