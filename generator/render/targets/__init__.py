"""Deployment targets: the plain Prometheus files (rules, Alertmanager config, templates, dashboards)
reshaped for Kubernetes operators, Mimir/Cortex and Thanos Ruler. Pure: rendered data in, data out."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plain:
    """What every target is made from: the plain target's rendered data."""

    rule_files: dict  # <group>.yml -> {"groups": [group]}
    alertmanager: dict  # alertmanager.yml
    templates: dict  # file name -> Go template text
    dashboards: dict  # file name -> dashboard JSON model
    scrape_jobs: tuple = ()  # the sources' scrape configs of prometheus.yml

    def groups(self) -> list[dict]:
        """Every rule group, in file order."""
        return [g for _, f in sorted(self.rule_files.items()) for g in f["groups"]]


SECRET_URL = "https://aicost-secret.invalid/"
SECRET_TEXT = "aicost-secret:"


def placeholder(key: str, url: bool) -> str:
    """A secret's stand-in where the target takes no file: a valid URL or a string, filled at deploy."""
    return f"{SECRET_URL}{key}" if url else f"{SECRET_TEXT}{key}"


def map_secret_files(config, replace):
    """A copy of an Alertmanager config with each `<x>_file: path` setting replaced by replace(x, path)
    (a pair (new key, new value))."""
    if isinstance(config, dict):
        out = {}
        for k, v in config.items():
            if k.endswith("_file") and isinstance(v, str):
                nk, nv = replace(k.removesuffix("_file"), v)
                out[nk] = nv
            else:
                out[k] = map_secret_files(v, replace)
        return out
    if isinstance(config, list):
        return [map_secret_files(v, replace) for v in config]
    return config
