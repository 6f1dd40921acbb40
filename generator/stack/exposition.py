"""A static /metrics on loopback: another tool's exposition, exactly as that tool writes it (the sources test)."""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


_COUNTER_SAMPLE = re.compile(r'^(\S*?(_total|_sum|_count|_bucket)(\{.*\})?|\{"[^"]*(_total|_sum|_count|_bucket)".*\}) \S+$')


def counters_at_zero(text: str) -> str:
    """The exposition with every counter sample (…_total, histogram parts) at 0, gauges as they are:
    what the tool showed before its calls."""
    return "\n".join(_COUNTER_SAMPLE.sub(lambda m: m.group(1) + " 0", line) for line in text.splitlines()) + "\n"


class StaticExposition:
    """Serves one text exposition at /metrics; with a token, only to `Authorization: Bearer <token>`.
    With `start_at_zero`, its counters read 0 until `release()`: each series is seen before it grows."""

    def __init__(self, port: int, text: str, token: str | None = None, start_at_zero: bool = False):
        expected = f"Bearer {token}" if token else None
        self.refused = 0
        self.body = (counters_at_zero(text) if start_at_zero else text).encode()
        self._full = text.encode()

        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                if expected and self.headers.get("Authorization") != expected:
                    server.refused += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                body = server.body
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def release(self) -> None:
        """Serve the counters' real values from now on."""
        self.body = self._full

    def close(self) -> None:
        """Stop serving and free the port."""
        self._server.shutdown()
        self._server.server_close()
