"""The one client of Prometheus' HTTP query API (used by the report and the demo stack)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime

from generator.errors import PrometheusUnavailable


def instant_query(url: str, promql: str, at: datetime | None = None, timeout: float = 30) -> list[dict]:
    """The result vector of an instant query (at `at`, default now)."""
    params = {"query": promql}
    if at is not None:
        params["time"] = f"{at.timestamp():.3f}"
    try:
        body = urllib.request.urlopen(f"{url.rstrip('/')}/api/v1/query?{urllib.parse.urlencode(params)}",
                                      timeout=timeout).read()
    except urllib.error.HTTPError as exc:
        raise PrometheusUnavailable(f"{url}: Prometheus answered {exc.code} to {promql}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise PrometheusUnavailable(f"{url}: cannot reach Prometheus ({getattr(exc, 'reason', exc)})") from None
    try:
        doc = json.loads(body)
        result = doc["data"]["result"]
        if doc.get("status") != "success" or not isinstance(result, list):
            raise ValueError(doc.get("error") or "not a vector")
        if not all(isinstance(r.get("metric"), dict) and len(r.get("value") or ()) == 2 for r in result):
            raise ValueError("a sample without metric or value")
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise PrometheusUnavailable(f"{url}: not a Prometheus query API answer to {promql} ({exc})") from None
    return result
