"""A webhook sink on loopback: every Alertmanager receiver of the stack posts here, by receiver name."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


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
