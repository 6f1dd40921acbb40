"""The one client of Prometheus' HTTP query API (used by the report and the demo stack)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime

from generator.errors import PrometheusUnavailable


def _get(url: str, path: str, params: dict, promql: str, timeout: float) -> list[dict]:
    """The `result` list of a query API answer; PrometheusUnavailable naming the URL otherwise."""
    try:
        body = urllib.request.urlopen(f"{url.rstrip('/')}/api/v1/{path}?{urllib.parse.urlencode(params)}",
                                      timeout=timeout).read()
    except urllib.error.HTTPError as exc:
        raise PrometheusUnavailable(f"{url}: Prometheus answered {exc.code} to {promql}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise PrometheusUnavailable(f"{url}: cannot reach Prometheus ({getattr(exc, 'reason', exc)})") from None
    # an instant vector's samples are [t, "v"]; a range matrix's series have a list of them
    key, valid = ("value", lambda v: len(v) == 2) if path == "query" else ("values", bool)
    try:
        doc = json.loads(body)
        result = doc["data"]["result"]
        if doc.get("status") != "success" or not isinstance(result, list):
            raise ValueError(doc.get("error") or "not a vector")
        if not all(isinstance(r.get("metric"), dict) and isinstance(r.get(key), list) and valid(r[key]) for r in result):
            raise ValueError(f"a {'sample' if path == 'query' else 'series'} without metric or {key}")
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise PrometheusUnavailable(f"{url}: not a Prometheus query API answer to {promql} ({exc})") from None
    return result


def instant_query(url: str, promql: str, at: datetime | None = None, timeout: float = 30) -> list[dict]:
    """The result vector of an instant query (at `at`, default now)."""
    params = {"query": promql}
    if at is not None:
        params["time"] = f"{at.timestamp():.3f}"
    return _get(url, "query", params, promql, timeout)


def range_query(url: str, promql: str, start: float, end: float, step: float, timeout: float = 300) -> list[dict]:
    """The result matrix of a range query: series with `values` [[unix seconds, "value"], ...]."""
    params = {"query": promql, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:.3f}"}
    return _get(url, "query_range", params, promql, timeout)


def api_data(url: str, path: str, timeout: float = 10) -> dict | list:
    """The `data` of another read-only API answer (targets, rules, status/flags)."""
    try:
        doc = json.loads(urllib.request.urlopen(f"{url.rstrip('/')}/api/v1/{path}", timeout=timeout).read())
    except urllib.error.HTTPError as exc:
        raise PrometheusUnavailable(f"{url}: Prometheus answered {exc.code} to /api/v1/{path}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise PrometheusUnavailable(f"{url}: cannot reach Prometheus ({getattr(exc, 'reason', exc)})") from None
    if not isinstance(doc, dict) or doc.get("status") != "success" or "data" not in doc:
        raise PrometheusUnavailable(f"{url}: not a Prometheus answer to /api/v1/{path}")
    return doc["data"]
