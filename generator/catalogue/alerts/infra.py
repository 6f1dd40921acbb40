"""Infrastructure alerts: idle GPUs, spend without a known team, teams and exporters gone silent."""

from __future__ import annotations

from generator import names as n
from generator.catalogue.alert import Alert
from generator.catalogue.thresholds import idle_gpus
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
    )


def _untagged(spec: Spec) -> Alert:
    return Alert(
        n.A_UNTAGGED, "warning",
        f"sum by (team) (increase({n.SPEND}[{spec.untagged_spend_window}]) unless on (team) {n.C_TEAM_INFO}) > 0",
        summary="AI spend without a known team",
        description=(f"${{value:money}} was spent in the last {spec.untagged_spend_window} under team "
                     "'{label:team}', which is not a team of the spec (empty means no team tag)."),
        action="Fix resource tagging: every resource needs " + ", ".join(spec.required_tags),
        per_team=False,
    )


def _silent_team(spec: Spec) -> Alert:
    window = spec.silence_window
    return Alert(
        n.A_DATA_MISSING, "warning",
        (f"group by (team) (present_over_time({n.SPEND}[1d]))\n"
         f"unless on (team) group by (team) (present_over_time({n.SPEND}[{window}]))"),
        summary="Team {label:team} stopped reporting AI spend",
        description=f"Team {{label:team}} reported spend in the last day but nothing for {window}; no data is not $0.",
        action="Check the team's exporters and instrumented services",
        labels={"scope": "team"},
    )


def _exporter_down(spec: Spec) -> Alert:
    window = spec.silence_window
    return Alert(
        n.A_DATA_MISSING, "warning",
        f'max_over_time(up{{job=~"{n.EXPORTER_JOB}|{n.APP_JOB}"}}[{window}]) == 0',
        summary="Cost exporter {label:instance} is down",
        description=f"Scrape target {{label:instance}} of job {{label:job}} has been down for {window}; its spend is not counted.",
        action="Restart the exporter or the instrumented service",
        labels={"scope": "exporter"}, per_team=False,
    )


def alerts(spec: Spec) -> list[Alert]:
    """Idle GPUs, untagged spend, missing data (a silent team, a down exporter)."""
    return [_gpu_idle(spec), _untagged(spec), _silent_team(spec), _exporter_down(spec)]
