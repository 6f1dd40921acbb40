"""`aicost act`: idle-GPU shutdowns that never touch production, never act twice on one firing, run
nothing unless told to, and log every decision before anything runs."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from conftest import FIXTURES, ROOT
from exporter.act import Act, TeamAction, serve
from generator import names as n
from generator.errors import SpecError
from generator.render.dashboards import overview
from generator.resolve import load_model
from generator.stack import free_port

TEAMS = {"research": TeamAction("staging", "aws ec2 stop-instances --instance-ids {instance}"),
         "search": TeamAction("production", "aws ec2 stop-instances --instance-ids {instance}"),
         "quiet": TeamAction("dev", "")}


def _alert(team="research", instance="i-0abc", starts="2026-11-28T10:00:00Z", status="firing", **extra):
    labels = {"alertname": n.A_GPU_IDLE, "team": team, "instance": instance, "gpu": "0", "type": "A10G",
              "environment": TEAMS[team].environment if team in TEAMS else "dev", **extra}
    return {"status": status, "labels": labels, "startsAt": starts, "fingerprint": f"fp-{team}-{instance}"}


class FakeRun:
    def __init__(self, code=0):
        self.calls, self.code = [], code

    def __call__(self, argv, **kwargs):
        self.calls.append(argv)
        return subprocess.CompletedProcess(argv, self.code, "stopping\n", "")


def _log(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_dry_run_is_the_default_and_logs_the_command_it_would_run(tmp_path):
    run = FakeRun()
    act = Act(TEAMS, tmp_path / "audit.jsonl", run=run, clock=lambda: 1.0)
    [entry] = act.handle({"alerts": [_alert(modelName="NVIDIA A10G")]})  # labels it does not use are not checked
    assert (entry["decision"], entry["command"]) == ("dry_run", ["aws", "ec2", "stop-instances", "--instance-ids", "i-0abc"])
    assert run.calls == [] and _log(tmp_path / "audit.jsonl") == [entry]


def test_production_is_never_touched_whatever_the_labels_say(tmp_path):
    run = FakeRun()
    act = Act(TEAMS, tmp_path / "audit.jsonl", execute=True, run=run)
    decisions = [e["decision"] for e in act.handle({"alerts": [
        _alert("search"), _alert("search", instance="i-0c", environment="staging"),
        _alert("research", instance="i-0b", environment="production")]})]
    assert decisions == ["refused_production"] * 3 and run.calls == []


def test_execute_runs_once_per_firing_even_across_restarts(tmp_path):
    run, log = FakeRun(), tmp_path / "audit.jsonl"
    act = Act(TEAMS, log, execute=True, run=run)
    assert [e["decision"] for e in act.handle({"alerts": [_alert(), _alert()]})] == ["ran", "duplicate"]
    again = Act(TEAMS, log, execute=True, run=run)  # a restart replays the log
    assert [e["decision"] for e in again.handle({"alerts": [_alert()]})] == ["duplicate"]
    assert [e["decision"] for e in again.handle({"alerts": [_alert(starts="2026-11-29T10:00:00Z")]})] == ["ran"]
    assert len(run.calls) == 2
    # written before it ran ("running"), then its outcome with the exit code and output
    assert [(e["decision"], e.get("exit_code")) for e in _log(log)] == [
        ("running", None), ("ran", 0), ("duplicate", None), ("duplicate", None), ("running", None), ("ran", 0)]
    assert {e["decision"] for e in _log(log)} <= set(n.ACT_AUDIT_DECISIONS)


def test_a_failing_command_is_logged_as_failed_and_not_retried(tmp_path):
    act = Act(TEAMS, tmp_path / "audit.jsonl", execute=True, run=FakeRun(code=3))
    assert act.handle({"alerts": [_alert()]})[0]["exit_code"] == 3
    assert act.handle({"alerts": [_alert()]})[0]["decision"] == "duplicate"


@pytest.mark.parametrize("instance", ["--force", "i-0abc;reboot", "../../etc", "i 0abc", "$(id)"])
def test_a_label_that_could_escape_its_word_runs_nothing(tmp_path, instance):
    run = FakeRun()
    [entry] = Act(TEAMS, tmp_path / "audit.jsonl", execute=True, run=run).handle({"alerts": [_alert(instance=instance)]})
    assert entry["decision"] == "invalid" and "is not a safe command word" in entry["why"] and run.calls == []


def test_no_action_other_alerts_and_resolutions(tmp_path):
    act = Act(TEAMS, tmp_path / "audit.jsonl", execute=True, run=FakeRun())
    other = {**_alert(), "labels": {**_alert()["labels"], "alertname": n.A_DAILY_EXCEEDED}}
    assert [e["decision"] for e in act.handle({"alerts": [_alert("quiet"), other, _alert(status="resolved")]})] == [
        "no_action", "resolved"]


def test_a_real_command_runs_without_a_shell(tmp_path):
    out = tmp_path / "stopped"
    teams = {"research": TeamAction("staging", f"{sys.executable} -c \"import sys; open(sys.argv[1], 'w').write("
                                               f"sys.argv[2])\" {out} {{instance}}")}
    [entry] = Act(teams, tmp_path / "audit.jsonl", execute=True).handle({"alerts": [_alert(instance="i-0*")]})
    assert entry["decision"] == "invalid"  # '*' is not a safe word: no glob, no shell
    [entry] = Act(teams, tmp_path / "audit.jsonl", execute=True).handle({"alerts": [_alert(instance="i-0abc")]})
    assert (entry["decision"], out.read_text()) == ("ran", "i-0abc")


def test_the_webhook_and_the_preview_over_http(tmp_path):
    port = free_port()
    server = serve(Act(TEAMS, tmp_path / "audit.jsonl", run=FakeRun()), "127.0.0.1", port)
    try:
        url = f"http://127.0.0.1:{port}"
        body = json.dumps({"version": "4", "status": "firing", "receiver": "aicost-act", "alerts": [_alert()]}).encode()
        answer = json.loads(urllib.request.urlopen(urllib.request.Request(url + "/", body, method="POST")).read())
        assert [d["decision"] for d in answer["decisions"]] == ["dry_run"]
        preview = json.loads(urllib.request.urlopen(f"{url}/preview?team=research&instance=i-0abc").read())
        assert (preview["decision"], preview["command"][-1]) == ("dry_run", "i-0abc")
        assert len(_log(tmp_path / "audit.jsonl")) == 1  # the preview is read-only
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(urllib.request.Request(url + "/", b"[1, 2", method="POST"))
        assert err.value.code == 400
    finally:
        server.shutdown()
        server.server_close()


def test_the_spec_checks_the_template(minimal_specs):
    team = minimal_specs / "teams" / "search.yaml"
    team.write_text(team.read_text() + "actions:\n  idle_gpu: \"kubectl cordon {node} {instance}\"\n")
    with pytest.raises(SpecError) as err:
        load_model(minimal_specs, "specs")
    assert [str(p) for p in err.value.problems] == [
        "specs/teams/search.yaml:8: teams.search.actions.idle_gpu: {node} is not a label of AIGPUIdle; allowed: "
        "{instance}, {gpu}, {type}, {team}, {project}, {environment}, {namespace}, {pod}, {container}"]
    team.write_text(team.read_text().replace("kubectl cordon {node} {instance}", "stop {instance}; reboot"))
    with pytest.raises(SpecError) as err:
        load_model(minimal_specs, "specs")
    assert "a command without a shell: no ` $ ; | & < > or line breaks" in str(err.value.problems[0])


def test_the_idle_gpu_table_has_the_runbook_and_preview_buttons():
    spec, _ = load_model(ROOT / "specs")
    table = next(p for p in overview(spec)["panels"] if p["title"] == "Idle GPU Instances")
    links = table["fieldConfig"]["defaults"]["links"]
    assert [link["url"] for link in links] == [
        "https://runbooks.acme.example/aicost#aigpuidle",
        "http://127.0.0.1:9095/preview?instance=${__data.fields.instance}&gpu=${__data.fields.gpu}"
        "&type=${__data.fields.type}&team=${__data.fields.team}"]
    bare, _ = load_model(FIXTURES / "minimal" / "specs")
    assert len(next(p for p in overview(bare)["panels"] if p["title"] == "Idle GPU Instances")["fieldConfig"]["defaults"]["links"]) == 1
