"""The `deploy` section of org.yaml as the model's Deploy, and the checks that span files."""

from __future__ import annotations

from generator import model as m
from generator.spec.types import Ctx


def resolve_deploy(data: dict | None) -> m.Deploy:
    """The targets the spec asks for; a target's key present (even empty) renders it."""
    data = data or {}
    k8s, mimir, thanos = data.get("kubernetes"), data.get("mimir"), data.get("thanos")
    return m.Deploy(
        kubernetes=m.Kubernetes(k8s["namespace"], tuple(sorted((k8s["labels"] or {}).items())), k8s["alertmanager"],
                                k8s["alertmanager_name"], k8s["secret_name"], k8s["dashboards"],
                                tuple(sorted((k8s["grafana_instance_selector"] or {}).items())))
        if k8s is not None else None,
        mimir=m.Mimir(mimir["namespace"]) if mimir is not None else None,
        thanos=m.Thanos(thanos["partial_response_strategy"]) if thanos is not None else None,
    )


def check_secret_keys(spec: m.Spec, org: Ctx) -> None:
    """Two secret files with one base name would be one key of the Kubernetes Secret (or one placeholder)."""
    if spec.deploy.kubernetes is None and spec.deploy.mimir is None:
        return
    by_key: dict[str, list[str]] = {}
    for path, key in m.secret_files(spec).items():
        by_key.setdefault(key, []).append(path)
    for key, paths in sorted(by_key.items()):
        if len(paths) > 1:
            org.error(("deploy",), f"the secret files {', '.join(paths)} would share the key '{key}' of the "
                                            "Kubernetes Secret and the Mimir placeholders; give them different base names")
