"""The deployment targets of the model (org.yaml `deploy`) and the one model of secrets, rendered per target."""

from __future__ import annotations

from dataclasses import dataclass

@dataclass(frozen=True)
class Kubernetes:
    """The Kubernetes target: Prometheus Operator objects, Grafana dashboards, a kustomization."""

    namespace: str = "monitoring"
    labels: tuple[tuple[str, str], ...] = ()  # on every object, e.g. release: kube-prometheus-stack
    alertmanager: str = "config"  # config: an AlertmanagerConfig | secret: the plain config as alertmanager-<name>
    alertmanager_name: str = "main"
    secret_name: str = "aicost-alertmanager"  # the Secret holding the receivers' keys
    dashboards: str = "configmap"  # configmap: for Grafana's sidecar | operator: GrafanaDashboard objects
    grafana_instance_selector: tuple[tuple[str, str], ...] = (("dashboards", "grafana"),)


@dataclass(frozen=True)
class Mimir:
    """The Mimir/Cortex target: a namespace file for mimirtool and an Alertmanager config without *_file."""

    namespace: str = "aicost"


@dataclass(frozen=True)
class Thanos:
    """The Thanos Ruler target: rule files with a partial response strategy."""

    partial_response_strategy: str = "abort"


@dataclass(frozen=True)
class Deploy:
    """Where the rendered output goes besides the plain Prometheus files (None: not rendered)."""

    kubernetes: Kubernetes | None = None
    mimir: Mimir | None = None
    thanos: Thanos | None = None


def secret_key(path: str) -> str:
    """The key of a secret file in a Kubernetes Secret or a placeholder: its base name (one model of
    secrets, the spec's file paths, rendered per target)."""
    return path.rstrip("/").rsplit("/", 1)[-1]


def secret_files(spec) -> dict[str, str]:
    """Every secret file path of the Alertmanager configuration and of the sources' scrape jobs -> the key it becomes."""
    paths = [v for r in spec.receivers for k, v in r.settings if k.endswith("_file") and isinstance(v, str)]
    if spec.smtp and spec.smtp.auth_password_file:
        paths.append(spec.smtp.auth_password_file)
    paths += [s.bearer_token_file for s in spec.sources if s.bearer_token_file]  # the sources' scrape tokens
    return {p: secret_key(p) for p in sorted(set(paths))}
