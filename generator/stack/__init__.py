"""The whole stack on loopback: exporter -> Prometheus -> Alertmanager -> a webhook sink.

Used by `aicost demo` and by the end-to-end test. Everything listens on 127.0.0.1 only, runs
from a temporary folder, and is stopped by `Stack.stop()`: use the stack as a context manager,
so that a failed start, an error, Ctrl-C or SIGTERM stops every process it started, by pid,
and removes the folder.
"""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field, replace
from pathlib import Path

from generator import names as n
from generator.errors import StackError
from generator.model import ScrapeTarget, Source, Spec
from generator.output import write_tree
from generator.serialise import serialise
from generator.prometheus_api import api_data, instant_query
from generator.stack.exposition import StaticExposition
from generator.stack.sink import WebhookSink, redirect_receivers

PROMETHEUS = "prometheus"
ALERTMANAGER = ("prometheus-alertmanager", "alertmanager")  # Debian's name, upstream's name


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


def _local_source(source: Source, port: int) -> Source:
    """A source scraped from the stack's static exposition of it: one target, the first target's team."""
    address = f"127.0.0.1:{port}"
    return replace(source, targets=(ScrapeTarget(address),),
                   target_teams=tuple((address, team) for _, team in source.target_teams[:1]))


def fast_model(spec: Spec, ports: Ports, interval: str = "1s", source_ports: dict[str, int] | None = None) -> Spec:
    """The spec with loopback targets and a speed-up: short scrape/evaluation intervals and ledger delay, `for: 0s`.

    The health alerts keep ten seconds: in the first second the raw spend is scraped before the
    ledger has recorded anything, which is not a stale ledger.
    """
    sources = tuple(_local_source(s, (source_ports or {})[s.kind]) for s in spec.sources if s.kind in (source_ports or {}))
    return replace(spec, sources=sources, exporter_targets=(ScrapeTarget(f"127.0.0.1:{ports.exporter}"),),
                   app_targets=(ScrapeTarget(f"127.0.0.1:{ports.app}"),),
                   alertmanager_targets=(f"127.0.0.1:{ports.alertmanager}",), evaluation_interval=interval,
                   prometheus_self_target=f"127.0.0.1:{ports.prometheus}",
                   # a loopback scrape takes milliseconds: one interval of delay outlasts it
                   scrape_interval=interval, spend_delay=interval,
                   alert_for=tuple((a, "10s" if a in n.HEALTH_ALERTS else "0s") for a, _ in spec.alert_for))


def find_binary(names) -> str:
    """The path of the first of `names` on PATH; StackError saying how to get it otherwise."""
    for name in (names if isinstance(names, tuple) else (names,)):
        path = shutil.which(name)
        if path:
            return path
    raise StackError(f"{names[0] if isinstance(names, tuple) else names} is not on PATH; scripts/fetch-tools puts it "
                     "under .tools/ (Prometheus and Alertmanager in prometheus-2/usr/bin, VictoriaMetrics in "
                     "victoria-metrics/usr/bin), or install it")


def _unpacked_root(binary: str) -> Path:
    """The folder a package was unpacked to: two above its bin/ (or the binary's own folder)."""
    path = Path(binary).resolve()
    return path.parents[2] if len(path.parents) > 2 else path.parent


def wait_http(url: str, proc: subprocess.Popen, name: str, timeout: float = 30) -> None:
    """Wait until `url` answers; StackError when the process `name` exits first or time runs out."""
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

    def __init__(self, spec: Spec, ports: Ports | None = None, simulate: int = 4, interval: str = "1s",
                 omit: tuple[str, ...] = (), expositions: dict[str, str] | None = None):
        self.ports = ports or Ports()
        # Each configured source's scrape job reads a static exposition of that tool on a port of its own.
        self.expositions = {kind: (free_port(), text) for kind, text in sorted((expositions or {}).items())}
        self.servers: list = []
        for name, port in vars(self.ports).items():
            if not port_free(port):
                raise StackError(f"port {port} ({name}) is already in use on 127.0.0.1; choose another with --{name}-port")
        self._binaries = (find_binary(PROMETHEUS), find_binary(ALERTMANAGER))
        self.simulate = simulate
        self.omit = omit  # rendered files left out, to break the stack on purpose (the health test)
        self.spec = fast_model(spec, self.ports, interval, {k: port for k, (port, _) in self.expositions.items()})
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.sink: WebhookSink | None = None
        self.app = None
        self.tracker = None
        self.dir: Path | None = None
        self._rng = random.Random(7)  # the same demo traffic every run

    def _files(self) -> dict[str, bytes]:
        """The rendered tree, with Alertmanager's receivers redirected to the sink."""
        from generator.render import render_all

        files = render_all(self.spec)
        files[n.ALERTMANAGER_CONFIG] = redirect_receivers(files[n.ALERTMANAGER_CONFIG], f"http://127.0.0.1:{self.ports.sink}")
        return {path: data for path, data in serialise(files).items() if path not in self.omit}

    def start(self) -> "Stack":
        """Start the sink, the app, the exporter, Alertmanager and Prometheus; wait until each answers.

        On failure, whatever was started is still recorded: call stop() (the context manager does).
        """
        from prometheus_client import CollectorRegistry

        from exporter.collector import GpuCostCollector, GpuPrices, HostTags
        from exporter.library import CostTracker, Price
        from exporter.server import serve
        from exporter.simulate import SimulatedGpus

        self.dir = Path(tempfile.mkdtemp(prefix="aicost-stack-"))
        self._serve_expositions()
        out = self.dir / "rendered"
        write_tree(self._files(), out)
        self.sink = WebhookSink(self.ports.sink)
        spec = self.spec
        registry = CollectorRegistry()
        prices = {m.name: Price(m.input_per_million / 1e6, m.output_per_million / 1e6) for m in spec.models}
        self.tracker = CostTracker(prices, {t.name: t.projects for t in spec.teams}, registry=registry)
        self.app = serve(registry, "127.0.0.1", self.ports.app)
        team = spec.teams[0]
        gpus = CollectorRegistry()
        gpus.register(GpuCostCollector(SimulatedGpus(self.simulate),
                                       GpuPrices((g.name, g.hourly, g.nvml_names) for g in spec.gpus),
                                       HostTags("i-0demo", team.name, team.projects[0], team.environment,
                                                team.cost_center, team.owner)))
        self.exporter = serve(gpus, "127.0.0.1", self.ports.exporter)
        prom_bin, am_bin = self._binaries
        # from the folder it was unpacked to (bin/ is two below it): scripts/fetch-tools points a
        # Debian build's templates and web assets there, relative (an installed one reads /usr/share)
        self.spawn("alertmanager", [am_bin, f"--config.file={out / n.ALERTMANAGER_CONFIG}",
                                     f"--storage.path={self.dir / 'am'}", f"--web.listen-address=127.0.0.1:{self.ports.alertmanager}",
                                     "--cluster.listen-address="], cwd=_unpacked_root(am_bin))
        self.spawn("prometheus", [prom_bin, f"--config.file={out / n.PROMETHEUS_CONFIG}",
                                   f"--storage.tsdb.path={self.dir / 'tsdb'}", f"--web.listen-address=127.0.0.1:{self.ports.prometheus}",
                                   # an alert that fires before Alertmanager is discovered is sent again in a
                                   # second, not a minute (the default)
                                   "--rules.alert.resend-delay=1s"])
        for name, url in (("alertmanager", f"http://127.0.0.1:{self.ports.alertmanager}/-/ready"),
                          ("prometheus", f"http://127.0.0.1:{self.ports.prometheus}/-/ready")):
            wait_http(url, dict(self.procs)[name], name)
        self._wait_scraped()
        self._release_sources()
        return self

    def _serve_expositions(self) -> None:
        """Each source's static exposition on its port; a source with a bearer token file gets one that is checked."""
        token, token_file = "aicost-stack-token", self.dir / "source-token"
        token_file.write_text(token)
        sources = []
        for source in self.spec.sources:
            port, text = self.expositions[source.kind]
            needs = source.bearer_token_file is not None
            self.servers.append(StaticExposition(port, text, token if needs else None, start_at_zero=True))
            sources.append(replace(source, bearer_token_file=str(token_file)) if needs else source)
        self.spec = replace(self.spec, sources=tuple(sources))

    def _wait_up(self, jobs: str, count: int, what: str, timeout: float = 30) -> None:
        """Wait until `count` targets of the jobs matching `jobs` have been scraped."""
        deadline = time.monotonic() + timeout
        while len(self.query(f'up{{job=~"{jobs}"}} == 1')) < count:
            if time.monotonic() > deadline:
                raise StackError(f"Prometheus did not scrape {what} within {timeout:.0f}s")
            time.sleep(0.3)

    def _wait_scraped(self) -> None:
        """Ready is not scraped: wait until both jobs have been scraped, so that every counter's
        first sample is its starting 0 and no early spend goes unseen."""
        self._wait_up(f"{n.EXPORTER_JOB}|{n.APP_JOB}", 2, "the exporter and the app")

    def _release_sources(self) -> None:
        """Once every source job has been scraped with its counters at 0, serve their real values: each
        series is seen before it grows, as in life, whatever the ledger's view of new series."""
        if self.servers:
            self._wait_up(f"{n.SOURCE_JOB_PREFIX}.*", len(self.servers), "the sources' expositions")
        for server in self.servers:
            server.release()

    def spawn(self, name: str, argv: list[str], cwd: Path | None = None) -> None:
        """Start a process the stack owns (stopped by stop(), by pid)."""
        # Its own process group: a Ctrl-C meant for the demo reaches the demo, which stops these by pid.
        self.procs.append((name, subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                                  start_new_session=True, cwd=cwd)))

    def query(self, promql: str) -> list[dict]:
        """An instant query against the stack's Prometheus."""
        return instant_query(f"http://127.0.0.1:{self.ports.prometheus}", promql, timeout=10)

    def rules(self) -> list[dict]:
        """Prometheus' rule groups with their health."""
        return api_data(f"http://127.0.0.1:{self.ports.prometheus}", "rules")["groups"]

    def traffic(self, calls: int = 5) -> None:
        """Realistic calls through the library: a team/model/endpoint mix, a few thousand tokens each."""
        mixes = [(t.name, m.name) for t in self.spec.teams for m in self.spec.models[:2]]
        for _ in range(calls):
            team, model_name = self._rng.choice(mixes)
            self.tracker.track(model_name, team, self._rng.choice(["/search", "/chat", "/summarize"]),
                               self._rng.randint(500, 4000), self._rng.randint(50, 800))

    def runaway(self, team_name: str) -> tuple[int, str]:
        """A runaway batch job: calls of 10M input tokens of the dearest model until the team's daily
        budget is 120 % spent; returns (calls, AI model)."""
        team = self.spec.team(team_name)
        dearest = max(self.spec.models, key=lambda price: price.input_per_million)
        calls = int(team.daily_budget * 1.2 / (dearest.input_per_million * 10)) + 1
        for _ in range(calls):
            self.tracker.track(dearest.name, team.name, "/batch", 10_000_000, 0)
        return calls, dearest.name

    def stop(self) -> None:
        """Stop everything started, by pid, and remove the temporary folder; safe after a partial start."""
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
        for server in ("app", "exporter"):
            httpd = getattr(self, server, None)
            if httpd is not None:
                httpd.shutdown()
                httpd.server_close()
                setattr(self, server, None)
        if self.sink is not None:
            self.sink.close()
            self.sink = None
        for server in self.servers:
            server.close()
        self.servers.clear()
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self) -> "Stack":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()
