"""Never lose a user's data or money: each failure a new user or a hostile tester found, pinned.

The numbers in the test names are the items of the safety issue (data loss, availability, clear
errors); every input here is our own.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from prometheus_client import CollectorRegistry

from conftest import ACME, FIXTURES, ROOT, require_tool
from generator import names as n
from generator.cli import main
from generator.errors import SpecError
from generator.load import load_spec
from generator.output import MARKER, write_tree
from generator.report.allocation import CostRow, build
from generator.resolve import load_model


def _run(*args, **kw):
    return CliRunner().invoke(main, list(args), **kw)


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- 1. --out never destroys what is not aicost's ------------------------------------------------

@pytest.fixture
def project(tmp_path, monkeypatch):
    """A user's repository: specs/, a README, code, a .git folder; the CLI runs from its root."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (root / "README.md").write_text("# my repo\n")
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text("print('hi')\n")
    import shutil
    shutil.copytree(FIXTURES / "minimal" / "specs", root / "specs")
    monkeypatch.chdir(root)
    return root


@pytest.mark.parametrize("out", [".", "", "..", "specs", "specs/rendered", "src", "README.md"])
def test_1_generate_refuses_an_out_that_would_destroy_anything(project, out):
    before = _tree(project.parent)
    r = _run("generate", "--specs", "specs", "--out", out)
    assert r.exit_code == 1, r.output
    assert r.output.count("\n") == 1 and r.output.startswith("aicost: ") and "Traceback" not in r.output
    assert _tree(project.parent) == before


def test_1_generate_replaces_its_own_output_and_an_empty_folder(project):
    assert _run("generate", "--specs", "specs", "--out", "rendered").exit_code == 0
    assert (project / "rendered" / MARKER).is_file()
    assert _run("generate", "--specs", "specs", "--out", "rendered").exit_code == 0
    (project / "empty").mkdir()
    assert _run("generate", "--specs", "specs", "--out", "empty").exit_code == 0


def test_1_an_output_from_before_the_marker_is_still_recognised(project):
    _run("generate", "--specs", "specs", "--out", "rendered")
    (project / "rendered" / MARKER).unlink()
    r = _run("generate", "--specs", "specs", "--out", "rendered")
    assert r.exit_code == 0, r.output
    (project / "rendered" / MARKER).unlink()
    (project / "rendered" / "prometheus" / "notes.txt").write_text("mine\n")
    assert _run("generate", "--specs", "specs", "--out", "rendered").exit_code == 1
    assert (project / "rendered" / "prometheus" / "notes.txt").read_text() == "mine\n"


# --- 2. money is summed exactly and rounded once ---------------------------------------------------

@pytest.mark.parametrize("amount,total", [("0.004", "4000.000"), ("0.005", "5000.000")])
def test_2_a_million_small_rows_add_up_exactly(amount, total):
    spec, _ = load_model(ACME)
    rows = [CostRow("search", "product-search", "api", Decimal(amount), "x")] * 1_000_000
    report = build(spec, None, rows, None)
    assert report.total == Decimal(total)
    assert report.lines[0].total == Decimal(total)


def test_2_the_printed_report_rounds_once(tmp_path):
    f = tmp_path / "micro.csv"
    f.write_text("cost,team,project,category\n" + "0.004,search,product-search,api\n" * 20_000)
    r = _run("report", "--specs", str(ACME), "--csv", str(f), "--from", "2026-10-01", "--to", "2026-11-01",
             "--format", "json")
    doc = json.loads(r.output)
    assert doc["total"] == "80.00"
    assert doc["lines"][0]["api"] == "80.00"


# --- 3. credits are netted and shown, never refused -------------------------------------------------

def test_3_a_focus_credit_is_netted_and_shown(tmp_path):
    f = tmp_path / "focus.csv"
    f.write_text('BilledCost,ChargePeriodStart,Tags\n'
                 '100.00,2026-11-17T00:00:00Z,"{""team"": ""search"", ""project"": ""product-search""}"\n'
                 '-12.50,2026-11-18T00:00:00Z,"{""team"": ""search"", ""project"": ""product-search""}"\n')
    r = _run("report", "--specs", str(ACME), "--focus", str(f), "--now", "2026-11-25T00:00:00+00:00")
    assert r.exit_code == 0, r.output
    assert "search/product-search          $        0 $        0 $        0 $     88 $       88" in r.output
    assert "Credits, refunds and discounts: -$12.50 (netted into the rows above)" in r.output
    doc = json.loads(_run("report", "--specs", str(ACME), "--focus", str(f), "--now",
                          "2026-11-25T00:00:00+00:00", "--format", "json").output)
    assert doc["total"] == "87.50" and doc["credits"] == "-12.50"


# --- 4. a team the spec does not know is untagged spend, named ---------------------------------------

def test_4_an_unknown_team_is_untagged_and_named(tmp_path):
    f = tmp_path / "bill.csv"
    f.write_text("cost,team,project,category\n100,search,product-search,api\n40,growth-hackers,ads,api\n")
    r = _run("report", "--specs", str(ACME), "--csv", str(f), "--from", "2026-10-01", "--to", "2026-11-01")
    assert "untagged/growth-hackers        $        0 $       40 $        0 $      0 $       40" in r.output
    assert ("[WARNING] $40 (28.6%) of costs are UNTAGGED. Fix resource tagging (team, project, environment, "
            "cost_center, owner). Teams not in the spec: growth-hackers.") in r.output
    assert "growth-hackers " not in r.output.split("Team ")[-1]  # not a row of the budget table


# --- 5. bad token counts never poison a counter ---------------------------------------------------------

@pytest.mark.parametrize("bad", [float("nan"), -5, float("inf"), "12", None, True])
def test_5_bad_token_counts_are_refused_and_counted(bad):
    from exporter.library import CostTracker

    reg = CollectorRegistry()
    t = CostTracker.from_specs(ACME, registry=reg)
    t.track("gpt-4o", "search", "/s", 1_000_000, 0)
    assert t.track("gpt-4o", "search", "/s", bad, 10) == 0.0
    assert t.track("gpt-4o", "search", "/s", 10, bad) == 0.0
    spend = reg.get_sample_value(n.SPEND, {"team": "search", "project": "product-search", "category": "api"})
    assert spend == pytest.approx(2.5)
    assert reg.get_sample_value(n.TRACKING_ERRORS, {"reason": "invalid_tokens"}) == 2
    assert reg.get_sample_value(n.API_TOKENS, {"model": "gpt-4o", "direction": "output", "team": "search"}) == 0


# --- 6. a plain CSV has no dates ---------------------------------------------------------------------------

def test_6_an_undated_csv_compares_with_no_budget(tmp_path):
    f = tmp_path / "costs.csv"
    f.write_text("cost,team,project,category\n300,search,product-search,api\n")
    r = _run("report", "--specs", str(ACME), "--csv", str(f))
    assert r.exit_code == 0, r.output
    assert "undated (plain CSV; give --from/--to for its period)" in r.output
    assert "Budgets: not compared (the plain CSV has no dates" in r.output
    assert "search                $300.00            -        -" in r.output
    dated = _run("report", "--specs", str(ACME), "--csv", str(f), "--from", "2026-11-01", "--to", "2026-11-02")
    assert "search                $300.00      $450.00    66.7%" in dated.output
    mixed = _run("report", "--specs", str(ACME), "--csv", str(f), "--focus", str(FIXTURES / "report" / "focus.csv"))
    assert mixed.exit_code == 2 and "a plain CSV has no dates" in mixed.output


# --- 7. an idle connection does not stop the exporter ---------------------------------------------------

def _collector_registry():
    from exporter.collector import GpuCostCollector, GpuPrices, HostTags
    from exporter.simulate import SimulatedGpus

    reg = CollectorRegistry()
    reg.register(GpuCostCollector(SimulatedGpus(8), GpuPrices([("A100", 4.096, ("A100",))]),
                                  HostTags("i-1", "t", "p", "production", "cc", "o@x.io")))
    return reg


def _self_signed(tmp_path: Path) -> tuple[str, str]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-days", "1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return str(cert), str(key)


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_7_idle_connections_do_not_stop_scrapes(tmp_path, tls):
    import ssl

    from exporter.server import serve, tls_context

    ctx = tls_context(*_self_signed(tmp_path)) if tls else None
    httpd = serve(_collector_registry(), "127.0.0.1", 0, ctx)
    port = httpd.server_port
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(10)]
    try:
        client = ssl._create_unverified_context() if tls else None
        url = f"{'https' if tls else 'http'}://127.0.0.1:{port}/metrics"
        for _ in range(5):
            t0 = time.monotonic()
            body = urllib.request.urlopen(url, timeout=2, context=client).read()
            assert b"ai_gpu_utilization_percent" in body
            assert time.monotonic() - t0 < 1.0
    finally:
        for s in idle:
            s.close()
        httpd.shutdown()
        httpd.server_close()


# --- 8. the demo stops what it started, on every way out ------------------------------------------------

def _stack_processes(tmp_root: str) -> list[int]:
    pids = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if tmp_root.encode() in (p / "cmdline").read_bytes():
                    pids.append(int(p.name))
            except OSError:
                pass
    return pids


@pytest.mark.tools
def test_8_a_failed_start_stops_what_was_started(tmp_path):
    require_tool("prometheus")
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "prometheus").write_text("#!/bin/sh\necho 'broken on purpose' >&2\nexit 3\n")
    (fake / "prometheus").chmod(0o755)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}", "TMPDIR": str(tmp)}
    r = subprocess.run([sys.executable, "-m", "generator", "demo", "--specs", str(ACME), "--duration", "5"],
                       capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 1
    assert r.stderr.startswith("aicost demo: prometheus exited with code 3"), r.stderr
    assert list(tmp.iterdir()) == []
    assert _stack_processes(str(tmp)) == []


@pytest.mark.tools
def test_8_sigterm_stops_everything_and_logs_are_lines(tmp_path):
    require_tool("prometheus")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "generator", "demo", "--specs", str(ACME)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "TMPDIR": str(tmp)})
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(_stack_processes(str(tmp))) < 2:
            time.sleep(0.5)
        assert len(_stack_processes(str(tmp))) == 2  # Prometheus and Alertmanager
        time.sleep(12)  # long enough for a status line
        proc.terminate()
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert _stack_processes(str(tmp)) == [] and list(tmp.iterdir()) == []
    assert "\r" not in out and max(len(line) for line in out.splitlines()) < 400
    assert out.splitlines()[-1] == "aicost demo: stopped everything it started"


# --- 9. YAML alias bombs are refused at once ---------------------------------------------------------

def test_9_an_alias_bomb_is_refused_quickly(minimal_specs):
    levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i, name in enumerate("bcdefghijkl"):
        prev = "abcdefghijkl"[i]
        levels.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    (minimal_specs / "teams" / "search.yaml").write_text((FIXTURES / "minimal" / "specs" / "teams" / "search.yaml").read_text()
                                                        + "\n".join(levels) + "\n")
    t0 = time.monotonic()
    with pytest.raises(SpecError) as err:
        load_spec(minimal_specs)
    assert time.monotonic() - t0 < 2
    lines = [str(p) for p in err.value.problems]
    assert f"{minimal_specs}/teams/search.yaml:8: teams.search.b[0]: YAML aliases (*name) are not allowed in specs; " \
           "write the value out" in lines


# --- 10. CI never kills processes it did not start ---------------------------------------------------

def test_10_ci_kills_nothing():
    text = (ROOT / ".ci" / "run").read_text()
    assert "pkill" not in text and "killall" not in text


# --- 11. plausible typos get file:line, never a traceback --------------------------------------------

@pytest.mark.parametrize("file,append,expected", [
    ("org.yaml", "tags: [team, project]\n", "org.yaml:9: tags: a list is not a map; expected keys: required"),
    ("teams/search.yaml", None, "teams/search.yaml:5: teams.search.budget.daily: a number with hundreds of digits "
                                "is not a positive number"),
    ("alerting.yaml", "smtp:\n  smarthost: smtp.example.com\n  from: a@example.com\n",
     "alerting.yaml:16: smtp.smarthost: 'smtp.example.com' is not valid: host:port, such as smtp.example.com:587 "
     "(the port is required)"),
])
def test_11_typos_are_spec_errors(minimal_specs, file, append, expected):
    path = minimal_specs / file
    if append is None:
        path.write_text(path.read_text().replace("daily: 50", "daily: " + "9" * 300))
    else:
        path.write_text(path.read_text() + append)
    r = _run("validate", "--specs", str(minimal_specs))
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert f"{minimal_specs}/{expected}" in r.output


def test_11_an_empty_specs_option_is_refused():
    r = _run("validate", "--specs", "")
    assert r.exit_code == 1 and r.output == "aicost: --specs is empty; give the spec folder, such as specs\n"


def test_11_an_unreadable_teams_folder_is_named(minimal_specs, monkeypatch):
    real = os.listdir

    def listdir(path):
        if str(path).endswith("teams"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "listdir", listdir)
    r = _run("validate", "--specs", str(minimal_specs))
    assert r.exit_code == 1
    assert f"{minimal_specs}/teams: cannot read folder: Permission denied" in r.output


def test_11_an_unwritable_out_is_named(minimal_specs, tmp_path, monkeypatch):
    import generator.output as output

    def refuse(files, out):
        raise PermissionError(13, "Permission denied", str(out.parent / "x"))

    monkeypatch.setattr(output, "_swap_in", refuse)
    r = _run("generate", "--specs", str(minimal_specs), "--out", str(tmp_path / "locked" / "rendered"))
    assert r.exit_code == 1
    assert r.output == f"aicost: cannot write {tmp_path / 'locked' / 'x'}: Permission denied\n"


# --- 12. what validates, the tools accept ----------------------------------------------------------------

@pytest.mark.tools
def test_12_an_exotic_but_valid_spec_passes_amtool_and_promtool(minimal_specs, tmp_path):
    amtool, promtool = require_tool("amtool"), require_tool("promtool")
    (minimal_specs / "alerting.yaml").write_text((minimal_specs / "alerting.yaml").read_text() + (
        "timing:\n  critical: {group_wait: 0s, group_interval: 1m, repeat_interval: 1h30m}\n"
        "smtp:\n  smarthost: '[::1]:2525'\n  from: ai@example.com\n  require_tls: false\n"))
    (minimal_specs / "org.yaml").write_text((minimal_specs / "org.yaml").read_text() + (
        "scrape_interval: 5s\nevaluation_interval: 1m\nsilence_window: 1h30m\n"
        "exporter_targets:\n  - gpu-1.internal:9400\n  - target: gpu-2.internal:9400\n    scheme: https\n"
        "    tls: {ca_file: /etc/prometheus/ca.pem, server_name: gpu-2}\n"
        "    basic_auth: {username: prom, password_file: /etc/prometheus/exporter-password}\n"))
    out = tmp_path / "rendered"
    assert _run("generate", "--specs", str(minimal_specs), "--out", str(out)).exit_code == 0
    r = subprocess.run([amtool, "check-config", str(out / n.ALERTMANAGER_CONFIG)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run([promtool, "check", "config", "--syntax-only", str(out / n.PROMETHEUS_CONFIG)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("bad,expected", [
    ("evaluation_interval: 30m1h\n", "evaluation_interval: '30m1h' is not valid: a Prometheus duration such as 30s, 5m, "
                                     "1h or 1h30m (units from the largest, each once), not zero"),
    ("silence_window: 0s\n", "silence_window: '0s' is not valid: a Prometheus duration"),
    ("alertmanager_targets: ['http://am:9093']\n", "alertmanager_targets[0]: 'http://am:9093' is not valid: host:port"),
])
def test_12_values_prometheus_would_refuse_are_spec_errors(minimal_specs, bad, expected):
    (minimal_specs / "org.yaml").write_text((minimal_specs / "org.yaml").read_text() + bad)
    with pytest.raises(SpecError) as err:
        load_spec(minimal_specs)
    assert any(expected in str(p) for p in err.value.problems), [str(p) for p in err.value.problems]


# --- 13. the report names the file and row, or the URL, never a traceback ---------------------------------

class _Garbage:
    """A local HTTP server answering every query with the same body."""

    def __init__(self, body: bytes):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        import threading

        class H(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                self.send_response(200)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("body,expected", [
    (b"<html>not prometheus</html>", "not a Prometheus query API answer"),
    (b'{"status":"success","data":{"resultType":"vector","result":[{"metric":{"team":"search"},"value":[1,"NaN"]}]}}',
     "is NaN, not an amount; check the aicost rules there"),
    (b'{"status":"error","error":"bad"}', "not a Prometheus query API answer"),
])
def test_13_a_broken_prometheus_is_named(body, expected):
    server = _Garbage(body)
    try:
        r = _run("report", "--specs", str(ACME), "--prometheus", server.url, "--now", "2026-11-25T00:00:00+00:00")
    finally:
        server.close()
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert r.output.startswith(f"aicost report: {server.url}") and expected in r.output
    assert r.output.count("\n") == 1


def test_13_bad_files_and_options_are_one_line(tmp_path):
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    cases = [
        (["--csv", str(folder)], f"aicost report: {folder}: cannot read the file"),
        (["--focus", str(FIXTURES / "report" / "focus.csv"), "--now", "yesterday"], "'yesterday' is not an ISO 8601 time"),
        (["--csv", str(FIXTURES / "report" / "seed.csv"), "--output", str(folder)], f"aicost: {folder} is a folder"),
    ]
    for args, expected in cases:
        r = _run("report", "--specs", str(ACME), *args)
        assert r.exit_code in (1, 2) and "Traceback" not in r.output and expected in r.output, r.output


def test_13_bom_and_bad_tags_in_focus(tmp_path):
    f = tmp_path / "focus.csv"
    f.write_text('\ufeffBilledCost,ChargePeriodStart,Tags\n5,2026-11-17T00:00:00Z,"{""team"": [""a""]}"\n')
    r = _run("report", "--specs", str(ACME), "--focus", str(f), "--now", "2026-11-25T00:00:00+00:00")
    assert r.exit_code == 1 and r.output == f'aicost report: {f}:2: tag team must be a name, found ["a"]\n'


# --- 14. the exporter's options, and scraping it over TLS with basic auth -----------------------------

def _exporter(*args, timeout=30):
    return subprocess.run([sys.executable, "-m", "exporter", *args], capture_output=True, text=True, timeout=timeout)


TAGS = ["--team", "search", "--project", "p", "--environment", "dev", "--cost-center", "cc", "--owner", "o@x.io"]


def test_14_tls_key_without_cert_is_refused(tmp_path):
    key = tmp_path / "key.pem"
    key.write_text("x")
    r = _exporter("--specs", str(ACME), "--simulate", "1", "--tls-key", str(key), *TAGS)
    assert r.returncode == 1
    assert r.stderr == "aicost exporter: --tls-key needs --tls-cert (the certificate to serve); nothing was started\n"


def test_14_a_bad_certificate_names_the_file(tmp_path):
    cert = tmp_path / "cert.pem"
    cert.write_text("not a certificate")
    r = _exporter("--specs", str(ACME), "--simulate", "1", "--tls-cert", str(cert), *TAGS)
    assert r.returncode == 1 and r.stderr.startswith(f"aicost exporter: cannot load the TLS certificate (--tls-cert {cert})")


def test_14_help_documents_every_tag_and_the_config_keys():
    r = _exporter("-h")
    assert r.returncode == 0
    text = " ".join(r.stdout.split())
    for phrase in ("team that pays for this host's GPUs", "finance cost center code", "YAML map of the host's tags, keys: "
                   "team, project, environment, cost_center, owner, instance, category"):
        assert phrase in text


def test_14_scrape_targets_with_tls_and_basic_auth_render():
    from generator.model import BasicAuth, ScrapeTarget, Tls
    from generator.render.prometheus_config import render_prometheus_config
    from dataclasses import replace

    spec, _ = load_model(FIXTURES / "minimal" / "specs")
    secure = ScrapeTarget("gpu-2:9400", "https", Tls(ca_file="/etc/ca.pem"), BasicAuth("prom", "/etc/pw"))
    jobs = render_prometheus_config(replace(spec, exporter_targets=(ScrapeTarget("gpu-1:9400"), secure)))["scrape_configs"]
    assert jobs[0]["job_name"] == n.EXPORTER_JOB and jobs[0]["static_configs"] == [{"targets": ["gpu-1:9400"]}]
    assert jobs[1]["scheme"] == "https" and jobs[1]["tls_config"] == {"ca_file": "/etc/ca.pem"}
    assert jobs[1]["basic_auth"] == {"username": "prom", "password_file": "/etc/pw"}
    assert jobs[1]["relabel_configs"] == [{"target_label": "job", "replacement": n.EXPORTER_JOB}]


def test_14_tls_needs_https(minimal_specs):
    (minimal_specs / "org.yaml").write_text((minimal_specs / "org.yaml").read_text() +
                                            "exporter_targets:\n  - target: gpu:9400\n    tls: {ca_file: /ca.pem}\n")
    with pytest.raises(SpecError) as err:
        load_spec(minimal_specs)
    assert [str(p) for p in err.value.problems][0].endswith("exporter_targets[0].scheme: tls settings need scheme: https")


# --- 15. no credentials in a committed URL -------------------------------------------------------------

def test_15_credentials_in_a_webhook_url_are_refused(minimal_specs):
    (minimal_specs / "alerting.yaml").write_text((minimal_specs / "alerting.yaml").read_text().replace(
        "receivers:\n", "receivers:\n  hook:\n    webhook:\n      url: https://bot:s3cret@hooks.example.com/x\n", 1))
    with pytest.raises(SpecError) as err:
        load_spec(minimal_specs)
    assert (f"{minimal_specs}/alerting.yaml:4: receivers.hook.webhook.url: a URL must not carry credentials "
            "(user:password@): they would be written to rendered/ and committed; put the token in a file and name it "
            "with credentials_file") in [str(p) for p in err.value.problems]


# --- 17. leftovers of an interrupted generate are removed ------------------------------------------------

def test_17_leftover_temp_folders_are_removed(minimal_specs, tmp_path):
    out = tmp_path / "rendered"
    dead = 2 ** 22 + 17  # above pid_max on Linux: never a live process
    for kind in ("tmp", "old"):
        (tmp_path / f".rendered.{kind}-{dead}" / "prometheus").mkdir(parents=True)
    live = tmp_path / ".rendered.tmp-1"  # pid 1 is alive: another generate may be writing there
    live.mkdir()
    write_tree({"a.yml": b"x: 1\n"}, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == [live.name, "rendered", "specs"]
    for kind in ("tmp", "old"):
        assert subprocess.run(["git", "check-ignore", "-q", f".rendered.{kind}-{dead}/x"], cwd=ROOT).returncode == 0
