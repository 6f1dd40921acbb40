"""A read repeated in the background: the budget guard's polls of Alertmanager, the reservation's of Prometheus."""

from __future__ import annotations

import threading
from typing import Callable


class Periodic:
    """Runs `read` once now, then every `every` seconds in a daemon thread, until stop()."""

    def __init__(self, read: Callable[[], object], every: float, name: str, join_timeout: float):
        self.read, self.every, self.name, self.join_timeout = read, every, name, join_timeout
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """The first read, here; the others in the background."""
        self.read()

        def loop():
            while not self._stop.wait(self.every):
                self.read()

        self._thread = threading.Thread(target=loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """No further reads; waits for one in progress (at most `join_timeout`)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.join_timeout)
