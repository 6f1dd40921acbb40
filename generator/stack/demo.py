"""`aicost demo`'s loop as a stream of events: traffic every second, a runaway job, alerts as they land.

The command prints the events; this module only produces them, so it neither prints nor sleeps
on its own clock (both are injected), and the loop ends when `duration` has passed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Iterator

from generator import names as n
from generator.stack import Stack
from generator.stack.sink import Notification

RUNAWAY_AFTER = 60.0  # seconds of normal traffic before the runaway job starts


@dataclass(frozen=True)
class Runaway:
    """The runaway job ran: how many calls of which AI model, for which team."""

    team: str
    calls: int
    ai_model: str


@dataclass(frozen=True)
class Status:
    """Spend today per team and the number of alerts firing, as Prometheus records them now."""

    spend: dict[str, float]
    firing: int


def demo_events(stack: Stack, runaway: str | None, duration: float, clock: Callable[[], float] = time.monotonic,
                sleep: Callable[[float], None] = time.sleep) -> Iterator[Runaway | Notification | Status]:
    """Drive traffic through the stack and yield what happens, once a second, until `duration` (0: forever)."""
    started, blown = clock(), False
    while not duration or clock() - started < duration:
        stack.traffic()
        if runaway and not blown and clock() - started > RUNAWAY_AFTER:
            calls, ai_model = stack.runaway(runaway)
            blown = True
            yield Runaway(runaway, calls, ai_model)
        yield from stack.sink.take_new()
        spend = {r["metric"].get(n.L_TEAM, ""): float(r["value"][1]) for r in stack.query(n.R_TEAM_TODAY)}
        yield Status(spend, len(stack.query('ALERTS{alertstate="firing"}')))
        sleep(1)


def banner(stack: Stack, gpus: int) -> str:
    """Where everything listens."""
    p = stack.ports
    return (f"Prometheus   http://127.0.0.1:{p.prometheus}\nAlertmanager http://127.0.0.1:{p.alertmanager}\n"
            f"exporter     http://127.0.0.1:{p.exporter}/metrics  ({gpus} simulated GPUs)\n"
            f"receivers -> webhook sink on 127.0.0.1:{p.sink}; Ctrl-C stops everything")


def describe(event: Runaway | Notification | Status) -> str:
    """One line of text for an event."""
    if isinstance(event, Status):
        return "  ".join(f"{t} ${v:,.2f}" for t, v in sorted(event.spend.items())) + f"  | alerts firing: {event.firing}"
    if isinstance(event, Runaway):
        return f"!! runaway loop: {event.calls} calls of 10M {event.ai_model} tokens for team {event.team}"
    return "\n".join(f"-> {event.receiver:<16} {a['labels'].get('alertname')} [{a['labels'].get('severity')}]"
                     f" team={a['labels'].get('team', '-')}: {a['annotations'].get('summary', '')}" for a in event.alerts)
