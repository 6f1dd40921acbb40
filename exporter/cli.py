"""`aicost exporter` / `python -m exporter`: the GPU cost exporter."""

from __future__ import annotations

import signal
import socket
import ssl
import threading
from pathlib import Path

import click

from generator.errors import ExporterError
from generator.names import GPU_CATEGORIES, REQUIRED_TAGS

# The host's tags: the flags and the keys of the --config file.
TAG_HELP = {
    "team": "team that pays for this host's GPUs (a team of the spec)",
    "project": "project the GPUs serve",
    "environment": "production, staging or dev; production hosts are never shut down by aicost",
    "cost_center": "finance cost center code",
    "owner": "e-mail of the host's owner",
    "instance": "cloud instance id (default: the hostname)",
    "category": f"what the GPUs are for: {', '.join(GPU_CATEGORIES)} (default compute)",
}
CONFIG_HELP = ("YAML map of the host's tags, keys: " + ", ".join(TAG_HELP) +
               " (a flag given on the command line wins)")


def _tags_file(path: str | None) -> dict:
    """The host's tags from a YAML file, read by the spec loader (no YAML 1.1 surprises)."""
    if not path:
        return {}
    from generator.errors import Problems
    from generator.spec.yamlload import load_document

    problems = Problems(path)
    doc = load_document(Path(path), path, problems)
    if doc is None:
        raise ExporterError(str(problems.errors[0]))
    if not isinstance(doc.data, dict):
        raise ExporterError(f"{path}: expected a map of host tags ({', '.join(TAG_HELP)})")
    unknown = sorted(set(doc.data) - set(TAG_HELP))
    if unknown:
        raise ExporterError(f"{path}: unknown keys {', '.join(unknown)}; allowed: {', '.join(TAG_HELP)}")
    bad = [k for k, v in doc.data.items() if not isinstance(v, (str, int, float)) or isinstance(v, bool)]
    if bad:
        raise ExporterError(f"{path}: {', '.join(bad)}: a tag is a single value, such as a name")
    return {k: str(v) for k, v in doc.data.items()}


def _tls(cert: str | None, key: str | None) -> ssl.SSLContext | None:
    from exporter.server import tls_context

    if key and not cert:
        raise ExporterError("--tls-key needs --tls-cert (the certificate to serve); nothing was started")
    if not cert:
        return None
    try:
        return tls_context(cert, key)
    except (ssl.SSLError, OSError) as exc:
        files = f"--tls-cert {cert}" + (f" / --tls-key {key}" if key else "")
        raise ExporterError(f"cannot load the TLS certificate ({files}): {getattr(exc, 'reason', None) or exc}") from None


def _auth(user: str | None, password_file: str | None) -> tuple[str, str] | None:
    if bool(user) != bool(password_file):
        raise ExporterError("--basic-auth-user and --basic-auth-password-file go together")
    if not user:
        return None
    try:
        return user, Path(password_file).read_text().strip()
    except OSError as exc:
        raise ExporterError(f"cannot read --basic-auth-password-file {password_file}: {exc.strerror}") from None


def _tag_option(name: str):
    return click.option(f"--{name.replace('_', '-')}", name, help=TAG_HELP[name],
                        type=click.Choice(GPU_CATEGORIES) if name == "category" else None)


@click.command("exporter", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--specs", default="specs", show_default=True, help="spec folder (GPU prices)")
@click.option("--listen", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=9400, show_default=True, type=int)
@click.option("--config", "config", type=click.Path(exists=True, dir_okay=False), help=CONFIG_HELP)
@_tag_option("team")
@_tag_option("project")
@_tag_option("environment")
@_tag_option("cost_center")
@_tag_option("owner")
@_tag_option("instance")
@_tag_option("category")
@click.option("--simulate", type=int, default=0, help="serve N simulated GPUs instead of NVML")
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False),
              help="serve HTTPS with this PEM certificate (it may hold the key too)")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False), help="PEM private key of --tls-cert")
@click.option("--basic-auth-user", help="require HTTP basic auth with this user")
@click.option("--basic-auth-password-file", type=click.Path(exists=True, dir_okay=False),
              help="file holding the basic-auth password")
def exporter(specs, listen, port, config, simulate, tls_cert, tls_key, basic_auth_user, basic_auth_password_file, **flags):
    """Export GPU utilization, hourly cost and accrued spend (NVML, or --simulate N)."""
    from prometheus_client import CollectorRegistry

    from exporter.collector import GpuCostCollector, GpuPrices, HostTags
    from exporter.nvml import Nvml, NvmlUnavailable
    from exporter.server import serve
    from generator.load import load_spec

    tls, auth = _tls(tls_cert, tls_key), _auth(basic_auth_user, basic_auth_password_file)
    tags = {**_tags_file(config), **{k: v for k, v in flags.items() if v}}
    missing = [t for t in REQUIRED_TAGS if not tags.get(t)]
    if missing:
        raise click.UsageError(f"missing host tags: {', '.join(missing)} (flags or --config)")
    model, _ = load_spec(specs)
    if simulate:
        from exporter.simulate import SimulatedGpus
        source = SimulatedGpus(simulate)
    else:
        try:
            source = Nvml()
        except NvmlUnavailable as exc:
            raise ExporterError(f"{exc} (use --simulate N to serve simulated GPUs)") from None
    host = HostTags(instance=tags.get("instance") or socket.gethostname(), team=tags["team"], project=tags["project"],
                    environment=tags["environment"], cost_center=tags["cost_center"], owner=tags["owner"],
                    category=tags.get("category") or "compute")
    registry = CollectorRegistry()
    registry.register(GpuCostCollector(source, GpuPrices((g.name, g.hourly, g.nvml_names) for g in model.gpus), host))
    try:
        httpd = serve(registry, listen, port, tls, auth)
    except OSError as exc:
        raise ExporterError(f"cannot listen on {listen}:{port}: {exc.strerror}") from None
    scheme = "https" if tls else "http"
    click.echo(f"aicost exporter: {source.count()} GPU(s), serving {scheme}://{listen}:{port}/metrics")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    httpd.shutdown()
    httpd.server_close()
    source.close()
