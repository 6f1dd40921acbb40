"""`aicost exporter` / `python -m exporter`: the GPU cost exporter."""

from __future__ import annotations

import signal
import socket
import sys
import threading
from pathlib import Path

import click
import yaml
from prometheus_client import CollectorRegistry

from generator.names import GPU_CATEGORIES, REQUIRED_TAGS


def _tags_file(path: str | None) -> dict:
    if not path:
        return {}
    data = yaml.safe_load(Path(path).read_text()) or {}
    allowed = {*REQUIRED_TAGS, "instance", "category"}
    if not isinstance(data, dict):
        raise click.UsageError(f"{path}: expected a map of host tags ({', '.join(sorted(allowed))})")
    unknown = set(data) - allowed
    if unknown:
        raise click.UsageError(f"{path}: unknown keys {sorted(unknown)}; allowed: {', '.join(sorted(allowed))}")
    return {k: str(v) for k, v in data.items()}


@click.command("exporter")
@click.option("--specs", default="specs", show_default=True, help="spec folder (GPU prices)")
@click.option("--listen", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=9400, show_default=True, type=int)
@click.option("--config", "config", type=click.Path(exists=True, dir_okay=False), help="YAML file with the host's tags")
@click.option("--team")
@click.option("--project")
@click.option("--environment")
@click.option("--cost-center", "cost_center")
@click.option("--owner")
@click.option("--instance", help="cloud instance id (default: the hostname)")
@click.option("--category", type=click.Choice(GPU_CATEGORIES), help="what the GPUs are for (default compute)")
@click.option("--simulate", type=int, default=0, help="serve N simulated GPUs instead of NVML")
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False))
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False))
@click.option("--basic-auth-user")
@click.option("--basic-auth-password-file", type=click.Path(exists=True, dir_okay=False))
def exporter(specs, listen, port, config, simulate, tls_cert, tls_key, basic_auth_user, basic_auth_password_file, **flags):
    """Export GPU utilization, hourly cost and accrued spend (NVML, or --simulate N)."""
    from exporter.collector import GpuCostCollector, GpuPrices, HostTags
    from exporter.nvml import Nvml, NvmlUnavailable
    from exporter.server import serve
    from generator.cli import load_or_exit

    tags = {**_tags_file(config), **{k: v for k, v in flags.items() if v}}
    missing = [t for t in REQUIRED_TAGS if not tags.get(t)]
    if missing:
        raise click.UsageError(f"missing host tags: {', '.join(missing)} (flags or --config)")
    model = load_or_exit(specs)
    if simulate:
        from exporter.simulate import SimulatedGpus
        source = SimulatedGpus(simulate)
    else:
        try:
            source = Nvml()
        except NvmlUnavailable as exc:
            click.echo(f"aicost exporter: {exc} (use --simulate N to serve simulated GPUs)", err=True)
            sys.exit(1)
    host = HostTags(instance=tags.get("instance") or socket.gethostname(), team=tags["team"], project=tags["project"],
                    environment=tags["environment"], cost_center=tags["cost_center"], owner=tags["owner"],
                    category=tags.get("category") or "compute")
    registry = CollectorRegistry()
    registry.register(GpuCostCollector(source, GpuPrices((g.name, g.hourly, g.nvml_names) for g in model.gpus), host))
    auth = None
    if basic_auth_user:
        if not basic_auth_password_file:
            raise click.UsageError("--basic-auth-user needs --basic-auth-password-file")
        auth = (basic_auth_user, Path(basic_auth_password_file).read_text().strip())
    try:
        httpd = serve(registry, listen, port, tls_cert, tls_key, auth)
    except OSError as exc:
        click.echo(f"aicost exporter: cannot listen on {listen}:{port}: {exc.strerror}", err=True)
        sys.exit(1)
    scheme = "https" if tls_cert else "http"
    click.echo(f"aicost exporter: {source.count()} GPU(s), serving {scheme}://{listen}:{port}/metrics")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    httpd.shutdown()
    source.close()
