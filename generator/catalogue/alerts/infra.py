"""Infrastructure alerts: idle GPUs, spend without a known team, teams and exporters gone silent."""

from __future__ import annotations

from generator import durations
from generator import names as n
from generator import promql as q
from generator.catalogue.alert import Alert
from generator.catalogue.constants import constant, idle_gpus
from generator.model import Spec


def _gpu_idle(spec: Spec) -> Alert:
    return Alert(
        n.A_GPU_IDLE, "warning",
        idle_gpus(spec),
        summary="GPU {label:gpu} on {label:instance} is idle",
        description=("GPU {label:gpu} ({label:type}) on {label:instance} of team {label:team} has been at "
                     "{value:num}% utilization for " + spec.for_(n.A_GPU_IDLE) +
                     "; it costs ${query:gpu_hourly:money} an hour."),
        action="Auto-shutdown if non-production",
        group=n.G_SIGNALS,
    )


def _untagged(spec: Spec) -> Alert:
    # The ledger's entries of the window (one millisecond short, so that Prometheus 2's closed
    # ranges take no extra entry at the far edge): spend under a team the spec does not know.
    window = durations.render(durations.seconds(spec.untagged_spend_window) - 0.001)
    spent = f"sum_over_time({n.R_TEAM_INCREMENT}[{window}])"
    return Alert(
        n.A_UNTAGGED, "warning",
        f"({spent} unless {q.on(n.L_TEAM)} {constant(spec, n.C_TEAM_INFO)}) > 0",
        summary="AI spend without a known team",
        description=(f"${{value:money}} was spent in the last {spec.untagged_spend_window} under team "
                     "'{label:team}', which is not a team of the spec (empty means no team tag)."),
        action="Fix resource tagging: every resource needs " + ", ".join(spec.required_tags),
        per_team=False,
    )


def _silent_team(spec: Spec) -> Alert:
    # A team's ledger has an entry whenever any of its counters was scraped in the window, flat
    # counters included. Both windows are shifted back a millisecond: an entry exactly one window
    # old counts the same under Prometheus 2 and 3, and the entry this very evaluation made is in
    # neither (else a first deploy would call every team silent for one evaluation).
    window = spec.silence_window
    recent = f"present_over_time({n.R_TEAM_INCREMENT}[{window}] offset 1ms)"
    return Alert(
        n.A_DATA_MISSING, "warning",
        f"present_over_time({n.R_TEAM_INCREMENT}[1d] offset 1ms)\nunless {q.on(n.L_TEAM)} {recent}",
        summary="Team {label:team} stopped reporting AI spend",
        description=f"Team {{label:team}} reported spend in the last day but nothing for {window}; no data is not $0.",
        action="Check the team's exporters and instrumented services",
        labels={n.L_SCOPE: "team"},
    )


def _exporter_down(spec: Spec) -> Alert:
    window = spec.silence_window
    jobs = "|".join((n.EXPORTER_JOB, n.APP_JOB, *(s.job for s in spec.sources)))
    up = f'up{{{n.L_JOB}=~"{jobs}"}}'
    return Alert(
        n.A_DATA_MISSING, "warning",
        f"max_over_time({up}[{window}] offset 1ms) == 0",
        summary="Cost exporter {label:instance} is down",
        description=f"Scrape target {{label:instance}} of job {{label:job}} has been down for {window}; its spend is not counted.",
        action="Restart the exporter or the instrumented service",
        labels={n.L_SCOPE: "exporter"}, per_team=False,
        group=n.G_SIGNALS,
    )


# The budget guard reads Alertmanager every 15 s by default: 5 minutes without an answer is an outage.
GUARD_STALE_SECONDS = 300


def _guard_stale(spec: Spec) -> Alert:
    return Alert(
        n.A_GUARD_STALE, "warning",
        f"max by ({n.L_JOB}, {n.L_INSTANCE}) ({n.GUARD_STATE_AGE}) > {GUARD_STALE_SECONDS}",
        summary="The budget guard of {label:instance} cannot read Alertmanager",
        description=("The budget guard of {label:instance} (job {label:job}) last read Alertmanager {value:int} s ago: "
                     "its teams are allowed or blocked by their on_stale setting, not by their budgets."),
        action="Check that the service reaches Alertmanager's /api/v2/alerts (URL, network, Alertmanager up)",
        per_team=False, group=n.G_SIGNALS,
    )


def alerts(spec: Spec) -> list[Alert]:
    """Idle GPUs, untagged spend, missing data (a silent team, a down exporter), a stale budget guard."""
    return [_gpu_idle(spec), _untagged(spec), _silent_team(spec), _exporter_down(spec), _guard_stale(spec)]
