"""`aicost report`: the seed's example in every format, FOCUS exports, Prometheus, bad input."""

from __future__ import annotations

from decimal import Decimal

import pytest
from click.testing import CliRunner

from conftest import ACME, FIXTURES, ROOT, assert_golden
from generator.cli import main

SEED = FIXTURES / "report" / "seed.csv"
FOCUS = FIXTURES / "report" / "focus.csv"
SPECS = str(ACME)


def _report(*args):
    return CliRunner().invoke(main, ["report", "--specs", SPECS, *args], catch_exceptions=False)


def test_the_seed_example_in_every_format(update_golden):
    files = {}
    for fmt, ext in (("table", "txt"), ("markdown", "md"), ("html", "html"), ("csv", "csv"), ("json", "json")):
        r = _report("--csv", str(SEED), "--from", "2026-10-01", "--to", "2026-11-01", "--format", fmt)
        assert r.exit_code == 0, r.output
        files[f"seed.{ext}"] = r.output.encode()
    assert_golden(files, "report", update_golden)


def test_the_seed_numbers():
    out = _report("--csv", str(SEED), "--from", "2026-10-01", "--to", "2026-11-01").output
    for line in ("search/product-search          $    8,500 $    3,200 $    1,200 $      0 $   12,900",
                 "chatbot/customer-support       $    4,500 $   12,000 $        0 $      0 $   16,500",
                 "ml-platform/recommendation     $    6,800 $        0 $    2,100 $      0 $    8,900",
                 "data/analytics                 $    3,400 $        0 $        0 $      0 $    3,400",
                 "[WARNING] $1,500 (3.5%) of costs are UNTAGGED."):
        assert line in out
    assert out.index("chatbot/customer-support") < out.index("search/product-search")  # sorted by total
    assert "TOTAL                          $                                           43,200" in out


def test_chargeback_csv_totals_are_the_sum_of_rows_to_the_cent():
    out = _report("--csv", str(SEED), "--from", "2026-10-01", "--to", "2026-11-01", "--format", "csv").output
    rows = out.splitlines()[1:]
    assert len(rows) == 9
    assert sum(Decimal(r.split(",")[-1]) for r in rows) == Decimal("43200.00")


def test_focus_rows_in_the_period_allocated_by_their_tags():
    r = _report("--focus", str(FOCUS), "--period", "week", "--now", "2026-11-25T09:00:00+00:00", "--format", "json")
    import json

    doc = json.loads(r.output)
    assert doc["period"] == {"start": "2026-11-16T00:00:00+00:00", "end": "2026-11-23T00:00:00+00:00"}
    lines = {(line["team"], line["project"]): line for line in doc["lines"]}
    assert lines[("ml-platform", "recsys-two-tower")]["compute"] == "1250.00"  # tagged cost_category=training
    assert lines[("ml-platform", "recommendation")]["compute"] == "812.40"
    assert lines[("search", "product-search")]["storage"] == "95.10"  # from ServiceCategory
    assert doc["untagged"] == "40.25" and doc["total"] == "2197.75"
    teams = {t["team"]: t for t in doc["teams"]}
    assert teams["ml-platform"]["previous"] == "300.00"  # the week before, from the same export
    assert teams["search"]["budget"] == "3150.00"  # 7 x $450


@pytest.mark.parametrize("content,message", [
    ("cost,team,project,category\n12.5,search,p,api\nabc,search,p,api\n", "{f}:3: cost 'abc' is not a number"),
    ("cost,team,project,category\n1e400,search,p,api\n", "{f}:2: cost '1e400' is not an amount of money"),
    ("cost,team,project,category\nNaN,search,p,api\n", "{f}:2: cost 'NaN' is not an amount of money"),
    ("cost,team,project,category\n3,search,p,gpu\n", "{f}:2: category 'gpu' is not one of api, compute, inference, training, storage, network, other"),
    ("cost,team,project,category\n3,search,p,api,extra\n", "{f}:2: expected 4 fields (cost,team,project,category)"),
    ("amount,team\n3,search\n", "{f}: missing column(s) cost, project, category; expected a header cost,team,project,category"),
], ids=["not a number", "absurdly large", "NaN", "unknown category", "extra field", "wrong header"])
def test_bad_csv_rows_are_named_and_nothing_is_printed(tmp_path, content, message):
    f = tmp_path / "costs.csv"
    f.write_text(content)
    r = CliRunner().invoke(main, ["report", "--specs", SPECS, "--csv", str(f), "--from", "2026-10-01", "--to", "2026-11-01"])
    assert r.exit_code == 1
    assert r.output == f"aicost report: {message.format(f=f)}\n"


def test_a_focus_tag_with_an_unknown_category(tmp_path):
    f = tmp_path / "focus.csv"
    f.write_text('BilledCost,ChargePeriodStart,Tags\n5,2026-11-17T00:00:00Z,"{""team"": ""search"", ""cost_category"": ""gpus""}"\n')
    r = CliRunner().invoke(main, ["report", "--specs", SPECS, "--focus", str(f), "--now", "2026-11-25T00:00:00+00:00"])
    assert r.exit_code == 1
    assert r.output == (f"aicost report: {f}:2: tag cost_category: category 'gpus' is not one of api, compute, "
                        "inference, training, storage, network, other\n")


def test_an_unreachable_prometheus_is_named(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = CliRunner().invoke(main, ["report", "--specs", SPECS, "--prometheus", f"http://127.0.0.1:{port}"])
    assert r.exit_code == 1
    assert r.output.startswith(f"aicost report: http://127.0.0.1:{port}: cannot reach Prometheus (")


def test_html_is_self_contained_with_a_chart(tmp_path):
    out = tmp_path / "week.html"
    r = _report("--csv", str(SEED), "--from", "2026-10-01", "--to", "2026-11-01", "--format", "html", "--output", str(out))
    assert r.exit_code == 0
    page = out.read_text()
    assert "<svg" in page and "http" not in page.replace('http://www.w3.org/2000/svg', "")


def test_send_mails_the_html_report_to_every_owner_and_finance(tmp_path):
    """Against a local SMTP server started here (aiosmtpd), on loopback."""
    import shutil
    import socket

    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            self.messages.append(envelope)
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        specs = tmp_path / "specs"
        shutil.copytree(ACME, specs)
        alerting = (specs / "alerting.yaml").read_text()
        alerting = alerting.replace("smarthost: smtp.acme.example:587", f"smarthost: 127.0.0.1:{port}")
        alerting = alerting.replace("  auth_username: aicost\n  auth_password_file: /etc/alertmanager/secrets/smtp-password\n",
                                    "  require_tls: false\n")
        (specs / "alerting.yaml").write_text(alerting)
        r = CliRunner().invoke(main, ["report", "--specs", str(specs), "--csv", str(SEED), "--from", "2026-10-01",
                                      "--to", "2026-11-01", "--send"], catch_exceptions=False)
        assert r.exit_code == 0, r.output
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    env = inbox.messages[0]
    assert sorted(env.rcpt_tos) == ["chatbot-lead@acme.example", "data-lead@acme.example", "finops@acme.example",
                                    "mlp-lead@acme.example", "search-lead@acme.example"]
    body = env.content.decode()
    assert "Subject: AI cost report 2026-10-01 .. 2026-10-31: Acme AI" in body
    assert "text/html" in body and "<svg" in body
