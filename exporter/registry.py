"""One set of metric objects per registry, shared by every tracker or guard on it."""

from __future__ import annotations

import threading

from prometheus_client import CollectorRegistry

_SETS: dict[tuple[type, int], tuple[CollectorRegistry, object]] = {}
_LOCK = threading.Lock()


def per_registry(kind: type, registry: CollectorRegistry):
    """The `kind(registry)` of this registry, created once: prometheus_client refuses to register a
    name twice in a registry, so a second tracker (or guard) on it reuses the first one's metrics."""
    with _LOCK:
        hit = _SETS.get((kind, id(registry)))
        if hit is None or hit[0] is not registry:
            hit = (registry, kind(registry))
            _SETS[(kind, id(registry))] = hit
        return hit[1]
