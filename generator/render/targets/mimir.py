"""Grafana Mimir and Cortex: one rule namespace file for `mimirtool rules load`, and an Alertmanager
configuration their per-tenant Alertmanager accepts (it refuses every `*_file` setting)."""

from __future__ import annotations

from generator.model import Mimir, secret_key
from generator.render.targets import Plain, map_secret_files, placeholder

DIR = "mimir"
# The settings whose value is a URL: their stand-in must parse as one.
URL_SETTINGS = {"api_url", "url"}


def render_mimir(mimir: Mimir, plain: Plain) -> dict[str, object]:
    """rendered/mimir/: rules.yml (namespace + groups), alertmanager.yml with placeholders, the templates."""
    def inline(setting: str, path: str) -> tuple[str, str]:
        return setting, placeholder(secret_key(path), setting in URL_SETTINGS)

    config = map_secret_files(plain.alertmanager, inline)
    # Mimir takes templates by name, uploaded with the configuration (mimirtool alertmanager load).
    config["templates"] = sorted(plain.templates)
    out: dict[str, object] = {f"{DIR}/rules.yml": {"namespace": mimir.namespace, "groups": plain.groups()},
                              f"{DIR}/alertmanager.yml": config}
    out.update({f"{DIR}/{name}": text for name, text in plain.templates.items()})
    return out
